package io.vireo.vswitch.pipeline;

import io.vireo.flowtable.fdb.ForwardingTable;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up forwards what it claims to: known unicast to one port, flooded frames to every other. */
class ForwardingWarmUpTest
{
    private static final int BURST = 8;
    private static final Pipeline.Geometry GEOMETRY = new Pipeline.Geometry(BURST, 4096, 128, 1518, 16, 4, 64);
    /** The switch's default: a table that loads a burst's lines ahead. */
    private static final int FDB_CAPACITY = 65_536;
    /** A table that fits in a core's cache. */
    private static final int SMALL_FDB_CAPACITY = 1_024;

    @Test
    void warmUpFramesAreForwardedAsUnicastAndFlooded()
    {
        final int bursts = 300;
        long injected = 0;
        for (int burst = 0; burst < bursts; burst++)
        {
            injected += 1 + burst % BURST;
        }

        final ForwardingWarmUp.Forwarded forwarded = ForwardingWarmUp.run(GEOMETRY, FDB_CAPACITY, bursts);

        // Three loopback ports on one bridge, two TAP ports over socket pairs on another: a flooded frame is sent
        // twice (or once, between the TAP ports), a known unicast one once, none dropped.
        final long local = forwarded.frames() - forwarded.routed() - forwarded.acrossVxlan();
        assertTrue(local > injected, "some frames flooded: " + local + " sent of " + injected);
        assertTrue(local < 2 * injected, "some frames unicast: " + local + " sent of " + injected);
        // Then a burst for every four through the router, 1 to 8 frames, from either side in turn, twice: without NAT
        // and with the near side masqueraded and a port published to it. Each frame is routed to the other side (IPv4
        // with its checksum right, IPv6) or, an ARP or echo request for the router's address, answered; the hosts'
        // answers to what reached them translated go back through the router in bursts of their own. After one burst
        // in 64, echo requests (IPv4, IPv6) to a far host the router does not know yet: it holds them, solicits the
        // host (ARP, neighbour solicitation: two frames out of the far port) and sends them on once the host answered.
        final long intoRouter = framesIntoRouter(bursts, BURST);
        final long translated = forwarded.masqueraded() + forwarded.published();
        assertEquals(2 * ((bursts / 4 + 63) / 64), forwarded.newNeighbours(), "one in 64 of each pass's bursts");
        assertEquals(2 * forwarded.newNeighbours(), forwarded.toNewNeighbours(),
            "both echo requests reached each new neighbour once it answered the router's solicitation");
        assertEquals(intoRouter + translated + 4 * forwarded.newNeighbours(), forwarded.routed(),
            "frames out of the routed ports, one for each sent in, and the solicitations");
        assertTrue(forwarded.masqueraded() > 0 && forwarded.published() > 0, forwarded::toString);
        assertEquals(translated, forwarded.translatedAnswers(),
            "every answer to a translated request came back to its host, translated back");
        // Then a burst for every two, 1 to 8 frames, from the loopback ports beside two VXLAN endpoints on lo in
        // turn, every frame across to the other's (the kernel may still hold the last datagrams when the warm-up
        // ends, more of them if its softirq thread lags).
        assertTrue(forwarded.vxlan(), "the VXLAN endpoints opened on lo");
        long intoVxlan = 0;
        for (int burst = 0; burst < bursts / 2; burst++)
        {
            intoVxlan += 1 + burst / 2 % BURST;
        }
        final long acrossVxlan = forwarded.acrossVxlan();
        assertTrue(acrossVxlan <= intoVxlan && acrossVxlan >= intoVxlan / 2,
            acrossVxlan + " frames came out of the port beside one VXLAN endpoint of " + intoVxlan + " sent into the other's");
        // Before every burst the agent slept in epoll and was woken: by a TAP port's or an endpoint's descriptor, or by
        // the eventfd for a loopback port; a sleep that ran to its timeout instead would be missing here. (The bursts
        // are those above, one more to the VXLAN endpoints at the end, and one of answers after each routed burst that
        // brought the hosts translated requests.)
        assertTrue(forwarded.bursts() > bursts + 2 * (bursts / 4) + bursts / 2, forwarded::toString);
        assertEquals(forwarded.bursts(), forwarded.wakeUps(), "sleeps ended by the next burst");
    }

    @Test
    void aSwitchWithRoomForOnePortAndOneBridgeWarmsUpAllTheSame()
    {
        final Pipeline.Geometry small = new Pipeline.Geometry(BURST, 4096, 128, 1518, 1, 1, 64);

        final ForwardingWarmUp.Forwarded forwarded = ForwardingWarmUp.run(small, SMALL_FDB_CAPACITY, 40);

        assertTrue(forwarded.frames() > forwarded.routed() + forwarded.acrossVxlan() && forwarded.routed() > 0 &&
            forwarded.acrossVxlan() > 0, forwarded::toString);
    }

    @Test
    void aSwitchWithLongerBurstsWarmsUpWithBurstsOfAtMost32Frames()
    {
        final Pipeline.Geometry longBursts = new Pipeline.Geometry(64, 4096, 128, 1518, 16, 4, 64);
        final int bursts = 400;

        final ForwardingWarmUp.Forwarded forwarded = ForwardingWarmUp.run(longBursts, FDB_CAPACITY, bursts);

        // Sizes 1 to 32 through the router, as above; with sizes up to 64 it carries more (5,966 frames here, tried).
        assertEquals(framesIntoRouter(bursts, 32) + forwarded.masqueraded() + forwarded.published() +
            4 * forwarded.newNeighbours(), forwarded.routed(), forwarded::toString);
    }

    /**
     * Now and then a host moves between two loopback ports and a new one appears beside it: frames to the hosts reach
     * the port where they last spoke. Large TCP segments cross the TAP ports, with the switch's default slots (with TAP
     * offloads) 64 KB long and as many in a burst as a TAP port reads: they arrive whole.
     */
    @Test
    void warmUpMovesAHostLearnsNewOnesAndCarriesSegmentsOf64KbWhole()
    {
        final Pipeline.Geometry defaults = new Pipeline.Geometry(BURST, 131_072, 128, 9_238, 16, 4, 64);

        final ForwardingWarmUp.Forwarded forwarded = ForwardingWarmUp.run(defaults, FDB_CAPACITY, 300);

        assertTrue(forwarded.churns() >= 4, forwarded::toString);
        assertEquals(new ForwardingWarmUp.ChurnedHosts(2 * forwarded.churns(), 0), forwarded.toChurnedHosts());
        assertTrue(forwarded.largeSegmentsSent() > 0, forwarded::toString);
        assertEquals(forwarded.largeSegmentsSent(), forwarded.largeSegmentsWhole());
    }

    /** A slot with no room for a frame longer than the switch's largest: no large segments. */
    @Test
    void aSwitchWithoutRoomForLargeSegmentsWarmsUpWithoutThem()
    {
        final Pipeline.Geometry noRoom = new Pipeline.Geometry(BURST, 2048, 128, 1920, 16, 4, 64);

        final ForwardingWarmUp.Forwarded forwarded = ForwardingWarmUp.run(noRoom, FDB_CAPACITY, 100);

        assertEquals(0, forwarded.largeSegmentsSent(), forwarded::toString);
        assertTrue(forwarded.frames() > 0 && forwarded.churns() > 0, forwarded::toString);
    }

    /** Frames the warm-up sends into the router: a burst for every four, sizes 1 to {@code largest}, twice. */
    private static long framesIntoRouter(final int bursts, final int largest)
    {
        long frames = 0;
        for (int burst = 0; burst < bursts / 4; burst++)
        {
            frames += 2 * (1 + burst / 2 % largest);
        }
        return frames;
    }

    /** The warm-up's table loads a burst's lines ahead exactly when the switch's does, so its loops compile alike. */
    @Test
    void warmUpTableLoadsAheadWhenTheSwitchsDoes()
    {
        for (final int capacity : new int[]{ 1, SMALL_FDB_CAPACITY, 8_192, 16_384, FDB_CAPACITY, 262_144 })
        {
            try (ForwardingTable switchTable = new ForwardingTable(capacity);
                ForwardingTable warmUpTable = new ForwardingTable(ForwardingWarmUp.fdbCapacity(capacity)))
            {
                assertEquals(switchTable.loadsAhead(), warmUpTable.loadsAhead(), "capacity " + capacity);
            }
        }
        try (ForwardingTable small = new ForwardingTable(SMALL_FDB_CAPACITY);
            ForwardingTable large = new ForwardingTable(FDB_CAPACITY))
        {
            assertFalse(small.loadsAhead());
            assertTrue(large.loadsAhead());
        }
    }

    @Test
    void noBurstsForwardNothing()
    {
        assertEquals(new ForwardingWarmUp.Forwarded(0, 0, 0, 0, 0, 0, false, 0, 0, 0,
                new ForwardingWarmUp.ChurnedHosts(0, 0), 0, 0, 0, 0),
            ForwardingWarmUp.run(GEOMETRY, FDB_CAPACITY, 0));
    }
}
