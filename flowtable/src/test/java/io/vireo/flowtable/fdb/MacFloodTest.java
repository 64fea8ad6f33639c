package io.vireo.flowtable.fdb;

import java.util.SplittableRandom;

import io.vireo.flowtable.MacAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.flowtable.fdb.ForwardingTable.LEARNED;
import static io.vireo.flowtable.fdb.ForwardingTable.PORT_LIMIT;
import static io.vireo.flowtable.fdb.ForwardingTable.REFRESHED;
import static io.vireo.flowtable.fdb.ForwardingTable.TABLE_FULL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One million random source MACs arrive on one port (destination 0) of a 65,536-entry table while
 * 1,000 legitimate hosts behind ports 1..10 keep talking.
 */
class MacFloodTest
{
    private static final int CAPACITY = 65_536;
    private static final int FLOOD_FRAMES = 1_000_000;
    private static final int LEGITIMATE_HOSTS = 1000;
    private static final int FLOOD_PORT = 0;
    private static final int BRIDGE = 1;

    private final ForwardingTable fdb = new ForwardingTable(CAPACITY);
    private final SplittableRandom random = new SplittableRandom(42);
    private final long[] hosts = new long[LEGITIMATE_HOSTS];

    @AfterEach
    void close()
    {
        fdb.close();
    }

    @Test
    void floodFillsTheTableButLegitimateEntriesKeepForwarding()
    {
        learnHosts(0);

        int floodLearned = 0;
        for (int frame = 0; frame < FLOOD_FRAMES; frame++)
        {
            final int outcome = fdb.learn(BRIDGE, 0, ForwardingTableTest.randomMac(random), FLOOD_PORT, frame / 1000);
            floodLearned += LEARNED == outcome ? 1 : 0;
            assertTrue(LEARNED == outcome || TABLE_FULL == outcome, "outcome " + outcome);
            if (frame % 10_000 == 0)
            {
                refreshHosts(frame / 1000);
            }
        }

        assertEquals(CAPACITY, fdb.size());
        assertEquals(CAPACITY - LEGITIMATE_HOSTS, floodLearned);
        assertEquals(FLOOD_FRAMES - floodLearned, fdb.tableFullCount());
        assertHostsForward();
    }

    @Test
    void floodWithAgingChurnsWithinBounds()
    {
        final ForwardingTable.AgingPolicy oneSecond = bridgeId -> 1000;
        final int slice = fdb.slotCount() / 50;
        learnHosts(0);

        for (int frame = 0; frame < FLOOD_FRAMES; frame++)
        {
            final long now = frame / 100;
            fdb.learn(BRIDGE, 0, ForwardingTableTest.randomMac(random), FLOOD_PORT, now);
            if (frame % 10_000 == 0)
            {
                refreshHosts(now);
            }
            if (frame % 1000 == 0)
            {
                fdb.ageSlice(now, oneSecond, slice);
            }
            assertTrue(fdb.size() <= CAPACITY);
        }

        assertHostsForward();
        final int emptySlots = fdb.slotCount() - fdb.size() - fdb.tombstoneCount();
        assertTrue(fdb.tombstoneCount() < fdb.slotCount() / 64, fdb.tombstoneCount() + " tombstones");
        assertTrue(emptySlots > fdb.slotCount() / 8, "only " + emptySlots + " empty slots end probes");
    }

    @Test
    void portLimitContainsTheFlood()
    {
        fdb.destinationLimit(FLOOD_PORT, 1024);
        learnHosts(0);

        int limited = 0;
        for (int frame = 0; frame < FLOOD_FRAMES; frame++)
        {
            limited += PORT_LIMIT == fdb.learn(BRIDGE, 0, ForwardingTableTest.randomMac(random), FLOOD_PORT, 0) ? 1 : 0;
        }

        assertEquals(FLOOD_FRAMES - 1024, limited);
        assertEquals(LEGITIMATE_HOSTS + 1024, fdb.size());
        assertEquals(0, fdb.tableFullCount());
        assertEquals(LEARNED, fdb.learn(BRIDGE, 0, MacAddress.parse("02:ff:00:00:00:01"), 3, 0));
        assertHostsForward();
    }

    private void learnHosts(final long now)
    {
        for (int i = 0; i < LEGITIMATE_HOSTS; i++)
        {
            hosts[i] = ForwardingTableTest.randomMac(random);
            assertEquals(LEARNED, fdb.learn(BRIDGE, 0, hosts[i], port(i), now));
        }
    }

    private void refreshHosts(final long now)
    {
        for (int i = 0; i < LEGITIMATE_HOSTS; i++)
        {
            assertEquals(REFRESHED, fdb.learn(BRIDGE, 0, hosts[i], port(i), now));
        }
    }

    private void assertHostsForward()
    {
        for (int i = 0; i < LEGITIMATE_HOSTS; i++)
        {
            assertEquals(port(i), fdb.lookup(BRIDGE, 0, hosts[i]), MacAddress.format(hosts[i]));
        }
    }

    private static int port(final int host)
    {
        return 1 + host % 10;
    }
}
