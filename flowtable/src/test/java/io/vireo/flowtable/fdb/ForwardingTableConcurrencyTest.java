package io.vireo.flowtable.fdb;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.vireo.flowtable.MacAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.vireo.flowtable.fdb.ForwardingTable.LEARNED;
import static io.vireo.flowtable.fdb.ForwardingTable.MISS;
import static io.vireo.flowtable.fdb.ForwardingTable.STATIC_ENTRY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several forwarding threads learn and look up, one of them in bursts, while a control thread
 * removes, ages, flushes, pins static entries, sets limits and iterates.
 * <p>
 * Each key owns its own destinations, {@code key * 8 + 0..3} when learned and {@code key * 8 + 4..7}
 * when static, except two groups of keys that learn only on a shared, limited destination. A lookup
 * or iteration that returns a destination not owned by the key it asked for has read a torn entry
 * (one key's MAC with another's value) and fails the test.
 */
class ForwardingTableConcurrencyTest
{
    private static final int FORWARDERS = 3;
    private static final int HOT_KEYS = 16;
    private static final int SHARED_A = 1 << 29;
    private static final int SHARED_B = SHARED_A + 1;
    private static final int SHARED_LIMIT = 200;
    private static final int BURST = 32;

    private ForwardingTable fdb;
    private int keys;
    private int firstSharedAKey;
    private int firstSharedBKey;
    private int[] bridges;
    private int[] vlans;
    private long[] macs;
    private final Map<String, Integer> keyIndex = new HashMap<>();
    private final AtomicLong clock = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<String> failure = new AtomicReference<>();

    @AfterEach
    void close()
    {
        fdb.close();
    }

    /**
     * A large table where most keys stay put, and a tiny one where every slot keeps changing hands.
     */
    @ParameterizedTest
    @CsvSource({ "4096, 6000, 1500", "48, 400, 3000" })
    void concurrentLearnAndLookupNeverSeeATornEntry(final int capacity, final int keyCount, final long runMs)
        throws InterruptedException
    {
        fdb = new ForwardingTable(capacity);
        createKeys(keyCount);
        fdb.destinationLimit(SHARED_A, SHARED_LIMIT);

        final List<Thread> threads = new ArrayList<>();
        final long[] operations = new long[FORWARDERS];
        for (int t = 0; t < FORWARDERS; t++)
        {
            final int id = t;
            threads.add(new Thread(() -> operations[id] = 0 == id ? forwardBursts() : forward(id), "forwarder-" + t));
        }
        threads.add(new Thread(this::control, "control"));
        threads.forEach(Thread::start);

        TimeUnit.MILLISECONDS.sleep(runMs);
        running.set(false);
        for (final Thread thread : threads)
        {
            thread.join(30_000);
            assertFalse(thread.isAlive(), thread.getName() + " is stuck");
        }

        assertNull(failure.get());
        for (final long count : operations)
        {
            assertTrue(count > 10_000, "a forwarder made little progress: " + count);
        }
        assertQuiescentTableIsConsistent();
    }

    /**
     * Two threads learn each new key at the same moment, on different destinations: exactly one
     * entry per key must remain.
     */
    @Test
    void racingInsertsOfOneKeyLeaveOneEntry() throws InterruptedException
    {
        final int rounds = 100_000;
        fdb = new ForwardingTable(2 * rounds);
        final AtomicIntegerArray progress = new AtomicIntegerArray(2);
        final Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++)
        {
            final int self = t;
            threads[t] = new Thread(() ->
            {
                for (int round = 0; round < rounds; round++)
                {
                    while (progress.get(1 - self) < round)
                    {
                        Thread.onSpinWait();
                    }
                    fdb.learn(1, 0, ForwardingTableTest.mac(round), self, round);
                    progress.set(self, round + 1);
                }
            });
            threads[t].start();
        }
        for (final Thread thread : threads)
        {
            thread.join(30_000);
            assertFalse(thread.isAlive(), "stuck");
        }

        assertEquals(rounds, fdb.size());
        assertEquals(rounds, fdb.size(1));
        for (int round = 0; round < rounds; round++)
        {
            final int destination = fdb.lookup(1, 0, ForwardingTableTest.mac(round));
            assertTrue(0 == destination || 1 == destination, "key " + round + " -> " + destination);
        }
    }

    /**
     * Two threads insert one key at the same moment while the control thread keeps removing and
     * re-adding static entries of the same home slot, so that backward shifts move entries under the
     * inserts' settle walks: exactly one entry per key must remain. Without the {@link MoveGate}, a
     * duplicate showed within a few thousand rounds. Runs at least 2,000 rounds, then more until 5 s
     * have passed, so a loaded machine makes it slower, never failed.
     */
    @Test
    void racingInsertsBesideBackwardShiftsLeaveOneEntry() throws InterruptedException
    {
        final int capacity = 12;
        final int fillers = 3;
        final int rounds = 50_000;
        final int minRounds = 2_000;
        fdb = new ForwardingTable(capacity);
        final long[] macs = macsWithOneHome(capacity, fillers + rounds);
        for (int f = 0; f < fillers; f++)
        {
            assertTrue(fdb.addStatic(1, 0, macs[f], 100 + f));
        }

        final AtomicInteger started = new AtomicInteger(-1);
        final AtomicIntegerArray progress = new AtomicIntegerArray(2);
        final Thread[] inserters = new Thread[2];
        for (int t = 0; t < 2; t++)
        {
            final int self = t;
            inserters[t] = new Thread(() ->
            {
                for (int round = 0; round < rounds; round++)
                {
                    for (int attempt = 0; started.get() < round; attempt++)
                    {
                        if (null != failure.get())
                        {
                            return;
                        }
                        SlotArray.pause(attempt);
                    }
                    fdb.learn(1, 0, macs[fillers + round], self, round);
                    progress.set(self, round + 1);
                }
            }, "inserter-" + t);
            inserters[t].start();
        }

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int filler = 0;
        int round = 0;
        for (; round < rounds && null == failure.get() && (round < minRounds || System.nanoTime() < deadline); round++)
        {
            started.set(round);
            for (int attempt = 0; progress.get(0) <= round || progress.get(1) <= round; attempt++)
            {
                fdb.remove(1, 0, macs[filler]);
                fdb.addStatic(1, 0, macs[filler], 100 + filler);
                filler = (filler + 1) % fillers;
                SlotArray.pause(attempt);
            }
            final long mac = macs[fillers + round];
            final int[] entries = new int[1];
            fdb.forEach(1, (vlan, entryMac, destination, lastSeenMs, isStatic) -> entries[0] += mac == entryMac ? 1 : 0);
            if (1 != entries[0])
            {
                fail("round " + round + ": " + entries[0] + " entries for " + MacAddress.format(mac));
            }
            fdb.remove(1, 0, mac);
        }
        fail("stopped");
        for (final Thread inserter : inserters)
        {
            inserter.join(30_000);
            assertFalse(inserter.isAlive(), "stuck");
        }

        assertEquals("stopped", failure.get());
        assertEquals(fillers, fdb.size());
    }

    /**
     * @return MACs whose key on bridge 1, VLAN 0 has the same home slot in a table of this capacity.
     */
    private static long[] macsWithOneHome(final int capacity, final int count)
    {
        final ForwardingTable sizing = new ForwardingTable(capacity);
        final SlotArray slots = new SlotArray(sizing.slotCount(), sizing.slotCount());
        sizing.close();
        try
        {
            final long[] macs = new long[count];
            final int home = slots.home(SlotCodec.key(1, ForwardingTableTest.mac(0)), 0);
            for (int i = 0, found = 0; found < count; i++)
            {
                final long mac = ForwardingTableTest.mac(i);
                if (slots.home(SlotCodec.key(1, mac), 0) == home)
                {
                    macs[found++] = mac;
                }
            }
            return macs;
        }
        finally
        {
            slots.close();
        }
    }

    private long forward(final int id)
    {
        final SplittableRandom random = new SplittableRandom(id);
        long operations = 0;
        while (running.get() && null == failure.get())
        {
            final int learnKey = pickKey(random);
            final int outcome = fdb.learn(
                bridges[learnKey], vlans[learnKey], macs[learnKey], learnedDestination(learnKey, random), clock.get());
            if (outcome < LEARNED || outcome > STATIC_ENTRY)
            {
                fail("learn returned " + outcome);
            }

            final int lookupKey = pickKey(random);
            final int destination = fdb.lookup(bridges[lookupKey], vlans[lookupKey], macs[lookupKey]);
            if (MISS != destination && !owns(lookupKey, destination))
            {
                fail("torn entry: lookup of key " + lookupKey + " returned destination " + destination);
            }
            operations++;
        }
        return operations;
    }

    /**
     * {@link #forward} a burst at a time, with some keys skipped.
     */
    private long forwardBursts()
    {
        final SplittableRandom random = new SplittableRandom(-1);
        final int[] burstKeys = new int[BURST];
        final int[] burstBridges = new int[BURST];
        final int[] burstVlans = new int[BURST];
        final long[] burstMacs = new long[BURST];
        final int[] burstDestinations = new int[BURST];
        final int[] results = new int[BURST];
        long operations = 0;
        while (running.get() && null == failure.get())
        {
            for (int i = 0; i < BURST; i++)
            {
                final int key = pickKey(random);
                burstKeys[i] = key;
                burstBridges[i] = random.nextInt(16) == 0 ? ForwardingTable.SKIP : bridges[key];
                burstVlans[i] = vlans[key];
                burstMacs[i] = macs[key];
                burstDestinations[i] = learnedDestination(key, random);
            }
            fdb.learnBurst(burstBridges, burstVlans, burstMacs, burstDestinations, BURST, clock.get(), results);
            for (int i = 0; i < BURST; i++)
            {
                final boolean skipped = ForwardingTable.SKIP == burstBridges[i];
                if (skipped ? ForwardingTable.INVALID != results[i] : results[i] < LEARNED || results[i] > STATIC_ENTRY)
                {
                    fail("learnBurst gave " + results[i] + " for key " + burstKeys[i] + (skipped ? ", skipped" : ""));
                }
                final int key = pickKey(random);
                burstKeys[i] = key;
                burstBridges[i] = bridges[key];
                burstVlans[i] = vlans[key];
                burstMacs[i] = macs[key];
            }
            fdb.lookupBurst(burstBridges, burstVlans, burstMacs, BURST, results);
            for (int i = 0; i < BURST; i++)
            {
                if (MISS != results[i] && !owns(burstKeys[i], results[i]))
                {
                    fail("torn entry: lookupBurst of key " + burstKeys[i] + " returned destination " + results[i]);
                }
            }
            operations += BURST;
        }
        return operations;
    }

    private void control()
    {
        final SplittableRandom random = new SplittableRandom(99);
        final ForwardingTable.AgingPolicy policy = bridgeId -> 1 == bridgeId ? 20 : 200;
        final long halfTime = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        boolean limitedB = false;
        while (running.get() && null == failure.get())
        {
            final int key = pickKey(random);
            switch (random.nextInt(16))
            {
                case 0, 1, 2 -> fdb.remove(bridges[key], vlans[key], macs[key]);
                case 3 -> fdb.removeDestination(random.nextInt(firstSharedAKey) * 8 + random.nextInt(8));
                case 4, 5, 6, 7 -> fdb.ageSlice(clock.get(), policy, 256);
                case 8, 9 ->
                {
                    if (key < firstSharedAKey)
                    {
                        fdb.addStatic(bridges[key], vlans[key], macs[key], key * 8 + 4 + random.nextInt(4));
                    }
                }
                case 10 -> checkIteration(1 + random.nextInt(2));
                case 11 ->
                {
                    if (0 == random.nextInt(50))
                    {
                        fdb.removeBridge(1 + random.nextInt(2));
                    }
                }
                default -> clock.incrementAndGet();
            }
            if (!limitedB && System.nanoTime() > halfTime)
            {
                fdb.destinationLimit(SHARED_B, SHARED_LIMIT);
                limitedB = true;
            }
        }
    }

    private void checkIteration(final int bridgeId)
    {
        fdb.forEach(bridgeId, (vlan, mac, destination, lastSeenMs, isStatic) ->
        {
            final Integer key = keyIndex.get(name(bridgeId, vlan, mac));
            if (null == key || !owns(key, destination) || isStatic != isStaticDestination(key, destination))
            {
                fail("torn entry in iteration: " + name(bridgeId, vlan, mac) + " -> " + destination + " " + isStatic);
            }
        });
    }

    private void assertQuiescentTableIsConsistent()
    {
        final Set<String> seen = new HashSet<>();
        final int[] counted = new int[3];
        for (int bridgeId = 1; bridgeId <= 2; bridgeId++)
        {
            final int b = bridgeId;
            fdb.forEach(bridgeId, (vlan, mac, destination, lastSeenMs, isStatic) ->
            {
                final String name = name(b, vlan, mac);
                assertTrue(seen.add(name), "duplicate entry " + name);
                assertEquals(destination, fdb.lookup(b, vlan, mac), name);
                counted[0]++;
                counted[1] += SHARED_A == destination ? 1 : 0;
                counted[2] += SHARED_B == destination ? 1 : 0;
            });
        }

        assertEquals(counted[0], fdb.size());
        assertEquals(counted[1], fdb.limitedCount(SHARED_A));
        assertTrue(counted[1] <= SHARED_LIMIT);
        assertEquals(counted[2], fdb.limitedCount(SHARED_B));

        fdb.removeBridge(1);
        fdb.removeBridge(2);
        assertEquals(0, fdb.size());
        assertEquals(0, fdb.tombstoneCount());
        assertEquals(0, fdb.limitedCount(SHARED_A));
        assertEquals(0, fdb.limitedCount(SHARED_B));
    }

    private void createKeys(final int keyCount)
    {
        keys = keyCount;
        firstSharedAKey = keyCount - keyCount / 6;
        firstSharedBKey = keyCount - keyCount / 12;
        bridges = new int[keyCount];
        vlans = new int[keyCount];
        macs = new long[keyCount];
        final SplittableRandom random = new SplittableRandom(1);
        for (int key = 0; key < keyCount; key++)
        {
            do
            {
                bridges[key] = 1 + random.nextInt(2);
                vlans[key] = random.nextInt(4);
                macs[key] = ForwardingTableTest.randomMac(random);
            }
            while (null != keyIndex.putIfAbsent(name(bridges[key], vlans[key], macs[key]), key));
        }
    }

    private int pickKey(final SplittableRandom random)
    {
        return random.nextBoolean() ? random.nextInt(HOT_KEYS) : random.nextInt(keys);
    }

    private int learnedDestination(final int key, final SplittableRandom random)
    {
        if (key >= firstSharedBKey)
        {
            return SHARED_B;
        }
        return key >= firstSharedAKey ? SHARED_A : key * 8 + random.nextInt(4);
    }

    private boolean owns(final int key, final int destination)
    {
        if (key >= firstSharedAKey)
        {
            return learnedDestination(key, null) == destination;
        }
        return destination / 8 == key;
    }

    private boolean isStaticDestination(final int key, final int destination)
    {
        return key < firstSharedAKey && destination % 8 >= 4;
    }

    private static String name(final int bridgeId, final int vlan, final long mac)
    {
        return bridgeId + "/" + vlan + "/" + MacAddress.format(mac);
    }

    private void fail(final String message)
    {
        failure.compareAndSet(null, message);
    }
}
