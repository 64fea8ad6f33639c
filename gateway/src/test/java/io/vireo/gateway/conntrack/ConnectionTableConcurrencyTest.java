package io.vireo.gateway.conntrack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_ACK;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_FIN;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_SYN;
import static io.vireo.gateway.conntrack.ConnectionTable.FULL;
import static io.vireo.gateway.conntrack.ConnectionTable.NONE;
import static io.vireo.gateway.conntrack.ConnectionTable.TAKEN;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_TIME_WAIT;
import static io.vireo.gateway.conntrack.ConnectionTableTest.NAT;
import static io.vireo.gateway.conntrack.ConnectionTableTest.SECOND;
import static io.vireo.gateway.conntrack.ConnectionTableTest.TCP;
import static io.vireo.gateway.conntrack.ConnectionTableTest.UDP;
import static io.vireo.gateway.conntrack.ConnectionTableTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forwarding threads look up, create and refresh source-NAT connections while the control thread
 * expires and flushes them: every handle that is still current after its reads translates to a tuple
 * created for the tuple looked up, never another connection's. And a port-allocation race: of
 * threads creating connections with one reply tuple at once, exactly one wins, also when the tuple is a
 * closed connection's that the winner retires.
 */
class ConnectionTableConcurrencyTest
{
    private static final long RUN_NS = TimeUnit.SECONDS.toNanos(2);
    private static final int WORKERS = 3;
    private static final int CAPACITY = 1024;
    private static final int KEYS = 1536;
    private static final int ZONES = 3;
    private static final int FIRST_NAT_PORT = 20_000;
    private static final int NAT_PORTS = 64;
    private static final int DNS = 53;

    @Test
    void aCurrentHandleAlwaysTranslatesToItsOwnConnection() throws Exception
    {
        try (ConnectionTable table = new ConnectionTable(CAPACITY))
        {
            final AtomicLong clock = new AtomicLong(1_000_000);
            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicReference<String> failure = new AtomicReference<>();
            final AtomicLong translated = new AtomicLong();
            final AtomicLong created = new AtomicLong();
            final List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++)
            {
                final SplittableRandom random = new SplittableRandom(w);
                final Thread worker = new Thread(() ->
                {
                    while (running.get() && null == failure.get())
                    {
                        final int key = random.nextInt(KEYS);
                        final long now = clock.get();
                        final long handle = table.lookup(zone(key), UDP, host(key), server(key), hostPort(key), DNS);
                        if (handle >= 0)
                        {
                            translated.addAndGet(checkBothDirections(table, key, handle, failure));
                            table.seen(handle, 0, now);
                        }
                        else
                        {
                            final int natPort = FIRST_NAT_PORT + random.nextInt(NAT_PORTS);
                            final long made = table.create(zone(key), UDP, host(key), server(key), hostPort(key), DNS,
                                server(key), NAT, DNS, natPort, now);
                            if (made >= 0)
                            {
                                created.incrementAndGet();
                                translated.addAndGet(checkBothDirections(table, key, made, failure));
                            }
                            else if (TAKEN != made && FULL != made)
                            {
                                failure.compareAndSet(null, "create returned " + made);
                            }
                        }
                    }
                });
                worker.start();
                workers.add(worker);
            }

            final SplittableRandom random = new SplittableRandom(99);
            final long end = System.nanoTime() + RUN_NS;
            int flushed = 0;
            while (System.nanoTime() < end && null == failure.get())
            {
                final long now = clock.addAndGet(SECOND);
                table.expire(now, 128);
                if (0 == random.nextInt(200))
                {
                    flushed += table.flush(random.nextInt(ZONES));
                }
                Thread.onSpinWait();
            }
            running.set(false);
            for (final Thread worker : workers)
            {
                worker.join();
            }

            assertNull(failure.get());
            assertTrue(translated.get() > 1_000, "translations checked: " + translated.get());
            assertTrue(created.get() > CAPACITY, "connections created: " + created.get());
            assertTrue(flushed > 0, "flushed: " + flushed);

            final int[] listed = new int[1];
            table.forEach((zone, protocol, oSrc, oDst, oSport, oDport, rSrc, rDst, rSport, rDport, state, expires) ->
            {
                final int key = oSrc & 0xFFFF;
                assertEquals(zone(key), zone);
                assertEquals(server(key), oDst);
                assertEquals(hostPort(key), oSport);
                assertEquals(server(key), rSrc);
                assertEquals(NAT, rDst);
                listed[0]++;
            });
            assertEquals(table.size(), listed[0]);

            int removed = 0;
            for (int zone = 0; zone < ZONES; zone++)
            {
                removed += table.flush(zone);
            }
            assertEquals(listed[0], removed);
            assertEquals(0, table.size());
            int refilled = 0;
            while (table.create(0, UDP, NAT + 1 + refilled, 1, 1, 1, 1, NAT - 1 - refilled, 1, 1, 0) >= 0)
            {
                refilled++;
            }
            assertEquals(CAPACITY, refilled, "no entry lost");
        }
    }

    @Test
    void ofThreadsRacingForOneReplyTupleExactlyOneWins() throws Exception
    {
        final int threads = 4;
        final int rounds = 2_000;
        try (ConnectionTable table = new ConnectionTable(rounds + 1))
        {
            final CyclicBarrier start = new CyclicBarrier(threads);
            final AtomicInteger[] winners = new AtomicInteger[rounds];
            for (int round = 0; round < rounds; round++)
            {
                winners[round] = new AtomicInteger();
            }
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> racers = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int host = ip(10, 0, 1, t + 1);
                final Thread racer = new Thread(() ->
                {
                    try
                    {
                        for (int round = 0; round < rounds; round++)
                        {
                            start.await();
                            final int natPort = 1_024 + round;
                            final long handle = table.create(
                                1, UDP, host, ip(8, 8, 8, 8), natPort, DNS, ip(8, 8, 8, 8), NAT, DNS, natPort, 0);
                            if (handle >= 0)
                            {
                                winners[round].incrementAndGet();
                                assertEquals(natPort, table.translatedSourcePort(handle));
                                assertEquals(host, table.translatedDestination(handle | 1));
                            }
                            else
                            {
                                assertEquals(TAKEN, handle);
                            }
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                        start.reset();
                    }
                });
                racer.start();
                racers.add(racer);
            }
            for (final Thread racer : racers)
            {
                racer.join();
            }

            assertNull(failure.get());
            for (int round = 0; round < rounds; round++)
            {
                assertEquals(1, winners[round].get(), "winners of round " + round);
            }
            assertEquals(rounds, table.size());
        }
    }

    /**
     * Rounds of a connection closed to TIME_WAIT, then threads opening connections with its reply tuple at once (a
     * client's port used again for other services on one backend), each loser also refreshing the closed one, while
     * the control thread expires: exactly one opener wins each round, the closed connection is retired once and
     * removed once, and the reply tuple finds the winner.
     */
    @Test
    void ofThreadsOpeningConnectionsOnAClosedOnesReplyTupleExactlyOneWinsAndItIsRemovedOnce() throws Exception
    {
        final int threads = 3;
        final int rounds = 2_000;
        final int client = ip(10, 0, 2, 1);
        final int backend = ip(10, 0, 3, 1);
        final int service = ip(10, 96, 0, 1);
        try (ConnectionTable table = new ConnectionTable(2 * rounds))
        {
            final AtomicInteger removals = new AtomicInteger();
            table.removalListener((zone, label, open) -> removals.incrementAndGet());
            final long[] closed = new long[rounds];
            for (int round = 0; round < rounds; round++)
            {
                final int port = 1_024 + round;
                closed[round] = table.create(1, TCP, client, service, port, 80, backend, client, 443, port, 0);
                table.seen(closed[round], FLAG_SYN, 0);
                table.seen(closed[round] | 1, FLAG_SYN | FLAG_ACK, 0);
                table.seen(closed[round], FLAG_ACK, 0);
                table.seen(closed[round], FLAG_FIN | FLAG_ACK, 0);
                table.seen(closed[round] | 1, FLAG_FIN | FLAG_ACK, 0);
                assertEquals(TCP_TIME_WAIT, table.seen(closed[round], FLAG_ACK, 0));
            }
            final CyclicBarrier start = new CyclicBarrier(threads);
            final long[][] winners = new long[rounds][threads];
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> openers = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int thread = t;
                final Thread opener = new Thread(() ->
                {
                    try
                    {
                        for (int round = 0; round < rounds; round++)
                        {
                            start.await();
                            final int port = 1_024 + round;
                            final long handle = table.create(1, TCP, client, service + 1 + thread, port, 80, backend, client,
                                443, port, ConnectionTable.NO_LABEL, true, 1);
                            winners[round][thread] = handle;
                            if (handle < 0)
                            {
                                assertEquals(TAKEN, handle);
                                final int state = table.seen(closed[round] | 1, FLAG_ACK, 1);
                                assertTrue(NONE == state || TCP_TIME_WAIT == state, "the closed one: " + state);
                            }
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                        start.reset();
                    }
                });
                opener.start();
                openers.add(opener);
            }
            while (openers.stream().anyMatch(Thread::isAlive))
            {
                table.expire(2, 256);
                Thread.onSpinWait();
            }
            for (final Thread opener : openers)
            {
                opener.join();
            }

            assertNull(failure.get());
            assertEquals(rounds, table.retiredCount());
            table.expire(2, table.capacity());
            assertEquals(rounds, removals.get(), "each closed connection removed once");
            assertEquals(rounds, table.size());
            for (int round = 0; round < rounds; round++)
            {
                final long[] handles = winners[round];
                final long winner = Arrays.stream(handles).filter(handle -> handle >= 0).max().orElse(-1);
                assertEquals(1, Arrays.stream(handles).filter(handle -> handle >= 0).count(), "winners of round " + round);
                assertEquals(winner | 1, table.lookup(1, TCP, backend, client, 443, 1_024 + round));
                assertEquals(ConnectionTable.MISS, table.lookup(1, TCP, client, service, 1_024 + round, 80));
            }
        }
    }

    /**
     * Check a handle for the key's original tuple, and the handle its reply tuple finds: each, if
     * still current after its reads, must translate to this key's connection.
     *
     * @return translations checked.
     */
    private static int checkBothDirections(
        final ConnectionTable table, final int key, final long handle, final AtomicReference<String> failure)
    {
        final int[] original = translated(table, handle);
        if (null == original)
        {
            return 0;
        }
        final int natPort = original[2];
        if (0 != (handle & 1) || NAT != original[0] || server(key) != original[1] || DNS != original[3] ||
            natPort < FIRST_NAT_PORT || natPort >= FIRST_NAT_PORT + NAT_PORTS)
        {
            failure.compareAndSet(null, "key " + key + " original: " + Arrays.toString(original));
        }

        final long reply = table.lookup(zone(key), UDP, server(key), NAT, DNS, natPort);
        final int[] replied = translated(table, reply);
        if (null == replied)
        {
            return 1;
        }
        if (1 != (reply & 1) || server(key) != replied[0] || host(key) != replied[1] || DNS != replied[2] ||
            hostPort(key) != replied[3])
        {
            failure.compareAndSet(null, "key " + key + " reply: " + Arrays.toString(replied));
        }
        return 2;
    }

    /**
     * @return source, destination, source port and destination port, or null if the handle was not
     * current after reading them.
     */
    private static int[] translated(final ConnectionTable table, final long handle)
    {
        final int[] tuple =
        {
            table.translatedSource(handle), table.translatedDestination(handle),
            table.translatedSourcePort(handle), table.translatedDestinationPort(handle),
        };
        return table.isCurrent(handle) ? tuple : null;
    }

    private static int zone(final int key)
    {
        return key % ZONES;
    }

    private static int host(final int key)
    {
        return ip(10, 1, 0, 0) | key;
    }

    private static int hostPort(final int key)
    {
        return 10_000 + key;
    }

    private static int server(final int key)
    {
        return ip(192, 0, 0, 0) | key;
    }
}
