package io.vireo.flowtable.flowcache;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.vireo.flowtable.policy.PolicyRule;
import io.vireo.testkit.Allocations;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.flowtable.flowcache.FlowCache.MISS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowCacheTest
{
    private static final int ACTION_A = 5;
    private static final int ACTION_B = -3;
    private static final int ACTION_C = 77;

    private final Generations generations = new Generations();
    private final List<FlowCache> caches = new ArrayList<>();

    @AfterEach
    void closeCaches()
    {
        caches.forEach(FlowCache::close);
    }

    @Test
    void missesUntilInsertedThenHitsAndCounts()
    {
        final FlowCache cache = cache(64);
        final FlowKey key = tcpFlow(1, 40000);

        assertEquals(MISS, cache.lookup(key));
        cache.insert(key, ACTION_A, generations.current(1));

        assertEquals(ACTION_A, cache.lookup(key));
        assertEquals(ACTION_A, cache.lookup(tcpFlow(1, 40000)));
        assertEquals(2, cache.hits());
        assertEquals(1, cache.misses());
    }

    @Test
    void everyFieldIsPartOfTheKey()
    {
        final FlowCache cache = cache(1024);
        final FlowKey key = tcpFlow(1, 40000);
        cache.insert(key, ACTION_A, generations.current(1));

        final List<Consumer<FlowKey>> changes = List.of(
            k -> k.ingressPort(k.ingressPort() + 1),
            k -> k.bridgeId(2),
            k -> k.vlan(1),
            k -> k.destinationMac(k.destinationMac() ^ 1),
            k -> k.sourceMac(k.sourceMac() ^ (1L << 47)),
            k -> k.etherType(FlowKey.ETHERTYPE_IPV6),
            k -> k.protocol(PolicyRule.PROTOCOL_UDP),
            k -> k.sourcePort(40001),
            k -> k.destinationPort(81),
            k -> k.ipv4Source(0x0A00_0003),
            k -> k.ipv6Source(1, k.sourceAddressLow()),
            k -> k.ipv4Destination(0x0A00_0004),
            k -> k.ipv6Destination(Long.MIN_VALUE, k.destinationAddressLow()));
        for (final Consumer<FlowKey> change : changes)
        {
            final FlowKey changed = tcpFlow(1, 40000);
            change.accept(changed);
            assertEquals(MISS, cache.lookup(changed), changed.toString());
        }
        assertEquals(ACTION_A, cache.lookup(key));
    }

    @Test
    void bumpingABridgeMakesOnlyItsEntriesStale()
    {
        final FlowCache cache = cache(64);
        final FlowKey onBridge1 = tcpFlow(1, 40000);
        final FlowKey onBridge2 = tcpFlow(2, 40000);
        cache.insert(onBridge1, ACTION_A, generations.current(1));
        cache.insert(onBridge2, ACTION_B, generations.current(2));

        generations.bump(1);

        assertEquals(MISS, cache.lookup(onBridge1));
        assertEquals(ACTION_B, cache.lookup(onBridge2));
        cache.insert(onBridge1, ACTION_C, generations.current(1));
        assertEquals(ACTION_C, cache.lookup(onBridge1));
    }

    @Test
    void anActionComputedAcrossAChangeIsNeverServed()
    {
        final FlowCache cache = cache(64);
        final FlowKey key = tcpFlow(1, 40000);

        final long generation = generations.current(1);
        generations.bump(1); // the FDB or policy changed while the action was being computed
        cache.insert(key, ACTION_A, generation);

        assertEquals(MISS, cache.lookup(key));
    }

    @Test
    void insertingAKeyAgainReplacesItsAction()
    {
        final FlowCache cache = cache(64);
        final FlowKey[] keys = keysInOneSet(cache, 2);
        cache.insert(keys[0], ACTION_A, 0);
        cache.insert(keys[1], ACTION_B, 0);

        cache.insert(keys[0], ACTION_C, 0);

        assertEquals(ACTION_C, cache.lookup(keys[0]));
        assertEquals(ACTION_B, cache.lookup(keys[1]));
    }

    @Test
    void aFullSetEvictsTheWayUsedLessRecently()
    {
        final FlowCache cache = cache(64);
        final FlowKey[] keys = keysInOneSet(cache, 3);
        cache.insert(keys[0], ACTION_A, 0);
        cache.insert(keys[1], ACTION_B, 0);
        assertEquals(ACTION_A, cache.lookup(keys[0]));

        cache.insert(keys[2], ACTION_C, 0);

        assertEquals(ACTION_A, cache.lookup(keys[0]));
        assertEquals(MISS, cache.lookup(keys[1]));
        assertEquals(ACTION_C, cache.lookup(keys[2]));
    }

    @Test
    void aStaleEntryIsReplacedBeforeALiveOne()
    {
        final FlowCache cache = cache(64);
        final FlowKey[] keys = keysInOneSet(cache, 3, 1, 2, 1);
        cache.insert(keys[0], ACTION_A, 0);
        cache.insert(keys[1], ACTION_B, 0);
        generations.bump(2);
        assertEquals(MISS, cache.lookup(keys[1]));
        assertEquals(ACTION_A, cache.lookup(keys[0]));
        cache.insert(keys[1], ACTION_B, generations.current(2) - 1); // recently used, still stale

        cache.insert(keys[2], ACTION_C, 0);

        assertEquals(ACTION_A, cache.lookup(keys[0]));
        assertEquals(ACTION_C, cache.lookup(keys[2]));
    }

    @Test
    void readsKeysFromHeapAndOffHeapBuffersAtAnyOffset()
    {
        final FlowCache cache = cache(64);
        final UnsafeBuffer heap = new UnsafeBuffer(new byte[FlowKey.LENGTH * 3]);
        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(FlowKey.LENGTH * 3));
        final FlowKey inHeap = FlowKeyTest.fullKey(new FlowKey().wrap(heap, FlowKey.LENGTH * 2));
        final FlowKey offHeap = FlowKeyTest.fullKey(new FlowKey().wrap(direct, FlowKey.LENGTH + 8)).vlan(1);

        cache.insert(inHeap, ACTION_A, generations.current(0xFFFF));
        cache.insert(offHeap, ACTION_B, generations.current(0xFFFF));

        assertEquals(ACTION_A, cache.lookup(FlowKeyTest.fullKey(new FlowKey())));
        assertEquals(ACTION_B, cache.lookup(FlowKeyTest.fullKey(new FlowKey()).vlan(1)));
        assertEquals(ACTION_A, cache.lookup(inHeap));
        assertEquals(ACTION_B, cache.lookup(offHeap));
    }

    @Test
    void aClosedCacheMissesAndIgnoresInserts()
    {
        final FlowCache cache = new FlowCache(64, generations);
        final FlowKey key = tcpFlow(1, 40000);
        cache.insert(key, ACTION_A, 0);

        cache.close();
        cache.insert(key, ACTION_B, 0);

        assertEquals(MISS, cache.lookup(key));
        cache.close();
    }

    /**
     * 4096 flows differing only in source port over 4096 sets: a uniform hash leaves about
     * 4096 / e = 1507 sets empty and none crowded.
     */
    @Test
    void spreadsFlowsOverTheSets()
    {
        final FlowCache cache = cache(8192);
        final int[] perSet = new int[4096];
        for (int flow = 0; flow < 4096; flow++)
        {
            perSet[cache.setOf(tcpFlow(1, flow))]++;
        }
        int empty = 0;
        int most = 0;
        for (final int flows : perSet)
        {
            empty += 0 == flows ? 1 : 0;
            most = Math.max(most, flows);
        }

        assertTrue(empty > 1350 && empty < 1650, "empty sets: " + empty);
        assertTrue(most <= 8, "most flows in one set: " + most);
    }

    @Test
    void lookupAndInsertAllocateNothing()
    {
        final FlowCache cache = cache(FlowCache.DEFAULT_CAPACITY);
        final FlowKey key = new FlowKey();

        Allocations.assertAllocatesNothing("a million lookups and inserts", () -> exercise(cache, key, 1_000_000));
        assertNotEquals(0, cache.hits());
        assertNotEquals(0, cache.misses());
    }

    @Test
    void rejectsCapacitiesThatAreNotPowersOfTwo()
    {
        assertEquals("capacity must be a power of two from 2 to 16777216: 1000",
            assertThrows(IllegalArgumentException.class, () -> new FlowCache(1000, generations)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FlowCache(1, generations));
        assertThrows(IllegalArgumentException.class, () -> new FlowCache(1 << 25, generations));
    }

    private long exercise(final FlowCache cache, final FlowKey key, final int operations)
    {
        long sum = 0;
        for (int i = 0; i < operations; i++)
        {
            key.reset().bridgeId(1).sourceMac(0x0200_0000_0001L).etherType(FlowKey.ETHERTYPE_IPV4)
                .ipv4Source(0x0A00_0001).ipv4Destination(0x0A00_0002).protocol(PolicyRule.PROTOCOL_TCP)
                .sourcePort(i % 5000).destinationPort(80);
            final int action = cache.lookup(key);
            if (MISS == action)
            {
                cache.insert(key, i, generations.current(1));
            }
            sum += action;
        }
        return sum;
    }

    private FlowCache cache(final int capacity)
    {
        final FlowCache cache = new FlowCache(capacity, generations);
        caches.add(cache);
        return cache;
    }

    /**
     * Keys that share one set, each on the bridge given for it (bridge 1 if none given).
     */
    private static FlowKey[] keysInOneSet(final FlowCache cache, final int count, final int... bridges)
    {
        final FlowKey[] keys = new FlowKey[count];
        final int set = cache.setOf(tcpFlow(bridgeOf(bridges, 0), 0));
        int found = 0;
        for (int port = 0; found < count; port++)
        {
            final FlowKey key = tcpFlow(bridgeOf(bridges, found), port);
            if (cache.setOf(key) == set)
            {
                keys[found++] = key;
            }
        }
        return keys;
    }

    private static int bridgeOf(final int[] bridges, final int index)
    {
        return index < bridges.length ? bridges[index] : 1;
    }

    static FlowKey tcpFlow(final int bridgeId, final int sourcePort)
    {
        return new FlowKey()
            .ingressPort(3)
            .bridgeId(bridgeId)
            .destinationMac(0x0200_0000_0002L)
            .sourceMac(0x0200_0000_0001L)
            .etherType(FlowKey.ETHERTYPE_IPV4)
            .ipv4Source(0x0A00_0001)
            .ipv4Destination(0x0A00_0002)
            .protocol(PolicyRule.PROTOCOL_TCP)
            .sourcePort(sourcePort)
            .destinationPort(80);
    }
}
