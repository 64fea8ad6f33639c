package io.vireo.vswitch.registry;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.NanoClock;

/**
 * Evicts a {@link ServiceRegistry}'s expired instances when the first lease runs out
 * ({@link ServiceRegistry#nextExpiryNs}), and sleeps while no instance has a lease. It listens to the registry:
 * a registration that brings the next expiry forward is a change, and moves the eviction forward too. Polling
 * once a second instead woke an idle daemon's registry thread for nothing: 0.02-0.04 % of a core on a 2-vCPU VM,
 * 0.19 % after other tests (benches/README.md, 2026-12-07, fourth and fifth).
 */
public final class LeaseEvictor implements RegistryListener
{
    private final ServiceRegistry registry;
    private final ScheduledExecutorService scheduler;
    private final NanoClock clock;
    private ScheduledFuture<?> scheduled;
    private long scheduledAtNs = Long.MAX_VALUE;

    private LeaseEvictor(
        final ServiceRegistry registry, final ScheduledExecutorService scheduler, final NanoClock clock)
    {
        this.registry = registry;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /**
     * Evicts {@code registry}'s expired instances on {@code scheduler} from now on. An eviction brought forward
     * cancels the one scheduled; a scheduler that removes cancelled tasks
     * ({@link java.util.concurrent.ScheduledThreadPoolExecutor#setRemoveOnCancelPolicy}) lets it go at once.
     *
     * @param clock the registry's clock.
     */
    public static LeaseEvictor start(
        final ServiceRegistry registry, final ScheduledExecutorService scheduler, final NanoClock clock)
    {
        final LeaseEvictor evictor = new LeaseEvictor(registry, scheduler, clock);
        registry.addListener(evictor);
        evictor.schedule();
        return evictor;
    }

    @Override
    public void serviceChanged(final ServiceListing listing)
    {
        schedule();
    }

    /** When the next eviction is due ({@link NanoClock} time); Long.MAX_VALUE while none is scheduled. */
    public synchronized long scheduledAtNs()
    {
        return scheduledAtNs;
    }

    private void schedule()
    {
        // Read outside this object's lock: a notifier that runs tasks at once tells listeners under the registry's.
        // A time read before a change lowered it is no later than what that change schedules.
        final long dueNs = registry.nextExpiryNs();
        synchronized (this)
        {
            if (dueNs >= scheduledAtNs)
            {
                return;
            }
            final ScheduledFuture<?> earlier;
            try
            {
                earlier = scheduler.schedule(this::evict, Math.max(0, dueNs - clock.nanoTime()), TimeUnit.NANOSECONDS);
            }
            catch (final RejectedExecutionException ex)
            {
                return;   // the scheduler was shut down: so is the registry's daemon
            }
            if (null != scheduled)
            {
                scheduled.cancel(false);
            }
            scheduled = earlier;
            scheduledAtNs = dueNs;
        }
    }

    private void evict()
    {
        synchronized (this)
        {
            scheduled = null;
            scheduledAtNs = Long.MAX_VALUE;
        }
        registry.evictExpired();
        schedule();
    }
}
