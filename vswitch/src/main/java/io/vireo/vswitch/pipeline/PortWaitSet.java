package io.vireo.vswitch.pipeline;

import io.vireo.dataplane.nativeio.Epoll;
import io.vireo.dataplane.nativeio.EventFd;
import org.agrona.concurrent.IdleStrategy;

/**
 * The adaptive idle strategy of a forwarding thread: spin, then yield, then sleep in epoll on the
 * descriptors of the ports it polls plus a wake-up eventfd that command submitters signal. While any
 * polled port has no descriptor (a loopback port), sleeps are capped at a millisecond; while a rate limit
 * holds frames back, they end when its bucket refills ({@link #wakeBy}).
 * Only {@link #wake()} may be called from other threads.
 */
public final class PortWaitSet implements IdleStrategy, AutoCloseable
{
    private static final int MAX_SPINS = 1_000;
    private static final int MAX_YIELDS = 100;
    /** Long enough to cost nothing, short enough that a lost wake-up could never matter for long. */
    private static final int SLEEP_MILLIS = 100;
    private static final int SHORT_SLEEP_MILLIS = 1;

    private final Epoll epoll = Epoll.create(64);
    private final EventFd wakeup = EventFd.create();
    private int portsWithoutFd;
    private long wakeByNanos = Long.MAX_VALUE;
    private int spins;
    private int yields;

    public PortWaitSet()
    {
        epoll.add(wakeup.fd());
    }

    /** Starts watching a port's descriptor (-1: a port that cannot be watched). */
    void add(final int fd)
    {
        if (fd < 0)
        {
            portsWithoutFd++;
        }
        else
        {
            epoll.add(fd);
        }
    }

    void remove(final int fd)
    {
        if (fd < 0)
        {
            portsWithoutFd--;
        }
        else
        {
            epoll.remove(fd);
        }
    }

    /**
     * The next sleep ends by this {@link System#nanoTime()} time at the latest (a rate limit's bucket
     * refills then); MAX_VALUE for no such time. Set before every idle.
     */
    void wakeBy(final long nanos)
    {
        wakeByNanos = nanos;
    }

    /** Ends a sleep at once; any thread. */
    void wake()
    {
        wakeup.signal();
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (spins < MAX_SPINS)
        {
            spins++;
            Thread.onSpinWait();
        }
        else if (yields < MAX_YIELDS)
        {
            yields++;
            Thread.yield();
        }
        else
        {
            sleep();
        }
    }

    private void sleep()
    {
        int millis = portsWithoutFd > 0 ? SHORT_SLEEP_MILLIS : SLEEP_MILLIS;
        if (Long.MAX_VALUE != wakeByNanos)
        {
            millis = (int)Math.max(0, Math.min(millis, (wakeByNanos - System.nanoTime() + 999_999) / 1_000_000));
        }
        final int ready = epoll.await(millis);
        for (int i = 0; i < ready; i++)
        {
            if (epoll.readyFd(i) == wakeup.fd())
            {
                wakeup.drain();
            }
        }
    }

    @Override
    public void reset()
    {
        spins = 0;
        yields = 0;
    }

    @Override
    public String alias()
    {
        return "adaptive";
    }

    @Override
    public void close()
    {
        epoll.close();
        wakeup.close();
    }
}
