package io.vireo.gateway.conntrack;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_ACK;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_FIN;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_PSH;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_RST;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_SYN;
import static io.vireo.gateway.conntrack.ConnectionTable.FULL;
import static io.vireo.gateway.conntrack.ConnectionTable.ICMP;
import static io.vireo.gateway.conntrack.ConnectionTable.MISS;
import static io.vireo.gateway.conntrack.ConnectionTable.NONE;
import static io.vireo.gateway.conntrack.ConnectionTable.TAKEN;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_CLOSE;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_CLOSE_WAIT;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_ESTABLISHED;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_FIN_WAIT;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_LAST_ACK;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_SYN_RECV;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_SYN_SENT;
import static io.vireo.gateway.conntrack.ConnectionTable.TCP_TIME_WAIT;
import static io.vireo.gateway.conntrack.ConnectionTable.UDP_ASSURED;
import static io.vireo.gateway.conntrack.ConnectionTable.UDP_UNREPLIED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The table's contract, one thread: both directions, TAKEN and FULL, the state machines with their
 * timeouts, incremental expiry, flush, stale handles, listing whole and by pages, memory, and a burst's loads ahead.
 */
class ConnectionTableTest
{
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMP_PROTOCOL = 1;
    static final int HOST = ip(10, 0, 0, 2);
    static final int SERVER = ip(93, 184, 216, 34);
    static final int NAT = ip(203, 0, 113, 1);
    static final long SECOND = 1_000;
    private static final long T0 = 1_764_000_000_000L;

    private ConnectionTable table = new ConnectionTable(64);

    @AfterEach
    void close()
    {
        table.close();
    }

    @Test
    void bothDirectionsFindTheConnectionAndTranslate()
    {
        final long handle = snat(1, TCP, 40_000, 50_000);
        assertTrue(handle >= 0);
        assertEquals(0, handle & 1, "the original direction");
        assertEquals(1, table.size());

        final long original = table.lookup(1, TCP, HOST, SERVER, 40_000, 443);
        assertEquals(handle, original);
        assertTranslated(original, NAT, SERVER, 50_000, 443);

        final long reply = table.lookup(1, TCP, SERVER, NAT, 443, 50_000);
        assertEquals(original | 1, reply, "the same entry and generation, the reply direction");
        assertTranslated(reply, SERVER, HOST, 443, 40_000);

        assertEquals(MISS, table.lookup(2, TCP, HOST, SERVER, 40_000, 443), "another zone");
        assertEquals(MISS, table.lookup(1, UDP, HOST, SERVER, 40_000, 443), "another protocol");
        assertEquals(MISS, table.lookup(1, TCP, SERVER, HOST, 443, 40_000), "the original tuple reversed");
        assertEquals(MISS, table.lookup(1, TCP, HOST, SERVER, 40_001, 443), "another port");
    }

    @Test
    void aTupleInTheTableAlreadyIsTakenAndNothingIsCreated()
    {
        assertTrue(snat(1, UDP, 40_000, 50_000) >= 0);

        assertEquals(TAKEN, snat(1, UDP, 40_000, 50_001), "the same original tuple, another NAT port");
        assertEquals(TAKEN, table.create(1, UDP, HOST + 1, SERVER, 40_000, 443, SERVER, NAT, 443, 50_000, T0),
            "another host given the same reply tuple");
        assertEquals(TAKEN, table.create(1, UDP, SERVER, NAT, 443, 50_000, SERVER, HOST + 5, 443, 1, T0),
            "an original tuple that is the connection's reply tuple");
        assertEquals(1, table.size());
        assertEquals(MISS, table.lookup(1, UDP, HOST + 1, SERVER, 40_000, 443));
        assertEquals(MISS, table.lookup(1, UDP, SERVER, NAT, 443, 50_001));
        assertTrue(snat(2, UDP, 40_000, 50_000) >= 0, "the same tuples in another zone");
        assertEquals(0, table.fullCount());
    }

    @Test
    void aFullTableRefusesNewConnectionsCountsThemAndKeepsTheOthers()
    {
        final long[] handles = new long[table.capacity()];
        for (int i = 0; i < handles.length; i++)
        {
            handles[i] = snat(1, UDP, 1_000 + i, 2_000 + i);
            assertTrue(handles[i] >= 0);
        }

        assertEquals(FULL, snat(1, UDP, 9_000, 9_000));
        assertEquals(FULL, snat(1, UDP, 9_001, 9_001));
        assertEquals(2, table.fullCount());
        assertEquals(table.capacity(), table.size());
        for (int i = 0; i < handles.length; i++)
        {
            assertEquals(handles[i], table.lookup(1, UDP, HOST, SERVER, 1_000 + i, 443));
            assertEquals(handles[i] | 1, table.lookup(1, UDP, SERVER, NAT, 443, 2_000 + i));
        }
        assertEquals(TAKEN, snat(1, UDP, 1_000, 2_000), "an existing tuple is TAKEN even when full");

        assertEquals(table.capacity(), table.flush(1));
        assertTrue(snat(1, UDP, 9_000, 9_000) >= 0, "room again");
    }

    @Test
    void tcpHandshakeThenCloseFromTheOriginalSide()
    {
        final long handle = snat(1, TCP, 40_000, 50_000);
        final long reply = handle | 1;
        assertEquals(TCP_SYN_SENT, table.seen(handle, FLAG_SYN, T0));
        assertExpires(T0 + 120 * SECOND);
        assertEquals(TCP_SYN_SENT, table.seen(handle, FLAG_ACK, T0), "an ACK before the SYN/ACK changes nothing");
        assertEquals(TCP_SYN_RECV, table.seen(reply, FLAG_SYN | FLAG_ACK, T0 + 10));
        assertExpires(T0 + 10 + 60 * SECOND);
        assertEquals(TCP_ESTABLISHED, table.seen(handle, FLAG_ACK, T0 + 20));
        assertExpires(T0 + 20 + 432_000 * SECOND);
        assertEquals(TCP_ESTABLISHED, table.seen(reply, FLAG_ACK | FLAG_PSH, T0 + 30));

        assertEquals(TCP_FIN_WAIT, table.seen(handle, FLAG_FIN | FLAG_ACK, T0 + 40));
        assertExpires(T0 + 40 + 120 * SECOND);
        assertEquals(TCP_FIN_WAIT, table.seen(handle, FLAG_FIN | FLAG_ACK, T0 + 50), "a retransmitted FIN");
        assertEquals(TCP_CLOSE_WAIT, table.seen(reply, FLAG_ACK, T0 + 60));
        assertExpires(T0 + 60 + 60 * SECOND);
        assertEquals(TCP_LAST_ACK, table.seen(reply, FLAG_FIN | FLAG_ACK, T0 + 70));
        assertExpires(T0 + 70 + 30 * SECOND);
        assertEquals(TCP_TIME_WAIT, table.seen(handle, FLAG_ACK, T0 + 80));
        final long expires = T0 + 80 + 120 * SECOND;
        assertExpires(expires);

        assertEquals(0, table.expire(expires - 1, table.capacity()));
        assertEquals(1, table.expire(expires, table.capacity()));
        assertEquals(0, table.size());
        assertEquals(MISS, table.lookup(1, TCP, HOST, SERVER, 40_000, 443));
        assertEquals(MISS, table.lookup(1, TCP, SERVER, NAT, 443, 50_000));
    }

    @Test
    void aLabelStaysWithItsConnectionTheFirstCloseEndsItOnceAndRemovalIsTold()
    {
        final List<String> removed = new ArrayList<>();
        table.removalListener((zone, label, open) -> removed.add(zone + "/" + label + "/" + open));
        final long handle = table.create(1, TCP, HOST, SERVER, 40_000, 443, SERVER, NAT, 443, 50_000, 77, false, T0);
        assertEquals(77, table.label(handle));
        assertEquals(77, table.label(handle | 1));
        assertEquals(TCP_SYN_SENT, table.track(handle, FLAG_SYN, T0));
        table.track(handle | 1, FLAG_SYN | FLAG_ACK, T0);
        assertEquals(TCP_ESTABLISHED, table.track(handle, FLAG_ACK, T0));
        assertEquals(TCP_FIN_WAIT | ConnectionTable.ENDED, table.track(handle, FLAG_FIN | FLAG_ACK, T0 + 1));
        assertEquals(TCP_FIN_WAIT, table.track(handle, FLAG_FIN | FLAG_ACK, T0 + 2), "a retransmitted FIN ends nothing");
        assertEquals(TCP_CLOSE, table.track(handle | 1, FLAG_RST, T0 + 3), "nor a reset after it");

        final long open = table.create(2, UDP, HOST, SERVER, 40_001, 443, SERVER, NAT, 443, 50_001, 78, false, T0);
        table.seen(open, 0, T0);
        assertEquals(1, table.flush(2, 78));
        assertEquals(0, table.flush(1, 78), "another label");
        assertEquals(1, table.flush(1, 77));
        assertEquals(List.of("2/78/true", "1/77/false"), removed);
        assertEquals(ConnectionTable.NO_LABEL, table.label(snat(1, TCP, 40_002, 50_002)));
    }

    @Test
    void tcpCloseFromTheReplySide()
    {
        final long handle = established();
        final long reply = handle | 1;
        assertEquals(TCP_FIN_WAIT, table.seen(reply, FLAG_FIN | FLAG_ACK, T0 + 100));
        assertEquals(TCP_CLOSE_WAIT, table.seen(handle, FLAG_ACK, T0 + 110));
        assertEquals(TCP_CLOSE_WAIT, table.seen(reply, FLAG_ACK, T0 + 120), "the closer's ACK changes nothing");
        assertEquals(TCP_LAST_ACK, table.seen(handle, FLAG_FIN | FLAG_ACK, T0 + 130));
        assertEquals(TCP_LAST_ACK, table.seen(handle, FLAG_ACK, T0 + 140), "the last ACK comes from the closer");
        assertEquals(TCP_TIME_WAIT, table.seen(reply, FLAG_ACK, T0 + 150));
        assertExpires(T0 + 150 + 120 * SECOND);
    }

    @Test
    void tcpFinAnsweredByFinGoesStraightToLastAck()
    {
        final long handle = established();
        assertEquals(TCP_FIN_WAIT, table.seen(handle, FLAG_FIN | FLAG_ACK, T0 + 100));
        assertEquals(TCP_LAST_ACK, table.seen(handle | 1, FLAG_FIN | FLAG_ACK, T0 + 110));
        assertEquals(TCP_TIME_WAIT, table.seen(handle, FLAG_ACK, T0 + 120));
    }

    /**
     * A client connects from port 40,000 to a service at VIP:80 whose backend is SERVER:443, closes, then from the
     * same port to VIP:81 with the same backend: both connections have one reply tuple, SERVER:443 to HOST:40,000.
     */
    @Test
    void anOpeningConnectionTakesTheReplyTupleOfAClosedOneAndTheControlThreadRemovesTheClosedOne()
    {
        final int vip = ip(10, 96, 0, 10);
        final List<String> removed = new ArrayList<>();
        table.removalListener((zone, label, open) -> removed.add(zone + "/" + label + "/" + open));
        final long first = table.create(1, TCP, HOST, vip, 40_000, 80, SERVER, HOST, 443, 40_000, 7, true, T0);
        table.seen(first, FLAG_SYN, T0);
        assertEquals(TAKEN, table.create(1, TCP, HOST, vip, 40_000, 81, SERVER, HOST, 443, 40_000, 8, true, T0 + 1),
            "the first is opening: its tuple is not given up");
        table.seen(first | 1, FLAG_SYN | FLAG_ACK, T0);
        table.seen(first, FLAG_ACK, T0);
        table.seen(first, FLAG_FIN | FLAG_ACK, T0 + 10);
        table.seen(first | 1, FLAG_FIN | FLAG_ACK, T0 + 11);
        assertEquals(TCP_TIME_WAIT, table.seen(first, FLAG_ACK, T0 + 12));
        assertEquals(TAKEN, table.create(1, TCP, HOST, vip, 40_000, 81, SERVER, HOST, 443, 40_000, 8, false, T0 + 20),
            "a create that does not open a connection takes nothing");
        assertEquals(0, table.retiredCount());

        final long second = table.create(1, TCP, HOST, vip, 40_000, 81, SERVER, HOST, 443, 40_000, 8, true, T0 + 30);
        assertTrue(second >= 0, "created: " + second);
        assertEquals(1, table.retiredCount());
        assertFalse(table.isCurrent(first), "the closed connection is gone for the forwarding threads");
        assertEquals(NONE, table.seen(first | 1, FLAG_ACK, T0 + 31));
        assertEquals(MISS, table.lookup(1, TCP, HOST, vip, 40_000, 80));
        assertEquals(second | 1, table.lookup(1, TCP, SERVER, HOST, 443, 40_000), "replies belong to the new one");
        assertEquals(81, table.translatedSourcePort(second | 1));
        assertEquals(2, table.size(), "the retired one holds its entry until the control thread comes to it");
        final List<Integer> listed = new ArrayList<>();
        table.forEach((zone, protocol, oSrc, oDst, oSport, oDport, rSrc, rDst, rSport, rDport, state, expires) ->
            listed.add(oDport));
        assertEquals(List.of(81), listed, "a retired connection is not listed");

        assertEquals(1, table.expire(T0 + 32, table.capacity()), "removed long before its TIME_WAIT ends");
        assertEquals(List.of("1/7/false"), removed);
        assertEquals(1, table.size());
        assertEquals(second | 1, table.lookup(1, TCP, SERVER, HOST, 443, 40_000));
        assertEquals(second, table.lookup(1, TCP, HOST, vip, 40_000, 81));

        assertEquals(TCP_SYN_SENT, table.seen(second, FLAG_SYN, T0 + 40));
        table.seen(second | 1, FLAG_SYN | FLAG_ACK, T0 + 40);
        table.seen(second, FLAG_ACK, T0 + 40);
        assertEquals(TAKEN, table.create(1, TCP, HOST, vip, 40_000, 82, SERVER, HOST, 443, 40_000, 9, true, T0 + 50),
            "an established connection keeps its tuple");
        table.seen(second | 1, FLAG_RST, T0 + 60);
        final long third = table.create(1, TCP, HOST, vip, 40_000, 82, SERVER, HOST, 443, 40_000, 9, true, T0 + 70);
        assertTrue(third >= 0, "a reset one gives it up: " + third);
        assertEquals(1, table.flush(1, 8), "a flush removes a retired connection of its label");
        assertEquals(List.of("1/7/false", "1/8/false"), removed);
        assertEquals(third, table.lookup(1, TCP, HOST, vip, 40_000, 82));
        assertEquals(1, table.size());
    }

    @Test
    void tcpResetClosesFromAnyStateAndASynReopens()
    {
        final long handle = established();
        assertEquals(TCP_CLOSE, table.seen(handle | 1, FLAG_RST | FLAG_ACK, T0 + 100));
        final long expires = T0 + 100 + 10 * SECOND;
        assertExpires(expires);
        assertEquals(TCP_CLOSE, table.seen(handle | 1, FLAG_ACK, T0 + 200));
        assertEquals(TCP_SYN_SENT, table.seen(handle, FLAG_SYN, T0 + 300), "a new SYN reuses the tuple");
        assertExpires(T0 + 300 + 120 * SECOND);

        final long other = snat(1, TCP, 40_001, 50_001);
        assertEquals(TCP_CLOSE, table.seen(other, FLAG_RST, T0));
        assertEquals(1, table.expire(T0 + 10 * SECOND, table.capacity()));
        assertEquals(1, table.size());
    }

    @Test
    void udpIsAssuredOnceBothDirectionsWereSeen()
    {
        final long handle = snat(1, UDP, 5_353, 50_000);
        assertEquals(UDP_UNREPLIED, table.state(handle));
        assertExpires(T0 + 30 * SECOND);
        assertEquals(UDP_UNREPLIED, table.seen(handle, 0, T0 + 10 * SECOND));
        assertExpires(T0 + 40 * SECOND);
        assertEquals(UDP_ASSURED, table.seen(handle | 1, 0, T0 + 20 * SECOND));
        assertExpires(T0 + 140 * SECOND);
        assertEquals(UDP_ASSURED, table.seen(handle, 0, T0 + 30 * SECOND));
        assertExpires(T0 + 150 * SECOND);
        assertEquals(0, table.expire(T0 + 150 * SECOND - 1, table.capacity()));
        assertEquals(1, table.expire(T0 + 150 * SECOND, table.capacity()));
    }

    @Test
    void aRefreshWithinTheSlackIsNotWritten()
    {
        final long handle = snat(1, UDP, 5_353, 50_000);
        table.seen(handle, 0, T0 + 400);
        assertExpires(T0 + 30 * SECOND, "400 ms is under 1/64 of 30 s");
        table.seen(handle, 0, T0 + 500);
        assertExpires(T0 + 500 + 30 * SECOND);
    }

    @Test
    void icmpEchoUsesItsIdentifierAsBothPorts()
    {
        final int id = 0x1234;
        final long handle = table.create(3, ICMP_PROTOCOL, HOST, SERVER, id, id, SERVER, NAT, 777, 777, T0);
        assertEquals(ICMP, table.state(handle));
        assertTranslated(handle, NAT, SERVER, 777, 777);
        final long reply = table.lookup(3, ICMP_PROTOCOL, SERVER, NAT, 777, 777);
        assertEquals(handle | 1, reply);
        assertTranslated(reply, SERVER, HOST, id, id);
        assertEquals(ICMP, table.seen(reply, 0, T0 + SECOND));
        assertExpires(T0 + 31 * SECOND);
        assertEquals(1, table.expire(T0 + 31 * SECOND, table.capacity()));
    }

    @Test
    void expiryIsIncremental()
    {
        for (int i = 0; i < 10; i++)
        {
            snat(1, UDP, 1_000 + i, 2_000 + i);
        }
        final long expired = T0 + 30 * SECOND;
        assertEquals(0, table.expire(expired - 1, table.capacity()));
        assertEquals(4, table.expire(expired, 4));
        assertEquals(6, table.size());
        assertEquals(4, table.expire(expired, 4));
        assertEquals(2, table.expire(expired, 4));
        assertEquals(0, table.expire(expired, 100), "a whole pass finds nothing more");
        assertEquals(0, table.size());
        for (int i = 0; i < 10; i++)
        {
            assertEquals(MISS, table.lookup(1, UDP, HOST, SERVER, 1_000 + i, 443));
        }
    }

    @Test
    void flushRemovesOneZone()
    {
        final long kept = snat(2, UDP, 1_000, 2_000);
        snat(1, UDP, 1_000, 2_000);
        snat(1, TCP, 1_000, 2_000);
        snat(1, UDP, 1_001, 2_001);

        assertEquals(3, table.flush(1));
        assertEquals(1, table.size());
        assertEquals(MISS, table.lookup(1, UDP, HOST, SERVER, 1_000, 443));
        assertEquals(MISS, table.lookup(1, TCP, SERVER, NAT, 443, 2_000));
        assertEquals(kept, table.lookup(2, UDP, HOST, SERVER, 1_000, 443));
        assertEquals(0, table.flush(1));
    }

    @Test
    void aHandleOfARemovedConnectionNeverTranslates()
    {
        final long old = snat(1, UDP, 1_000, 2_000);
        table.flush(1);
        assertFalse(table.isCurrent(old));
        assertEquals(NONE, table.seen(old, 0, T0));
        assertEquals(NONE, table.state(old));

        final long reused = table.create(1, UDP, HOST + 9, SERVER + 9, 9, 9, SERVER + 9, NAT, 9, 9, T0);
        assertEquals(old & 0xFFFF_FFFFL, reused & 0xFFFF_FFFFL, "the same entry, reused");
        assertNotEquals(old, reused, "in a new generation");
        assertEquals(0, table.translatedSource(old));
        assertEquals(0, table.translatedDestination(old));
        assertEquals(0, table.translatedSourcePort(old));
        assertEquals(0, table.translatedDestinationPort(old));
        assertFalse(table.isCurrent(old));
        assertEquals(NONE, table.seen(old, 0, T0), "nor changes the new connection");
        assertTranslated(reused, NAT, SERVER + 9, 9, 9);
        assertFalse(table.isCurrent(MISS));
        assertEquals(NONE, table.seen(MISS, 0, T0));
    }

    @Test
    void forEachListsBothTuplesStateAndExpiry()
    {
        final long handle = snat(4, UDP, 1_000, 2_000);
        table.seen(handle | 1, 0, T0 + SECOND);
        final List<String> listed = new ArrayList<>();
        table.forEach((zone, protocol, oSrc, oDst, oSport, oDport, rSrc, rDst, rSport, rDport, state, expiresAtMs) ->
            listed.add(zone + " " + protocol + " " + oSrc + ":" + oSport + ">" + oDst + ":" + oDport + " " +
                rSrc + ":" + rSport + ">" + rDst + ":" + rDport + " " + ConnectionTable.stateName(state) + " " +
                (expiresAtMs - T0)));
        assertEquals(List.of("4 17 " + HOST + ":1000>" + SERVER + ":443 " + SERVER + ":443>" + NAT + ":2000 ASSURED " +
            121 * SECOND), listed);
        assertEquals("ESTABLISHED", ConnectionTable.stateName(TCP_ESTABLISHED));
        assertEquals(432_000 * SECOND, ConnectionTable.timeoutMs(TCP_ESTABLISHED));
    }

    @Test
    void pagesOfOneZoneListItsConnectionsOnceEach()
    {
        final List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 48; i++)
        {
            // Every fourth connection in another zone, which no page of zone 1 shows.
            final int zone = 0 == i % 4 ? 2 : 1;
            assertTrue(snat(zone, TCP, 1_000 + i, 2_000 + i) >= 0);
            if (1 == zone)
            {
                expected.add(1_000 + i);
            }
        }
        final List<Integer> listed = new ArrayList<>();
        int from = 0;
        int pages = 0;
        while (from < table.capacity())
        {
            final int before = listed.size();
            from = table.forEach(1, from, 5, (zone, protocol, oSrc, oDst, oSport, oDport, rSrc, rDst, rSport, rDport,
                state, expires) ->
            {
                assertEquals(1, zone);
                listed.add(oSport);
            });
            assertTrue(listed.size() - before <= 5, "a page holds at most its limit");
            pages++;
        }
        assertEquals(expected, listed.stream().sorted().toList());
        assertEquals(8, pages, "36 connections, 5 to a page, and a last page that finds none");
        assertEquals(table.capacity(), table.forEach(1, table.capacity(), 1, (zone, protocol, oSrc, oDst, oSport, oDport,
            rSrc, rDst, rSport, rDport, state, expires) -> listed.add(-1)), "nothing after the last entry");
        assertEquals(36, listed.size());
    }

    @Test
    void aListingThatGoesOnWhileConnectionsComeAndGoReportsEachAtMostOnce()
    {
        final int stays = 1;
        final int goes = 2;
        for (int i = 0; i < 40; i++)
        {
            table.create(1, TCP, HOST, SERVER, 1_000 + i, 443, SERVER, NAT, 443, 2_000 + i, i % 2 == 0 ? stays : goes, false, T0);
        }
        final List<Integer> listed = new ArrayList<>();
        int from = table.forEach(1, 0, 10, (zone, protocol, oSrc, oDst, oSport, oDport, rSrc, rDst, rSport, rDport,
            state, expires) -> listed.add(oSport));
        int created = 0;
        while (from < table.capacity())
        {
            // Between pages, half of the connections end and new ones take their entries, before and after the cursor.
            assertEquals(20, table.flush(1, goes));
            for (int i = 0; i < 20; i++)
            {
                table.create(1, TCP, HOST, SERVER, 10_000 + created, 443, SERVER, NAT, 443, 20_000 + created, goes, false, T0);
                created++;
            }
            from = table.forEach(1, from, 10, (zone, protocol, oSrc, oDst, oSport, oDport, rSrc, rDst, rSport, rDport,
                state, expires) -> listed.add(oSport));
        }
        assertEquals(listed.size(), listed.stream().distinct().count(), "no connection twice: " + listed);
        for (int i = 0; i < 40; i += 2)
        {
            assertTrue(listed.contains(1_000 + i), "a connection that lived through the listing: " + (1_000 + i));
        }
    }

    @Test
    void aPageOutsideTheTableOrOfNoConnectionsIsRefused()
    {
        final ConnectionConsumer none = (zone, protocol, oSrc, oDst, oSport, oDport, rSrc, rDst, rSport, rDport, state,
            expires) -> fail("nothing to report");
        assertThrows(IllegalArgumentException.class, () -> table.forEach(1, -1, 5, none));
        assertThrows(IllegalArgumentException.class, () -> table.forEach(1, table.capacity() + 1, 5, none));
        assertThrows(IllegalArgumentException.class, () -> table.forEach(1, 0, 0, none));
        assertEquals(table.capacity(), table.forEach(1, 0, 5, none), "an empty table: one page to its end");
    }

    @Test
    void aMillionRandomConnectionsFitInAboutAHundredMegabytes()
    {
        table.close();
        table = new ConnectionTable(1_000_000);
        assertTrue(table.memoryBytes() < 110_000_000L, "bytes: " + table.memoryBytes());
        final SplittableRandom random = new SplittableRandom(7);
        int created = 0;
        while (created < table.capacity())
        {
            final long handle = table.create(random.nextInt(4), UDP, random.nextInt(), random.nextInt(),
                random.nextInt(0x10000), 53, random.nextInt(), NAT, 53, random.nextInt(0x10000), T0);
            if (handle >= 0)
            {
                created++;
            }
            else
            {
                assertEquals(TAKEN, handle, "after " + created);
            }
        }
        assertEquals(0, table.fullCount());
        assertEquals(FULL, snat(9, UDP, 1, 1));
    }

    @Test
    void touchingKeysPresentAbsentOrArbitraryChangesNothingALookupFinds()
    {
        final long first = snat(1, TCP, 40_000, 50_000);
        final long second = snat(2, UDP, 40_001, 50_001);
        final long[] keys = {
            ConnectionTable.key(1, TCP, HOST, SERVER, 40_000, 443),
            ConnectionTable.key(1, TCP, SERVER, NAT, 443, 50_000),
            ConnectionTable.key(2, UDP, HOST, SERVER, 40_001, 443),
            ConnectionTable.key(3, TCP, HOST, SERVER, 40_000, 443),
            0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x1234_5678_9ABC_DEF0L,
        };
        table.touch(keys, keys.length);
        table.touch(keys, 0);
        assertEquals(first, table.lookup(1, TCP, HOST, SERVER, 40_000, 443));
        assertEquals(first | 1, table.lookup(1, TCP, SERVER, NAT, 443, 50_000));
        assertEquals(second, table.lookup(2, UDP, HOST, SERVER, 40_001, 443));
        assertEquals(MISS, table.lookup(3, TCP, HOST, SERVER, 40_000, 443));
        assertEquals(2, table.size());

        assertNotEquals(0, table.touch(keys, keys.length), "the words of the table's memory, loaded");
        table.close();
        assertEquals(0, table.touch(keys, keys.length), "closed: nothing loaded from the freed memory");
    }

    private long snat(final int zone, final int protocol, final int hostPort, final int natPort)
    {
        return table.create(zone, protocol, HOST, SERVER, hostPort, 443, SERVER, NAT, 443, natPort, T0);
    }

    private long established()
    {
        final long handle = snat(1, TCP, 40_000, 50_000);
        table.seen(handle, FLAG_SYN, T0);
        table.seen(handle | 1, FLAG_SYN | FLAG_ACK, T0);
        assertEquals(TCP_ESTABLISHED, table.seen(handle, FLAG_ACK, T0));
        return handle;
    }

    private void assertTranslated(
        final long handle, final int source, final int destination, final int sourcePort, final int destinationPort)
    {
        assertEquals(source, table.translatedSource(handle));
        assertEquals(destination, table.translatedDestination(handle));
        assertEquals(sourcePort, table.translatedSourcePort(handle));
        assertEquals(destinationPort, table.translatedDestinationPort(handle));
        assertTrue(table.isCurrent(handle));
    }

    private void assertExpires(final long expiresAtMs)
    {
        assertExpires(expiresAtMs, "");
    }

    private void assertExpires(final long expiresAtMs, final String why)
    {
        final long[] listed = new long[1];
        table.forEach((zone, protocol, oSrc, oDst, oSport, oDport, rSrc, rDst, rSport, rDport, state, expires) ->
            listed[0] = expires);
        assertEquals(expiresAtMs - T0, listed[0] - T0, why);
    }

    static int ip(final int a, final int b, final int c, final int d)
    {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }
}
