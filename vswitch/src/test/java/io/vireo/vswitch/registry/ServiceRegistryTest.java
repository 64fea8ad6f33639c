package io.vireo.vswitch.registry;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Leases on a clock the test moves, the index, watches, listeners and what the registry refuses. */
class ServiceRegistryTest
{
    private final CachedNanoClock clock = new CachedNanoClock();
    /** The notifier: tasks wait here until {@link #deliverNotifications} runs them, as a notifier thread would, in order. */
    private final Queue<Runnable> notifications = new ArrayDeque<>();
    private final List<Throwable> errors = new ArrayList<>();
    private final ServiceRegistry registry = new ServiceRegistry(clock, notifications::add, errors::add);

    private void deliverNotifications()
    {
        while (!notifications.isEmpty())
        {
            notifications.remove().run();
        }
    }

    private void advanceMillis(final long millis)
    {
        clock.advance(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    private ServiceInstance register(final String service, final String id, final int leaseSeconds)
    {
        return registry.register(service, id, "10.0.0.5", 80, null, leaseSeconds, null);
    }

    private List<String> ids(final String service)
    {
        return registry.service(service).instances().stream().map(ServiceInstance::id).toList();
    }

    @Test
    void anInstanceIsListedUntilItsLeaseRunsOutAndHeartbeatsKeepIt()
    {
        final ServiceInstance web1 = registry.register("web", "web-1", "10.0.0.5", 80, Map.of("zone", "a", "az", "1"), 30, null);
        assertEquals(new ServiceInstance("web", "web-1", "10.0.0.5", 80, Map.of("az", "1", "zone", "a"), 30, null), web1);
        assertEquals("{az=1, zone=a}", web1.metadata().toString(), "metadata sorted by key");
        assertEquals(List.of(web1), registry.service("web").instances());

        for (int i = 0; i < 10; i++)
        {
            advanceMillis(20_000);
            assertEquals(web1, registry.renew("web", "web-1"), "a heartbeat within the lease");
            assertEquals(0, registry.evictExpired());
        }
        assertEquals(1, registry.index(), "heartbeats change nothing");

        advanceMillis(29_999);
        assertEquals(List.of("web-1"), ids("web"));
        advanceMillis(1);
        assertEquals(List.of(), ids("web"), "its lease ran out: no longer listed");
        assertNull(registry.instance("web", "web-1"));
        assertNull(registry.renew("web", "web-1"), "nor renewed: the client registers again");
        assertEquals(1, registry.index(), "the index moves when it is evicted");
        assertEquals(1, registry.evictExpired());
        assertEquals(2, registry.index());
        assertEquals(0, registry.evictExpired());
        assertEquals(List.of(), registry.services(), "a service with no instance is not listed");
        assertEquals(new ServiceListing("web", 2, List.of()), registry.service("web"), "its index stays");
    }

    @Test
    void anInstanceWithNoLeaseStaysUntilDeregistered()
    {
        register("db", "db-1", 0);
        advanceMillis(10_000L * ServiceRegistry.MAX_LEASE_SECONDS);
        assertEquals(0, registry.evictExpired());
        assertEquals(List.of("db-1"), ids("db"));
        assertEquals(register("db", "db-1", 0), registry.renew("db", "db-1"), "a heartbeat is no error");
        assertEquals("db-1", registry.deregister("db", "db-1").id());
        assertEquals(List.of(), ids("db"));
        assertNull(registry.deregister("db", "db-1"), "not twice");
        assertNull(registry.deregister("nothing", "db-1"));
    }

    @Test
    void theNextExpiryIsNoLaterThanTheFirstLeaseEndsAndExactAfterAnEviction()
    {
        final long start = clock.nanoTime();
        assertEquals(Long.MAX_VALUE, registry.nextExpiryNs(), "no instance");
        register("db", "db-1", 0);
        assertEquals(Long.MAX_VALUE, registry.nextExpiryNs(), "no instance with a lease");
        register("web", "web-1", 30);
        assertEquals(start + TimeUnit.SECONDS.toNanos(30), registry.nextExpiryNs());
        register("web", "web-2", 10);
        assertEquals(start + TimeUnit.SECONDS.toNanos(10), registry.nextExpiryNs(), "a shorter lease brings it forward");

        advanceMillis(5_000);
        registry.renew("web", "web-2");
        assertEquals(start + TimeUnit.SECONDS.toNanos(10), registry.nextExpiryNs(), "a heartbeat leaves it early");
        assertEquals(0, registry.evictExpired());
        assertEquals(start + TimeUnit.SECONDS.toNanos(15), registry.nextExpiryNs(), "exact after an eviction");

        advanceMillis(10_000);
        assertEquals(1, registry.evictExpired());
        assertEquals(start + TimeUnit.SECONDS.toNanos(30), registry.nextExpiryNs());
        registry.deregister("web", "web-1");
        assertEquals(0, registry.evictExpired());
        assertEquals(Long.MAX_VALUE, registry.nextExpiryNs(), "only the instance without a lease is left");
    }

    @Test
    void theIndexMovesOnceForEveryChangeAndAServicesIndexIsTheRegistrysAtItsLastChange()
    {
        assertEquals(0, registry.index());
        assertEquals(new ServiceListing("web", 0, List.of()), registry.service("web"), "never registered");
        register("web", "web-1", 30);
        register("api", "api-1", 30);
        register("web", "web-2", 30);
        assertEquals(3, registry.index());
        assertEquals(3, registry.service("web").index());
        assertEquals(2, registry.service("api").index());

        register("web", "web-1", 30);
        assertEquals(3, registry.index(), "the same registration again changes nothing");
        registry.register("web", "web-1", "10.0.0.6", 80, null, 30, null);
        assertEquals(4, registry.index(), "another address replaces it");
        assertEquals(List.of("10.0.0.6", "10.0.0.5"),
            registry.service("web").instances().stream().map(ServiceInstance::address).toList(), "by id");
        registry.deregister("api", "api-1");
        assertEquals(5, registry.service("api").index());
        assertEquals(List.of("web"), registry.services().stream().map(ServiceListing::service).toList());

        advanceMillis(31_000);
        register("web", "web-1", 30);
        assertEquals(6, registry.index(), "registering an instance whose lease ran out brings it back: a change");
        registry.evictExpired();
        assertEquals(7, registry.index(), "web-2, evicted");
        assertEquals(List.of("web-1"), ids("web"));
    }

    @Test
    void listenersAreToldOfEveryChangeWithTheServiceAsItLeftIt()
    {
        final List<ServiceListing> heard = new ArrayList<>();
        registry.addListener(heard::add);
        final ServiceInstance web1 = register("web", "web-1", 10);
        final ServiceInstance web2 = register("web", "web-2", 0);
        registry.renew("web", "web-1");
        register("web", "web-2", 0);
        assertEquals(List.of(), heard, "told on the notifier, not in the caller's thread");
        deliverNotifications();
        assertEquals(List.of(new ServiceListing("web", 1, List.of(web1)), new ServiceListing("web", 2, List.of(web1, web2))),
            heard, "heartbeats and equal registrations are not changes");

        heard.clear();
        advanceMillis(10_000);
        registry.evictExpired();
        registry.deregister("web", "web-2");
        deliverNotifications();
        assertEquals(List.of(new ServiceListing("web", 3, List.of(web2)), new ServiceListing("web", 4, List.of())), heard);
    }

    @Test
    void aListenerThatThrowsGoesToTheErrorHandlerAndTheOthersAreStillTold()
    {
        final IllegalStateException failure = new IllegalStateException("listener broke");
        final List<String> heard = new ArrayList<>();
        registry.addListener(listing ->
        {
            throw failure;
        });
        registry.addListener(listing -> heard.add(listing.service()));
        final CompletableFuture<Long> watch = registry.watch("web", 0);
        register("web", "web-1", 10);
        deliverNotifications();
        assertEquals(List.of(failure), errors);
        assertEquals(List.of("web"), heard);
        assertEquals(1L, watch.getNow(null));
    }

    @Test
    void aWatchCompletesOnceTheIndexOfItsServiceOrOfTheRegistryPassesItsOwn()
    {
        register("web", "web-1", 30);
        assertEquals(1L, registry.watch("web", 0).getNow(null), "passed already: at once");
        assertEquals(1L, registry.watch(null, 0).getNow(null));

        final CompletableFuture<Long> web = registry.watch("web", 1);
        final CompletableFuture<Long> api = registry.watch("api", 0);
        final CompletableFuture<Long> any = registry.watch(null, 1);
        registry.renew("web", "web-1");
        register("api", "api-1", 60);
        assertFalse(api.isDone(), "completed on the notifier");
        deliverNotifications();
        assertEquals(2L, api.getNow(null));
        assertEquals(2L, any.getNow(null));
        assertFalse(web.isDone(), "a heartbeat and another service's change do not pass web's index");

        advanceMillis(30_000);
        registry.evictExpired();
        deliverNotifications();
        assertEquals(3L, web.getNow(null), "an eviction does");
    }

    @Test
    void aWatchCancelledOrTimedOutIsForgotten()
    {
        final CompletableFuture<Long> cancelled = registry.watch("web", 0);
        final CompletableFuture<Long> timedOut = registry.watch(null, 0);
        cancelled.cancel(false);
        timedOut.complete(0L);
        register("web", "web-1", 30);
        deliverNotifications();
        assertTrue(cancelled.isCancelled());
        assertEquals(0L, timedOut.getNow(null), "neither is completed again");
    }

    @Test
    void registrationsAreCheckedAndTheAddressWrittenCanonically()
    {
        assertEquals("fd00::5", registry.register("web", "web-6", "FD00:0:0::0005", 443, null, 30, null).address());

        assertRefused("invalid service name 'Web'", () -> register("Web", "x", 30));
        assertRefused("invalid service name '-web'", () -> register("-web", "x", 30));
        assertRefused("invalid service name 'web-'", () -> register("web-", "x", 30));
        assertRefused("invalid service name 'web.local'", () -> register("web.local", "x", 30));
        assertRefused("invalid service name ''", () -> register("", "x", 30));
        assertRefused("invalid service name (none)", () -> registry.service(null));
        register("a".repeat(63), "x", 30);
        assertRefused("a DNS label of 1..63", () -> register("a".repeat(64), "x", 30));
        assertRefused("invalid instance id 'a/b'", () -> register("web", "a/b", 30));
        register("web", "i".repeat(128), 30);
        assertRefused("invalid instance id", () -> register("web", "i".repeat(129), 30));
        assertRefused("invalid instance id (none)", () -> registry.renew("web", null));
        assertRefused("invalid address 'web.example': give an IPv4 or IPv6 address", () ->
            registry.register("web", "x", "web.example", 80, null, 30, null));
        assertRefused("invalid address '10.0.0.05'", () -> registry.register("web", "x", "10.0.0.05", 80, null, 30, null));
        assertRefused("invalid address '10.0.0.5/24'", () ->
            registry.register("web", "x", "10.0.0.5/24", 80, null, 30, null));
        assertRefused("invalid address (none)", () -> registry.register("web", "x", null, 80, null, 30, null));
        for (final String notUnicast : List.of("0.0.0.0", "::", "224.0.0.1", "255.255.255.255", "ff02::1"))
        {
            assertRefused("invalid address " + notUnicast + ": must be unicast and specified", () ->
                registry.register("web", "x", notUnicast, 80, null, 30, null));
        }
        assertRefused("invalid port 0: must be 1..65535", () -> registry.register("web", "x", "10.0.0.5", 0, null, 30, null));
        assertRefused("invalid port 65536", () -> registry.register("web", "x", "10.0.0.5", 65_536, null, 30, null));
        assertRefused("invalid lease -1 s: must be 1..86400, or 0 for none", () -> register("web", "x", -1));
        assertRefused("invalid lease 86401 s", () -> register("web", "x", 86_401));
        assertRefused("invalid owner 'cni vc1'", () -> registry.register("web", "x", "10.0.0.5", 80, null, 30, "cni vc1"));

        final Map<String, String> tooMany = new HashMap<>();
        for (int i = 0; i <= ServiceRegistry.MAX_METADATA_ENTRIES; i++)
        {
            tooMany.put("k" + i, "v");
        }
        assertRefused("too much metadata: 33 keys, at most 32", () -> metadata(tooMany));
        assertRefused("invalid metadata key 'a b'", () -> metadata(Map.of("a b", "v")));
        assertRefused("invalid metadata key ''", () -> metadata(Map.of("", "v")));
        assertRefused("invalid metadata value of k: a string of up to 256", () -> metadata(Map.of("k", "v".repeat(257))));
        assertRefused("invalid metadata value of k", () -> metadata(Map.of("k", "line\nbreak")));
        final Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        assertRefused("invalid metadata value of k", () -> metadata(nullValue));
        assertEquals(Map.of("app.kubernetes.io/name", "web", "empty", ""),
            metadata(Map.of("app.kubernetes.io/name", "web", "empty", "")).metadata());

        assertEquals(4, registry.index(), "nothing refused was registered");
    }

    private ServiceInstance metadata(final Map<String, String> metadata)
    {
        return registry.register("web", "m", "10.0.0.5", 80, metadata, 30, null);
    }

    private static void assertRefused(final String messagePart, final Runnable call)
    {
        final String message = assertThrows(IllegalArgumentException.class, call::run).getMessage();
        assertTrue(message.contains(messagePart), message);
    }
}
