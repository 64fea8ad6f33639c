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

import static io.vireo.gateway.route.Ipv6RouteTable.NO_ROUTE;
import static io.vireo.gateway.route.Ipv6RouteTable.highMask;
import static io.vireo.gateway.route.Ipv6RouteTable.lowMask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Ipv6RouteTable} against a linear longest-match scan, its checks and its capacity.
 */
class Ipv6RouteTableTest
{
    private static final long DOC = 0x2001_0DB8_0000_0000L;

    private Ipv6RouteTable table;

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
    void matchesALinearScanOverRandomUpdatesAndRebuilds()
    {
        table = new Ipv6RouteTable(300, 1_000_000);
        final SplittableRandom random = new SplittableRandom(5);
        final long[] bases = new long[16];
        for (int i = 0; i < bases.length; i++)
        {
            bases[i] = random.nextLong();
        }
        bases[0] = 0;
        bases[1] = -1;
        final Map<Route, Integer> reference = new HashMap<>();
        final List<Route> keys = new ArrayList<>();

        for (int step = 0; step < 8_000; step++)
        {
            if ((random.nextInt(3) == 0 || keys.size() == 300) && !keys.isEmpty())
            {
                final Route victim = keys.remove(random.nextInt(keys.size()));
                assertTrue(table.remove(victim.high, victim.low, victim.length));
                assertFalse(table.remove(victim.high, victim.low, victim.length));
                reference.remove(victim);
            }
            else
            {
                final int length = randomLength(random);
                final Route route = new Route(
                    near(random, bases) & highMask(length), near(random, bases) & lowMask(length), length);
                final int nextHop = random.nextInt(Integer.MAX_VALUE);
                table.add(route.high, route.low, route.length, nextHop);
                if (null == reference.put(route, nextHop))
                {
                    keys.add(route);
                }
            }
            assertEquals(reference.size(), table.size());

            for (int probe = 0; probe < 8; probe++)
            {
                final long high = near(random, bases);
                final long low = near(random, bases);
                assertEquals(longestMatch(reference, high, low), table.lookup(high, low));
            }
            if (!keys.isEmpty())
            {
                final Route edge = keys.get(random.nextInt(keys.size()));
                final long lastHigh = edge.high | ~highMask(edge.length);
                final long lastLow = edge.low | ~lowMask(edge.length);
                assertEquals(longestMatch(reference, edge.high, edge.low), table.lookup(edge.high, edge.low));
                assertEquals(longestMatch(reference, lastHigh, lastLow), table.lookup(lastHigh, lastLow));
            }
        }

        final Map<Route, Integer> listed = new HashMap<>();
        table.forEach((high, low, length, nextHop) -> listed.put(new Route(high, low, length), nextHop));
        assertEquals(reference, listed);
    }

    @Test
    void takesTheLongestOfOverlappingPrefixes()
    {
        table = new Ipv6RouteTable();
        assertEquals(NO_ROUTE, table.lookup(DOC, 1));
        table.add(0, 0, 0, 1);
        table.add(DOC, 0, 32, 2);
        table.add(DOC | 0x0001_0000L, 0, 48, 3);
        table.add(DOC | 0x0001_0002L, 0, 64, 4);
        table.add(DOC | 0x0001_0002L, 0x8000_0000_0000_0000L, 65, 5);
        table.add(DOC | 0x0001_0002L, 1, 128, 6);

        assertEquals(1, table.lookup(0x2002_0000_0000_0000L, 0));
        assertEquals(2, table.lookup(DOC | 0xFFFF_FFFFL, -1));
        assertEquals(3, table.lookup(DOC | 0x0001_FFFFL, 0));
        assertEquals(4, table.lookup(DOC | 0x0001_0002L, 2));
        assertEquals(5, table.lookup(DOC | 0x0001_0002L, -1));
        assertEquals(6, table.lookup(DOC | 0x0001_0002L, 1));
        assertEquals(6, table.lengthsInUse());

        table.add(DOC, 0, 32, 7);
        assertEquals(7, table.lookup(DOC | 0xFFFF_FFFFL, -1), "same prefix and length: replaced");
        assertEquals(6, table.size());
        assertTrue(table.remove(DOC | 0x0001_0002L, 1, 128));
        assertEquals(4, table.lookup(DOC | 0x0001_0002L, 1));
        assertEquals(5, table.lengthsInUse());
        assertTrue(table.remove(0, 0, 0));
        assertEquals(NO_ROUTE, table.lookup(0x2002_0000_0000_0000L, 0));
    }

    @Test
    void rejectsBadInputWithClearMessages()
    {
        table = new Ipv6RouteTable();
        assertMessage("prefix length must be 0..128: 129", () -> table.add(0, 0, 129, 1));
        assertMessage("prefix length must be 0..128: -1", () -> table.remove(0, 0, -1));
        assertMessage(
            "host bits set in 2001:db8:0:0:0:0:0:1/64: the prefix is 2001:db8:0:0:0:0:0:0/64",
            () -> table.add(DOC, 1, 64, 1));
        assertMessage(
            "host bits set in 2001:db8:0:1:0:0:0:0/48: the prefix is 2001:db8:0:0:0:0:0:0/48",
            () -> table.remove(DOC | 1, 0, 48));
        assertMessage("next hop must be 0..2147483647: -1", () -> table.add(DOC, 0, 32, -1));
        assertMessage("capacity must be 1..16777216: 0", () -> new Ipv6RouteTable(0));
        assertEquals(0, table.size());
    }

    @Test
    void refusesARouteBeyondItsCapacityAndChangesNothing()
    {
        table = new Ipv6RouteTable(2);
        table.add(DOC, 0, 32, 1);
        table.add(DOC | 0x0001_0000L, 0, 48, 2);
        table.add(DOC, 0, 32, 3);
        final IllegalStateException refused =
            assertThrows(IllegalStateException.class, () -> table.add(DOC | 0x0002_0000L, 0, 48, 4));
        assertEquals(
            "the table holds its capacity of 2 routes: cannot add 2001:db8:2:0:0:0:0:0/48", refused.getMessage());
        assertEquals(2, table.size());
        assertEquals(3, table.lookup(DOC | 0x0002_0000L, 0));
    }

    @Test
    void lookupAllocatesNothing()
    {
        table = new Ipv6RouteTable();
        final SplittableRandom random = new SplittableRandom(13);
        for (int i = 0; i < 2_000; i++)
        {
            final int length = 32 + random.nextInt(33);
            table.add(DOC | (random.nextLong() & highMask(length) & 0xFFFF_FFFFL), 0, length, i);
        }
        final long[] addresses = random.longs(4096).map(word -> DOC | (word & 0xFFFF_FFFFL)).toArray();
        Allocations.assertAllocatesNothing("IPv6 lookups", () ->
        {
            long sum = 0;
            for (int round = 0; round < 16; round++)
            {
                for (final long high : addresses)
                {
                    sum += table.lookup(high, round);
                }
            }
            return sum;
        });
    }

    private static int longestMatch(final Map<Route, Integer> routes, final long high, final long low)
    {
        int bestLength = -1;
        int best = NO_ROUTE;
        for (final Map.Entry<Route, Integer> entry : routes.entrySet())
        {
            final Route route = entry.getKey();
            if (route.length > bestLength &&
                (high & highMask(route.length)) == route.high && (low & lowMask(route.length)) == route.low)
            {
                bestLength = route.length;
                best = entry.getValue();
            }
        }
        return best;
    }

    private static int randomLength(final SplittableRandom random)
    {
        final int pick = random.nextInt(10);
        return pick < 3 ? random.nextInt(129) : pick < 8 ? 32 + random.nextInt(33) : 120 + random.nextInt(9);
    }

    private static long near(final SplittableRandom random, final long[] bases)
    {
        return bases[random.nextInt(bases.length)] ^ (random.nextLong() >>> random.nextInt(64));
    }

    private static void assertMessage(final String expected, final Runnable call)
    {
        final RuntimeException thrown = assertThrows(RuntimeException.class, call::run);
        assertTrue(thrown instanceof IllegalArgumentException, thrown.toString());
        assertEquals(expected, thrown.getMessage());
    }

    private record Route(long high, long low, int length)
    {
    }
}
