package io.vireo.dataplane.vhost;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;
import org.agrona.collections.IntArrayList;

import static io.vireo.dataplane.vhost.VhostUserMessage.*;

/**
 * A port's control thread: gets a connection to the frontend (accepts one on the port's listening
 * socket, or connects with backoff), reads messages with their descriptors, hands them to the
 * {@link VhostUserSession}, writes replies, and resets the session when the frontend goes away or
 * breaks the rules. It also turns violations the forwarding thread found into resets. Waits are
 * bounded by {@link #POLL_MILLIS} so {@link #stop()} takes effect promptly.
 */
final class VhostUserControl implements Runnable
{
    private static final System.Logger LOG = System.getLogger(VhostUserPort.class.getName());

    static final int POLL_MILLIS = 50;
    /** The bound while a handover is expected ({@link #expectSuspend}), so that {@link #suspend} takes no longer. */
    static final int EXPECTING_POLL_MILLIS = 1;
    /** How long a message may take to arrive whole once its first byte has, and a reply to leave. */
    static final int IO_TIMEOUT_MILLIS = 1000;
    static final long MIN_BACKOFF_MILLIS = 50;
    static final long MAX_BACKOFF_MILLIS = 1000;

    private static final int EMFILE = 24;
    private static final int ENFILE = 23;
    private static final int ENOMEM = 12;
    private static final int ENOBUFS = 105;

    private final VhostUserPort port;
    private final Path path;
    private final UnixSocket listener;
    private final VhostUserSession session;
    private final VhostUserMessage request = new VhostUserMessage();
    private final VhostUserMessage reply = new VhostUserMessage();
    private final IntArrayList fds = new IntArrayList();
    private volatile boolean running = true;
    /** A connection another process handed over, served first; null once served or if none. */
    private UnixSocket handed;
    /** The connection being served, while the thread is parked in it. */
    private volatile UnixSocket current;
    private volatile boolean suspending;
    private volatile int pollMillis = POLL_MILLIS;
    private volatile boolean parked;
    /** Whether the rings stopped for a handover ({@link #handOver}); only the suspending thread's. */
    private boolean ringsHandedOver;
    /** The port passed to another process: leaving, the thread leaves the socket file, which is that one's now. */
    private volatile boolean handedOver;

    /**
     * @param listener the bound, listening socket in server mode; null in client mode.
     * @param handed   a connection to a frontend another process handed over, served first; or null.
     */
    VhostUserControl(final VhostUserPort port, final Path path, final UnixSocket listener, final UnixSocket handed,
        final Virtqueue.Events events)
    {
        this.port = port;
        this.path = path;
        this.listener = listener;
        this.handed = handed;
        this.session = new VhostUserSession(port, events);
    }

    void stop()
    {
        running = false;
    }

    /** The session, for a port taken over, before the thread starts. */
    VhostUserSession session()
    {
        return session;
    }

    /** A {@link #suspend} is coming: waits are bounded by {@link #EXPECTING_POLL_MILLIS} until {@link #resume}. */
    void expectSuspend()
    {
        pollMillis = EXPECTING_POLL_MILLIS;
    }

    /**
     * Has the thread stop between two messages and wait; once this returns, the caller has the session, until
     * {@link #resume} or {@link #letGo}. The rings go on.
     *
     * @throws IllegalStateException if the thread did not stop within {@code timeoutMillis} (it goes on).
     */
    void suspend(final long timeoutMillis)
    {
        suspending = true;
        final long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!parked)
        {
            if (System.nanoTime() > deadline || !running)
            {
                suspending = false;
                throw new IllegalStateException("port " + port.name() + ": its control thread did not stop within " +
                    timeoutMillis + " ms");
            }
            LockSupport.parkNanos(100_000);
        }
    }

    /** Once {@link #suspend suspended}: stops the rings and returns the state to hand over. */
    VhostUserHandover handOver()
    {
        if (!parked)
        {
            throw new IllegalStateException("port " + port.name() + " is not suspended");
        }
        ringsHandedOver = true;
        final UnixSocket connection = current;
        return session.handOver(null == listener ? -1 : listener.fd(), null == connection ? -1 : connection.fd());
    }

    /** The handover did not happen: the rings start again where they stopped, and the thread goes on. */
    void resume()
    {
        if (ringsHandedOver)
        {
            ringsHandedOver = false;
            session.startRings();
        }
        pollMillis = POLL_MILLIS;
        suspending = false;
        while (parked && running)
        {
            Thread.onSpinWait();
        }
    }

    /** The port is another process's now: the thread ends, closing its copies and leaving the socket file. */
    void letGo()
    {
        handedOver = true;
        running = false;
        suspending = false;
    }

    private void park(final UnixSocket connection)
    {
        current = connection;
        parked = true;
        while (suspending && running)
        {
            LockSupport.parkNanos(1_000_000);
        }
        parked = false;
        current = null;
    }

    @Override
    public void run()
    {
        try
        {
            while (running)
            {
                if (suspending)
                {
                    park(null);
                    continue;
                }
                final UnixSocket connection = null != handed ? handed : null == listener ? connectWithBackoff() : accept();
                handed = null;
                if (null != connection)
                {
                    serve(connection);
                }
            }
        }
        catch (final NativeException ex)
        {
            LOG.log(Level.ERROR, "port " + port.name() + " cannot take connections any more", ex);
            port.fail(ex.errno());
        }
        catch (final RuntimeException ex)
        {
            LOG.log(Level.ERROR, "port " + port.name() + ": control thread failed", ex);
            port.fail(Errno.EIO);
        }
        finally
        {
            if (null != listener)
            {
                listener.close();
                if (!handedOver)
                {
                    deleteSocketFile();
                }
            }
        }
    }

    /** The next frontend connecting to the listening socket, or null if none came within a poll. */
    private UnixSocket accept()
    {
        try
        {
            return listener.awaitReadable(pollMillis) ? listener.accept() : null;
        }
        catch (final NativeException ex)
        {
            if (!isTransient(ex.errno()))
            {
                throw ex;
            }
            LOG.log(Level.WARNING, "port {0}: {1}", port.name(), ex.getMessage());
            pause(MAX_BACKOFF_MILLIS);
            return null;
        }
    }

    private static boolean isTransient(final int errno)
    {
        return EMFILE == errno || ENFILE == errno || ENOMEM == errno || ENOBUFS == errno;
    }

    /** A connection to the listening frontend, retried with backoff; null once the port stops. */
    private UnixSocket connectWithBackoff()
    {
        long backoff = MIN_BACKOFF_MILLIS;
        boolean waitLogged = false;
        while (running && !suspending)
        {
            if (Files.exists(path))
            {
                try
                {
                    return UnixSocket.connect(path);
                }
                catch (final NativeException ex)
                {
                    // Nobody listening yet (ECONNREFUSED), or its backlog is full (EAGAIN): later.
                    LOG.log(Level.DEBUG, "port {0}: {1}", port.name(), ex.getMessage());
                }
            }
            if (!waitLogged)
            {
                LOG.log(Level.INFO, "port {0}: waiting for a frontend to listen on {1}", port.name(), path);
                waitLogged = true;
            }
            pause(backoff);
            backoff = Math.min(2 * backoff, MAX_BACKOFF_MILLIS);
        }
        return null;
    }

    private void pause(final long millis)
    {
        final long deadline = System.nanoTime() + millis * 1_000_000L;
        while (running && !suspending && System.nanoTime() < deadline)
        {
            try
            {
                Thread.sleep(Math.min(pollMillis, millis));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void serve(final UnixSocket connection)
    {
        port.connected();
        port.log.log(Level.INFO, "frontend connected on {0}", path);
        String reason = "port closed";
        try (connection)
        {
            while (running)
            {
                if (suspending)
                {
                    park(connection);
                    if (handedOver)
                    {
                        reason = "handed over to another process";
                    }
                    continue;
                }
                if (port.hasForwardingViolation())
                {
                    session.stopRings();
                    reason = port.takeForwardingViolation();
                    port.countViolation(reason);
                    return;
                }
                if (!connection.awaitReadable(pollMillis))
                {
                    continue;
                }
                if (!read(connection))
                {
                    reason = "frontend disconnected";
                    return;
                }
                LOG.log(Level.DEBUG, "port {0}: {1} with {2} descriptors", port.name(), request, fds.size());
                if (session.handle(request, fds, reply))
                {
                    connection.send(reply.buffer(), 0, reply.length(), null, 0, IO_TIMEOUT_MILLIS);
                }
                closeReceivedDescriptors();
            }
        }
        catch (final ViolationException ex)
        {
            reason = ex.getMessage();
            port.countViolation(reason);
        }
        catch (final NativeException ex)
        {
            reason = ex.getMessage();
        }
        catch (final RuntimeException ex)
        {
            reason = ex.toString();
            LOG.log(Level.ERROR, "port " + port.name() + ": unexpected failure handling " + request, ex);
        }
        finally
        {
            closeReceivedDescriptors();
            session.reset();
            port.disconnected();
            port.log.log(Level.INFO, "frontend session ended: {0}", reason);
        }
    }

    /**
     * Reads one whole message and its descriptors.
     *
     * @return false if the frontend closed the connection.
     */
    private boolean read(final UnixSocket connection)
    {
        if (!readFully(connection, 0, HEADER_LENGTH))
        {
            return false;
        }
        if (VERSION != (request.flags() & VERSION_MASK) || 0 != (request.flags() & FLAG_REPLY) ||
            request.size() > MAX_PAYLOAD)
        {
            throw new ViolationException(Violation.MESSAGE, "header " + request);
        }
        return readFully(connection, HEADER_LENGTH, (int)request.size());
    }

    private boolean readFully(final UnixSocket connection, final int offset, final int length)
    {
        int position = offset;
        final int end = offset + length;
        while (position < end)
        {
            final int read = connection.receive(request.buffer(), position, end - position, fds);
            if (0 == read)
            {
                return false;
            }
            if (read > 0)
            {
                position += read;
            }
            else if (!connection.awaitReadable(IO_TIMEOUT_MILLIS))
            {
                throw new ViolationException(Violation.MESSAGE,
                    "incomplete message after " + IO_TIMEOUT_MILLIS + " ms (" + (position - offset) + " of " +
                    length + " bytes)");
            }
        }
        return true;
    }

    private void closeReceivedDescriptors()
    {
        for (int i = 0; i < fds.size(); i++)
        {
            UnixSocket.closeDescriptor(fds.getInt(i));
        }
        fds.clear();
    }

    private void deleteSocketFile()
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            LOG.log(Level.WARNING, "port {0}: cannot delete {1}: {2}", port.name(), path, ex);
        }
    }
}
