package io.vireo.dataplane.nativeio;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An epoll set of file descriptors watched for input, level-triggered. A forwarding thread with
 * nothing to do sleeps in {@link #await} until one of its ports has frames or someone wakes it.
 * <pre>
 * struct epoll_event on x86_64 (packed, 12 bytes):
 *  0         4                              12
 * +---------+-------------------------------+
 * | events  |  data (u64; here: the fd)     |
 * +---------+-------------------------------+
 * </pre>
 * Add and remove only from the thread that awaits.
 */
public final class Epoll implements AutoCloseable
{
    private static final int EPOLL_CLOEXEC = 0x80000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLLIN = 0x1;
    private static final int EVENT_LENGTH = 12;
    private static final int DATA_OFFSET = 4;

    private final LibC libc;
    private final Fd fd;
    private final int maxEvents;
    private final UnsafeBuffer events;
    private final long eventsAddress;

    private Epoll(final LibC libc, final int fd, final int maxEvents)
    {
        this.libc = libc;
        this.fd = Fd.own(fd);
        this.maxEvents = maxEvents;
        this.events = new UnsafeBuffer(BufferUtil.allocateDirectAligned((maxEvents + 1) * EVENT_LENGTH, 64));
        this.eventsAddress = events.addressOffset();
    }

    /** A new epoll set reporting at most {@code maxEvents} ready descriptors per {@link #await}. */
    public static Epoll create(final int maxEvents)
    {
        final LibC libc = Native.libc();
        final int fd = libc.epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0)
        {
            throw new NativeException("epoll_create1", Native.errno());
        }
        return new Epoll(libc, fd, maxEvents);
    }

    /** Watches {@code watched} for input. */
    public void add(final int watched)
    {
        // The control event sits in the slot past the ready-event array, so a concurrent await never sees it.
        final int controlOffset = maxEvents * EVENT_LENGTH;
        events.putInt(controlOffset, EPOLLIN);
        events.putLong(controlOffset + DATA_OFFSET, watched);
        if (libc.epoll_ctl(fd.value(), EPOLL_CTL_ADD, watched, eventsAddress + controlOffset) < 0)
        {
            throw new NativeException("epoll_ctl add fd " + watched, Native.errno());
        }
    }

    /** Stops watching {@code watched}; a descriptor that was already closed has left the set by itself. */
    public void remove(final int watched)
    {
        libc.epoll_ctl(fd.value(), EPOLL_CTL_DEL, watched, eventsAddress + (long)maxEvents * EVENT_LENGTH);
    }

    /**
     * Sleeps until a watched descriptor has input or {@code timeoutMillis} pass (-1: no limit).
     *
     * @return how many descriptors are ready (0 on timeout or signal).
     */
    public int await(final int timeoutMillis)
    {
        final int ready = libc.epoll_wait(fd.value(), eventsAddress, maxEvents, timeoutMillis);
        return Math.max(ready, 0);
    }

    /** The descriptor of the {@code index}th ready event of the last {@link #await}. */
    public int readyFd(final int index)
    {
        return (int)events.getLong(index * EVENT_LENGTH + DATA_OFFSET);
    }

    @Override
    public void close()
    {
        fd.close();
    }
}
