package io.vireo.dataplane.vhost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import io.vireo.dataplane.nativeio.NativeException;

/**
 * A hostile vhost-user frontend as a process of its own, for the end-to-end hostile traffic test
 * ({@code HostileTrafficIT}): it connects to a switch's vhost-user port and, until its time is up, floods it with
 * bad frames that keep to the protocol (from {@code hostile_frames.py dump}: runts, giants, bad source MACs,
 * lying IP/TCP/UDP/ARP headers, and virtio-net headers whose GSO and checksum fields lie), then breaks the protocol
 * with the next {@link FrontendAttack}, waits for the switch to hang up, connects again and goes on; past its time
 * it makes the attacks it has not made yet, without the floods.
 * <pre>
 * java -cp CLASSPATH io.vireo.dataplane.vhost.VhostUserAttacker SOCKET SECONDS FRAMES_FILE ANSWERED_FRAME_HEX SCRATCH_DIR
 * </pre>
 * FRAMES_FILE holds {@code plain KIND HEX} and {@code virtio KIND HEX} lines (a 10-byte virtio-net header before
 * the frame); ANSWERED_FRAME_HEX is a frame the switch answers (an ARP request to a router), which the
 * {@link FrontendAttack#READ_ONLY_RECEIVE_BUFFER} attack needs. Every frame the switch took is one it returned
 * before the attack that followed, so the switch received every frame counted here (and at most the two frames
 * of an attack more). Prints one JSON object: {@code counts}, each kind's frames returned by the switch as
 * {@code [sent, 0]} (as {@code hostile_frames.py} prints them); {@code violations}, each attack made and answered
 * with a hang-up; {@code unanswered}, attacks the switch did not hang up on within {@link #ANSWER_MILLIS} (then
 * the exit status is 1); {@code kinds_of_attack}, how many there are.
 */
public final class VhostUserAttacker
{
    /** Bad frames per connection, before its attack. */
    private static final int FRAMES_PER_SESSION = 128;
    /** Chains in flight: the longest (a giant) takes 6 of the ring's 256 descriptors. */
    private static final int IN_FLIGHT = 32;
    private static final long ANSWER_MILLIS = 10_000;

    private final Path socket;
    private final List<Kind> kinds = new ArrayList<>();
    private final byte[] answered;
    private final Path scratch;
    /** Frames of each kind the switch took and gave back. */
    private final Map<String, Long> returned = new LinkedHashMap<>();
    private final Map<FrontendAttack, Long> violations = new LinkedHashMap<>();
    private final Map<FrontendAttack, Long> unanswered = new LinkedHashMap<>();

    private record Kind(String name, byte[] header, byte[] frame)
    {
    }

    private VhostUserAttacker(final Path socket, final List<String> frames, final byte[] answered, final Path scratch)
    {
        this.socket = socket;
        this.answered = answered;
        this.scratch = scratch;
        for (final String line : frames)
        {
            final String[] fields = line.strip().split(" ");
            final byte[] bytes = HexFormat.of().parseHex(fields[2]);
            final byte[] header = new byte[TestDriver.HEADER]; // num_buffers, the last two bytes, stays 0
            final int headerLength = "virtio".equals(fields[0]) ? 10 : 0;
            System.arraycopy(bytes, 0, header, 0, headerLength);
            final byte[] frame = new byte[bytes.length - headerLength];
            System.arraycopy(bytes, headerLength, frame, 0, frame.length);
            kinds.add(new Kind(fields[1], header, frame));
            returned.put(fields[1], 0L);
        }
    }

    public static void main(final String[] args) throws IOException
    {
        if (5 != args.length)
        {
            System.err.println("usage: VhostUserAttacker SOCKET SECONDS FRAMES_FILE ANSWERED_FRAME_HEX SCRATCH_DIR");
            System.exit(2);
        }
        final VhostUserAttacker attacker = new VhostUserAttacker(Path.of(args[0]),
            Files.readAllLines(Path.of(args[2])).stream().filter(line -> !line.isBlank()).toList(),
            HexFormat.of().parseHex(args[3]), Path.of(args[4]));
        attacker.attackFor(Double.parseDouble(args[1]));
        System.out.println(attacker.report());
        System.exit(attacker.unanswered.isEmpty() ? 0 : 1);
    }

    private void attackFor(final double seconds)
    {
        final long deadline = System.nanoTime() + (long)(seconds * 1e9);
        final FrontendAttack[] attacks = FrontendAttack.values();
        final FrontendAttack.Scene scene = new FrontendAttack.Scene(VhostUserAttacker::awaitCondition, scratch,
            n -> kinds.get(n % kinds.size()).frame, answered);
        // every attack at least once, however long a loaded machine makes that take
        for (int session = 0; System.nanoTime() < deadline || session < attacks.length; session++)
        {
            final FrontendAttack attack = attacks[session % attacks.length];
            if (System.nanoTime() < deadline)
            {
                try (TestFrontend frontend = connect())
                {
                    flood(frontend.start(), deadline);
                }
            }
            try (TestFrontend liar = connect())
            {
                attack.on(liar, scene);
                if (awaitHangUp(liar))
                {
                    violations.merge(attack, 1L, Long::sum);
                }
                else
                {
                    unanswered.merge(attack, 1L, Long::sum);
                }
            }
        }
    }

    /** Connects once the port listens again (it takes one connection at a time). */
    private TestFrontend connect()
    {
        final long deadline = System.currentTimeMillis() + ANSWER_MILLIS;
        while (true)
        {
            try
            {
                return TestFrontend.connect(socket);
            }
            catch (final NativeException ex)
            {
                if (System.currentTimeMillis() > deadline)
                {
                    throw ex;
                }
                sleep();
            }
        }
    }

    /** Sends the bad frames in turn, at most {@link #IN_FLIGHT} at a time, until every one sent came back. */
    private void flood(final TestFrontend frontend, final long deadline)
    {
        final TestDriver driver = frontend.driver;
        int sent = 0;
        while (sent < FRAMES_PER_SESSION && System.nanoTime() < deadline)
        {
            awaitCondition(() -> driver.inFlight(1) < IN_FLIGHT, "room in the transmit queue");
            final Kind kind = kinds.get(sent++ % kinds.size());
            driver.sendChained(kind.header, kind.frame);
        }
        final int total = sent;
        awaitCondition(() -> driver.sentAndReturned() == total, "the switch to take every frame");
        for (int i = 0; i < total; i++)
        {
            returned.merge(kinds.get(i % kinds.size()).name, 1L, Long::sum);
        }
    }

    private boolean awaitHangUp(final TestFrontend liar)
    {
        final long deadline = System.currentTimeMillis() + ANSWER_MILLIS;
        while (!liar.isDisconnected())
        {
            if (System.currentTimeMillis() > deadline)
            {
                return false;
            }
            sleep();
        }
        return true;
    }

    private static void awaitCondition(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.currentTimeMillis() + ANSWER_MILLIS;
        while (!condition.getAsBoolean())
        {
            if (System.currentTimeMillis() > deadline)
            {
                throw new IllegalStateException("the switch did not let " + what + " happen within " + ANSWER_MILLIS + " ms");
            }
            Thread.onSpinWait();
        }
    }

    private static void sleep()
    {
        try
        {
            Thread.sleep(1);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private String report()
    {
        return "{\"counts\": {" + returned.entrySet().stream()
            .map(e -> "\"" + e.getKey() + "\": [" + e.getValue() + ", 0]").collect(Collectors.joining(", ")) +
            "}, \"refusals\": {}, \"violations\": " + json(violations) + ", \"unanswered\": " + json(unanswered) +
            ", \"kinds_of_attack\": " + FrontendAttack.values().length + "}";
    }

    private static String json(final Map<FrontendAttack, Long> byAttack)
    {
        return "{" + byAttack.entrySet().stream().map(e -> "\"" + e.getKey().name().toLowerCase() + "\": " + e.getValue())
            .collect(Collectors.joining(", ")) + "}";
    }
}
