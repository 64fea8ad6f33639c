package io.vireo.flowtable.fdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import io.vireo.flowtable.MacAddress;
import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.vireo.flowtable.fdb.ForwardingTable.INVALID;
import static io.vireo.flowtable.fdb.ForwardingTable.LEARNED;
import static io.vireo.flowtable.fdb.ForwardingTable.MISS;
import static io.vireo.flowtable.fdb.ForwardingTable.MOVED;
import static io.vireo.flowtable.fdb.ForwardingTable.PORT_LIMIT;
import static io.vireo.flowtable.fdb.ForwardingTable.REFRESHED;
import static io.vireo.flowtable.fdb.ForwardingTable.SKIP;
import static io.vireo.flowtable.fdb.ForwardingTable.STATIC_ENTRY;
import static io.vireo.flowtable.fdb.ForwardingTable.TABLE_FULL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The burst methods against the one-at-a-time ones: two tables take the same operations, one in
 * bursts and one key by key, and must give the same results and end up holding the same entries.
 */
class ForwardingTableBurstTest
{
    private static final int BURST = 32;
    private static final int LIMITED = 1 << 20;
    private static final int FILLER = -99;

    private final List<ForwardingTable> tables = new ArrayList<>();
    private final int[] bridgeIds = new int[BURST];
    private final int[] vlans = new int[BURST];
    private final long[] macs = new long[BURST];
    private final int[] destinations = new int[BURST];
    private final int[] results = new int[BURST];

    @AfterEach
    void close()
    {
        tables.forEach(ForwardingTable::close);
    }

    /**
     * Random bursts of refreshes, moves, new keys, duplicates within a burst and runs of one key, static entries, keys
     * over a destination's limit, skipped and invalid keys, over a table that starts nearly full (so
     * many keys sit away from their home slot) and fills up. Between bursts the control thread ages
     * and removes, so inserts also reuse tombstones.
     */
    @ParameterizedTest
    @ValueSource(ints = { 4, 64, 3000, 200_000 })
    void learnBurstGivesWhatSingleLearnsGive(final int capacity)
    {
        final ForwardingTable burst = table(capacity);
        final ForwardingTable single = table(capacity);
        final int keys = capacity + capacity / 4 + 8;
        final SplittableRandom random = new SplittableRandom(capacity);
        for (final ForwardingTable fdb : tables)
        {
            fdb.destinationLimit(LIMITED, 1 + capacity / 100);
            for (int entry = 0; entry < keys; entry += 17)
            {
                fdb.addStatic(bridge(entry), vlan(entry), ForwardingTableTest.mac(entry), 1_000_000 + entry);
            }
            for (int entry = 0; entry < capacity * 9 / 10; entry++)
            {
                fdb.learn(bridge(entry), vlan(entry), ForwardingTableTest.mac(entry), port(entry), 0);
            }
        }

        final int[] seen = new int[INVALID + 1];
        final int rounds = Math.max(2000, 3 * keys / BURST);
        long nowMs = 100;
        for (int round = 0; round < rounds; round++)
        {
            nowMs += random.nextInt(8) == 0 ? -1 : random.nextInt(2);
            final int count = 1 + random.nextInt(BURST);
            fillLearnBurst(random, keys, count);
            final int[] expected = new int[count];
            for (int i = 0; i < count; i++)
            {
                expected[i] = single.learn(bridgeIds[i], vlans[i], macs[i], destinations[i], nowMs);
                seen[expected[i]]++;
            }
            Arrays.fill(results, FILLER);

            burst.learnBurst(bridgeIds, vlans, macs, destinations, count, nowMs, results);

            assertArrayEquals(expected, Arrays.copyOf(results, count), "round " + round);
            assertUntouchedFrom(count);
            if (random.nextInt(64) == 0)
            {
                final int entry = random.nextInt(keys);
                for (final ForwardingTable fdb : tables)
                {
                    fdb.ageSlice(nowMs, bridgeId -> 3000, capacity / 4 + 1);
                    fdb.remove(bridge(entry), vlan(entry), ForwardingTableTest.mac(entry));
                }
            }
        }

        assertSameContents(single, burst);
        for (final int outcome : new int[]{ LEARNED, REFRESHED, MOVED, TABLE_FULL, PORT_LIMIT, STATIC_ENTRY, INVALID })
        {
            assertTrue(seen[outcome] > 0, "outcome " + outcome + " never came up: " + Arrays.toString(seen));
        }
    }

    /**
     * A nearly full table, so many keys sit away from their home slot, and bursts mixing hits,
     * misses, skipped and invalid keys, and runs of one key.
     */
    @ParameterizedTest
    @ValueSource(ints = { 4, 64, 3000, 200_000 })
    void lookupBurstGivesWhatSingleLookupsGive(final int capacity)
    {
        final ForwardingTable fdb = table(capacity);
        final int keys = capacity + capacity / 6 + 2;
        for (int entry = 0; entry < capacity * 29 / 30 + 1; entry++)
        {
            fdb.learn(bridge(entry), vlan(entry), ForwardingTableTest.mac(entry), port(entry), 0);
        }
        final SplittableRandom random = new SplittableRandom(5);
        int hits = 0;
        int lookups = 0;
        for (int round = 0; round < 2000; round++)
        {
            final int count = 1 + random.nextInt(BURST);
            final int[] expected = new int[count];
            for (int i = 0; i < count; i++)
            {
                if (i > 0 && random.nextInt(4) == 0)
                {
                    // A run: the key before again, whatever it was.
                    bridgeIds[i] = bridgeIds[i - 1];
                    vlans[i] = vlans[i - 1];
                    macs[i] = macs[i - 1];
                }
                else
                {
                    final int entry = random.nextInt(keys);
                    bridgeIds[i] = random.nextInt(40) == 0 ? SKIP : random.nextInt(50) == 0 ? 70_000 : bridge(entry);
                    vlans[i] = random.nextInt(50) == 0 ? 4096 : vlan(entry);
                    macs[i] = ForwardingTableTest.mac(entry);
                }
                expected[i] = fdb.lookup(bridgeIds[i], vlans[i], macs[i]);
                hits += MISS == expected[i] ? 0 : 1;
            }
            lookups += count;
            Arrays.fill(results, FILLER);

            fdb.lookupBurst(bridgeIds, vlans, macs, count, results);

            assertArrayEquals(expected, Arrays.copyOf(results, count));
            assertUntouchedFrom(count);
        }
        assertTrue(hits > lookups / 2, "hits: " + hits + " of " + lookups);
    }

    @Test
    void skippedKeysGiveMissAndInvalidAndChangeNothing()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, ForwardingTableTest.mac(1), 5, 0);
        Arrays.fill(bridgeIds, SKIP);
        bridgeIds[2] = 1;
        bridgeIds[3] = Integer.MIN_VALUE;
        Arrays.fill(macs, ForwardingTableTest.mac(1));
        Arrays.fill(destinations, 6);

        fdb.lookupBurst(bridgeIds, vlans, macs, 4, results);
        assertArrayEquals(new int[]{ MISS, MISS, 5, MISS }, Arrays.copyOf(results, 4));

        fdb.learnBurst(bridgeIds, vlans, macs, destinations, 4, 1, results);
        assertArrayEquals(new int[]{ INVALID, INVALID, MOVED, INVALID }, Arrays.copyOf(results, 4));
        assertEquals(1, fdb.size());
        assertEquals(6, fdb.lookup(1, 0, ForwardingTableTest.mac(1)));
    }

    @Test
    void findsNothingOnceClosed()
    {
        // 640 KB of slots: large enough that a burst loads its lines ahead, which must not touch freed memory.
        final ForwardingTable fdb = table(20_000);
        fdb.learn(1, 0, ForwardingTableTest.mac(1), 5, 0);
        final int[] found = new int[1];

        fdb.close();
        fdb.lookupBurst(new int[]{ 1 }, new int[1], new long[]{ ForwardingTableTest.mac(1) }, 1, found);

        assertEquals(MISS, found[0]);
        assertEquals(MISS, fdb.lookup(1, 0, ForwardingTableTest.mac(1)));
    }

    @Test
    void allocatesNothing()
    {
        final ForwardingTable fdb = table(3000);
        Arrays.fill(bridgeIds, 1);
        for (int i = 0; i < 2000; i++)
        {
            fdb.learn(1, 0, ForwardingTableTest.mac(i), i, 0);
        }

        Allocations.assertAllocatesNothing("100000 bursts of lookups and learns", () -> lookUpAndLearn(fdb, 100_000));
    }

    private long lookUpAndLearn(final ForwardingTable fdb, final int bursts)
    {
        long sum = 0;
        for (int burst = 0; burst < bursts; burst++)
        {
            for (int i = 0; i < BURST; i++)
            {
                macs[i] = ForwardingTableTest.mac((burst * BURST + i) % 2500);
                destinations[i] = (burst * BURST + i) % 2500;
            }
            fdb.lookupBurst(bridgeIds, vlans, macs, BURST, results);
            sum += results[burst & (BURST - 1)];
            fdb.learnBurst(bridgeIds, vlans, macs, destinations, BURST, burst >> 4, results);
            sum += results[burst & (BURST - 1)];
        }
        return sum;
    }

    private void fillLearnBurst(final SplittableRandom random, final int keys, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (i > 0 && random.nextInt(4) == 0)
            {
                // A run: the key before again, mostly on the same destination, whatever that key was.
                bridgeIds[i] = bridgeIds[i - 1];
                vlans[i] = vlans[i - 1];
                macs[i] = macs[i - 1];
                destinations[i] = random.nextInt(4) == 0 ? destinations[i - 1] + 1 : destinations[i - 1];
                continue;
            }
            final int entry = i > 0 && random.nextInt(8) == 0 ? random.nextInt(keys) % 32 : random.nextInt(keys);
            bridgeIds[i] = bridge(entry);
            vlans[i] = vlan(entry);
            macs[i] = ForwardingTableTest.mac(entry);
            final int kind = random.nextInt(64);
            destinations[i] = kind < 6 ? LIMITED : kind < 14 ? port(entry) + 1 : port(entry);
            switch (kind)
            {
                case 60 -> bridgeIds[i] = SKIP;
                case 61 -> vlans[i] = 4096;
                case 62 -> macs[i] = random.nextBoolean() ? 0 : MacAddress.BROADCAST;
                case 63 -> destinations[i] = -1;
                default -> { }
            }
        }
    }

    private void assertUntouchedFrom(final int count)
    {
        for (int i = count; i < BURST; i++)
        {
            assertEquals(FILLER, results[i], "written beyond count");
        }
    }

    private static void assertSameContents(final ForwardingTable expected, final ForwardingTable actual)
    {
        for (int bridgeId = 1; bridgeId <= 2; bridgeId++)
        {
            assertEquals(entries(expected, bridgeId), entries(actual, bridgeId), "bridge " + bridgeId);
        }
        assertEquals(expected.size(), actual.size());
        assertEquals(expected.tombstoneCount(), actual.tombstoneCount());
        assertEquals(expected.tableFullCount(), actual.tableFullCount());
        assertEquals(expected.limitedCount(LIMITED), actual.limitedCount(LIMITED));
    }

    private static List<String> entries(final ForwardingTable fdb, final int bridgeId)
    {
        final List<String> entries = new ArrayList<>();
        fdb.forEach(bridgeId, (vlan, mac, destination, lastSeenMs, isStatic) ->
            entries.add(vlan + " " + MacAddress.format(mac) + " " + destination + " " + lastSeenMs + " " + isStatic));
        entries.sort(null);
        return entries;
    }

    private ForwardingTable table(final int capacity)
    {
        final ForwardingTable fdb = new ForwardingTable(capacity);
        tables.add(fdb);
        return fdb;
    }

    private static int bridge(final int entry)
    {
        return 1 + (entry & 1);
    }

    private static int vlan(final int entry)
    {
        return (entry >> 1) & 3;
    }

    private static int port(final int entry)
    {
        return entry % 1000;
    }
}
