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

import static io.vireo.gateway.conntrack.ConnectionTable.FULL;
import static io.vireo.gateway.conntrack.ConnectionTable.TAKEN;
import static io.vireo.gateway.conntrack.ConnectionTableTest.NAT;
import static io.vireo.gateway.conntrack.ConnectionTableTest.SECOND;
import static io.vireo.gateway.conntrack.ConnectionTableTest.UDP;
import static io.vireo.gateway.conntrack.ConnectionTableTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forwarding threads look up, create and refresh source-NAT connections while the control thread
 * expires and flushes them: every handle that is still current after its reads translates to a tuple
 * created for the tuple looked up, never another connection's. And a port-allocation race: of
 * threads creating connections with one reply tuple at once, exactly one wins.
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
