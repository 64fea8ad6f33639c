package io.vireo.gateway.router;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.gateway.router.NeighbourTable.UNRESOLVED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeighbourTableTest
{
    private static final int IP = 0x0A00_0002;
    private static final long MAC = 0x0200_0000_0002L;
    private static final long HIGH = 0xFD00_0000_0000_0001L;

    private NeighbourTable table = new NeighbourTable(64);

    @AfterEach
    void close()
    {
        table.close();
    }

    @Test
    void aLearnedNeighbourResolvesOnItsBridgeAndFamilyOnly()
    {
        assertEquals(UNRESOLVED, table.resolveIpv4(1, IP, 0));
        table.learnIpv4(1, IP, MAC, 1_000);
        table.learnIpv6(1, HIGH, IP, MAC + 1, 1_000);
        assertEquals(MAC, table.resolveIpv4(1, IP, 1_000));
        assertEquals(MAC + 1, table.resolveIpv6(1, HIGH, IP, 1_000));
        assertEquals(UNRESOLVED, table.resolveIpv4(2, IP, 1_000), "another bridge");
        assertEquals(UNRESOLVED, table.resolveIpv6(1, HIGH + 1, IP, 1_000), "another address");

        table.learnIpv4(1, IP, MAC + 7, 2_000);
        assertEquals(MAC + 7, table.resolveIpv4(1, IP, 2_000), "a new MAC replaces the old");
    }

    @Test
    void aNeighbourNotHeardForTooLongIsUnresolved()
    {
        table.learnIpv4(1, IP, MAC, 1_000);
        assertEquals(MAC, table.resolveIpv4(1, IP, 1_000 + NeighbourTable.REACHABLE_MS));
        assertEquals(UNRESOLVED, table.resolveIpv4(1, IP, 1_001 + NeighbourTable.REACHABLE_MS));
    }

    @Test
    void solicitationsAreDueOnceASecondPerNeighbour()
    {
        assertTrue(table.solicitIpv4(1, IP, 5_000));
        assertFalse(table.solicitIpv4(1, IP, 5_999));
        assertTrue(table.solicitIpv4(1, IP + 1, 5_999), "another neighbour");
        assertTrue(table.solicitIpv4(1, IP, 6_000));
        assertEquals(UNRESOLVED, table.resolveIpv4(1, IP, 6_000), "soliciting resolves nothing");
        table.learnIpv4(1, IP, MAC, 6_001);
        assertEquals(MAC, table.resolveIpv4(1, IP, 6_001));
    }

    @Test
    void aFullTableEvictsTheNeighbourHeardFromLongestAgo()
    {
        table.close();
        table = new NeighbourTable(NeighbourTable.WINDOW);
        for (int i = 0; i < NeighbourTable.WINDOW; i++)
        {
            table.learnIpv4(1, IP + i, MAC + i, 1_000 + i);
        }
        table.learnIpv4(1, IP + 100, MAC + 100, 2_000);
        assertEquals(MAC + 100, table.resolveIpv4(1, IP + 100, 2_000));
        assertEquals(UNRESOLVED, table.resolveIpv4(1, IP, 2_000), "the oldest went");
        for (int i = 1; i < NeighbourTable.WINDOW; i++)
        {
            assertEquals(MAC + i, table.resolveIpv4(1, IP + i, 2_000));
        }
    }

    @Test
    void removingABridgeForgetsItsNeighboursOnly()
    {
        table.learnIpv4(1, IP, MAC, 1_000);
        table.learnIpv4(2, IP, MAC + 1, 1_000);
        table.removeBridge(1);
        assertEquals(UNRESOLVED, table.resolveIpv4(1, IP, 1_000));
        assertEquals(MAC + 1, table.resolveIpv4(2, IP, 1_000));
        final List<String> listed = new ArrayList<>();
        table.forEach((bridgeId, ipv6, high, low, mac, confirmed) -> listed.add(bridgeId + " " + ipv6 + " " + low + " " + mac));
        assertEquals(List.of("2 false " + IP + " " + (MAC + 1)), listed);
    }

    /** Each thread's MACs encode their address, so a torn read would resolve an address to another's MAC. */
    @Test
    void threadsLearningAndResolvingAtOnceNeverSeeAnotherAddresssMac() throws InterruptedException
    {
        table.close();
        table = new NeighbourTable(256);
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<String> failure = new AtomicReference<>();
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++)
        {
            final int self = t;
            threads.add(new Thread(() ->
            {
                long now = 0;
                while (running.get())
                {
                    for (int i = 0; i < 512; i++)
                    {
                        final int address = IP + i;
                        if (i % 3 == self)
                        {
                            table.learnIpv4(1, address, (long)address << 8 | self, ++now);
                        }
                        final long mac = table.resolveIpv4(1, address, now);
                        if (UNRESOLVED != mac && (mac >>> 8) != address)
                        {
                            failure.compareAndSet(null, "address " + address + " resolved to " + Long.toHexString(mac));
                        }
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        Thread.sleep(1_000);
        running.set(false);
        for (final Thread thread : threads)
        {
            thread.join(10_000);
            assertFalse(thread.isAlive());
        }
        assertNull(failure.get());
    }

    @Test
    void resolvingAndLearningAllocateNothing()
    {
        table.learnIpv4(1, IP, MAC, 1_000);
        table.learnIpv6(1, HIGH, IP, MAC, 1_000);
        Allocations.assertAllocatesNothing("resolve and learn", () ->
        {
            long sum = 0;
            for (int i = 0; i < 10_000; i++)
            {
                sum += table.resolveIpv4(1, IP, 1_000) + table.resolveIpv6(1, HIGH, IP, 1_000);
                table.learnIpv4(1, IP, MAC, 1_000);
            }
            return sum;
        });
    }
}
