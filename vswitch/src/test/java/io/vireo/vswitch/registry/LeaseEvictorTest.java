package io.vireo.vswitch.registry;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.agrona.LangUtil;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Evictions on a real scheduler thread, as the daemon runs them: when the first lease ends, and not before. */
class LeaseEvictorTest
{
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(20);

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
    private final ServiceRegistry registry =
        new ServiceRegistry(SystemNanoClock.INSTANCE, thread, LangUtil::rethrowUnchecked);
    private final List<ServiceListing> changes = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException
    {
        thread.shutdownNow();
        assertTrue(thread.awaitTermination(10, TimeUnit.SECONDS));
    }

    private ServiceInstance register(final String id, final int leaseSeconds)
    {
        return registry.register("web", id, "10.0.0.5", 80, null, leaseSeconds, null);
    }

    /** Waits until the listener has heard the service left with exactly {@code ids}. */
    private void awaitInstances(final List<String> ids) throws InterruptedException
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (changes.isEmpty() ||
            !changes.get(changes.size() - 1).instances().stream().map(ServiceInstance::id).toList().equals(ids))
        {
            assertTrue(System.nanoTime() < deadline, "the instances never became " + ids + ": " + changes);
            Thread.sleep(10);
        }
    }

    @Test
    void nothingIsScheduledWhileNoInstanceHasALease()
    {
        final LeaseEvictor evictor = LeaseEvictor.start(registry, thread, SystemNanoClock.INSTANCE);
        assertEquals(Long.MAX_VALUE, evictor.scheduledAtNs());
        register("web-1", 0);
        assertEquals(Long.MAX_VALUE, evictor.scheduledAtNs());
    }

    @Test
    void anInstanceIsEvictedWhenItsLeaseEndsEvenIfALongerOneWasScheduledFirst() throws InterruptedException
    {
        final LeaseEvictor evictor = LeaseEvictor.start(registry, thread, SystemNanoClock.INSTANCE);
        registry.addListener(changes::add);
        register("web-long", 3600);
        awaitInstances(List.of("web-long"));
        assertEquals(registry.nextExpiryNs(), evictor.scheduledAtNs(), "the hour's lease is what comes first");

        final long registeredNs = System.nanoTime();
        register("web-short", 1);
        awaitInstances(List.of("web-long", "web-short"));
        awaitInstances(List.of("web-long"));
        assertTrue(System.nanoTime() - registeredNs >= TimeUnit.SECONDS.toNanos(1), "not evicted before its lease ended");
        assertEquals(registry.nextExpiryNs(), evictor.scheduledAtNs(), "the hour's lease is next again");
        assertTrue(evictor.scheduledAtNs() > System.nanoTime() + TimeUnit.MINUTES.toNanos(59));
    }

    @Test
    void instancesRegisteredBeforeItStartsAreEvictedToo() throws InterruptedException
    {
        registry.addListener(changes::add);
        register("web-1", 1);
        LeaseEvictor.start(registry, thread, SystemNanoClock.INSTANCE);
        awaitInstances(List.of());
    }
}
