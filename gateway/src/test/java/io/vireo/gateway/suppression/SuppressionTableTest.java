package io.vireo.gateway.suppression;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.gateway.suppression.SuppressionTable.NO_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuppressionTableTest
{
    private static final int IP = 0x0A42_0002;
    private static final long MAC = 0x0277_0000_0002L;
    private static final long HIGH = 0xFD00_0000_0000_0042L;

    private SuppressionTable table = new SuppressionTable(64);

    @AfterEach
    void close()
    {
        table.close();
    }

    @Test
    void anAddressIsAnsweredOnItsBridgeAndFamilyOnly()
    {
        assertEquals(NO_MAC, table.lookupIpv4(1, IP));
        assertTrue(table.putIpv4(1, IP, MAC));
        assertTrue(table.putIpv6(1, HIGH, IP, MAC + 1));

        assertEquals(MAC, table.lookupIpv4(1, IP));
        assertEquals(MAC + 1, table.lookupIpv6(1, HIGH, IP));
        assertEquals(NO_MAC, table.lookupIpv4(2, IP), "another bridge");
        assertEquals(NO_MAC, table.lookupIpv4(1, IP + 1), "another address");
        assertEquals(NO_MAC, table.lookupIpv6(1, 0, IP), "the IPv6 address with the same low bits");
        assertEquals(NO_MAC, table.lookupIpv6(1, 0, 0xFFFF_0000_0000L | IP), "the IPv4-mapped address is no IPv6 neighbour");
        assertEquals(NO_MAC, table.lookupIpv4(-1, IP), "a bridge id out of range finds nothing");
        assertEquals(2, table.size());
    }

    @Test
    void aPutReplacesTheMacAndARemoveForgetsIt()
    {
        table.putIpv4(1, IP, MAC);
        table.putIpv4(1, IP, MAC + 7);
        assertEquals(MAC + 7, table.lookupIpv4(1, IP));
        assertEquals(1, table.size());

        assertTrue(table.removeIpv4(1, IP));
        assertFalse(table.removeIpv4(1, IP), "twice");
        assertEquals(NO_MAC, table.lookupIpv4(1, IP));
        assertTrue(table.putIpv6(1, HIGH, 1, MAC));
        assertTrue(table.removeIpv6(1, HIGH, 1));
        assertEquals(0, table.size());
    }

    @Test
    void whatIsNoNeighbourIsRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> table.putIpv4(1, IP, 0), "zero MAC");
        assertThrows(IllegalArgumentException.class, () -> table.putIpv4(1, IP, 0x0100_5E00_0001L), "multicast MAC");
        assertThrows(IllegalArgumentException.class, () -> table.putIpv4(1, IP, 1L << 48), "not 48 bits");
        assertThrows(IllegalArgumentException.class, () -> table.putIpv4(0x1_0000, IP, MAC), "bridge id");
        assertThrows(IllegalArgumentException.class, () -> table.putIpv6(1, 0, 0xFFFF_0A00_0001L, MAC), "IPv4-mapped");
        assertThrows(IllegalArgumentException.class, () -> new SuppressionTable(0));
        assertEquals(0, table.size());
    }

    @Test
    void aFullTableRefusesNewAddressesButTakesNewMacs()
    {
        table.close();
        table = new SuppressionTable(3);
        for (int i = 0; i < 3; i++)
        {
            assertTrue(table.putIpv4(1, IP + i, MAC));
        }
        assertFalse(table.putIpv4(1, IP + 3, MAC), "full");
        assertTrue(table.putIpv4(1, IP, MAC + 1), "an address it has");
        assertEquals(NO_MAC, table.lookupIpv4(1, IP + 3));
        assertEquals(4, table.slotCount(), "capacity + capacity / 3, at least one more");
        assertEquals(64 + 4 * 24, table.memoryBytes());
    }

    /** 200,000 entries, the switch's default: 32 bytes each. */
    @Test
    void theDefaultCapacityTakesThirtyTwoBytesAnEntry()
    {
        table.close();
        table = new SuppressionTable(200_000);
        assertEquals(6_400_048, table.memoryBytes());
    }

    /** Random puts and removes at 75 % load, checked against a map after every change: backward-shift deletion keeps every run whole. */
    @Test
    void churnAgreesWithAMap()
    {
        table.close();
        table = new SuppressionTable(1_000);
        final Map<Long, Long> expected = new HashMap<>();
        final Random random = new Random(42);
        for (int step = 0; step < 50_000; step++)
        {
            final int bridge = random.nextInt(3);
            final int address = random.nextInt(1_500);
            final boolean ipv6 = random.nextBoolean();
            final long key = (long)bridge << 40 | (ipv6 ? 1L << 32 : 0) | address;
            if (random.nextInt(3) > 0 && expected.size() < table.capacity())
            {
                final long mac = 0x0200_0000_0000L | random.nextInt(1 << 24);
                assertTrue(ipv6 ? table.putIpv6(bridge, HIGH, address, mac) : table.putIpv4(bridge, address, mac));
                expected.put(key, mac);
            }
            else
            {
                final boolean had = expected.remove(key) != null;
                assertEquals(had, ipv6 ? table.removeIpv6(bridge, HIGH, address) : table.removeIpv4(bridge, address));
            }
            if (step % 100 == 0)
            {
                for (int b = 0; b < 3; b++)
                {
                    for (int a = 0; a < 1_500; a++)
                    {
                        final Long v4 = expected.get((long)b << 40 | a);
                        final Long v6 = expected.get((long)b << 40 | 1L << 32 | a);
                        assertEquals(null == v4 ? NO_MAC : v4, table.lookupIpv4(b, a));
                        assertEquals(null == v6 ? NO_MAC : v6, table.lookupIpv6(b, HIGH, a));
                    }
                }
            }
        }
        assertEquals(expected.size(), table.size());
    }

    @Test
    void lookupsAllocateNothing()
    {
        table.putIpv4(1, IP, MAC);
        table.putIpv6(1, HIGH, IP, MAC);
        Allocations.assertAllocatesNothing("100,000 lookups", () ->
        {
            long sum = 0;
            for (int i = 0; i < 50_000; i++)
            {
                sum += table.lookupIpv4(1, IP + (i & 1)) + table.lookupIpv6(1, HIGH, IP + (i & 1));
            }
            return sum;
        });
    }

    /**
     * One writer puts and removes addresses as fast as it can while readers look up: a reader never gets a MAC
     * that was not put for the address (each address's MAC is derived from it), and finds the addresses that
     * stay put.
     */
    @Test
    void readersNeverSeeAWrongMacWhileTheWriterChurns() throws Exception
    {
        table.close();
        table = new SuppressionTable(4_096);
        for (int address = 0; address < 256; address++)
        {
            table.putIpv4(1, address, macOf(address));
        }
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<String> wrong = new AtomicReference<>();
        final AtomicLong stableFound = new AtomicLong();
        final Thread[] readers = new Thread[2];
        for (int r = 0; r < readers.length; r++)
        {
            readers[r] = new Thread(() ->
            {
                int address = 0;
                while (!stop.get())
                {
                    address = (address + 1) & 4_095;
                    final long mac = table.lookupIpv4(1, address);
                    if (NO_MAC != mac && mac != macOf(address))
                    {
                        wrong.compareAndSet(null, "address " + address + ": 0x" + Long.toHexString(mac));
                    }
                    if (address < 256 && mac == macOf(address))
                    {
                        stableFound.incrementAndGet();
                    }
                }
            });
            readers[r].start();
        }
        final Random random = new Random(7);
        final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800);
        while (System.nanoTime() < end)
        {
            final int address = 256 + random.nextInt(3_000);
            if (random.nextBoolean())
            {
                table.putIpv4(1, address, macOf(address));
            }
            else
            {
                table.removeIpv4(1, address);
            }
        }
        stop.set(true);
        for (final Thread reader : readers)
        {
            reader.join();
        }
        assertNull(wrong.get());
        assertTrue(stableFound.get() > 0, "the addresses that stayed were found");
        for (int address = 0; address < 256; address++)
        {
            assertEquals(macOf(address), table.lookupIpv4(1, address), "still there once the writer stopped");
        }
    }

    private static long macOf(final int address)
    {
        return 0x0200_0000_0000L | address * 31L + 1;
    }
}
