package io.vireo.dataplane.vhost;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.LibC;
import io.vireo.dataplane.nativeio.MappedMemory;
import io.vireo.dataplane.nativeio.Native;
import org.agrona.BufferUtil;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;

import static io.vireo.dataplane.vhost.VhostUserMessage.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile frontend's messages handed to a {@link VhostUserSession} as its control thread hands them over:
 * each with the descriptors it carried, those the session leaves in the list closed afterwards, the session
 * reset after a violation (the control thread drops the connection, the next frontend starts afresh) and when
 * the input ends (the frontend hangs up). Between messages the test may poll the port as its forwarding thread
 * does, taking frames from the running queue and offering it three.
 * <p>
 * The input is {@code [image length, 2 bytes][image][message]...}; a message is {@code [op, 1 byte][descriptor
 * kinds, 1 byte each][header, 12 bytes][payload]}. Op bits 0-3 count the descriptors, bit 4 polls the port after
 * the message. The header is the wire's (request, flags, size: little-endian u32s, any values); the payload is
 * the {@code size} bytes after it (at most {@link VhostUserMessage#MAX_PAYLOAD}, fewer if the input ends), the
 * rest of the buffer holding what earlier messages left, as the control thread's does. A descriptor is made
 * afresh for each message, of a kind: a 1 MiB memfd holding the image (up to 8 KiB) at offset 0, rings and
 * buffers as a frontend lays them out; a 64 KiB memfd; an empty memfd; an eventfd; a 64 KiB file opened
 * read-only; an {@code O_PATH} descriptor of it; a unix socket; a directory.
 * <p>
 * Invariants: {@code handle} answers (always a GET_* request and a request asking for a reply, with a well-formed
 * reply) or throws {@link ViolationException}, never another exception; polling the port never throws and
 * takes no frame longer than {@link Virtqueue#MAX_FRAME_LENGTH}. The session never closes a descriptor it leaves
 * in the list, closes every one it took by the next reset (after RESET_OWNER, a violation or the end), and never
 * closes one twice: the number of every descriptor it closed is taken at once by a sentinel of the test's, which
 * must still be there at the end (a second close within the same message would go unseen). After a reset the
 * port runs no queue, and no file a frontend passed stays mapped: the test maps none itself, so
 * {@code /proc/self/maps} read at the end shows whatever any reset of the input left. Memory accesses all go
 * through the mappings' bounds checks, so one outside the regions would be an exception, not a stray access.
 */
class VhostUserSessionFuzzTest
{
    private static final int IMAGE_HEADER_LENGTH = 2;
    private static final int MAX_IMAGE_LENGTH = 8192;
    private static final int OP_DESCRIPTORS = 0xF;
    private static final int OP_POLL = 0x10;

    private static final int IMAGE = 0;
    private static final int SMALL = 1;
    private static final int EMPTY = 2;
    private static final int EVENT = 3;
    private static final int READ_ONLY = 4;
    private static final int PATH_ONLY = 5;
    private static final int SOCKET = 6;
    private static final int DIRECTORY = 7;
    private static final int KINDS = 8;

    private static final long IMAGE_SIZE = 1 << 20;
    private static final long SMALL_SIZE = 64 << 10;
    private static final String MEMFD_PREFIX = "vireo-fuzz-vhost-";

    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0x10000;
    private static final int O_CLOEXEC = 0x80000;
    private static final int O_PATH = 0x200000;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int F_DUPFD_CLOEXEC = 1030;

    private static final int[] FRAME_LENGTHS = {60, 1000, 1514};
    private static final int[] FRAMES = {0, 1, 2};

    private final Logger log = Logger.getLogger(VhostUserPort.class.getName());
    // Every message is logged at INFO or WARNING: millions of lines in a fuzzing run.
    private final Level logLevel = silence(log);
    private final LibC libc = Native.libc();
    private final Path dir = createDirectory();
    private final Path notMemory = dir.resolve("not-memory");
    private final VhostUserPort port = VhostUserPort.client("fuzz", dir.resolve("no-frontend.sock"));
    private final VirtqueueTest.RecordingEvents events = new VirtqueueTest.RecordingEvents();
    private final VhostUserSession session = new VhostUserSession(port, events);
    private final VhostUserMessage request = new VhostUserMessage();
    private final VhostUserMessage reply = new VhostUserMessage();
    private final IntArrayList fds = new IntArrayList();
    private final UnsafeBuffer image = new UnsafeBuffer(BufferUtil.allocateDirectAligned(MAX_IMAGE_LENGTH, 8));
    private final FrameBurst fromGuest = new FrameBurst(32, 2048, 64);
    private final FrameBurst toGuest = new FrameBurst(4, 2048, 64);

    /** Descriptors the session took and has not closed yet, by number, with what each is. */
    private final Int2ObjectHashMap<String> taken = new Int2ObjectHashMap<>();
    /** What the descriptors made for the message being handled are. */
    private final Int2ObjectHashMap<String> made = new Int2ObjectHashMap<>();
    /** Numbers the session closed, now held by the test: closing one again would close a sentinel. */
    private final IntArrayList sentinels = new IntArrayList();
    private final int sentinelSource;
    private final String sentinel;
    private int imageLength;
    private long memfds;

    VhostUserSessionFuzzTest() throws IOException
    {
        Files.write(notMemory, new byte[(int)SMALL_SIZE]);
        final Path sentinelFile = Files.writeString(dir.resolve("sentinel"), "sentinel");
        sentinelSource = libc.open(sentinelFile.toString(), O_RDONLY | O_CLOEXEC);
        sentinel = identity(sentinelSource);
        toGuest.clear();
        for (final int length : FRAME_LENGTHS)
        {
            toGuest.buffer().putBytes(toGuest.nextFrameOffset(), VirtqueueTest.frame(length, length));
            toGuest.clearNextNetHeader();
            toGuest.commit(length);
        }
    }

    private static Level silence(final Logger log)
    {
        final Level level = log.getLevel();
        log.setLevel(Level.OFF);
        return level;
    }

    private static Path createDirectory()
    {
        try
        {
            return Files.createTempDirectory("vireo-fuzz-vhost");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @AfterEach
    void close() throws IOException
    {
        session.reset();
        port.close();
        for (int i = 0; i < sentinels.size(); i++)
        {
            libc.close(sentinels.getInt(i));
        }
        libc.close(sentinelSource);
        try (Stream<Path> files = Files.walk(dir))
        {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(file);
            }
        }
        log.setLevel(logLevel);
    }

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void sessionsAnswerOrRejectAndLeaveNothingBehind(final byte[] input)
    {
        if (input.length < IMAGE_HEADER_LENGTH)
        {
            return;
        }
        imageLength = Math.min(Math.min((input[0] & 0xFF) << 8 | input[1] & 0xFF, MAX_IMAGE_LENGTH),
            input.length - IMAGE_HEADER_LENGTH);
        image.putBytes(0, input, IMAGE_HEADER_LENGTH, imageLength);
        int position = IMAGE_HEADER_LENGTH + imageLength;
        boolean mappable = false;
        while (position < input.length)
        {
            final int op = input[position] & 0xFF;
            final int count = op & OP_DESCRIPTORS;
            if (position + 1 + count + HEADER_LENGTH > input.length)
            {
                break;
            }
            final int[] given = new int[count];
            boolean memfd = false;
            for (int i = 0; i < count; i++)
            {
                final int kind = (input[position + 1 + i] & 0xFF) % KINDS;
                given[i] = make(kind);
                memfd |= IMAGE == kind || SMALL == kind;
            }
            position += 1 + count;
            request.buffer().putBytes(0, input, position, HEADER_LENGTH);
            mappable |= memfd && SET_MEM_TABLE == request.request();
            position += HEADER_LENGTH;
            final int payload = (int)Math.min(Math.min(request.size(), MAX_PAYLOAD), input.length - position);
            request.buffer().putBytes(HEADER_LENGTH, input, position, payload);
            position += payload;
            handle(given);
            if (0 != (op & OP_POLL))
            {
                poll();
            }
        }
        resetAsTheControlThreadDoes();
        if (mappable)
        {
            // Nothing else can be mapped: the other files are empty, read-only or no files. The look is costly.
            assertNothingMapped();
        }
        assertSentinelsStayed();
    }

    /** One message through the session, then what the control thread does with the descriptors left. */
    private void handle(final int[] given)
    {
        fds.clear();
        for (final int fd : given)
        {
            fds.addInt(fd);
        }
        final int code = request.request();
        final boolean mustReply = request.needsReply() ||
            GET_FEATURES == code || GET_PROTOCOL_FEATURES == code || GET_QUEUE_NUM == code || GET_VRING_BASE == code;
        boolean replied = false;
        boolean violated = false;
        try
        {
            replied = session.handle(request, fds, reply);
        }
        catch (final ViolationException ex)
        {
            violated = true;
        }
        closeThoseLeft(given);
        if (violated)
        {
            resetAsTheControlThreadDoes();
            return;
        }
        assertTrue(replied || !mustReply, () -> request + " got no reply");
        if (replied)
        {
            assertEquals(code, reply.request(), "a reply repeats the request code");
            assertEquals(REPLY_FLAGS, reply.flags(), "a reply's flags");
            assertTrue(reply.size() == U64_LENGTH || GET_VRING_BASE == code && reply.size() == VRING_STATE_LENGTH,
                () -> "a reply of " + reply.size() + " bytes to " + request);
        }
        if (RESET_OWNER == code)
        {
            assertResetLeftNothing();
        }
    }

    /** Takes what the running queue has and offers it frames, as a forwarding thread; a violation resets. */
    private void poll()
    {
        fromGuest.clear();
        final int received = port.receive(fromGuest);
        assertTrue(received >= 0 && received <= fromGuest.capacity(), () -> received + " frames taken");
        for (int i = 0; i < received; i++)
        {
            assertTrue(fromGuest.frameLength(i) <= Virtqueue.MAX_FRAME_LENGTH, "a frame no longer than accepted");
        }
        final int sent = port.transmit(toGuest, FRAMES, FRAMES.length);
        assertTrue(sent >= 0 && sent <= FRAMES.length, () -> sent + " frames sent");
        if (!events.violations.isEmpty())
        {
            resetAsTheControlThreadDoes();
        }
    }

    private void resetAsTheControlThreadDoes()
    {
        session.reset();
        events.violations.clear();
        events.details.clear();
        assertResetLeftNothing();
    }

    private void assertResetLeftNothing()
    {
        sweep();
        assertTrue(taken.isEmpty(), () -> "descriptors still open after a reset: " + taken);
        assertFalse(port.isRunning(), "no queue runs after a reset");
        assertEquals(0, port.offloads());
    }

    /** The test maps nothing itself, so one look at the end sees every mapping a reset left behind. */
    private void assertNothingMapped()
    {
        // One search of the whole text: Jazzer hooks String.contains here (a call per line cost a third of the
        // runs), and java.util.regex everywhere (a pattern cost 97 % of them).
        final String maps = read(Path.of("/proc/self/maps"));
        assertFalse(maps.contains(MEMFD_PREFIX) || maps.contains(dir.toString()),
            () -> "still mapped after a reset:\n" + maps);
    }

    /**
     * Closes the descriptors the session left in the list, as the control thread does, checking it took none
     * of them away; those it removed are its own now.
     */
    private void closeThoseLeft(final int[] given)
    {
        for (int i = 0; i < fds.size(); i++)
        {
            final int fd = fds.getInt(i);
            assertTrue(made.containsKey(fd), () -> "the session put descriptor " + fd + " in the list");
            assertEquals(made.get(fd), identity(fd), () -> "descriptor " + fd + " left in the list, but closed");
            assertEquals(0, libc.close(fd));
        }
        for (final int fd : given)
        {
            if (!fds.containsInt(fd))
            {
                taken.put(fd, made.get(fd));
            }
        }
        fds.clear();
        made.clear();
        sweep();
    }

    /** Notes the descriptors the session closed and holds their numbers, so that closing one again shows. */
    private void sweep()
    {
        final IntArrayList closed = new IntArrayList();
        taken.forEachInt((fd, what) ->
        {
            if (!what.equals(identity(fd)))
            {
                closed.addInt(fd);
            }
        });
        for (int i = 0; i < closed.size(); i++)
        {
            final int fd = closed.getInt(i);
            taken.remove(fd);
            final int held = libc.fcntl(sentinelSource, F_DUPFD_CLOEXEC, fd);
            if (held == fd)
            {
                sentinels.addInt(fd);
            }
            else if (held >= 0)
            {
                // Another thread of this JVM took the number meanwhile: it cannot be watched.
                libc.close(held);
            }
        }
    }

    private void assertSentinelsStayed()
    {
        for (int i = 0; i < sentinels.size(); i++)
        {
            final int fd = sentinels.getInt(i);
            assertEquals(sentinel, identity(fd), () -> "descriptor " + fd + " was closed twice");
            libc.close(fd);
        }
        sentinels.clear();
    }

    /** A new descriptor of the kind, as a frontend might pass it. */
    private int make(final int kind)
    {
        final int fd = switch (kind)
        {
            case IMAGE -> memfd(IMAGE_SIZE);
            case SMALL -> memfd(SMALL_SIZE);
            case EMPTY -> memfd(0);
            case EVENT -> libc.eventfd(0, EFD_CLOEXEC);
            case READ_ONLY -> libc.open(notMemory.toString(), O_RDONLY | O_CLOEXEC);
            case PATH_ONLY -> libc.open(notMemory.toString(), O_PATH | O_CLOEXEC);
            case SOCKET -> libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            default -> libc.open(dir.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        };
        if (fd < 0)
        {
            throw new IllegalStateException("cannot make a descriptor of kind " + kind + ": errno " + Native.errno());
        }
        if (IMAGE == kind && imageLength > 0 && libc.write(fd, image.addressOffset(), imageLength) != imageLength)
        {
            throw new IllegalStateException("cannot write the image: errno " + Native.errno());
        }
        made.put(fd, identity(fd));
        return fd;
    }

    private int memfd(final long size)
    {
        return MappedMemory.createMemfd(MEMFD_PREFIX + memfds++, size);
    }

    /** What {@code fd} is: its link in /proc (unique for a memfd, a socket), with an eventfd's id; null if closed. */
    private static String identity(final int fd)
    {
        try
        {
            final String link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            if (!link.equals("anon_inode:[eventfd]"))
            {
                return link;
            }
            final String info = read(Path.of("/proc/self/fdinfo/" + fd));
            final int id = info.indexOf("eventfd-id:");
            return id < 0 ? link : link + info.substring(id, info.indexOf('\n', id));
        }
        catch (final IOException | UncheckedIOException ex)
        {
            return null;
        }
    }

    private static String read(final Path path)
    {
        try
        {
            return new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
