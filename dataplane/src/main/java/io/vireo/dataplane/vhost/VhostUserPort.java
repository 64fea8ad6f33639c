package io.vireo.dataplane.vhost;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.Port;

/**
 * A vhost-user port: a VM (QEMU) or a DPDK application (virtio-user) shares its memory and one
 * virtio-net queue pair with the switch over a unix socket. Frames are copied between the guest's
 * buffers and the switch's bursts with no system call; the rings are polled.
 * <pre>
 *                 unix socket, SCM_RIGHTS             control thread "vireo-vhost-NAME"
 *  frontend  <----------------------------------->  VhostUserControl + VhostUserSession
 *  (QEMU, DPDK                                          | builds, publishes, quiesces
 *   virtio-user)  shared memory (memfd, hugetlbfs)      v
 *    queue 0 RX  <== descriptors, used ring ==  transmit(burst)  <-- switch    (toGuest)
 *    queue 1 TX  == descriptors, avail ring ==> receive(burst)   --> switch    (fromGuest)
 * </pre>
 * {@link #server} listens on the socket and takes a frontend (again after it goes away);
 * {@link #client} connects to a frontend that listens, and reconnects with backoff (50 ms doubling to
 * 1 s) when it restarts. Either way the port object lives on; only its session is reset.
 *
 * <h2>Threads and the quiesce handshake</h2>
 * {@link #receive} and {@link #transmit} run on forwarding threads (one thread per direction at a
 * time; it may be the same). Everything else runs on the port's control thread. The control thread
 * builds a {@link Virtqueue} whole (with the {@link GuestMemory} and call eventfd it uses) and
 * publishes it with a volatile store into {@code toGuest} or {@code fromGuest}. Each direction has a
 * gate: {@code receive} does a volatile store {@code receiving = 1}, a volatile load of
 * {@code fromGuest}, uses the queue, and ends with a release store {@code receiving = 0};
 * {@code transmit} likewise with {@code transmitting} and {@code toGuest}. Before it unmaps memory,
 * closes an eventfd or reads a queue's position, the control thread {@link #quiesce quiesces}: it
 * stores null into both references (volatile), then spins until it loads 0 from both gates.
 * <p>
 * Why that is enough: volatile accesses are totally ordered. If the forwarding thread's load of the
 * reference returned a queue, that load came before the control thread's null store, so the gate store
 * of 1 before it also did, and the control thread's later gate load sees 1 — or the release store of 0
 * that ends that call, which makes every access of the call happen-before the control thread goes on.
 * If the load returned null, the call touches nothing. So once {@code quiesce} returns, no call is
 * using an old queue and none can start to; new queues are published only after the change. The cost
 * per call is one volatile store (one locked instruction on x86), no lock and no allocation.
 * <p>
 * A violation found on a forwarding thread is recorded with one compare-and-set (the first wins),
 * stops both directions at their next call (they check it inside the gate), and is turned into a
 * reset by the control thread within {@link VhostUserControl#POLL_MILLIS}.
 */
public final class VhostUserPort implements Port
{
    private static final System.Logger LOG = System.getLogger(VhostUserPort.class.getName());
    private static final long CLOSE_TIMEOUT_MILLIS = 5000;
    private static final int S_IFMT = 0xF000;
    private static final int S_IFSOCK = 0xC000;

    private static final VarHandle RECEIVING;
    private static final VarHandle TRANSMITTING;
    private static final VarHandle PENDING_VIOLATION;
    private static final VarHandle REFUSED_NO_BUFFERS;
    private static final VarHandle REFUSED_NOT_RUNNING;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            RECEIVING = lookup.findVarHandle(VhostUserPort.class, "receiving", int.class);
            TRANSMITTING = lookup.findVarHandle(VhostUserPort.class, "transmitting", int.class);
            PENDING_VIOLATION = lookup.findVarHandle(VhostUserPort.class, "pendingViolation", Violation.class);
            REFUSED_NO_BUFFERS = lookup.findVarHandle(VhostUserPort.class, "refusedNoBuffers", long.class);
            REFUSED_NOT_RUNNING = lookup.findVarHandle(VhostUserPort.class, "refusedNotRunning", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final String name;
    /** What the port logs because of its frontend, rate-limited. */
    final FrontendLog log;
    private final Path socket;
    private final boolean client;
    private VhostUserControl control;
    private Thread controlThread;

    private volatile Virtqueue toGuest;
    private volatile Virtqueue fromGuest;
    private volatile int offloads;
    private volatile int receiving;
    private volatile int transmitting;
    private volatile Violation pendingViolation;
    private int pendingQueue;
    private long pendingDetail;
    private long refusedNoBuffers;
    private long refusedNotRunning;

    private volatile boolean connected;
    private volatile long connections;
    private volatile long features;
    private volatile long violations;
    private volatile String lastViolation;
    private PortCounters violationCounters;
    private volatile long resets;
    private volatile int failure;
    private boolean closed;

    private VhostUserPort(final String name, final Path socket, final UnixSocket listener)
    {
        this(name, socket, null == listener);
        control(listener, null);
    }

    /** A port whose control thread comes with {@link #resume}. */
    private VhostUserPort(final String name, final Path socket, final boolean client)
    {
        this.name = name;
        this.log = new FrontendLog(name);
        this.socket = socket;
        this.client = client;
    }

    private void control(final UnixSocket listener, final UnixSocket handed)
    {
        control = new VhostUserControl(this, socket, listener, handed, new ForwardingEvents());
        controlThread = new Thread(control, "vireo-vhost-" + name);
        controlThread.setDaemon(true);
    }

    /**
     * A port another process hands over ({@code vireod --takeover}): it neither listens nor connects, and
     * forwards nothing, until {@link #resume} gives it that process's state. Closed before, it does nothing.
     *
     * @throws IllegalArgumentException if the name is empty or the path too long for a unix socket.
     * @throws IllegalStateException    if native I/O is unavailable.
     */
    public static VhostUserPort takingOver(final String name, final Path socket, final boolean client)
    {
        checkUsable(name);
        UnixSocket.checkPath(socket);
        return new VhostUserPort(name, socket, client);
    }

    /**
     * Goes on where the process that handed the port over stopped: the same listening socket and connection,
     * the frontend's memory mapped the same way, every ring from the entry it got to; then the control thread
     * serves the connection and, after it, as any port. This takes the handover's descriptors. State that does
     * not hold (memory that cannot be mapped) is counted as a violation: the connection is dropped and the port
     * serves the next frontend.
     */
    public void resume(final VhostUserHandover handover)
    {
        if (null != control)
        {
            throw new IllegalStateException("port " + name + " runs already");
        }
        final int[] fds = handover.take();
        int next = 0;
        final UnixSocket listener = handover.listening ? UnixSocket.adopt(fds[next++], socket.toString()) : null;
        UnixSocket connection = handover.connected ? UnixSocket.adopt(fds[next++], socket.toString()) : null;
        control(listener, connection);
        if (null != connection)
        {
            try
            {
                control.session().resume(handover, Arrays.copyOfRange(fds, next, fds.length));
            }
            catch (final ViolationException | NativeException ex)
            {
                countViolation("the state handed over does not hold: " + ex.getMessage());
                control.session().reset();
                connection.close();
                control(listener, null);
            }
        }
        controlThread.start();
    }

    /**
     * A handover is coming ({@link #suspend} soon): the control thread polls every millisecond instead of every
     * {@link VhostUserControl#POLL_MILLIS}, so that it stops at once then; until {@link #resumeAfterHandOver}.
     */
    public void expectHandOver()
    {
        if (null != control)
        {
            control.expectSuspend();
        }
    }

    /**
     * The first step of handing the port to another process: the control thread stops between two messages (a
     * frontend's next message waits); the rings go on. Then {@link #handOver}, or {@link #resumeAfterHandOver}.
     *
     * @throws IllegalStateException if the control thread did not stop in time (it goes on), or the port does not
     *                               run.
     */
    public void suspend(final long timeoutMillis)
    {
        if (null == control)
        {
            throw new IllegalStateException("port " + name + " was never resumed");
        }
        control.suspend(timeoutMillis);
    }

    /**
     * The second step, once the caller stopped forwarding: the rings stop, and the state to hand over comes back,
     * its descriptors still this port's. Then {@link #letGo} once the other process runs the port, or
     * {@link #resumeAfterHandOver}.
     */
    public VhostUserHandover handOver()
    {
        return control.handOver();
    }

    /** The handover did not happen: the rings run again (if they stopped) and the control thread goes on. */
    public void resumeAfterHandOver()
    {
        if (null != control)
        {
            control.resume();
        }
    }

    /**
     * The port runs in another process now: closing it closes this process's copies (the connection stays
     * open there) and leaves the socket file, which is that process's.
     */
    public void letGo()
    {
        if (null != control)
        {
            control.letGo();
        }
    }

    /**
     * A port that listens on {@code socket} for a frontend (QEMU {@code vhost-user} chardev in client
     * mode, DPDK {@code net_virtio_user} without {@code server=1}). A stale socket file left by a dead
     * process is replaced; the file is deleted when the port closes.
     *
     * @throws IllegalArgumentException if the name is empty, the path is too long for a unix socket
     *                                  or exists and is not a socket.
     * @throws IllegalStateException    if native I/O is unavailable or another process listens there.
     * @throws NativeException          if the socket cannot be bound (directory missing, permissions).
     */
    public static VhostUserPort server(final String name, final Path socket)
    {
        checkUsable(name);
        clearStaleSocket(socket);
        return start(new VhostUserPort(name, socket, UnixSocket.listen(socket)));
    }

    /**
     * A port that connects to a frontend listening on {@code socket} (QEMU chardev with
     * {@code server=on}, DPDK {@code net_virtio_user} with {@code server=1}), waiting for it to appear
     * and reconnecting whenever it restarts.
     *
     * @throws IllegalArgumentException if the name is empty or the path too long for a unix socket.
     * @throws IllegalStateException    if native I/O is unavailable.
     */
    public static VhostUserPort client(final String name, final Path socket)
    {
        checkUsable(name);
        UnixSocket.checkPath(socket);
        return start(new VhostUserPort(name, socket, null));
    }

    private static VhostUserPort start(final VhostUserPort port)
    {
        port.controlThread.start();
        return port;
    }

    private static void checkUsable(final String name)
    {
        if (null == name || name.isBlank())
        {
            throw new IllegalArgumentException("vhost-user port name is empty");
        }
        if (!Native.isAvailable())
        {
            throw new IllegalStateException(Native.unavailableReason());
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new IllegalStateException("vhost-user ports need a little-endian host (virtio 1.x rings are)");
        }
    }

    private static void clearStaleSocket(final Path socket)
    {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        try
        {
            final int mode = (Integer)Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) != S_IFSOCK)
            {
                throw new IllegalArgumentException(socket + " exists and is not a socket");
            }
            try (UnixSocket probe = UnixSocket.connect(socket))
            {
                throw new IllegalStateException("another process listens on " + socket + " (" + probe + ")");
            }
            catch (final NativeException ex)
            {
                Files.delete(socket);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot replace stale socket " + socket, ex);
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public String type()
    {
        return "vhost-user";
    }

    public Path socket()
    {
        return socket;
    }

    /** True if the port connects to a listening frontend, false if it listens. */
    public boolean isClient()
    {
        return client;
    }

    /** True while a frontend is connected. */
    public boolean isConnected()
    {
        return connected;
    }

    /** True while both queues are running: frames can flow both ways. */
    public boolean isRunning()
    {
        return null != toGuest && null != fromGuest;
    }

    /** Features the frontend accepted (SET_FEATURES) in the current session, 0 when none. */
    public long negotiatedFeatures()
    {
        return features;
    }

    /** Frontend violations found (each reset the port). */
    public long violations()
    {
        return violations;
    }

    /**
     * From now on each violation is counted in {@code counters} too ({@link PortCounters#violations()}, the switch's
     * counters file), and those counted so far are added at once.
     */
    public synchronized void countViolationsIn(final PortCounters counters)
    {
        violationCounters = counters;
        counters.violated(violations);
    }

    /** What the last violation was, or null if there was none. */
    public String lastViolation()
    {
        return lastViolation;
    }

    /** Device resets: by a violation or by the frontend's RESET_OWNER. */
    public long resets()
    {
        return resets;
    }

    /** Frontend connections after the first: reconnects in client mode, new frontends in server mode. */
    public long reconnects()
    {
        return Math.max(0, connections - 1);
    }

    /** Frames {@link #transmit} refused because the driver had no receive buffer free for them. */
    public long refusedNoBuffers()
    {
        return (long)REFUSED_NO_BUFFERS.getVolatile(this);
    }

    /** Frames {@link #transmit} refused because the driver's receive queue was not running. */
    public long refusedNotRunning()
    {
        return (long)REFUSED_NOT_RUNNING.getVolatile(this);
    }

    @Override
    public int receive(final FrameBurst burst)
    {
        receiving = 1;
        final Virtqueue queue = fromGuest;
        final int received = null != queue && null == pendingViolation ? queue.receive(burst) : 0;
        RECEIVING.setRelease(this, 0);
        return received;
    }

    @Override
    public int transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        transmitting = 1;
        final Virtqueue queue = toGuest;
        int sent = 0;
        if (null != queue && null == pendingViolation)
        {
            sent = queue.transmit(burst, indexes, count);
        }
        else if (count > 0)
        {
            REFUSED_NOT_RUNNING.setRelease(this, refusedNotRunning + count);
        }
        TRANSMITTING.setRelease(this, 0);
        return sent;
    }

    /**
     * What the driver's receive queue takes ({@code GUEST_CSUM}, {@code GUEST_TSO4}, ... as
     * {@link io.vireo.dataplane.offload.Offloads} bits), 0 while it does not run.
     */
    @Override
    public int offloads()
    {
        return offloads;
    }

    @Override
    public int failure()
    {
        return failure;
    }

    /** Stops the control thread, which resets the session, unmaps memory and, in server mode, deletes the socket. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        synchronized (this)
        {
            violationCounters = null; // the switch frees them once the port is closed, and a late violation must not count
        }
        if (null == control)
        {
            return;
        }
        control.stop();
        try
        {
            controlThread.join(CLOSE_TIMEOUT_MILLIS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (controlThread.isAlive())
        {
            LOG.log(Level.ERROR, "port {0}: control thread did not stop within {1} ms", name, CLOSE_TIMEOUT_MILLIS);
        }
    }

    @Override
    public String toString()
    {
        return "VhostUserPort{" + name + ", " + (client ? "client of " : "server on ") + socket +
            (connected ? ", connected" : "") + (isRunning() ? ", running" : "") + "}";
    }

    // Control thread side.

    /** Takes both queues away from the forwarding threads and waits until neither is inside one. */
    void quiesce()
    {
        offloads = 0;
        toGuest = null;
        fromGuest = null;
        for (int spins = 0; 0 != receiving || 0 != transmitting; spins++)
        {
            // A call lasts one burst, unless its thread lost the CPU: then give it ours.
            if (spins < 1000)
            {
                Thread.onSpinWait();
            }
            else
            {
                Thread.yield();
            }
        }
    }

    /** Hands queues (either may be null) to the forwarding threads. */
    void publish(final Virtqueue toGuest, final Virtqueue fromGuest)
    {
        this.toGuest = toGuest;
        this.fromGuest = fromGuest;
        this.offloads = null == toGuest ? 0 : toGuest.guestOffloads();
    }

    boolean hasForwardingViolation()
    {
        return null != pendingViolation;
    }

    /** Describes and clears the violation a forwarding thread recorded; call only once quiesced. */
    String takeForwardingViolation()
    {
        final Violation violation = pendingViolation;
        final String text =
            "queue " + pendingQueue + ": " + violation.text() + " (0x" + Long.toHexString(pendingDetail) + ")";
        pendingViolation = null;
        return text;
    }

    synchronized void countViolation(final String reason)
    {
        lastViolation = reason;
        if (null != violationCounters)
        {
            violationCounters.violated(1);
        }
        resets++;
        // Last, a volatile write: whoever sees the new count sees the reason and the switch's counter with it.
        violations++;
        log.log(Level.WARNING, "frontend violation, resetting: {0}", reason);
    }

    void countReset()
    {
        resets++;
    }

    void connected()
    {
        connections++;
        connected = true;
    }

    void disconnected()
    {
        connected = false;
    }

    void negotiated(final long features)
    {
        this.features = features;
    }

    void fail(final int errno)
    {
        failure = errno;
    }

    /** Reports from the queues, on the forwarding threads: no allocation, no lock. */
    private final class ForwardingEvents implements Virtqueue.Events
    {
        @Override
        public void violation(final Violation violation, final int queue, final long detail)
        {
            if (PENDING_VIOLATION.compareAndSet(VhostUserPort.this, null, violation))
            {
                // Read by the control thread only after it has quiesced, which orders these stores.
                pendingQueue = queue;
                pendingDetail = detail;
            }
        }

        @Override
        public void refused(final int frames)
        {
            REFUSED_NO_BUFFERS.setRelease(VhostUserPort.this, refusedNoBuffers + frames);
        }
    }
}
