package io.vireo.dataplane.nativeio;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A non-blocking, close-on-exec {@code AF_UNIX} stream socket that passes file descriptors
 * ({@code SCM_RIGHTS}) — what the JDK's {@code SocketChannel} cannot do. Data moves between the
 * socket and off-heap Agrona buffers; received descriptors are close-on-exec. One thread at a time.
 * <pre>
 * scratch memory laid out once per socket (x86_64 / aarch64 Linux):
 *   0  struct msghdr (56)   name=NULL, iov -> 56, iovlen=1, control -> 72, controllen
 *  56  struct iovec  (16)   base, len
 *  72  control      (128)   struct cmsghdr { u64 len; i32 level; i32 type; int fds[] }
 * 200  struct pollfd  (8)   i32 fd; i16 events; i16 revents
 * </pre>
 */
public final class UnixSocket implements AutoCloseable
{
    /** Descriptors one message may carry; vhost-user sends at most 8. */
    public static final int MAX_FDS = 16;

    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_SEQPACKET = 5;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;
    static final int EMSGSIZE = 90;
    static final int ETIMEDOUT = 110;

    private static final int SUN_PATH_LENGTH = 108;
    private static final int SOCKADDR_UN_LENGTH = 2 + SUN_PATH_LENGTH;

    private static final int MSGHDR_OFFSET = 0;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    private static final int IOVEC_OFFSET = 56;
    private static final int CONTROL_OFFSET = 72;
    private static final int CMSG_HEADER_LENGTH = 16;
    private static final int CMSG_LEVEL = 8;
    private static final int CMSG_TYPE = 12;
    private static final int CONTROL_LENGTH = CMSG_HEADER_LENGTH + MAX_FDS * 4;
    private static final int POLLFD_OFFSET = 200;
    private static final int SCRATCH_LENGTH = 208;

    private final Fd fd;
    private final String description;
    private final LibC libc;
    private final UnsafeBuffer scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(SCRATCH_LENGTH, 64));

    private UnixSocket(final int fd, final String description)
    {
        this.fd = Fd.own(fd);
        this.description = description;
        this.libc = Native.libc();
    }

    /**
     * Binds {@code path} and listens on it. The path must not exist.
     *
     * @throws NativeException naming the path if the kernel refuses (EADDRINUSE when it exists).
     */
    public static UnixSocket listen(final Path path)
    {
        final UnixSocket socket = open(path);
        final UnsafeBuffer address = socketAddress(path);
        final LibC libc = socket.libc;
        if (libc.bind(socket.fd(), address.addressOffset(), SOCKADDR_UN_LENGTH) < 0 || libc.listen(socket.fd(), 1) < 0)
        {
            final int errno = Native.errno();
            socket.close();
            throw new NativeException("listen on " + path, errno);
        }
        return socket;
    }

    /**
     * Connects to the socket listening at {@code path}.
     *
     * @throws NativeException naming the path: ENOENT if nothing is there, ECONNREFUSED if nobody
     *                         listens, EAGAIN if the listener's backlog is full.
     */
    public static UnixSocket connect(final Path path)
    {
        final UnixSocket socket = open(path);
        final UnsafeBuffer address = socketAddress(path);
        if (socket.libc.connect(socket.fd(), address.addressOffset(), SOCKADDR_UN_LENGTH) < 0)
        {
            final int errno = Native.errno();
            socket.close();
            throw new NativeException("connect to " + path, errno);
        }
        return socket;
    }

    private static UnixSocket open(final Path path)
    {
        final int fd = Native.libc().socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NativeException("socket for " + path, Native.errno());
        }
        return new UnixSocket(fd, path.toString());
    }

    /**
     * Checks that {@code path} fits a unix socket address.
     *
     * @return the path's bytes.
     * @throws IllegalArgumentException naming the path and the limit if it is too long.
     */
    public static byte[] checkPath(final Path path)
    {
        final byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= SUN_PATH_LENGTH)
        {
            throw new IllegalArgumentException(
                "socket path " + path + " is " + bytes.length + " bytes, the limit is " + (SUN_PATH_LENGTH - 1));
        }
        return bytes;
    }

    private static UnsafeBuffer socketAddress(final Path path)
    {
        final byte[] bytes = checkPath(path);
        final UnsafeBuffer address = new UnsafeBuffer(BufferUtil.allocateDirectAligned(SOCKADDR_UN_LENGTH + 6, 8));
        address.putShort(0, (short)AF_UNIX);
        address.putBytes(2, bytes);
        return address;
    }

    /** Takes a socket descriptor received with {@link #receive} (another process's socket, handed over). */
    public static UnixSocket adopt(final int fd, final String description)
    {
        return new UnixSocket(fd, description);
    }

    /**
     * Two connected, non-blocking, close-on-exec {@code AF_UNIX} sequenced-packet sockets: each write is one
     * read at the other end, as a frame is on a TAP. The caller owns both descriptors.
     *
     * @throws NativeException if the kernel refuses.
     */
    public static int[] packetPair()
    {
        final int[] fds = new int[2];
        if (Native.libc().socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
        {
            throw new NativeException("socketpair(AF_UNIX, SOCK_SEQPACKET)", Native.errno());
        }
        return fds;
    }

    /** Closes a descriptor received with {@link #receive} that its receiver does not keep. */
    public static void closeDescriptor(final int fd)
    {
        Native.libc().close(fd);
    }

    public int fd()
    {
        return fd.value();
    }

    /** Accepts a pending connection on a listening socket; null if none is pending. */
    public UnixSocket accept()
    {
        final long accepted = Fd.result(libc.accept4(fd.value(), 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (accepted < 0)
        {
            if (Fd.isTransient(accepted))
            {
                return null;
            }
            throw new NativeException("accept on " + description, (int)-accepted);
        }
        return new UnixSocket((int)accepted, description);
    }

    /**
     * Waits until the socket is readable (or, listening, has a connection pending, or was closed by
     * the peer) for at most {@code timeoutMillis}.
     *
     * @return true if a read or accept would not block.
     */
    public boolean awaitReadable(final int timeoutMillis)
    {
        return await(POLLIN, timeoutMillis);
    }

    private boolean await(final short events, final int timeoutMillis)
    {
        scratch.putInt(POLLFD_OFFSET, fd.value());
        scratch.putShort(POLLFD_OFFSET + 4, events);
        scratch.putShort(POLLFD_OFFSET + 6, (short)0);
        final int ready = libc.poll(scratch.addressOffset() + POLLFD_OFFSET, 1, timeoutMillis);
        if (ready < 0 && Errno.EINTR != Native.errno())
        {
            throw new NativeException("poll on " + description, Native.errno());
        }
        return ready > 0;
    }

    /**
     * Reads up to {@code length} bytes into an off-heap {@code buffer}, appending any descriptors that
     * came with them to {@code fds}.
     *
     * @return bytes read; 0 when the peer has closed the connection; -1 when nothing is there yet.
     * @throws NativeException on a connection error, or EMSGSIZE when more than {@link #MAX_FDS}
     *                         descriptors came (the kernel has closed the excess ones).
     */
    public int receive(final MutableDirectBuffer buffer, final int index, final int length, final IntArrayList fds)
    {
        buffer.boundsCheck(index, length);
        prepareMessage(addressOf(buffer) + index, length, CONTROL_LENGTH);
        final long read = Fd.result(libc.recvmsg(fd.value(), scratch.addressOffset() + MSGHDR_OFFSET, MSG_CMSG_CLOEXEC));
        if (read < 0)
        {
            if (Fd.isTransient(read))
            {
                return -1;
            }
            throw new NativeException("recvmsg on " + description, (int)-read);
        }
        collectDescriptors(fds);
        if ((scratch.getInt(MSGHDR_OFFSET + MSG_FLAGS) & MSG_CTRUNC) != 0)
        {
            throw new NativeException(
                "recvmsg on " + description + ": more than " + MAX_FDS + " descriptors", EMSGSIZE);
        }
        return (int)read;
    }

    private void collectDescriptors(final IntArrayList fds)
    {
        final long controlLength = scratch.getLong(MSGHDR_OFFSET + MSG_CONTROLLEN);
        if (controlLength >= CMSG_HEADER_LENGTH &&
            SOL_SOCKET == scratch.getInt(CONTROL_OFFSET + CMSG_LEVEL) &&
            SCM_RIGHTS == scratch.getInt(CONTROL_OFFSET + CMSG_TYPE))
        {
            final long cmsgLength = Math.min(scratch.getLong(CONTROL_OFFSET), controlLength);
            final int count = (int)((cmsgLength - CMSG_HEADER_LENGTH) / 4);
            for (int i = 0; i < count; i++)
            {
                fds.addInt(scratch.getInt(CONTROL_OFFSET + CMSG_HEADER_LENGTH + i * 4));
            }
        }
    }

    /**
     * Writes {@code length} bytes of an off-heap {@code buffer}, with {@code fdCount} descriptors of
     * {@code fds} attached to the first byte, waiting up to {@code timeoutMillis} for room.
     *
     * @throws NativeException on a connection error (EPIPE once the peer is gone) or ETIMEDOUT.
     */
    public void send(
        final DirectBuffer buffer, final int index, final int length, final int[] fds, final int fdCount,
        final int timeoutMillis)
    {
        buffer.boundsCheck(index, length);
        if (fdCount > MAX_FDS)
        {
            throw new IllegalArgumentException(fdCount + " descriptors, at most " + MAX_FDS + " per message");
        }
        int sent = 0;
        int descriptors = fdCount;
        while (sent < length)
        {
            final int controlLength = 0 == descriptors ? 0 : CMSG_HEADER_LENGTH + descriptors * 4;
            prepareMessage(addressOf(buffer) + index + sent, length - sent, controlLength);
            if (descriptors > 0)
            {
                scratch.putLong(CONTROL_OFFSET, controlLength);
                scratch.putInt(CONTROL_OFFSET + CMSG_LEVEL, SOL_SOCKET);
                scratch.putInt(CONTROL_OFFSET + CMSG_TYPE, SCM_RIGHTS);
                for (int i = 0; i < descriptors; i++)
                {
                    scratch.putInt(CONTROL_OFFSET + CMSG_HEADER_LENGTH + i * 4, fds[i]);
                }
            }
            final long written = Fd.result(libc.sendmsg(fd.value(), scratch.addressOffset() + MSGHDR_OFFSET, MSG_NOSIGNAL));
            if (written < 0)
            {
                if (!Fd.isTransient(written))
                {
                    throw new NativeException("sendmsg on " + description, (int)-written);
                }
                if (-Errno.EAGAIN == written && !await(POLLOUT, timeoutMillis))
                {
                    throw new NativeException("send on " + description, ETIMEDOUT);
                }
                continue;
            }
            sent += (int)written;
            descriptors = 0;
        }
    }

    private void prepareMessage(final long dataAddress, final int dataLength, final int controlLength)
    {
        scratch.setMemory(0, POLLFD_OFFSET, (byte)0);
        final long base = scratch.addressOffset();
        scratch.putLong(IOVEC_OFFSET, dataAddress);
        scratch.putLong(IOVEC_OFFSET + 8, dataLength);
        scratch.putLong(MSGHDR_OFFSET + MSG_IOV, base + IOVEC_OFFSET);
        scratch.putLong(MSGHDR_OFFSET + MSG_IOVLEN, 1);
        if (controlLength > 0)
        {
            scratch.putLong(MSGHDR_OFFSET + MSG_CONTROL, base + CONTROL_OFFSET);
            scratch.putLong(MSGHDR_OFFSET + MSG_CONTROLLEN, controlLength);
        }
    }

    private static long addressOf(final DirectBuffer buffer)
    {
        if (null != buffer.byteArray())
        {
            throw new IllegalArgumentException("socket I/O needs an off-heap buffer");
        }
        return buffer.addressOffset();
    }

    @Override
    public void close()
    {
        fd.close();
    }

    @Override
    public String toString()
    {
        return "UnixSocket{" + description + ", fd=" + fd + "}";
    }
}
