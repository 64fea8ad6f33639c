package io.vireo.gateway.route;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.vireo.dataplane.nativeio.Native;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Readers look up addresses while the writer keeps adding and removing more specific routes; every
 * answer must be the one before or the one after the update it raced.
 */
class RouteTableConcurrencyTest
{
    private static final long RUN_NS = TimeUnit.SECONDS.toNanos(2);
    private static final int READERS = 2;
    private static final int NET = 0x0A01_0000;
    private static final long DOC = 0x2001_0DB8_0000_0000L;

    @BeforeAll
    static void needsNative()
    {
        assumeTrue(Native.isAvailable(), Native::unavailableReason);
    }

    @Test
    void ipv4ReadersSeeTheOldOrTheNewNextHop() throws InterruptedException
    {
        try (Ipv4RouteTable table = new Ipv4RouteTable())
        {
            table.add(NET, 16, 1);
            table.add(NET | 0x0300, 24, 5);
            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicReference<String> failure = new AtomicReference<>();
            final List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < READERS; r++)
            {
                final Thread reader = new Thread(() ->
                {
                    int low = 0;
                    while (running.get() && null == failure.get())
                    {
                        low = (low + 1) & 0xFF;
                        check(failure, "10.1.2." + low, table.lookup(NET | 0x0200 | low), 1, low >= 128 ? 2 : 1);
                        check(failure, "10.1.3." + low, table.lookup(NET | 0x0300 | low), 5, 7 == low ? 4 : 5);
                        check(failure, "10.1.4." + low, table.lookup(NET | 0x0400 | low), 1, 3);
                    }
                });
                reader.start();
                readers.add(reader);
            }

            int rounds = 0;
            final long end = System.nanoTime() + RUN_NS;
            while (System.nanoTime() < end && null == failure.get())
            {
                table.add(NET | 0x0280, 25, 2);
                table.add(NET | 0x0307, 32, 4);
                table.add(NET | 0x0400, 22, 3);
                table.remove(NET | 0x0280, 25);
                table.remove(NET | 0x0307, 32);
                table.remove(NET | 0x0400, 22);
                rounds++;
            }
            running.set(false);
            for (final Thread reader : readers)
            {
                reader.join();
            }
            assertNull(failure.get());
            assertTrue(rounds > 100, "rounds " + rounds);
        }
    }

    @Test
    void ipv6ReadersSeeTheOldOrTheNewNextHopThroughRebuilds() throws InterruptedException
    {
        try (Ipv6RouteTable table = new Ipv6RouteTable(64))
        {
            table.add(DOC, 0, 32, 1);
            table.add(DOC | 0x0001_0000L, 0, 48, 5);
            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicReference<String> failure = new AtomicReference<>();
            final List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < READERS; r++)
            {
                final Thread reader = new Thread(() ->
                {
                    long low = 0;
                    while (running.get() && null == failure.get())
                    {
                        low = (low + 1) & 3;
                        check(failure, "2001:db8:0:2::" + low, table.lookup(DOC | 2, low), 1, 2);
                        check(failure, "2001:db8:1:0::" + low, table.lookup(DOC | 0x0001_0000L, low), 5,
                            1 == low ? 4 : 5);
                    }
                });
                reader.start();
                readers.add(reader);
            }

            int rounds = 0;
            final long end = System.nanoTime() + RUN_NS;
            while (System.nanoTime() < end && null == failure.get())
            {
                table.add(DOC | 2, 0, 64, 2);
                table.add(DOC | 0x0001_0000L, 1, 128, 4);
                for (int other = 0; other < 40; other++)
                {
                    table.add(DOC | 0xFF00_0000L, other, 128, other);
                }
                table.remove(DOC | 2, 0, 64);
                table.remove(DOC | 0x0001_0000L, 1, 128);
                for (int other = 0; other < 40; other++)
                {
                    table.remove(DOC | 0xFF00_0000L, other, 128);
                }
                rounds++;
            }
            running.set(false);
            for (final Thread reader : readers)
            {
                reader.join();
            }
            assertNull(failure.get());
            assertTrue(rounds > 100, "rounds " + rounds);
        }
    }

    private static void check(
        final AtomicReference<String> failure, final String address, final int answer, final int old, final int now)
    {
        if (answer != old && answer != now)
        {
            failure.compareAndSet(null, address + ": " + answer + ", expected " + old + " or " + now);
        }
    }
}
