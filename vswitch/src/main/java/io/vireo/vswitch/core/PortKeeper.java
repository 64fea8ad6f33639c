package io.vireo.vswitch.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;
import org.agrona.BufferUtil;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The switch's side of the port keeper, a small process ({@code port-keeper.py}, written into the run dir
 * and started detached when none answers there) that holds a copy of every TAP port's file descriptors.
 * A TAP lives while any descriptor of it is open: so the containers' interfaces outlive a vireod that
 * stops or crashes, and the next vireod on the run dir {@link #give takes them back} instead of making
 * new ones. Deleting a port {@link #drop drops} the keeper's copies, so the TAP goes with the port.
 * <p>
 * One request at a time, on the control thread (every caller holds the {@link Vireo} lock).
 */
public final class PortKeeper implements AutoCloseable
{
    static final String SCRIPT = "port-keeper.py";
    static final String SOCKET = "keeper.sock";
    private static final int TIMEOUT_MILLIS = 5_000;
    /** A Python start on a 2-core machine loaded by other work has taken more than 10 s. */
    private static final int START_MILLIS = 30_000;
    /**
     * The system's interpreter, which the distribution's python3 package puts there ({@code scripts/install-deps.sh}
     * installs it), when it is there; else the first python3 on the path. Not the path's first as a rule: a keeper
     * that outlives the daemon should not depend on the shell that started it, and a version manager's shim there
     * (pyenv's, on the machine of benches/README.md) took 0.33 s of every daemon's start, 0.05 s without it.
     */
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private final UnixSocket socket;
    private final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4096, 64));
    private final IntArrayList received = new IntArrayList();

    private PortKeeper(final UnixSocket socket)
    {
        this.socket = socket;
    }

    /**
     * Connects to the keeper of {@code runDir}, starting one if none answers.
     *
     * @throws VireoException (failed) if none can be started.
     */
    static PortKeeper start(final Path runDir)
    {
        final Path socketPath = runDir.resolve(SOCKET);
        try
        {
            return new PortKeeper(UnixSocket.connect(socketPath));
        }
        catch (final NativeException notRunning)
        {
            // fall through: start one
        }
        final Process keeper = launch(runDir);
        final long deadline = System.nanoTime() + START_MILLIS * 1_000_000L;
        while (true)
        {
            try
            {
                return new PortKeeper(UnixSocket.connect(socketPath));
            }
            catch (final NativeException ex)
            {
                // An exit 0 is setsid's, had it forked to leave the process group; the keeper's own failure exits 1.
                final boolean failed = !keeper.isAlive() && 0 != keeper.exitValue();
                if (failed || System.nanoTime() > deadline)
                {
                    throw new VireoException(VireoException.Kind.FAILED, "the port keeper did not start (" +
                        (failed ? "it exited " + keeper.exitValue() : ex.getMessage()) + "); see " + runDir.resolve("keeper.log") +
                        lastLine(runDir.resolve("keeper.log")), ex);
                }
                sleepBriefly();
            }
        }
    }

    /** ": " and the last line of a log, or nothing if it has none. */
    private static String lastLine(final Path log)
    {
        try
        {
            final List<String> lines = Files.readAllLines(log);
            return lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1);
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    /**
     * Has the keeper of {@code runDir}, if one runs there, let a port's TAP go: for a port deleted while no
     * vireod runs (a container's DEL).
     *
     * @return false if no keeper runs there.
     * @throws VireoException (failed) if it does not answer.
     */
    public static boolean release(final Path runDir, final String port)
    {
        final PortKeeper keeper;
        try
        {
            keeper = new PortKeeper(UnixSocket.connect(runDir.resolve(SOCKET)));
        }
        catch (final NativeException notRunning)
        {
            return false;
        }
        try (keeper)
        {
            keeper.drop(port);
            return true;
        }
    }

    /** Keeps copies of a port's descriptors (one per queue), replacing any kept under its name. */
    void keep(final String name, final int[] fds)
    {
        send("KEEP " + name + " " + fds.length + "\n", fds);
        expect("OK");
    }

    /** Closes the keeper's copies of a port's descriptors. */
    void drop(final String name)
    {
        send("DROP " + name + "\n", new int[0]);
        expect("OK");
    }

    /** Copies of every port's descriptors the keeper holds, by port name; the caller owns them. */
    Map<String, int[]> give()
    {
        final Map<String, int[]> ports = new LinkedHashMap<>();
        send("GIVE\n", new int[0]);
        while (true)
        {
            final String[] words = readLine().split(" ");
            if (1 == words.length && "END".equals(words[0]))
            {
                return ports;
            }
            if (3 != words.length || !"PORT".equals(words[0]) || Integer.parseInt(words[2]) != received.size())
            {
                received.forEachOrderedInt(UnixSocket::closeDescriptor);
                ports.values().forEach(fds -> Arrays.stream(fds).forEach(UnixSocket::closeDescriptor));
                throw new VireoException(VireoException.Kind.FAILED, "the port keeper answered " + String.join(" ", words));
            }
            ports.put(words[1], received.toIntArray());
            send("NEXT\n", new int[0]);
        }
    }

    @Override
    public void close()
    {
        socket.close();
    }

    private void send(final String line, final int[] fds)
    {
        final int length = buffer.putStringWithoutLengthAscii(0, line);
        socket.send(buffer, 0, length, fds, fds.length, TIMEOUT_MILLIS);
    }

    private void expect(final String answer)
    {
        final String line = readLine();
        if (!answer.equals(line))
        {
            received.forEachOrderedInt(UnixSocket::closeDescriptor);
            throw new VireoException(VireoException.Kind.FAILED, "the port keeper answered " + line);
        }
    }

    /** One answer line, with the descriptors that came with it in {@link #received}. */
    private String readLine()
    {
        received.clear();
        int length = 0;
        while (0 == length || '\n' != buffer.getByte(length - 1))
        {
            if (!socket.awaitReadable(TIMEOUT_MILLIS))
            {
                throw new VireoException(VireoException.Kind.FAILED, "the port keeper did not answer");
            }
            final int read = socket.receive(buffer, length, buffer.capacity() - length, received);
            if (0 == read)
            {
                throw new VireoException(VireoException.Kind.FAILED, "the port keeper closed the connection");
            }
            length += Math.max(read, 0);
        }
        return buffer.getStringWithoutLengthAscii(0, length - 1);
    }

    /** Writes the keeper into the run dir and starts it in a session of its own, so it outlives vireod. */
    private static Process launch(final Path runDir)
    {
        final Path script = runDir.resolve(SCRIPT);
        try (InputStream in = PortKeeper.class.getResourceAsStream(SCRIPT))
        {
            Files.write(script, in.readAllBytes());
            return new ProcessBuilder("setsid", PYTHON, "-I", script.toString(), runDir.toString())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(runDir.resolve("keeper.log").toFile()))
                .redirectErrorStream(true)
                .start();
        }
        catch (final IOException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, "cannot start the port keeper: " + ex.getMessage(), ex);
        }
    }

    private static void sleepBriefly()
    {
        try
        {
            Thread.sleep(20);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new VireoException(VireoException.Kind.FAILED, "interrupted while the port keeper starts", ex);
        }
    }
}
