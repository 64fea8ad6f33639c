package io.vireo.dataplane.vhost;

import java.nio.file.Path;

import io.vireo.dataplane.nativeio.EventFd;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;
import org.agrona.collections.IntArrayList;

import static io.vireo.dataplane.vhost.VhostUserMessage.*;

/**
 * A vhost-user frontend written for tests: speaks the protocol over a real socket, shares a
 * {@link TestDriver}'s memfd, and can say anything — which is how the hostile tests lie to a port.
 */
final class TestFrontend implements AutoCloseable
{
    static final int QUEUE_SIZE = 256;
    /** Long enough for a port's control thread on a 2-core machine that a hostile traffic test loads. */
    private static final int REPLY_TIMEOUT_MILLIS = 10_000;

    final TestDriver driver = new TestDriver(QUEUE_SIZE);
    private final UnixSocket socket;
    private final VhostUserMessage out = new VhostUserMessage();
    private final VhostUserMessage in = new VhostUserMessage();
    private final IntArrayList replyFds = new IntArrayList();
    private final EventFd[] calls = {EventFd.create(), EventFd.create()};

    private TestFrontend(final UnixSocket socket)
    {
        this.socket = socket;
    }

    /** Connects to a port listening on {@code path}. */
    static TestFrontend connect(final Path path)
    {
        return new TestFrontend(UnixSocket.connect(path));
    }

    /** Waits up to {@code timeoutMillis} for a port in client mode to connect to {@code listener}. */
    static TestFrontend accept(final UnixSocket listener, final int timeoutMillis)
    {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline)
        {
            if (listener.awaitReadable(50))
            {
                final UnixSocket accepted = listener.accept();
                if (null != accepted)
                {
                    return new TestFrontend(accepted);
                }
            }
        }
        throw new AssertionError("no port connected within " + timeoutMillis + " ms");
    }

    /** The whole start-up a well-behaved virtio-user frontend performs; the rings are then running. */
    TestFrontend start()
    {
        return start(Features.OFFERED);
    }

    TestFrontend start(final long features)
    {
        send(SET_OWNER, 0);
        if (Features.OFFERED != request(GET_FEATURES, 0))
        {
            throw new AssertionError("unexpected features offered");
        }
        request(GET_PROTOCOL_FEATURES, 0);
        out.header(SET_PROTOCOL_FEATURES, VERSION, U64_LENGTH).u64(Features.PROTOCOL_OFFERED);
        send(null);
        for (int q = 0; q < 2; q++)
        {
            vringFile(SET_VRING_CALL, q, calls[q].fd());
        }
        out.header(SET_FEATURES, VERSION, U64_LENGTH).u64(features);
        send(null);
        memTable(TestDriver.GUEST_BASE, TestDriver.REGION_SIZE, TestDriver.USER_BASE, TestDriver.MMAP_OFFSET);
        for (int q = 0; q < 2; q++)
        {
            startQueue(q);
        }
        return this;
    }

    void startQueue(final int q)
    {
        vringState(SET_VRING_NUM, q, QUEUE_SIZE);
        vringState(SET_VRING_BASE, q, 0);
        out.header(SET_VRING_ADDR, VERSION, VRING_ADDRESS_LENGTH)
            .vringAddress(q, driver.descUser(q), driver.usedUser(q), driver.availUser(q));
        send(null);
        try (EventFd kick = EventFd.create())
        {
            vringFile(SET_VRING_KICK, q, kick.fd());
        }
        vringState(SET_VRING_ENABLE, q, 1);
    }

    /** SET_MEM_TABLE of one region of this frontend's memfd, waiting for the ack. */
    void memTable(final long guest, final long size, final long user, final long mmapOffset)
    {
        out.header(SET_MEM_TABLE, VERSION | FLAG_NEED_REPLY, memoryTableSize(1))
            .regionCount(1).region(0, guest, size, user, mmapOffset);
        final int fd = driver.duplicateFd();
        try
        {
            send(new int[]{fd});
        }
        finally
        {
            UnixSocket.closeDescriptor(fd);
        }
        expectAck(SET_MEM_TABLE);
    }

    /** SET_MEM_TABLE without asking for an ack: the port is expected to hang up instead. */
    void memTableWithoutAck(final long guest, final long size, final long user, final long mmapOffset)
    {
        out.header(SET_MEM_TABLE, VERSION, memoryTableSize(1)).regionCount(1).region(0, guest, size, user, mmapOffset);
        final int fd = driver.duplicateFd();
        try
        {
            send(new int[]{fd});
        }
        finally
        {
            UnixSocket.closeDescriptor(fd);
        }
    }

    /** Sends only the first {@code bytes} of the message built in {@link #message()}. */
    void socketSendPrefix(final int bytes)
    {
        socket.send(out.buffer(), 0, bytes, null, 0, REPLY_TIMEOUT_MILLIS);
    }

    void vringState(final int code, final int q, final int num)
    {
        out.header(code, VERSION, VRING_STATE_LENGTH).vringState(q, num);
        send(null);
    }

    void vringFile(final int code, final int q, final int fd)
    {
        out.header(code, VERSION, U64_LENGTH).u64(q);
        send(new int[]{fd});
    }

    /** Sends a request with no payload. */
    void send(final int code, final int flags)
    {
        out.header(code, VERSION | flags, 0);
        send(null);
    }

    /** Sends the message built in {@link #message()}, with descriptors (null for none). */
    void send(final int[] fds)
    {
        socket.send(out.buffer(), 0, out.length(), fds, null == fds ? 0 : fds.length, REPLY_TIMEOUT_MILLIS);
    }

    /** The outgoing message, to build something by hand. */
    VhostUserMessage message()
    {
        return out;
    }

    /** Sends a request without payload and returns the u64 of its reply. */
    long request(final int code, final int flags)
    {
        send(code, flags);
        return reply(code).u64();
    }

    /** GET_VRING_BASE for queue {@code q}: stops it and returns its position. */
    int vringBase(final int q)
    {
        out.header(GET_VRING_BASE, VERSION, VRING_STATE_LENGTH).vringState(q, 0);
        send(null);
        return reply(GET_VRING_BASE).vringNum();
    }

    void expectAck(final int code)
    {
        final long status = reply(code).u64();
        if (0 != status)
        {
            throw new AssertionError(name(code) + " acked with failure " + status);
        }
    }

    /** Waits for the reply to {@code code} and checks its header as DPDK's virtio-user does. */
    VhostUserMessage reply(final int code)
    {
        readFully(0, HEADER_LENGTH);
        readFully(HEADER_LENGTH, (int)in.size());
        if (REPLY_FLAGS != in.flags() || code != in.request())
        {
            throw new AssertionError("bad reply " + in + " to " + name(code));
        }
        return in;
    }

    private void readFully(final int offset, final int length)
    {
        int position = offset;
        final long deadline = System.currentTimeMillis() + REPLY_TIMEOUT_MILLIS;
        while (position < offset + length)
        {
            final int read = socket.receive(in.buffer(), position, offset + length - position, replyFds);
            if (0 == read)
            {
                throw new AssertionError("port closed the connection");
            }
            if (read > 0)
            {
                position += read;
            }
            else if (System.currentTimeMillis() > deadline)
            {
                throw new AssertionError("no reply within " + REPLY_TIMEOUT_MILLIS + " ms");
            }
            else
            {
                socket.awaitReadable(50);
            }
        }
    }

    /** True once the port has dropped the connection (read returns end of stream). */
    boolean isDisconnected()
    {
        try
        {
            return socket.awaitReadable(0) && 0 == socket.receive(in.buffer(), 0, 1, replyFds);
        }
        catch (final NativeException ex)
        {
            return true;
        }
    }

    @Override
    public void close()
    {
        socket.close();
        calls[0].close();
        calls[1].close();
        driver.close();
    }
}
