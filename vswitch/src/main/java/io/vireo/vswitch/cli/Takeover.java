package io.vireo.vswitch.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.dataplane.nativeio.Epoll;
import io.vireo.dataplane.nativeio.EventFd;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.vswitch.core.BridgeInfo;
import io.vireo.vswitch.core.FdbEntry;
import io.vireo.vswitch.core.HandedPort;
import io.vireo.vswitch.core.NeighbourAnswer;
import io.vireo.vswitch.core.RemoteMac;
import io.vireo.vswitch.core.Vireo;
import org.agrona.BufferUtil;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@code vireod --takeover}: a new daemon takes a running one's place on its run dir without the ports going
 * away. The running daemon listens on {@code <run-dir>/takeover.sock} (mode 0600) with a {@link Server}; the new
 * one, a {@link Client}, connects once it has started and warmed up its forwarding path. The conversation, one
 * line of ASCII per message, descriptors passed with their line ({@code SCM_RIGHTS}, at most
 * {@link UnixSocket#MAX_FDS} per message, so a port with more sends them over several):
 * <pre>
 *  new (client)                          running (server)
 *  connects, warms up its forwarding path
 *  HELLO pid\n                 ------>   pauses what changes the switch by itself (a cluster node: see
 *                                        Vireod), refuses every change from now on (409), keeps forwarding
 *                              <------   ERR reason\n                           (it cannot hand over: end)
 *                              <------   PORT type name fds [sourcePort,...]\n  + up to 16 fds
 *  NEXT\n                      ------>
 *                              <------   MORE\n + up to 16 fds                  (while fds remain)
 *  NEXT\n                      ------>   ... for each TAP (a fd per queue), VXLAN port (2 + 32 sockets, or its
 *                                        underlay TAP) and
 *                                        af-packet port (its socket; state: its ring's geometry,
 *                                        blockSize,blockCount,udp), and each vhost-user port, named only (0 fds)
 *                              <------   REMOTE bridge mac peer\n                for each remote MAC, and
 *                              <------   ANSWER bridge address mac\n             each neighbour answer: no saved
 *                                        state holds them (a cluster's reconciler installs them)
 *                              <------   READY\n
 *  checks its threads against the TAPs' queues (TakeoverThreads; if they differ it closes the connection)
 *  builds the switch from the run dir's state with these ports, unpolled, and the remote MACs and answers;
 *  binds vireo.sock.takeover
 *  GO\n                        ------>   stops the vhost-user ports' control threads between two messages,
 *                                        polling every port (frames wait in their queues) and their rings
 *                              <------   PORT vhost-user name fds - state\n       + its fds, for each (as above,
 *  NEXT\n                      ------>                                          VhostUserHandover)
 *                              <------   PORT af-packet name 0 - block:taken\n   for each: where its ring's
 *  NEXT\n                      ------>                                          reader stopped (AfPacketRing)
 *                              <------   MAC bridge mac vlan port peer|- age\n  for each learned MAC
 *                              <------   STOPPED\n
 *  carries counters over, learns the MACs, resumes the vhost-user ports from their state and the af-packet
 *  ports' rings from their position, polls every port,
 *  renames its socket and counters over the old
 *  STARTED\n                   ------>   (the point of no return) closes its metrics, unlocks the run dir
 *                              <------   BYE\n                                  and exits 0
 *  locks the run dir, serves metrics and takeover.sock
 * </pre>
 * Until the running daemon reads {@code STARTED}, anything else (the new one closing the connection, a timeout)
 * makes it forward again, take changes again and resume what it paused: a takeover that fails leaves the running
 * daemon as it was.
 * Only forwarding stops between {@code GO} and {@code STARTED}: what the new daemon does there is a burst of
 * commands to its threads and a few renames.
 */
final class Takeover
{
    /** The running daemon waits this long for STARTED after STOPPED, and each side for an answer to a step. */
    private static final int STEP_TIMEOUT_MS = 10_000;
    /**
     * It waits this long for HELLO (the new daemon warms up its forwarding path after connecting) and for GO (it
     * builds the switch meanwhile, and changes are refused): long, for a loaded machine.
     */
    private static final int BUILD_TIMEOUT_MS = 120_000;
    private static final int BUFFER_BYTES = 64 * 1024;

    private Takeover()
    {
    }

    /**
     * What the running daemon hands over as the takeover starts ({@link Client#hello}): its ports, and each bridge's
     * remote MACs and neighbour answers.
     */
    record Handed(List<HandedPort> ports, Map<String, List<RemoteMac>> remoteMacs,
        Map<String, List<NeighbourAnswer>> answers)
    {
        /** Installs the remote MACs and answers on {@code vireo}, whose bridges have the peers they are behind. */
        void installOverlay(final Vireo vireo)
        {
            remoteMacs.forEach((bridge, macs) ->
                macs.forEach(remote -> vireo.overlay().addRemoteMac(bridge, remote.mac(), remote.peer())));
            answers.forEach((bridge, addresses) ->
                addresses.forEach(answer -> vireo.overlay().addNeighbourAnswer(bridge, answer.address(), answer.mac())));
        }
    }

    /** What the running daemon hands over once it stopped forwarding ({@link Client#go}). */
    record Stopped(List<HandedPort> ports, Map<String, List<FdbEntry>> learned)
    {
    }

    /** A takeover that did not happen, with a one-line reason. */
    static final class TakeoverException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        TakeoverException(final String message)
        {
            super(message);
        }
    }

    /**
     * The running daemon's side: a thread that hands the switch over to the first client that asks, one at a time.
     */
    static final class Server implements AutoCloseable
    {
        private final Path path;
        private final UnixSocket listener;
        private final Vireo vireo;
        private final Runnable pause;
        private final Runnable resume;
        private final Runnable letGo;
        private final Runnable done;
        private final PrintStream err;
        private final Thread thread;
        /** The listener and {@link #stop}: the thread sleeps until one is readable, with no timeout to wake it. */
        private final Epoll watched = Epoll.create(2);
        private final EventFd stop = EventFd.create();
        private volatile boolean closed;
        private volatile long successor;
        /** Set under the lock by the thread as it closes its descriptors, so that {@link #close} signals no closed one. */
        private boolean finished;

        private Server(final Path path, final UnixSocket listener, final Vireo vireo, final Runnable pause,
            final Runnable resume, final Runnable letGo, final Runnable done, final PrintStream err)
        {
            this.path = path;
            this.listener = listener;
            this.vireo = vireo;
            this.pause = pause;
            this.resume = resume;
            this.letGo = letGo;
            this.done = done;
            this.err = err;
            this.thread = new Thread(this::run, "vireo-takeover");
            this.thread.setDaemon(true);
            watched.add(listener.fd());
            watched.add(stop.fd());
        }

        /**
         * Listens on {@code path} (replacing a stale socket there).
         *
         * @param pause   run as a handover starts, before the switch is frozen and its ports handed: stops what changes
         *                the switch by itself; it may throw, naming why this daemon cannot be handed over.
         * @param resume  run if the handover then fails, or is refused: this daemon goes on.
         * @param letGo   run once the switch is handed over, before the new daemon is told so: closes what the new
         *                one binds next (metrics) and unlocks the run dir.
         * @param done    run once the new daemon has been told: the process may exit.
         */
        static Server start(final Path path, final Vireo vireo, final Runnable pause, final Runnable resume,
            final Runnable letGo, final Runnable done, final PrintStream err)
        {
            final UnixSocket listener;
            try
            {
                Files.deleteIfExists(path);
                listener = UnixSocket.listen(path);
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            }
            catch (final IOException | NativeException ex)
            {
                throw new IllegalStateException("cannot listen on " + path + ": " + ex.getMessage(), ex);
            }
            final Server server = new Server(path, listener, vireo, pause, resume, letGo, done, err);
            server.thread.start();
            return server;
        }

        /** The pid of the daemon that took this one's place, or 0 while none has. */
        long successor()
        {
            return successor;
        }

        private void run()
        {
            try
            {
                listen();
            }
            finally
            {
                synchronized (this)
                {
                    finished = true;
                    listener.close();
                    watched.close();
                    stop.close();
                }
            }
        }

        private void listen()
        {
            while (!closed && 0 == successor)
            {
                try
                {
                    if (0 == watched.await(-1) || closed)
                    {
                        continue;
                    }
                    final UnixSocket accepted = listener.accept();
                    if (null != accepted)
                    {
                        try (Wire wire = new Wire(accepted))
                        {
                            handOver(wire);
                        }
                    }
                }
                catch (final RuntimeException ex)
                {
                    if (!closed)
                    {
                        err.println("vireod: takeover socket: " + ex.getMessage());
                    }
                }
            }
        }

        private void handOver(final Wire wire)
        {
            final String[] hello = wire.readLine(BUILD_TIMEOUT_MS).split(" ");
            if (2 != hello.length || !"HELLO".equals(hello[0]))
            {
                wire.send("ERR expected HELLO\n", new int[0]);
                return;
            }
            final List<HandedPort> ports;
            try
            {
                pause.run();
                ports = vireo.handover().handOverPorts();
            }
            catch (final RuntimeException ex)
            {
                resume.run();
                err.println("vireod: pid " + hello[1] + " asked to take over; refused: " + ex.getMessage());
                wire.send("ERR " + ex.getMessage() + "\n", new int[0]);
                return;
            }
            err.println("vireod: pid " + hello[1] + " is taking over; changes are refused until it is done");
            final long startNs;
            try
            {
                for (final HandedPort port : ports)
                {
                    sendPort(wire, port);
                }
                wire.send(overlayLines() + "READY\n", new int[0]);
                wire.expect("GO", BUILD_TIMEOUT_MS);
                startNs = System.nanoTime();
                for (final HandedPort port : vireo.handover().stopForwarding())
                {
                    sendPort(wire, port);
                }
                final StringBuilder learned = new StringBuilder();
                for (final Map.Entry<String, List<FdbEntry>> bridge : vireo.handover().learnedEntries().entrySet())
                {
                    for (final FdbEntry entry : bridge.getValue())
                    {
                        learned.append("MAC ").append(bridge.getKey()).append(' ').append(entry.mac()).append(' ')
                            .append(entry.vlan()).append(' ').append(entry.port()).append(' ')
                            .append(null == entry.remote() ? "-" : entry.remote()).append(' ')
                            .append(entry.ageSeconds()).append('\n');
                    }
                }
                wire.send(learned.append("STOPPED\n").toString(), new int[0]);
                wire.expect("STARTED", STEP_TIMEOUT_MS);
            }
            catch (final RuntimeException ex)
            {
                vireo.handover().resumeAfterFailedHandover();
                resume.run();
                err.println("vireod: the takeover by pid " + hello[1] + " failed (" + ex.getMessage() +
                    "); this vireod goes on forwarding");
                return;
            }
            vireo.handover().handedOver();
            successor = Long.parseLong(hello[1]);
            err.println("vireod: handed over to pid " + successor + "; forwarding moved in " +
                (System.nanoTime() - startNs) / 1_000_000 + " ms");
            letGo.run();
            close();
            try
            {
                wire.send("BYE\n", new int[0]);
            }
            finally
            {
                done.run();
            }
        }

        /** Every bridge's remote MACs and neighbour answers, as REMOTE and ANSWER lines. */
        private String overlayLines()
        {
            final StringBuilder lines = new StringBuilder();
            for (final BridgeInfo bridge : vireo.bridges())
            {
                for (final RemoteMac remote : vireo.overlay().remoteMacs(bridge.name()))
                {
                    lines.append("REMOTE ").append(bridge.name()).append(' ').append(remote.mac()).append(' ')
                        .append(remote.peer()).append('\n');
                }
                for (final NeighbourAnswer answer : vireo.overlay().neighbourAnswers(bridge.name()))
                {
                    lines.append("ANSWER ").append(bridge.name()).append(' ').append(answer.address()).append(' ')
                        .append(answer.mac()).append('\n');
                }
            }
            return lines.toString();
        }

        private static void sendPort(final Wire wire, final HandedPort port)
        {
            final StringBuilder line = new StringBuilder("PORT ").append(port.type()).append(' ').append(port.name())
                .append(' ').append(port.fds().length);
            for (int i = 0; i < port.sourcePorts().length; i++)
            {
                line.append(0 == i ? ' ' : ',').append(port.sourcePorts()[i]);
            }
            if (!port.state().isEmpty())
            {
                line.append(0 == port.sourcePorts().length ? " -" : "").append(' ').append(port.state());
            }
            final int[] fds = port.fds();
            for (int sent = 0; sent < fds.length || 0 == sent; sent += UnixSocket.MAX_FDS)
            {
                wire.send(0 == sent ? line.append('\n').toString() : "MORE\n",
                    Arrays.copyOfRange(fds, sent, Math.min(fds.length, sent + UnixSocket.MAX_FDS)));
                wire.expect("NEXT", STEP_TIMEOUT_MS);
            }
        }

        /** Stops listening and removes the socket; a handover under way goes on. */
        @Override
        public void close()
        {
            if (!closed)
            {
                closed = true;
                synchronized (this)
                {
                    if (!finished)
                    {
                        stop.signal();
                    }
                }
                try
                {
                    Files.deleteIfExists(path);
                }
                catch (final IOException ignore)
                {
                    // the run dir may be gone already; nobody can connect either way
                }
            }
        }
    }

    /** The new daemon's side, one step per method, in order. */
    static final class Client implements AutoCloseable
    {
        private final Wire wire;

        private Client(final Wire wire)
        {
            this.wire = wire;
        }

        /** @throws TakeoverException if no daemon listens on {@code path}. */
        static Client connect(final Path path)
        {
            try
            {
                return new Client(new Wire(UnixSocket.connect(path)));
            }
            catch (final NativeException ex)
            {
                throw new TakeoverException("nothing answers on " + path + " (" + ex.getMessage() + ")");
            }
        }

        /**
         * Asks the running daemon for its ports, remote MACs and neighbour answers; it refuses changes from now on.
         *
         * @param threads this daemon's forwarding threads, which must suit the TAPs ({@link TakeoverThreads}).
         * @throws TakeoverException if it refuses, or the threads do not suit, naming why.
         */
        Handed hello(final int threads)
        {
            wire.send("HELLO " + ProcessHandle.current().pid() + "\n", new int[0]);
            final List<HandedPort> ports = new ArrayList<>();
            final Map<String, List<RemoteMac>> remoteMacs = new LinkedHashMap<>();
            final Map<String, List<NeighbourAnswer>> answers = new LinkedHashMap<>();
            try
            {
                while (true)
                {
                    final String line = wire.readLine(BUILD_TIMEOUT_MS);
                    final String[] words = line.split(" ");
                    if ("READY".equals(line))
                    {
                        TakeoverThreads.check(ports, threads);
                        return new Handed(ports, remoteMacs, answers);
                    }
                    if (line.startsWith("ERR "))
                    {
                        throw new TakeoverException("the running vireod refuses: " + line.substring(4));
                    }
                    if (4 == words.length && "REMOTE".equals(words[0]))
                    {
                        remoteMacs.computeIfAbsent(words[1], bridge -> new ArrayList<>()).add(new RemoteMac(words[2], words[3]));
                    }
                    else if (4 == words.length && "ANSWER".equals(words[0]))
                    {
                        answers.computeIfAbsent(words[1], bridge -> new ArrayList<>()).add(new NeighbourAnswer(words[2], words[3]));
                    }
                    else
                    {
                        ports.add(receivePort(line));
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                ports.forEach(port -> Arrays.stream(port.fds()).forEach(UnixSocket::closeDescriptor));
                throw ex;
            }
        }

        private HandedPort receivePort(final String line)
        {
            final String[] words = line.split(" ");
            if (words.length < 4 || !"PORT".equals(words[0]))
            {
                wire.closeReceived();
                throw new TakeoverException("the running vireod sent " + line);
            }
            final int count = Integer.parseInt(words[3]);
            final IntArrayList fds = new IntArrayList();
            wire.takeReceived(fds);
            wire.send("NEXT\n", new int[0]);
            while (fds.size() < count)
            {
                final String more = wire.readLine(STEP_TIMEOUT_MS);
                wire.takeReceived(fds);
                if (!"MORE".equals(more))
                {
                    fds.forEachOrderedInt(UnixSocket::closeDescriptor);
                    throw new TakeoverException("the running vireod sent " + more);
                }
                wire.send("NEXT\n", new int[0]);
            }
            final int[] sourcePorts = words.length < 5 || "-".equals(words[4]) ? new int[0] :
                Arrays.stream(words[4].split(",")).mapToInt(Integer::parseInt).toArray();
            return new HandedPort(words[1], words[2], fds.toIntArray(), sourcePorts, words.length < 6 ? "" : words[5]);
        }

        /**
         * Tells the running daemon to stop forwarding; returns its vhost-user ports' state and descriptors, where
         * its af-packet ports' ring readers stopped, and the MACs it had learned, by bridge.
         */
        Stopped go()
        {
            wire.send("GO\n", new int[0]);
            final Map<String, List<FdbEntry>> learned = new LinkedHashMap<>();
            final List<HandedPort> ports = new ArrayList<>();
            while (true)
            {
                final String line = wire.readLine(STEP_TIMEOUT_MS);
                if ("STOPPED".equals(line))
                {
                    return new Stopped(ports, learned);
                }
                if (line.startsWith("PORT "))
                {
                    ports.add(receivePort(line));
                    continue;
                }
                final String[] words = line.split(" ");
                if (7 != words.length || !"MAC".equals(words[0]))
                {
                    throw new TakeoverException("the running vireod sent " + line);
                }
                learned.computeIfAbsent(words[1], bridge -> new ArrayList<>()).add(new FdbEntry(words[2],
                    Integer.parseInt(words[3]), words[4], "-".equals(words[5]) ? null : words[5], Long.parseLong(words[6]), false));
            }
        }

        /**
         * Tells the running daemon this one forwards; it lets go and answers once it has unlocked the run dir.
         *
         * @return false if it did not answer: it may be gone, or going.
         */
        boolean started()
        {
            wire.send("STARTED\n", new int[0]);
            try
            {
                wire.expect("BYE", STEP_TIMEOUT_MS);
                return true;
            }
            catch (final RuntimeException ex)
            {
                return false;
            }
        }

        @Override
        public void close()
        {
            wire.close();
        }
    }

    /** Lines of ASCII over a {@link UnixSocket}, with the descriptors that came with them. */
    private static final class Wire implements AutoCloseable
    {
        private final UnixSocket socket;
        private final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(BUFFER_BYTES, 64));
        /** Bytes read and not yet returned as a line. */
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private final IntArrayList received = new IntArrayList();

        Wire(final UnixSocket socket)
        {
            this.socket = socket;
        }

        void send(final String text, final int[] fds)
        {
            final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            for (int sent = 0; sent < bytes.length; sent += BUFFER_BYTES)
            {
                final int length = Math.min(BUFFER_BYTES, bytes.length - sent);
                buffer.putBytes(0, bytes, sent, length);
                socket.send(buffer, 0, length, 0 == sent ? fds : new int[0], 0 == sent ? fds.length : 0, STEP_TIMEOUT_MS);
            }
        }

        /** The next line, without its newline; the descriptors that came meanwhile wait in {@link #takeReceived}. */
        String readLine(final int timeoutMillis)
        {
            final long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true)
            {
                final byte[] bytes = pending.toByteArray();
                for (int i = 0; i < bytes.length; i++)
                {
                    if ('\n' == bytes[i])
                    {
                        pending.reset();
                        pending.write(bytes, i + 1, bytes.length - i - 1);
                        return new String(bytes, 0, i, StandardCharsets.US_ASCII);
                    }
                }
                final long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0 || !socket.awaitReadable((int)left))
                {
                    throw new TakeoverException("no answer within " + timeoutMillis + " ms");
                }
                final int read = socket.receive(buffer, 0, BUFFER_BYTES, received);
                if (0 == read)
                {
                    throw new TakeoverException("the other vireod closed the connection");
                }
                for (int i = 0; i < read; i++)
                {
                    pending.write(buffer.getByte(i));
                }
            }
        }

        void expect(final String line, final int timeoutMillis)
        {
            final String got = readLine(timeoutMillis);
            if (!line.equals(got))
            {
                throw new TakeoverException("expected " + line + ", got " + got);
            }
        }

        /** Moves the descriptors received so far into {@code fds}. */
        void takeReceived(final IntArrayList fds)
        {
            received.forEachOrderedInt(fds::addInt);
            received.clear();
        }

        void closeReceived()
        {
            received.forEachOrderedInt(UnixSocket::closeDescriptor);
            received.clear();
        }

        @Override
        public void close()
        {
            closeReceived();
            socket.close();
        }
    }
}
