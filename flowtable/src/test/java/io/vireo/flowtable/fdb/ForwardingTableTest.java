package io.vireo.flowtable.fdb;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import io.vireo.flowtable.MacAddress;
import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.flowtable.fdb.ForwardingTable.INVALID;
import static io.vireo.flowtable.fdb.ForwardingTable.LEARNED;
import static io.vireo.flowtable.fdb.ForwardingTable.MISS;
import static io.vireo.flowtable.fdb.ForwardingTable.MOVED;
import static io.vireo.flowtable.fdb.ForwardingTable.PORT_LIMIT;
import static io.vireo.flowtable.fdb.ForwardingTable.REFRESHED;
import static io.vireo.flowtable.fdb.ForwardingTable.STATIC_ENTRY;
import static io.vireo.flowtable.fdb.ForwardingTable.TABLE_FULL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardingTableTest
{
    private static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    private static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");
    private static final long MAC_C = MacAddress.parse("02:00:00:00:00:0c");
    private static final long MAC_D = MacAddress.parse("02:00:00:00:00:0d");

    private final List<ForwardingTable> tables = new ArrayList<>();

    @AfterEach
    void closeTables()
    {
        tables.forEach(ForwardingTable::close);
    }

    @Test
    void learnsThenLooksUpByBridgeVlanAndMac()
    {
        final ForwardingTable fdb = table(1024);

        assertEquals(LEARNED, fdb.learn(1, 10, MAC_A, 5, 1000));

        assertEquals(5, fdb.lookup(1, 10, MAC_A));
        assertEquals(MISS, fdb.lookup(1, 11, MAC_A));
        assertEquals(MISS, fdb.lookup(2, 10, MAC_A));
        assertEquals(MISS, fdb.lookup(1, 10, MAC_B));
        assertEquals(1, fdb.size());
        assertEquals(1, fdb.size(1));
        assertEquals(0, fdb.size(2));
    }

    @Test
    void refreshAdvancesLastSeenButNeverBack()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, MAC_A, 5, 1000);

        assertEquals(REFRESHED, fdb.learn(1, 0, MAC_A, 5, 2000));
        assertEquals(2000, lastSeen(fdb, 1, MAC_A));

        assertEquals(REFRESHED, fdb.learn(1, 0, MAC_A, 5, 1500));
        assertEquals(2000, lastSeen(fdb, 1, MAC_A));
        assertEquals(1, fdb.size());
    }

    @Test
    void keepsFullMillisecondTimesAcrossThe32BitBoundary()
    {
        final ForwardingTable fdb = table(64);
        final long wallClock = 1_767_225_600_000L;
        fdb.learn(1, 0, MAC_A, 5, (1L << 32) - 10);
        fdb.learn(1, 0, MAC_B, 5, wallClock);

        fdb.learn(1, 0, MAC_A, 5, (1L << 32) + 10);

        assertEquals((1L << 32) + 10, lastSeen(fdb, 1, MAC_A));
        assertEquals(wallClock, lastSeen(fdb, 1, MAC_B));
    }

    @Test
    void movedMacIsRepointedAtOnce()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, MAC_A, 5, 1000);

        assertEquals(MOVED, fdb.learn(1, 0, MAC_A, 6, 1001));

        assertEquals(6, fdb.lookup(1, 0, MAC_A));
        assertEquals(1001, lastSeen(fdb, 1, MAC_A));
        assertEquals(1, fdb.size());
    }

    @Test
    void learningRefusesInvalidKeysAndGroupSources()
    {
        final ForwardingTable fdb = table(64);

        assertEquals(INVALID, fdb.learn(1, 0, MacAddress.parse("01:00:5e:00:00:01"), 5, 0));
        assertEquals(INVALID, fdb.learn(1, 0, MacAddress.BROADCAST, 5, 0));
        assertEquals(INVALID, fdb.learn(1, 0, 0, 5, 0));
        assertEquals(INVALID, fdb.learn(-1, 0, MAC_A, 5, 0));
        assertEquals(INVALID, fdb.learn(65536, 0, MAC_A, 5, 0));
        assertEquals(INVALID, fdb.learn(1, 4096, MAC_A, 5, 0));
        assertEquals(INVALID, fdb.learn(1, -1, MAC_A, 5, 0));
        assertEquals(INVALID, fdb.learn(1, 0, MAC_A | (1L << 48), 5, 0));
        assertEquals(INVALID, fdb.learn(1, 0, MAC_A, -1, 0));
        assertEquals(INVALID, fdb.learn(1, 0, MAC_A, 1 << 30, 0));
        assertEquals(0, fdb.size());

        assertEquals(MISS, fdb.lookup(1, 4096, MAC_A));
        assertEquals(MISS, fdb.lookup(65536, 0, MAC_A));
        assertEquals(MISS, fdb.lookup(1, 0, -1));
    }

    @Test
    void controlPlaneRejectsArgumentsOutOfRange()
    {
        final ForwardingTable fdb = table(64);

        assertThrows(IllegalArgumentException.class, () -> fdb.addStatic(1, 4096, MAC_A, 5));
        assertThrows(IllegalArgumentException.class, () -> fdb.addStatic(1, 0, MAC_A, -1));
        assertThrows(IllegalArgumentException.class, () -> fdb.remove(-1, 0, MAC_A));
        assertThrows(IllegalArgumentException.class, () -> fdb.removeBridge(65536));
        assertThrows(IllegalArgumentException.class, () -> fdb.removeDestination(1 << 30));
        assertThrows(IllegalArgumentException.class, () -> fdb.destinationLimit(5, -1));
        assertThrows(IllegalArgumentException.class, () -> fdb.forEach(-1, (v, m, d, t, s) -> { }));
        assertThrows(IllegalArgumentException.class, () -> new ForwardingTable(0));
        assertThrows(IllegalArgumentException.class, () -> new ForwardingTable(ForwardingTable.MAX_CAPACITY + 1));
    }

    @Test
    void staticEntryNeverMovesByLearningAndNeverAges()
    {
        final ForwardingTable fdb = table(64);
        assertTrue(fdb.addStatic(1, 0, MAC_A, 7));

        assertEquals(STATIC_ENTRY, fdb.learn(1, 0, MAC_A, 8, 1000));
        assertEquals(STATIC_ENTRY, fdb.learn(1, 0, MAC_A, 7, 1000));
        assertEquals(0, fdb.ageSlice(Long.MAX_VALUE >>> 12, bridgeId -> 1, Integer.MAX_VALUE));

        assertEquals(7, fdb.lookup(1, 0, MAC_A));
        assertEquals(1, fdb.size());
    }

    @Test
    void addStaticTurnsADynamicEntryStatic()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, MAC_A, 5, 1000);

        assertTrue(fdb.addStatic(1, 0, MAC_A, 9));

        assertEquals(9, fdb.lookup(1, 0, MAC_A));
        assertEquals(STATIC_ENTRY, fdb.learn(1, 0, MAC_A, 5, 2000));
        assertEquals(1, fdb.size());
        final Map<Long, Boolean> isStatic = new HashMap<>();
        fdb.forEach(1, (vlan, mac, destination, lastSeenMs, entryIsStatic) -> isStatic.put(mac, entryIsStatic));
        assertEquals(Map.of(MAC_A, true), isStatic);
    }

    @Test
    void fullTableRefusesNewEntriesCountsThemAndNeverEvictsStaticOnes()
    {
        final ForwardingTable fdb = table(100);
        for (int i = 0; i < 50; i++)
        {
            assertTrue(fdb.addStatic(1, 0, mac(i), 1000 + i));
        }
        for (int i = 50; i < 100; i++)
        {
            assertEquals(LEARNED, fdb.learn(1, 0, mac(i), 1000 + i, 0));
        }

        assertEquals(TABLE_FULL, fdb.learn(1, 0, mac(100), 7, 0));
        assertEquals(TABLE_FULL, fdb.learn(2, 0, mac(101), 7, 0));
        assertFalse(fdb.addStatic(1, 0, mac(102), 7));

        assertEquals(2, fdb.tableFullCount());
        assertEquals(100, fdb.size());
        for (int i = 0; i < 100; i++)
        {
            assertEquals(1000 + i, fdb.lookup(1, 0, mac(i)));
        }
        assertEquals(MISS, fdb.lookup(1, 0, mac(100)));
        assertEquals(REFRESHED, fdb.learn(1, 0, mac(60), 1060, 5));
        assertEquals(MOVED, fdb.learn(1, 0, mac(61), 7, 5));
        assertEquals(STATIC_ENTRY, fdb.learn(1, 0, mac(10), 7, 5));

        assertTrue(fdb.remove(1, 0, mac(70)));
        assertEquals(LEARNED, fdb.learn(1, 0, mac(100), 7, 6));
        assertEquals(100, fdb.size());
    }

    @Test
    void agingRemovesOnlyDynamicEntriesOlderThanTheMaximumAge()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, MAC_A, 5, 0);
        fdb.learn(1, 0, MAC_B, 5, 5000);
        fdb.addStatic(1, 0, MAC_C, 5);

        assertEquals(1, fdb.ageSlice(10_000, bridgeId -> 6000, Integer.MAX_VALUE));

        assertEquals(MISS, fdb.lookup(1, 0, MAC_A));
        assertEquals(5, fdb.lookup(1, 0, MAC_B));
        assertEquals(5, fdb.lookup(1, 0, MAC_C));
        assertEquals(2, fdb.size());
    }

    @Test
    void eachBridgeAgesWithItsOwnMaximumAge()
    {
        final ForwardingTable fdb = table(64);
        for (int bridgeId = 1; bridgeId <= 3; bridgeId++)
        {
            fdb.learn(bridgeId, 0, MAC_A, 5, 0);
            fdb.learn(bridgeId, 0, MAC_B, 5, 0);
        }
        final ForwardingTable.AgingPolicy policy = bridgeId -> 1 == bridgeId ? 1000 : 2 == bridgeId ? 100_000 : 0;

        assertEquals(2, fdb.ageSlice(50_000, policy, Integer.MAX_VALUE));
        assertEquals(0, fdb.size(1));
        assertEquals(2, fdb.size(2));
        assertEquals(2, fdb.size(3));

        assertEquals(2, fdb.ageSlice(100_001, policy, Integer.MAX_VALUE));
        assertEquals(0, fdb.size(2));
        assertEquals(2, fdb.size(3));
    }

    @Test
    void aWholeAgingPassThatRemovesNothingTellsWhenTheFirstEntryExpires()
    {
        final ForwardingTable fdb = table(64);
        final ForwardingTable.AgingPolicy policy = bridgeId -> 1 == bridgeId ? 1000 : 5000;
        fdb.learn(1, 0, MAC_A, 5, 200);
        fdb.learn(2, 0, MAC_B, 5, 100);
        fdb.addStatic(1, 0, MAC_C, 5);
        assertEquals(0, fdb.agingQuietUntil(1000), "no whole pass yet");

        final int half = fdb.slotCount() / 2;
        assertEquals(0, fdb.ageSlice(300, policy, half));
        assertEquals(0, fdb.agingQuietUntil(1000), "half a pass");
        assertEquals(0, fdb.ageSlice(400, policy, fdb.slotCount() - half));
        // MAC_A first: seen at 200 on a bridge whose entries age after 1000 ms; entries learned since the pass
        // began (at 300) would expire at 1301 at the earliest.
        assertEquals(1201, fdb.agingQuietUntil(1000));
        assertEquals(0, fdb.ageSlice(1200, policy, Integer.MAX_VALUE));
        assertEquals(1, fdb.ageSlice(1201, policy, Integer.MAX_VALUE));
        assertEquals(0, fdb.agingQuietUntil(1000), "the pass removed an entry");
        assertEquals(0, fdb.ageSlice(1300, policy, Integer.MAX_VALUE));
        assertEquals(Math.min(100 + 5000 + 1, 1300 + 1000 + 1), fdb.agingQuietUntil(1000));
        assertEquals(100 + 5000 + 1, fdb.agingQuietUntil(0), "no entry learned since ages sooner than MAC_B");
    }

    @Test
    void aRemovalOrANewPolicyForgetsWhatTheAgingPassesSaw()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, MAC_A, 5, 0);
        fdb.learn(1, 0, MAC_B, 6, 0);
        fdb.ageSlice(10, bridgeId -> 1000, Integer.MAX_VALUE);
        assertEquals(1001, fdb.agingQuietUntil(1000));

        assertTrue(fdb.remove(1, 0, MAC_B));
        assertEquals(0, fdb.agingQuietUntil(1000));
        fdb.ageSlice(20, bridgeId -> 1000, Integer.MAX_VALUE);
        assertEquals(1001, fdb.agingQuietUntil(1000));

        fdb.agingPolicyChanged();
        assertEquals(0, fdb.agingQuietUntil(100));
        fdb.ageSlice(30, bridgeId -> 100, Integer.MAX_VALUE);
        assertEquals(101, fdb.agingQuietUntil(100));

        fdb.removeDestination(6);
        assertEquals(0, fdb.agingQuietUntil(100));
        fdb.ageSlice(40, bridgeId -> 100, Integer.MAX_VALUE);
        fdb.removeBridge(2);
        assertEquals(0, fdb.agingQuietUntil(100));
        fdb.ageSlice(50, bridgeId -> 0, Integer.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, fdb.agingQuietUntil(0), "nothing ages");
    }

    /** Random learning, refreshing, removal and slices: no slice before the quiet time ends ever removes an entry. */
    @Test
    void noEntryExpiresBeforeTheAgingQuietTimeEnds()
    {
        final SplittableRandom random = new SplittableRandom(7);
        final ForwardingTable fdb = table(256);
        final ForwardingTable.AgingPolicy policy = bridgeId -> 1 == bridgeId ? 300 : 900;
        long now = 0;
        long quietUntil = 0;
        int quietSlices = 0;
        for (int step = 0; step < 200_000; step++)
        {
            now += random.nextInt(3);
            final int action = random.nextInt(100);
            if (action < 3)
            {
                fdb.learn(1 + random.nextInt(2), 0, mac(random.nextInt(200)), 1 + random.nextInt(4), now);
            }
            else if (action < 4)
            {
                fdb.remove(1 + random.nextInt(2), 0, mac(random.nextInt(200)));
            }
            else
            {
                final int removed = fdb.ageSlice(now, policy, 1 + random.nextInt(64));
                if (now < quietUntil)
                {
                    assertEquals(0, removed, "removed at " + now + ", quiet until " + quietUntil);
                    quietSlices++;
                }
                quietUntil = fdb.agingQuietUntil(300);
            }
        }
        assertTrue(quietSlices > 1000, "quiet only " + quietSlices + " times");
    }

    @Test
    void agingWorksInBoundedSlices()
    {
        final ForwardingTable fdb = table(3000);
        for (int i = 0; i < 3000; i++)
        {
            fdb.learn(1, 0, mac(i), 5, 0);
        }

        final int slice = 100;
        int slices = 0;
        while (fdb.size() > 0)
        {
            final int before = fdb.size();
            final int removed = fdb.ageSlice(10_000, bridgeId -> 1000, slice);
            assertTrue(removed <= slice, "a slice of " + slice + " slots removed " + removed);
            assertEquals(before - removed, fdb.size());
            slices++;
            assertTrue(slices <= 2 * fdb.slotCount() / slice, "aging never finishes");
        }
        assertTrue(slices >= fdb.slotCount() / slice, "a slice examined more than " + slice + " slots");
    }

    @Test
    void removesOneEntry()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, MAC_A, 5, 0);
        fdb.addStatic(1, 0, MAC_B, 5);

        assertTrue(fdb.remove(1, 0, MAC_A));
        assertTrue(fdb.remove(1, 0, MAC_B));
        assertFalse(fdb.remove(1, 0, MAC_A));

        assertEquals(MISS, fdb.lookup(1, 0, MAC_A));
        assertEquals(MISS, fdb.lookup(1, 0, MAC_B));
        assertEquals(0, fdb.size());
    }

    @Test
    void removeDestinationFlushesDynamicAndStaticEntriesOfThatDestinationOnly()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, MAC_A, 5, 0);
        fdb.learn(2, 7, MAC_B, 5, 0);
        fdb.learn(1, 0, MAC_C, 6, 0);
        fdb.addStatic(1, 0, MAC_D, 5);

        assertEquals(3, fdb.removeDestination(5));

        assertEquals(MISS, fdb.lookup(1, 0, MAC_A));
        assertEquals(MISS, fdb.lookup(2, 7, MAC_B));
        assertEquals(MISS, fdb.lookup(1, 0, MAC_D));
        assertEquals(6, fdb.lookup(1, 0, MAC_C));
        assertEquals(1, fdb.size());
        assertEquals(0, fdb.removeDestination(5));
    }

    @Test
    void removeBridgeFlushesThatBridgeOnly()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, MAC_A, 5, 0);
        fdb.learn(1, 3, MAC_B, 6, 0);
        fdb.addStatic(1, 0, MAC_C, 7);
        fdb.learn(2, 0, MAC_A, 5, 0);

        assertEquals(3, fdb.removeBridge(1));

        assertEquals(0, fdb.size(1));
        assertEquals(1, fdb.size(2));
        assertEquals(5, fdb.lookup(2, 0, MAC_A));
    }

    @Test
    void destinationLimitRefusesNewMacsOverTheLimit()
    {
        final ForwardingTable fdb = table(64);
        fdb.destinationLimit(5, 2);
        fdb.learn(1, 0, MAC_D, 6, 0);

        assertEquals(LEARNED, fdb.learn(1, 0, MAC_A, 5, 0));
        assertEquals(LEARNED, fdb.learn(1, 0, MAC_B, 5, 0));
        assertEquals(PORT_LIMIT, fdb.learn(1, 0, MAC_C, 5, 0));
        assertEquals(PORT_LIMIT, fdb.learn(1, 0, MAC_D, 5, 0));
        assertEquals(REFRESHED, fdb.learn(1, 0, MAC_A, 5, 1));
        assertTrue(fdb.addStatic(1, 0, MacAddress.parse("02:00:00:00:00:ee"), 5));

        assertEquals(MISS, fdb.lookup(1, 0, MAC_C));
        assertEquals(6, fdb.lookup(1, 0, MAC_D));
        assertEquals(2, fdb.limitedCount(5));

        assertTrue(fdb.remove(1, 0, MAC_A));
        assertEquals(LEARNED, fdb.learn(1, 0, MAC_C, 5, 2));
        assertEquals(MOVED, fdb.learn(1, 0, MAC_C, 6, 3));
        assertEquals(MOVED, fdb.learn(1, 0, MAC_D, 5, 3));
        assertEquals(2, fdb.limitedCount(5));

        fdb.destinationLimit(5, 0);
        assertEquals(LEARNED, fdb.learn(1, 0, MAC_A, 5, 4));
        assertEquals(3, fdb.limitedCount(5));
    }

    @Test
    void firstLimitCountsTheMacsAlreadyThere()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 0, MAC_A, 5, 0);
        fdb.learn(1, 0, MAC_B, 5, 0);
        fdb.addStatic(1, 0, MAC_C, 5);

        fdb.destinationLimit(5, 3);

        assertEquals(2, fdb.limitedCount(5));
        assertEquals(LEARNED, fdb.learn(1, 0, MAC_D, 5, 0));
        assertEquals(PORT_LIMIT, fdb.learn(1, 1, MAC_D, 5, 0));
    }

    @Test
    void agingAndStaticConversionReleaseLimitedMacs()
    {
        final ForwardingTable fdb = table(64);
        fdb.destinationLimit(5, 2);
        fdb.learn(1, 0, MAC_A, 5, 0);
        fdb.learn(1, 0, MAC_B, 5, 1000);

        assertEquals(1, fdb.ageSlice(1500, bridgeId -> 1000, Integer.MAX_VALUE));
        assertEquals(1, fdb.limitedCount(5));
        assertTrue(fdb.addStatic(1, 0, MAC_B, 5));
        assertEquals(0, fdb.limitedCount(5));

        assertEquals(LEARNED, fdb.learn(1, 0, MAC_C, 5, 2000));
        assertEquals(LEARNED, fdb.learn(1, 0, MAC_D, 5, 2000));
        assertEquals(2, fdb.limitedCount(5));
    }

    @Test
    void removeDestinationClearsItsLimit()
    {
        final ForwardingTable fdb = table(64);
        fdb.destinationLimit(5, 1);
        fdb.learn(1, 0, MAC_A, 5, 0);

        assertEquals(1, fdb.removeDestination(5));

        assertEquals(0, fdb.limitedCount(5));
        assertEquals(LEARNED, fdb.learn(1, 0, MAC_A, 5, 0));
        assertEquals(LEARNED, fdb.learn(1, 0, MAC_B, 5, 0));
        assertEquals(-1, fdb.limitedCount(6));
    }

    @Test
    void forEachReportsEveryEntryOfOneBridge()
    {
        final ForwardingTable fdb = table(64);
        fdb.learn(1, 10, MAC_A, 5, 1234);
        fdb.addStatic(1, 20, MAC_B, 6);
        fdb.learn(2, 10, MAC_C, 7, 0);

        final List<String> seen = new ArrayList<>();
        fdb.forEach(1, (vlan, mac, destination, lastSeenMs, isStatic) ->
            seen.add(vlan + " " + MacAddress.format(mac) + " " + destination + " " + lastSeenMs + " " + isStatic));
        seen.sort(null);

        assertEquals(List.of("10 02:00:00:00:00:0a 5 1234 false", "20 02:00:00:00:00:0b 6 0 true"), seen);
    }

    @Test
    void churnFarBeyondCapacityReusesAndFreesTombstones()
    {
        final ForwardingTable fdb = table(1000);
        final SplittableRandom random = new SplittableRandom(7);
        final ArrayDeque<Long> live = new ArrayDeque<>();
        final Map<Long, Integer> expected = new HashMap<>();

        for (int i = 0; i < 200_000; i++)
        {
            final long mac = randomMac(random);
            assertEquals(LEARNED, fdb.learn(1, 0, mac, i & 0xFFFF, i));
            live.add(mac);
            expected.put(mac, i & 0xFFFF);
            if (live.size() == 900)
            {
                final long oldest = live.poll();
                assertTrue(fdb.remove(1, 0, oldest));
                expected.remove(oldest);
            }
            assertTrue(fdb.size() + fdb.tombstoneCount() <= fdb.slotCount());
        }

        assertEquals(0, fdb.tableFullCount());
        assertEquals(0, fdb.tombstoneCount());
        assertEquals(expected.size(), fdb.size());
        expected.forEach((mac, destination) -> assertEquals(destination, fdb.lookup(1, 0, mac)));
        assertEquals(expected.size(), fdb.removeBridge(1));
        assertEquals(0, fdb.tombstoneCount());
        assertEquals(0, fdb.size());
    }

    @Test
    void agingFreesTombstonesItLeaves()
    {
        final ForwardingTable fdb = table(1000);
        for (int i = 0; i < 1000; i++)
        {
            fdb.learn(1, 0, mac(i), 5, 0);
        }

        assertEquals(1000, fdb.ageSlice(10, bridgeId -> 1, Integer.MAX_VALUE));
        fdb.ageSlice(10, bridgeId -> 1, Integer.MAX_VALUE);

        assertEquals(0, fdb.size());
        assertEquals(0, fdb.tombstoneCount());
    }

    @Test
    void holdsFourMillionEntriesInAtMost32BytesEach()
    {
        final int capacity = 4_000_000;
        final ForwardingTable fdb = table(capacity);
        assertTrue(fdb.memoryBytes() <= 32L * capacity, fdb.memoryBytes() + " bytes");

        for (int i = 0; i < capacity; i++)
        {
            assertEquals(LEARNED, fdb.learn(i & 7, 0, mac(i), i >>> 3, 0));
        }
        assertEquals(TABLE_FULL, fdb.learn(1, 0, mac(capacity), 1, 0));

        for (int i = 0; i < capacity; i++)
        {
            assertEquals(i >>> 3, fdb.lookup(i & 7, 0, mac(i)));
        }
        assertEquals(capacity, fdb.size());
    }

    @Test
    void memoryPerEntryStaysWithin32Bytes()
    {
        for (final int capacity : new int[]{ 3, 4, 7, 1000, 65_536, 1_000_000 })
        {
            final ForwardingTable fdb = table(capacity);
            assertTrue(fdb.memoryBytes() <= 32L * capacity, capacity + ": " + fdb.memoryBytes() + " bytes");
            assertTrue(fdb.slotCount() > capacity);
        }
    }

    @Test
    void hotPathAllocatesNothing()
    {
        final ForwardingTable fdb = table(100_000);
        fdb.destinationLimit(3, 50_000);

        Allocations.assertAllocatesNothing("a million learns and lookups", () -> exercise(fdb, 1_000_000));
    }

    private static long exercise(final ForwardingTable fdb, final int operations)
    {
        long sum = 0;
        for (int i = 0; i < operations; i++)
        {
            final long mac = mac(i % 150_000);
            sum += fdb.learn(1, i & 3, mac, i & 7, i >>> 10);
            sum += fdb.lookup(1, i & 3, mac(i % 200_000));
        }
        return sum;
    }

    private ForwardingTable table(final int capacity)
    {
        final ForwardingTable fdb = new ForwardingTable(capacity);
        tables.add(fdb);
        return fdb;
    }

    private static long lastSeen(final ForwardingTable fdb, final int bridgeId, final long mac)
    {
        final long[] lastSeen = { -1 };
        fdb.forEach(bridgeId, (vlan, entryMac, destination, lastSeenMs, isStatic) ->
        {
            if (entryMac == mac)
            {
                lastSeen[0] = lastSeenMs;
            }
        });
        return lastSeen[0];
    }

    static long mac(final int i)
    {
        return 0x0200_0000_0000L | (i & 0xFFFF_FFFFL);
    }

    static long randomMac(final SplittableRandom random)
    {
        return (random.nextLong() & 0xFCFF_FFFF_FFFFL) | 0x0200_0000_0000L;
    }
}
