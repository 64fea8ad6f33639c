package io.vireo.vswitch.pipeline;

import io.vireo.dataplane.nativeio.Epoll;
import io.vireo.dataplane.nativeio.EventFd;
import org.agrona.concurrent.IdleStrategy;

/**
 * The adaptive idle strategy of a forwarding thread: spin, then yield, then sleep in epoll on the
 * descriptors of the ports it polls plus a wake-up eventfd that command submitters signal. While any
 * polled port has no descriptor (a loopback port), sleeps are capped at a millisecond; while a rate limit
 * holds frames back, they end when its bucket refills ({@link #wakeBy}).
 * <p>
 * The phases are measured in time since the last work, not in idle calls: every call follows a poll of
 * every port, a system call or more each (a few microseconds), so a thousand spins held the CPU for 1.5-4 ms
 * (traced). Where two switches share a CPU (two hosts simulated on one machine, or a switch beside the
 * containers it serves), the one spinning kept the other, woken by its frame, waiting for those
 * milliseconds: pings across two Vireos over VXLAN averaged 2.4-3.2 ms, some took 8. Yielding lets a thread
 * woken on the same CPU run at once; on a CPU of its own, a yield costs no more than a spin.
 * Only {@link #wake()} may be called from other threads.
 */
public final class PortWaitSet implements IdleStrategy, AutoCloseable
{
    /** Spins for this long after the last work: back-to-back bursts of one transfer arrive within it. */
    private static final long SPIN_NANOS = 20_000;
    /** Then yields until this long after the last work, then sleeps. */
    private static final long YIELD_UNTIL_NANOS = 200_000;
    /**
     * A sleep's limit where nothing else sets one: every port that has frames, and every change submitted, ends it
     * (level-triggered), so it only bounds a wake-up lost to a bug. Each timeout is a wake-up of an idle switch:
     * at ten a second (100 ms) they cost 0.08-0.09 % of a core on a 2-vCPU VM, 0.23 % after other tests
     * (benches/README.md, 2026-12-07, fourth and fifth); once a second, 0.21-0.36 % on a VM whose hypervisor takes
     * back pages left untouched for a second, each wake-up then 2-3 ms of first touches, against 0.09-0.15 % once in
     * five seconds (benches/README.md, 2026-12-07, eighth).
     */
    private static final int SLEEP_MILLIS = 5000;
    private static final int SHORT_SLEEP_MILLIS = 1;

    private final Epoll epoll = Epoll.create(64);
    private final EventFd wakeup = EventFd.create();
    private final long spinNanos;
    private final long yieldUntilNanos;
    private int portsWithoutFd;
    private long wakeByNanos = Long.MAX_VALUE;
    /** When the idle calls since the last work began, or 0 while working. */
    private long idleSinceNanos;
    private long wakeUps;
    private long sleeps;
    private volatile boolean stopped;

    public PortWaitSet()
    {
        this(SPIN_NANOS, YIELD_UNTIL_NANOS);
    }

    /** Phases of other lengths (the start-up warm-up's last a microsecond). */
    PortWaitSet(final long spinNanos, final long yieldUntilNanos)
    {
        this.spinNanos = spinNanos;
        this.yieldUntilNanos = yieldUntilNanos;
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

    /**
     * Ends the sleep under way and any after it (the thread yields instead): its runner is about to close.
     * Any thread.
     */
    public void stop()
    {
        stopped = true;
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
        final long now = System.nanoTime();
        if (0 == idleSinceNanos)
        {
            idleSinceNanos = now;
        }
        final long idleNanos = now - idleSinceNanos;
        if (idleNanos < spinNanos)
        {
            Thread.onSpinWait();
        }
        else if (idleNanos < yieldUntilNanos || stopped)
        {
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
        sleeps++;
        if (ready > 0)
        {
            wakeUps++;
        }
        for (int i = 0; i < ready; i++)
        {
            if (epoll.readyFd(i) == wakeup.fd())
            {
                wakeup.drain();
            }
        }
    }

    /** Sleeps in epoll, however they ended. */
    long sleeps()
    {
        return sleeps;
    }

    /** Sleeps ended by a ready descriptor (a port's or the wake-up eventfd), not by their timeout. */
    long wakeUps()
    {
        return wakeUps;
    }

    @Override
    public void reset()
    {
        idleSinceNanos = 0;
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
