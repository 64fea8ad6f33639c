package io.vireo.gateway.route;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import io.vireo.dataplane.nativeio.Native;
import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.vireo.gateway.route.Ipv4RouteTable.NO_ROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Ipv4RouteTable} against a linear longest-match scan, its checks, its group capacity and the
 * memory it commits.
 */
class Ipv4RouteTableTest
{
    private static final int TEN_ONE = 0x0A01_0000;
    private static final int PAGE = 4096;

    private Ipv4RouteTable table;

    @BeforeAll
    static void needsNative()
    {
        assumeTrue(Native.isAvailable(), Native::unavailableReason);
    }

    @AfterEach
    void close()
    {
        if (null != table)
        {
            table.close();
        }
    }

    @Test
    void matchesALinearScanOverRandomUpdates()
    {
        table = new Ipv4RouteTable();
        final SplittableRandom random = new SplittableRandom(7);
        final int[] bases = new int[12];
        for (int i = 0; i < bases.length; i++)
        {
            bases[i] = random.nextInt();
        }
        bases[0] = 0;
        bases[1] = -1;
        final Map<Long, Integer> reference = new HashMap<>();
        final List<Long> keys = new ArrayList<>();

        for (int step = 0; step < 6_000; step++)
        {
            final int length = randomLength(random);
            final int prefix = near(random, bases) & mask(length);
            final long key = key(prefix, length);
            if (random.nextInt(3) == 0 && !keys.isEmpty())
            {
                final long victim = keys.get(random.nextInt(keys.size()));
                assertTrue(table.remove((int)(victim >>> 8), (int)victim & 0xFF));
                reference.remove(victim);
                keys.remove(victim);
                assertFalse(table.remove((int)(victim >>> 8), (int)victim & 0xFF));
            }
            else
            {
                final int nextHop = random.nextInt(Ipv4RouteTable.MAX_NEXT_HOP + 1);
                table.add(prefix, length, nextHop);
                if (null == reference.put(key, nextHop))
                {
                    keys.add(key);
                }
            }
            assertEquals(reference.size(), table.size());

            for (int probe = 0; probe < 8; probe++)
            {
                final int address = near(random, bases);
                assertEquals(longestMatch(reference, address), table.lookup(address), () -> hex(address));
            }
            final long edge = keys.isEmpty() ? 0 : keys.get(random.nextInt(keys.size()));
            final int first = (int)(edge >>> 8);
            final int last = first | ~mask((int)edge & 0xFF);
            for (final int address : new int[] {first - 1, first, last, last + 1})
            {
                assertEquals(longestMatch(reference, address), table.lookup(address), () -> hex(address));
            }
        }

        final Map<Long, Integer> listed = new HashMap<>();
        table.forEach((prefix, length, nextHop) -> listed.put(key(prefix, length), nextHop));
        assertEquals(reference, listed);
    }

    @Test
    void takesTheLongestOfOverlappingPrefixes()
    {
        table = new Ipv4RouteTable();
        assertEquals(NO_ROUTE, table.lookup(TEN_ONE));
        table.add(0, 0, 1);
        table.add(0x0A00_0000, 8, 2);
        table.add(TEN_ONE, 16, 3);
        table.add(TEN_ONE | 0x0200, 24, 4);
        table.add(TEN_ONE | 0x0280, 25, 5);
        table.add(TEN_ONE | 0x02FF, 32, 6);

        assertEquals(1, table.lookup(0x0B00_0000));
        assertEquals(2, table.lookup(0x0AFF_FFFF));
        assertEquals(3, table.lookup(TEN_ONE | 0x0100));
        assertEquals(4, table.lookup(TEN_ONE | 0x027F));
        assertEquals(5, table.lookup(TEN_ONE | 0x0280));
        assertEquals(5, table.lookup(TEN_ONE | 0x02FE));
        assertEquals(6, table.lookup(TEN_ONE | 0x02FF));

        table.add(TEN_ONE, 16, 7);
        assertEquals(7, table.lookup(TEN_ONE | 0x0100), "same prefix and length: replaced");
        assertEquals(6, table.size());
        assertTrue(table.remove(TEN_ONE | 0x0200, 24));
        assertEquals(7, table.lookup(TEN_ONE | 0x027F), "the /16 decides again below the /25");
        assertEquals(5, table.lookup(TEN_ONE | 0x0280));
        assertTrue(table.remove(0, 0));
        assertEquals(NO_ROUTE, table.lookup(0x0B00_0000));
        assertEquals(2, table.lookup(0x0AFF_FFFF));
    }

    @Test
    void rejectsBadInputWithClearMessages()
    {
        table = new Ipv4RouteTable();
        assertMessage("prefix length must be 0..32: 33", () -> table.add(0, 33, 1));
        assertMessage("prefix length must be 0..32: -1", () -> table.remove(0, -1));
        assertMessage(
            "host bits set in 10.1.2.3/24: the prefix is 10.1.2.0/24", () -> table.add(0x0A01_0203, 24, 1));
        assertMessage("host bits set in 0.0.0.1/0: the prefix is 0.0.0.0/0", () -> table.remove(1, 0));
        assertMessage("next hop must be 0..32766: 32767", () -> table.add(0, 8, 32767));
        assertMessage("next hop must be 0..32766: -1", () -> table.add(0, 8, -1));
        assertMessage("maxGroups must be 1..32768: 0", () -> new Ipv4RouteTable(0));
        assertEquals(0, table.size());
    }

    @Test
    void refusesARouteThatNeedsAGroupWhenAllAreInUseAndChangesNothing()
    {
        table = new Ipv4RouteTable(2, 1_000_000);
        table.add(TEN_ONE | 0x0180, 25, 1);
        table.add(TEN_ONE | 0x0201, 32, 2);
        table.add(TEN_ONE | 0x0202, 32, 3);
        table.add(TEN_ONE, 16, 4);

        final IllegalStateException refused =
            assertThrows(IllegalStateException.class, () -> table.add(TEN_ONE | 0x0380, 25, 5));
        assertEquals(
            "all 2 second-level groups are in use: cannot add 10.1.3.128/25, make the table with more groups",
            refused.getMessage());
        assertEquals(4, table.size());
        assertEquals(4, table.lookup(TEN_ONE | 0x0380));
        assertEquals(1, table.lookup(TEN_ONE | 0x0180));

        assertTrue(table.remove(TEN_ONE | 0x0180, 25));
        assertEquals(4, table.lookup(TEN_ONE | 0x0180));
        table.add(TEN_ONE | 0x0380, 25, 5);
        assertEquals(5, table.lookup(TEN_ONE | 0x0380), "the retired group, reused once it has aged");
        assertEquals(3, table.lookup(TEN_ONE | 0x0202));
        assertEquals(2, table.groupsInUse());
    }

    @Test
    void commitsOnlyTheMemoryItsRoutesNeed()
    {
        table = new Ipv4RouteTable();
        assertEquals(0, table.residentBytes(), "empty");
        table.add(0, 0, 1);
        assertEquals(0, table.residentBytes(), "a default route lives in a field");
        table.add(0x0A01_0200, 24, 2);
        assertEquals(PAGE, table.residentBytes(), "a /24: one entry");
        table.add(0x0A01_0201, 32, 3);
        assertEquals(2 * PAGE, table.residentBytes(), "a /32: the same entry and a group");
        table.add(0x0A00_0000, 8, 4);
        assertEquals(128 * 1024 + PAGE, table.residentBytes(), "a /8: 65,536 entries");
        assertEquals(3, table.lookup(0x0A01_0201));
        assertEquals(4, table.lookup(0x0A01_0301));
    }

    @Test
    void lookupAllocatesNothing()
    {
        table = new Ipv4RouteTable();
        final SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 2_000; i++)
        {
            final int length = 8 + random.nextInt(25);
            table.add(random.nextInt() & mask(length), length, i);
        }
        final int[] addresses = random.ints(4096).toArray();
        Allocations.assertAllocatesNothing("IPv4 lookups", () ->
        {
            long sum = 0;
            for (int round = 0; round < 64; round++)
            {
                for (final int address : addresses)
                {
                    sum += table.lookup(address);
                }
            }
            return sum;
        });
    }

    static int longestMatch(final Map<Long, Integer> routes, final int address)
    {
        int bestLength = -1;
        int best = NO_ROUTE;
        for (final Map.Entry<Long, Integer> route : routes.entrySet())
        {
            final int length = (int)(route.getKey() & 0xFF);
            final int prefix = (int)(route.getKey() >>> 8);
            if (length > bestLength && (address & mask(length)) == prefix)
            {
                bestLength = length;
                best = route.getValue();
            }
        }
        return best;
    }

    static int mask(final int length)
    {
        return 0 == length ? 0 : -1 << (32 - length);
    }

    private static long key(final int prefix, final int length)
    {
        return ((prefix & 0xFFFF_FFFFL) << 8) | length;
    }

    private static int randomLength(final SplittableRandom random)
    {
        final int pick = random.nextInt(10);
        return pick < 2 ? random.nextInt(33) : pick < 6 ? 16 + random.nextInt(9) : 24 + random.nextInt(9);
    }

    private static int near(final SplittableRandom random, final int[] bases)
    {
        return bases[random.nextInt(bases.length)] ^ (random.nextInt() >>> random.nextInt(32));
    }

    private static String hex(final int address)
    {
        return Ipv4Prefixes.format(address, 32);
    }

    private static void assertMessage(final String expected, final Runnable call)
    {
        final RuntimeException thrown = assertThrows(RuntimeException.class, call::run);
        assertTrue(thrown instanceof IllegalArgumentException, thrown.toString());
        assertEquals(expected, thrown.getMessage());
    }
}
