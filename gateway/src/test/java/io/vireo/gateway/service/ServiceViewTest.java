package io.vireo.gateway.service;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Each algorithm's choice over a service of three backends, and the table that finds a service. */
class ServiceViewTest
{
    private static final int VIP = 0x0A60_000A;
    private static final int[] ADDRESSES = {0x0A01_0002, 0x0A01_0003, 0x0A01_0004};
    private static final int[] PORTS = {80, 80, 8080};
    private static final int[] SLOTS = {4, 5, 6};
    private static final boolean[] ALL = {true, true, true};

    private final BackendStats stats = new BackendStats();

    @Test
    void roundRobinTakesTheHealthyInTurn()
    {
        final ServiceView rr = view(ServiceView.RR, new int[] {1, 1, 1}, new boolean[] {true, false, true});
        assertEquals(0, rr.select(1, stats));
        assertEquals(2, rr.select(1, stats));
        assertEquals(0, rr.select(1, stats));
    }

    @Test
    void weightedRoundRobinIsExactOverEachRoundAndSpreadWithinIt()
    {
        final ServiceView wrr = view(ServiceView.WRR, new int[] {1, 2, 7}, ALL);
        final int[] picks = new int[3];
        int longestRun = 0;
        int run = 0;
        int previous = -1;
        for (int i = 0; i < 1000; i++)
        {
            final int backend = wrr.select(1, stats);
            picks[backend]++;
            run = backend == previous ? run + 1 : 1;
            longestRun = Math.max(longestRun, run);
            previous = backend;
        }
        assertEquals(100, picks[0]);
        assertEquals(200, picks[1]);
        assertEquals(700, picks[2]);
        assertNotEquals(7, longestRun, "the heavy backend's turns are spread through the round");
    }

    @Test
    void leastConnectionsPicksTheLeastLoadedPerWeight()
    {
        final ServiceView leastConn = view(ServiceView.LEAST_CONN, new int[] {1, 1, 2}, ALL);
        final BackendStats.ThreadCounters counters = stats.newThreadCounters();
        counters.connected(SLOTS[0]);
        counters.connected(SLOTS[0]);
        counters.connected(SLOTS[1]);
        counters.connected(SLOTS[2]);
        counters.connected(SLOTS[2]);
        counters.connected(SLOTS[2]);
        // Open per weight: 2, 1, 1.5.
        assertEquals(1, leastConn.select(1, stats));
        counters.connected(SLOTS[1]);
        counters.connected(SLOTS[1]);
        // 2, 3, 1.5.
        assertEquals(2, leastConn.select(1, stats));
        stats.removed(0, BackendStats.label(SLOTS[0]), true);
        stats.removed(0, BackendStats.label(SLOTS[0]), true);
        assertEquals(0, leastConn.select(1, stats), "closed connections no longer count");
        assertEquals(0, stats.open(SLOTS[0]));
    }

    @Test
    void sourceHashAndMaglevKeepAClientOnOneBackendAndAgreeAcrossGatewaysAndMaglevMovesOnlyTheLostBackendsClients()
    {
        for (final int algorithm : new int[] {ServiceView.SOURCE_HASH, ServiceView.MAGLEV})
        {
            final ServiceView one = view(algorithm, new int[] {1, 1, 1}, ALL);
            final ServiceView other = view(algorithm, new int[] {1, 1, 1}, ALL);
            final int[] seen = new int[3];
            for (int client = 0; client < 300; client++)
            {
                final int source = 0x0A02_0000 + client;
                final int backend = one.select(source, stats);
                assertEquals(backend, one.select(source, stats));
                assertEquals(backend, other.select(source, stats), "another gateway agrees");
                seen[backend]++;
            }
            for (final int count : seen)
            {
                assertEquals(100, count, 40, "clients spread over the backends");
            }
        }
        // Maglev moves only the clients of a backend that goes; a plain hash moves most.
        final ServiceView maglev = view(ServiceView.MAGLEV, new int[] {1, 1, 1}, ALL);
        final ServiceView maglevLess = view(ServiceView.MAGLEV, new int[] {1, 1, 1}, new boolean[] {true, true, false});
        final ServiceView hash = view(ServiceView.SOURCE_HASH, new int[] {1, 1, 1}, ALL);
        final ServiceView hashLess = view(ServiceView.SOURCE_HASH, new int[] {1, 1, 1}, new boolean[] {true, true, false});
        int maglevMoved = 0;
        int hashMoved = 0;
        for (int client = 0; client < 3000; client++)
        {
            final int source = 0x0A03_0000 + client;
            final int before = maglev.select(source, stats);
            maglevMoved += before != 2 && before != maglevLess.select(source, stats) ? 1 : 0;
            final int hashBefore = hash.select(source, stats);
            hashMoved += hashBefore != 2 && hashBefore != hashLess.select(source, stats) ? 1 : 0;
        }
        assertEquals(0, maglevMoved, 30, "Maglev moves next to none of the clients of backends that stayed");
        assertEquals(1000, hashMoved, 200, "a plain hash moves about half of the others");
    }

    @Test
    void noHealthyBackendSelectsNone()
    {
        for (int algorithm = ServiceView.RR; algorithm <= ServiceView.MAGLEV; algorithm++)
        {
            assertEquals(ServiceView.NO_BACKEND, view(algorithm, new int[] {1, 1, 1}, new boolean[3]).select(1, stats));
        }
        assertThrows(IllegalArgumentException.class, () -> view(ServiceView.WRR, new int[] {1, 0, 1}, ALL));
    }

    @Test
    void theTableFindsAServiceByProtocolAddressAndPort()
    {
        final ServiceView web = view(ServiceView.RR, new int[] {1, 1, 1}, ALL);
        final ServiceView dns = new ServiceView(17, VIP, 53, ServiceView.RR, ADDRESSES, PORTS, new int[] {1, 1, 1}, SLOTS, ALL,
            new AtomicLong(), Maglev.DEFAULT_TABLE_SIZE);
        final ServiceTable table = new ServiceTable(new ServiceView[] {web, dns});
        assertSame(web, table.find(6, VIP, 80));
        assertSame(dns, table.find(17, VIP, 53));
        assertNull(table.find(17, VIP, 80));
        assertNull(table.find(6, VIP + 1, 80));
        assertThrows(IllegalArgumentException.class, () -> new ServiceTable(new ServiceView[] {web, web}));
    }

    private static ServiceView view(final int algorithm, final int[] weights, final boolean[] healthy)
    {
        return new ServiceView(6, VIP, 80, algorithm, ADDRESSES, PORTS, weights, SLOTS, healthy, new AtomicLong(),
            Maglev.DEFAULT_TABLE_SIZE);
    }
}
