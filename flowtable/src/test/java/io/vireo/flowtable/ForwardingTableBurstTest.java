package io.vireo.flowtable;

import java.util.Arrays;
import java.util.SplittableRandom;

import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.flowtable.ForwardingTable.MISS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardingTableBurstTest
{
    private static final int BURST = 32;

    private final ForwardingTable fdb = new ForwardingTable(3000);

    @AfterEach
    void close()
    {
        fdb.close();
    }

    /**
     * A nearly full table, so many keys sit away from their home slot, and bursts mixing hits,
     * misses and invalid keys.
     */
    @Test
    void givesWhatSingleLookupsGive()
    {
        final SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 2900; i++)
        {
            fdb.learn(1 + (i & 1), i & 3, ForwardingTableTest.mac(i), i, 0);
        }
        final int[] bridgeIds = new int[BURST];
        final int[] vlans = new int[BURST];
        final long[] macs = new long[BURST];
        final int[] destinations = new int[BURST];
        int hits = 0;
        for (int round = 0; round < 2000; round++)
        {
            final int count = 1 + random.nextInt(BURST);
            final int[] expected = new int[count];
            for (int i = 0; i < count; i++)
            {
                final int entry = random.nextInt(3500);
                bridgeIds[i] = random.nextInt(50) == 0 ? 70_000 : 1 + (entry & 1);
                vlans[i] = random.nextInt(50) == 0 ? 4096 : entry & 3;
                macs[i] = ForwardingTableTest.mac(entry);
                expected[i] = fdb.lookup(bridgeIds[i], vlans[i], macs[i]);
                hits += MISS == expected[i] ? 0 : 1;
            }
            Arrays.fill(destinations, -99);

            fdb.lookupBurst(bridgeIds, vlans, macs, count, destinations);

            assertArrayEquals(expected, Arrays.copyOf(destinations, count));
            for (int i = count; i < BURST; i++)
            {
                assertEquals(-99, destinations[i], "written beyond count");
            }
        }
        assertTrue(hits > 10_000, "hits: " + hits);
    }

    @Test
    void findsNothingOnceClosed()
    {
        fdb.learn(1, 0, ForwardingTableTest.mac(1), 5, 0);
        final int[] destinations = new int[1];

        fdb.close();
        fdb.lookupBurst(new int[] { 1 }, new int[1], new long[] { ForwardingTableTest.mac(1) }, 1, destinations);

        assertEquals(MISS, destinations[0]);
        assertEquals(MISS, fdb.lookup(1, 0, ForwardingTableTest.mac(1)));
    }

    @Test
    void allocatesNothing()
    {
        final int[] bridgeIds = new int[BURST];
        final int[] vlans = new int[BURST];
        final long[] macs = new long[BURST];
        final int[] destinations = new int[BURST];
        Arrays.fill(bridgeIds, 1);
        for (int i = 0; i < 2000; i++)
        {
            fdb.learn(1, 0, ForwardingTableTest.mac(i), i, 0);
        }

        Allocations.assertAllocatesNothing("100000 bursts of lookups", () -> lookUp(bridgeIds, vlans, macs, destinations, 100_000));
    }

    private long lookUp(
        final int[] bridgeIds, final int[] vlans, final long[] macs, final int[] destinations, final int bursts)
    {
        long sum = 0;
        for (int burst = 0; burst < bursts; burst++)
        {
            for (int i = 0; i < BURST; i++)
            {
                macs[i] = ForwardingTableTest.mac((burst * BURST + i) % 2500);
            }
            fdb.lookupBurst(bridgeIds, vlans, macs, BURST, destinations);
            sum += destinations[burst & (BURST - 1)];
        }
        return sum;
    }
}
