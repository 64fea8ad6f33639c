package io.vireo.cluster;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

import io.vireo.api.Endpoint;
import io.vireo.cluster.etcd.EtcdClient;
import io.vireo.testkit.EtcdServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Cluster nodes against a real etcd, each driving a {@link ModelSwitch} (the switch itself is driven by
 * vswitch's ClusterIT): membership, networks, endpoints, address blocks, a dead node, the store away.
 */
class ClusterNodeIT
{
    /**
     * Long enough for a node restarted on a loaded machine to take its lease back, and for a node to renew it
     * (every third of it) through a stall: with 2 s a restart 3 s slower than usual found the lease gone.
     */
    private static final int LEASE_SECONDS = 10;
    private static final String MAC_A = "02:00:00:00:00:0a";
    private static final String MAC_B = "02:00:00:00:00:0b";
    private static final String MAC_C = "02:00:00:00:00:0c";
    private static final String PREFIX = "/vireo-test/";

    private EtcdServer etcd;
    private final List<ClusterNode> nodes = new ArrayList<>();

    @BeforeEach
    void store()
    {
        etcd = EtcdServer.builder().build();
        etcd.start();
    }

    @AfterEach
    void close()
    {
        nodes.forEach(ClusterNode::close);
        etcd.close();
    }

    private ClusterNode join(final String name, final String underlay, final ModelSwitch overlay)
    {
        return join(etcd.clientUrl(), name, underlay, overlay);
    }

    private ClusterNode join(final URI store, final String name, final String underlay, final ModelSwitch overlay)
    {
        final ClusterNode node = new ClusterNode(new ClusterConfig(List.of(store), name, underlay, 4789,
            LEASE_SECONDS, PREFIX, Duration.ofSeconds(2)), overlay);
        nodes.add(node);
        node.start();
        return node;
    }

    @Test
    void nodesFindEachOtherAndEachOthersEndpoints()
    {
        final ModelSwitch switchA = new ModelSwitch();
        final ModelSwitch switchB = new ModelSwitch();
        final ClusterNode a = join("a", "192.0.2.1", switchA);
        join("b", "192.0.2.2", switchB);
        await(() -> a.status(false).members().size() == 2, "both members seen");
        a.addNetwork("blue", 100, "10.1.0.0/16", null);
        await(() -> Set.of("192.0.2.2").equals(switchA.peersOf("blue")) && Set.of("192.0.2.1").equals(switchB.peersOf("blue")),
            "each node has the network with the other as its peer");

        final String address = a.allocate("blue", "container-1:eth0");
        switchA.attachLocal("blue", MAC_A, address.substring(0, address.indexOf('/')));
        await(() -> switchB.endpointsOf("blue").containsKey(MAC_A), "b installs a's endpoint");
        assertEquals(new Endpoint(MAC_A, List.of(address.substring(0, address.indexOf('/'))), "192.0.2.1"),
            switchB.endpointsOf("blue").get(MAC_A));
        await(() -> switchA.endpointsOf("blue").containsKey(MAC_A), "a answers for its own endpoint");
        assertTrue(switchA.endpointsOf("blue").get(MAC_A).isLocal());

        switchA.detachLocal("blue", MAC_A);
        await(() -> switchB.endpointsOf("blue").isEmpty(), "b removes it when it goes");
        assertThrows(IllegalStateException.class, () -> a.addNetwork("blue", 101, "10.2.0.0/16", null));
        assertThrows(IllegalStateException.class, () -> a.addNetwork("green", 100, "10.2.0.0/16", null), "VNI taken");
        a.deleteNetwork("blue");
        await(() -> switchB.networks().isEmpty(), "a deleted network leaves every node");
    }

    @Test
    void racingAllocationsOnTwoNodesNeverShareAnAddress() throws Exception
    {
        // /24 in blocks of /28: 16 blocks, 253 usable addresses (less the network, the gateway, the broadcast)
        raceForEveryAddress("10.1.0.0/24", 28, 253, "10.1.0.", "192.0.2.1", "192.0.2.2");
    }

    @Test
    void racingIpv6AllocationsOnThreeNodesNeverShareAnAddressAndAreStoredInOneForm() throws Exception
    {
        // /120 in blocks of /124: 16 blocks, 254 usable addresses (less the subnet-router anycast and the gateway)
        final Set<String> addresses = raceForEveryAddress("fd00:10::/120", 124, 254, "fd00:10::", "192.0.2.1", "192.0.2.2",
            "192.0.2.3");
        assertTrue(addresses.contains("fd00:10::ff/120") && !addresses.contains("fd00:10::1/120") &&
            !addresses.contains("fd00:10::/120"), "no broadcast in IPv6, the anycast address and the gateway kept");
        try (EtcdClient store = new EtcdClient(List.of(etcd.clientUrl()), Duration.ofSeconds(5)))
        {
            final ClusterKeys keys = new ClusterKeys(PREFIX);
            int stored = 0;
            for (final EtcdClient.KeyValue kv : store.range(keys.addresses("blue")).kvs())
            {
                final String address = kv.key().substring(keys.addresses("blue").length());
                assertEquals(AddressBlocks.parseCidr(address + "/128").toString(), address + "/128", "canonical: " + address);
                stored++;
            }
            assertEquals(254, stored, "one key an address");
            for (final EtcdClient.KeyValue kv : store.range(keys.blocks("blue")).kvs())
            {
                assertTrue(kv.key().matches(".*/blocks/blue/fd00:10::([0-9a-f]{1,2}0)?-124"), kv.key());
            }
        }
    }

    /**
     * Network blue of {@code subnet} in blocks of {@code blockPrefix}, nodes at {@code underlays} allocating 200 of its
     * {@code usable} addresses all at once, then the rest; one more fails, a release makes room.
     *
     * @return the addresses handed out, as ADDRESS/LEN.
     */
    private Set<String> raceForEveryAddress(final String subnet, final int blockPrefix, final int usable, final String start,
        final String... underlays) throws Exception
    {
        final List<ClusterNode> racing = new ArrayList<>();
        for (int i = 0; i < underlays.length; i++)
        {
            racing.add(join(String.valueOf((char)('a' + i)), underlays[i], new ModelSwitch()));
        }
        final ClusterNode a = racing.get(0);
        a.addNetwork("blue", 100, subnet, blockPrefix);
        await(() -> racing.stream().allMatch(node -> node.networks().size() == 1), "every node sees the network");
        final Set<String> addresses = new HashSet<>();
        final ExecutorService threads = Executors.newFixedThreadPool(8);
        try
        {
            final List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++)
            {
                final ClusterNode node = racing.get(i % racing.size());
                final String owner = "c" + i + ":eth0";
                results.add(threads.submit((Callable<String>)() -> node.allocate("blue", owner)));
            }
            for (final Future<String> result : results)
            {
                addresses.add(result.get());
            }
            assertEquals(200, addresses.size(), "200 owners, 200 addresses");
        }
        finally
        {
            threads.shutdownNow();
        }
        for (int i = 200; i < usable; i++)
        {
            assertTrue(addresses.add(racing.get(i % racing.size()).allocate("blue", "c" + i + ":eth0")));
        }
        assertThrows(IllegalStateException.class, () -> a.allocate("blue", "one-too-many:eth0"));
        assertTrue(a.release("blue", "c0:eth0"));
        assertTrue(a.allocate("blue", "now-there-is-room:eth0").startsWith(start));
        assertEquals(a.allocate("blue", "c2:eth0"), a.allocate("blue", "c2:eth0"), "the same owner keeps its address");
        return addresses;
    }

    @Test
    void aNodeThatStopsRenewingIsDroppedWithItsEndpointsAndAddresses()
    {
        final ClusterNode a = dropANodeWithAnAddress("10.1.0.0/16");
        assertTrue(a.allocate("blue", "c2:eth0").startsWith("10.1."), "a allocates on");
    }

    @Test
    void aNodeThatStopsRenewingIsDroppedWithItsIpv6BlockAndAddresses() throws Exception
    {
        final ClusterNode a = dropANodeWithAnAddress("fd00:10::/64");
        try (EtcdClient store = new EtcdClient(List.of(etcd.clientUrl()), Duration.ofSeconds(5)))
        {
            final ClusterKeys keys = new ClusterKeys(PREFIX);
            await(() -> isEmpty(store, keys.blocks("blue")) && isEmpty(store, keys.addresses("blue")),
                "b's block and address left the store with its lease");
        }
        final String allocated = a.allocate("blue", "c2:eth0");
        final String address = allocated.substring(0, allocated.indexOf('/'));
        assertEquals("fd00:10::/64", AddressBlocks.parseCidr(allocated).toString(), "in the subnet: " + allocated);
        assertEquals(address + "/128", AddressBlocks.parseCidr(address + "/128").toString(), "canonical: " + allocated);
        assertEquals("fd00:10::1", a.gateway("blue"));
    }

    /** Nodes a and b on network blue of {@code subnet}; b allocates, publishes an endpoint, dies: a drops it all. */
    private ClusterNode dropANodeWithAnAddress(final String subnet)
    {
        final ModelSwitch switchA = new ModelSwitch();
        final ModelSwitch switchB = new ModelSwitch();
        final ClusterNode a = join("a", "192.0.2.1", switchA);
        final ClusterNode b = join("b", "192.0.2.2", switchB);
        a.addNetwork("blue", 100, subnet, null);
        await(() -> b.networks().size() == 1, "b sees the network");
        final String address = b.allocate("blue", "c1:eth0");
        switchB.attachLocal("blue", MAC_B, address.substring(0, address.indexOf('/')));
        await(() -> switchA.endpointsOf("blue").containsKey(MAC_B), "a has b's endpoint");
        await(() -> a.addressOf("blue", "c1:eth0").isPresent(), "a sees b's allocation");

        final long stopped = System.nanoTime();
        b.close();  // no revoke: as a node killed, its lease simply runs out
        nodes.remove(b);
        await(() -> a.status(false).members().size() == 1, "b dropped");
        final double seconds = (System.nanoTime() - stopped) / 1e9;
        assertTrue(seconds < LEASE_SECONDS + 5, "within the lease (+5 s for a loaded machine): " + seconds);
        await(() -> switchA.peersOf("blue").isEmpty() && switchA.endpointsOf("blue").isEmpty(), "its peer and endpoint go");
        assertTrue(a.addressOf("blue", "c1:eth0").isEmpty(), "its address is free again");
        return a;
    }

    /** Nodes a and b with network blue, b with an endpoint a has installed. */
    private record TwoNodes(ModelSwitch switchA, ModelSwitch switchB, ClusterNode a, ClusterNode b)
    {
    }

    private TwoNodes twoNodesWithAnEndpointOnB()
    {
        final ModelSwitch switchA = new ModelSwitch();
        final ModelSwitch switchB = new ModelSwitch();
        final ClusterNode a = join("a", "192.0.2.1", switchA);
        final ClusterNode b = join("b", "192.0.2.2", switchB);
        a.addNetwork("blue", 100, "10.1.0.0/16", null);
        await(() -> b.networks().size() == 1, "b sees the network");
        switchB.attachLocal("blue", MAC_B, "10.1.0.66");
        await(() -> switchA.endpointsOf("blue").containsKey(MAC_B), "a has b's endpoint");
        return new TwoNodes(switchA, switchB, a, b);
    }

    @Test
    void aNodeRestartedWithinItsLeaseTakesItBackAndNoOtherNodeSeesItsEndpointsGo()
    {
        final TwoNodes two = twoNodesWithAnEndpointOnB();
        final ModelSwitch switchA = two.switchA();
        final ModelSwitch switchB = two.switchB();
        final long lease = two.b().status(false).lease();

        two.b().close();
        nodes.remove(two.b());
        switchA.calls.clear();
        // the same switch (its port still there) under a new node process
        final ClusterNode again = join("b", "192.0.2.2", switchB);
        await(() -> again.status(false).storeUp() && again.status(false).revision() > 0, "b is back");
        await(() -> 0 == again.status(false).pendingWrites(), "b caught up");
        assertEquals(lease, again.status(false).lease(), "b took its lease back");
        assertEquals(0L, again.status(false).counters().get("registrations"));
        assertTrue(switchA.calls.stream().noneMatch(call -> call.startsWith("removeEndpoint") || call.startsWith("removePeer")),
            "a saw nothing of b go: " + switchA.calls);
        assertTrue(switchA.endpointsOf("blue").containsKey(MAC_B));
    }

    /**
     * A node suspended for a handover changes neither its switch nor the store, refuses address requests, and
     * keeps its lease; resumed (the handover failed), it applies what changed meanwhile and allocates again.
     */
    @Test
    void aSuspendedNodeAppliesNothingUntilResumedAndKeepsItsLease()
    {
        final TwoNodes two = twoNodesWithAnEndpointOnB();
        final long lease = two.b().status(false).lease();
        final long registrations = two.b().status(false).counters().get("registrations");

        two.b().suspend();
        two.switchB().calls.clear();
        two.a().addNetwork("green", 101, "10.2.0.0/16", null);
        assertThrows(IllegalStateException.class, () -> two.b().allocate("blue", "container-2:eth0"));
        // a node that follows the store has green by now
        final ModelSwitch switchC = new ModelSwitch();
        join("c", "192.0.2.3", switchC);
        await(() -> switchC.networks().contains("green"), "c has green");
        assertTrue(two.switchB().calls.isEmpty(), "b changed nothing while suspended: " + two.switchB().calls);

        two.b().resume();
        await(() -> two.switchB().networks().contains("green"), "b, resumed, applies the network added meanwhile");
        assertTrue(two.b().allocate("blue", "container-2:eth0").startsWith("10.1."));
        assertEquals(lease, two.b().status(false).lease(), "b kept its lease");
        assertEquals(registrations, two.b().status(false).counters().get("registrations"), "and registered no other");
    }

    @Test
    void aNodeThatComesBackWithoutAnEndpointWithdrawsIt()
    {
        final TwoNodes two = twoNodesWithAnEndpointOnB();
        final ModelSwitch switchA = two.switchA();

        two.b().close();
        nodes.remove(two.b());
        // the container went while b's daemon was down: the switch comes back without it
        final ModelSwitch restarted = new ModelSwitch();
        restarted.networks.put("blue", 100);
        join("b", "192.0.2.2", restarted);
        await(() -> !switchA.endpointsOf("blue").containsKey(MAC_B), "a drops the endpoint b no longer has");
    }

    @Test
    void withTheStoreAwayAddressesComeFromOwnBlocksAndChangesArriveWhenItReturns()
    {
        final ModelSwitch switchA = new ModelSwitch();
        final ModelSwitch switchB = new ModelSwitch();
        final ClusterNode a = join("a", "192.0.2.1", switchA);
        final ClusterNode b = join("b", "192.0.2.2", switchB);
        a.addNetwork("blue", 100, "10.1.0.0/16", null);
        final String first = a.allocate("blue", "c1:eth0");
        await(() -> b.networks().size() == 1, "b sees the network");

        etcd.stop();
        await(() -> !a.status(false).storeUp(), "a sees the store gone");
        final String second = a.allocate("blue", "c2:eth0");
        assertTrue(!second.equals(first));
        switchA.attachLocal("blue", MAC_A, second.substring(0, second.indexOf('/')));
        await(() -> a.status(false).pendingWrites() == 2, "the allocation and the endpoint wait for the store");
        assertThrows(StoreUnavailableException.class, () -> a.addNetwork("green", 7, "10.2.0.0/16", null));
        assertEquals(List.of("blue"), switchB.networks(), "b keeps what it had");

        etcd.start();
        await(() -> switchB.endpointsOf("blue").containsKey(MAC_A), "b gets a's endpoint once the store is back");
        await(() -> b.addressOf("blue", "c2:eth0").isPresent(), "and a's allocation");
        await(() -> a.status(false).storeUp() && 0 == a.status(false).pendingWrites(), "a caught up");
    }

    /** Nodes a and b with network blue, b reaching the store through {@code link}. */
    private TwoNodes twoNodesWithBThrough(final StoreLink link, final String subnet, final Integer blockPrefix)
    {
        final ModelSwitch switchA = new ModelSwitch();
        final ModelSwitch switchB = new ModelSwitch();
        final ClusterNode a = join("a", "192.0.2.1", switchA);
        final ClusterNode b = join(link.url(), "b", "192.0.2.2", switchB);
        a.addNetwork("blue", 100, subnet, blockPrefix);
        await(() -> b.networks().size() == 1, "b sees the network");
        return new TwoNodes(switchA, switchB, a, b);
    }

    @Test
    void aNodeWhoseRevisionWasCompactedAwayReadsTheClusterAgain() throws Exception
    {
        try (StoreLink link = new StoreLink(etcd.clientUrl());
            EtcdClient store = new EtcdClient(List.of(etcd.clientUrl()), Duration.ofSeconds(5)))
        {
            final TwoNodes two = twoNodesWithBThrough(link, "10.1.0.0/16", null);
            final ModelSwitch switchA = two.switchA();
            final ModelSwitch switchB = two.switchB();
            final ClusterNode a = two.a();
            final ClusterNode b = two.b();
            switchA.attachLocal("blue", MAC_A, "10.1.0.65");
            await(() -> switchB.endpointsOf("blue").containsKey(MAC_A), "b has a's endpoint");

            link.cut();
            await(() -> !b.status(false).storeUp(), "b sees the store gone");
            switchA.detachLocal("blue", MAC_A);
            switchA.attachLocal("blue", MAC_C, "10.1.0.67");
            final ClusterKeys keys = new ClusterKeys(PREFIX);
            await(() -> isStored(store, keys.endpoint("blue", MAC_C)) && !isStored(store, keys.endpoint("blue", MAC_A)),
                "a wrote both changes");
            // what b missed is history no watch can replay any more
            store.compact(store.range(PREFIX).revision(), true);

            link.restore();
            await(() -> switchB.endpointsOf("blue").containsKey(MAC_C) && !switchB.endpointsOf("blue").containsKey(MAC_A),
                "b reads the cluster again: the new endpoint in, the gone one out");
            await(() -> b.status(false).counters().get("resyncs") >= 1, "b counts the resync");
            assertTrue(switchB.peersOf("blue").contains("192.0.2.1"), "a stays b's peer");
        }
    }

    @Test
    void aNodeAwayLongerThanItsLeaseComesBackWithItsEndpointAndItsAddress() throws Exception
    {
        try (StoreLink link = new StoreLink(etcd.clientUrl()))
        {
            final TwoNodes two = twoNodesWithBThrough(link, "10.1.0.0/16", null);
            final ModelSwitch switchA = two.switchA();
            final ClusterNode a = two.a();
            final ClusterNode b = two.b();
            final String allocated = b.allocate("blue", "c1:eth0");
            final String address = allocated.substring(0, allocated.indexOf('/'));
            two.switchB().attachLocal("blue", MAC_B, address);
            await(() -> switchA.endpointsOf("blue").containsKey(MAC_B) && a.addressOf("blue", "c1:eth0").isPresent(),
                "a has b's endpoint and address");

            link.cut();
            await(() -> a.status(false).members().size() == 1 && switchA.endpointsOf("blue").isEmpty() &&
                a.addressOf("blue", "c1:eth0").isEmpty(), "b's lease runs out: a drops it, its endpoint and address");
            assertEquals(Optional.of(address), b.addressOf("blue", "c1:eth0"), "b keeps its address while away");

            link.restore();
            await(() -> switchA.endpointsOf("blue").containsKey(MAC_B) &&
                Optional.of(address).equals(a.addressOf("blue", "c1:eth0")), "b is back with its endpoint and address");
            await(() -> b.status(false).counters().get("registrations") >= 1, "under a new lease");
            assertEquals(0L, b.status(false).counters().get("lost_claims"));
        }
    }

    @Test
    void anAddressTakenWhileItsNodeWasAwayIsGivenUpAndCountedNeverOverwritten() throws Exception
    {
        try (StoreLink link = new StoreLink(etcd.clientUrl()))
        {
            // two blocks of 16: once a's own is full, the only other one is b's
            final TwoNodes two = twoNodesWithBThrough(link, "10.1.0.0/27", 28);
            final ClusterNode a = two.a();
            final ClusterNode b = two.b();
            final String allocated = b.allocate("blue", "c1:eth0");
            final String address = allocated.substring(0, allocated.indexOf('/'));
            two.switchB().attachLocal("blue", MAC_B, address);
            await(() -> a.addressOf("blue", "c1:eth0").isPresent(), "a sees b's allocation");

            link.cut();
            await(() -> a.addressOf("blue", "c1:eth0").isEmpty(), "b's lease runs out and its address with it");
            String owner = null;
            for (int i = 0; i < 32 && null == owner; i++)
            {
                if (a.allocate("blue", "a" + i + ":eth0").equals(allocated))
                {
                    owner = "a" + i + ":eth0";
                }
            }
            assertTrue(null != owner, "a hands out b's old address once its own block is full");

            link.restore();
            await(() -> b.status(false).counters().get("lost_claims") >= 1, "b gives the address up and counts it");
            assertTrue(b.status(false).lastError().contains("another node took"), b.status(false).lastError());
            await(() -> b.addressOf("blue", "c1:eth0").isEmpty(), "b no longer counts it as c1's");
            final String taker = owner;
            await(() -> 0 == b.status(false).pendingWrites(), "b caught up");
            assertEquals(Optional.of(address), a.addressOf("blue", taker), "the store keeps a's claim");
            assertEquals(Optional.of(address), b.addressOf("blue", taker), "and b sees it");
        }
    }

    private static boolean isEmpty(final EtcdClient store, final String prefix)
    {
        return answers(() -> store.range(prefix).kvs().isEmpty());
    }

    private static boolean isStored(final EtcdClient store, final String key)
    {
        return answers(() -> store.get(key).isPresent());
    }

    /** The store's answer, false if it gave none. */
    private static boolean answers(final Callable<Boolean> question)
    {
        try
        {
            return question.call();
        }
        catch (final Exception ex)
        {
            return false;
        }
    }

    private static void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("not within 30 s: " + what);
            }
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
