package io.vireo.dataplane.nativeio;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An eventfd, non-blocking: a counter one side {@link #signal signals} and the other {@link #drain
 * drains}. vhost-user uses them for "kick" (driver to device) and "call" (device to driver)
 * notifications. {@link #signal()} makes no allocation and exactly one {@code write}, so a forwarding
 * thread may call it.
 */
public final class EventFd implements AutoCloseable
{
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int O_NONBLOCK = 0x800;

    private final Fd fd;
    private final UnsafeBuffer value = new UnsafeBuffer(BufferUtil.allocateDirectAligned(8, 8));

    private EventFd(final int fd)
    {
        this.fd = Fd.own(fd);
    }

    /** A new eventfd with counter 0, non-blocking and close-on-exec. */
    public static EventFd create()
    {
        final int fd = Native.libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0)
        {
            throw new NativeException("eventfd", Native.errno());
        }
        return new EventFd(fd);
    }

    /**
     * Takes ownership of a descriptor received from a peer and makes it non-blocking, so that a peer
     * that passes a full counter (or something that is not an eventfd at all) cannot block the
     * thread that signals it.
     */
    public static EventFd adopt(final int fd)
    {
        final LibC libc = Native.libc();
        final int flags = libc.fcntl(fd, F_GETFL, 0);
        if (flags < 0 || libc.fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        {
            final int errno = Native.errno();
            libc.close(fd);
            throw new NativeException("fcntl O_NONBLOCK on fd " + fd, errno);
        }
        return new EventFd(fd);
    }

    public int fd()
    {
        return fd.value();
    }

    /**
     * Adds 1 to the counter. Errors are ignored: a counter that is full or a descriptor the peer
     * replaced by something else only costs the peer its notification.
     */
    public void signal()
    {
        value.putLong(0, 1L);
        fd.write(value.addressOffset(), 8);
    }

    /** Reads and resets the counter; 0 if nothing was signalled since the last drain. */
    public long drain()
    {
        return 8 == fd.read(value.addressOffset(), 8) ? value.getLong(0) : 0;
    }

    @Override
    public void close()
    {
        fd.close();
    }

    @Override
    public String toString()
    {
        return "EventFd{" + fd + "}";
    }
}
