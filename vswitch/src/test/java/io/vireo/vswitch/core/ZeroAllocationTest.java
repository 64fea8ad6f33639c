package io.vireo.vswitch.core;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import io.vireo.testkit.Allocations;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forwarding thread allocates nothing in steady state: a million frames forwarded in invoker
 * mode (the test thread is the forwarding thread), in {@link Allocations} windows.
 */
class ZeroAllocationTest
{
    private static final int FRAMES = 1 << 20; // a million, in windows that are whole rounds of 64
    private static final int PER_ROUND = 32;

    private static final UnsafeBuffer FROM_A = new UnsafeBuffer(Frames.ethernet(
        MacAddress.parse("02:00:00:00:00:0b"), MacAddress.parse("02:00:00:00:00:0a"), 0x0800, 50));
    private static final UnsafeBuffer FROM_B = new UnsafeBuffer(Frames.ethernet(
        MacAddress.parse("02:00:00:00:00:0a"), MacAddress.parse("02:00:00:00:00:0b"), 0x0800, 50));

    private static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    private static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");
    private static final long ROUTER_BR0 = MacAddress.parse("02:00:00:00:01:00");

    private long injected;
    private int datagram;
    private long transmitted;
    private final MessageHandler countFrame = (type, buffer, index, length) -> transmitted++;

    @Test
    void aMillionForwardedFramesAllocateNothing()
    {
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096)))
        {
            final LoopbackPort a = new LoopbackPort("a", 1 << 16);
            final LoopbackPort b = new LoopbackPort("b", 1 << 16);
            oneBridge(vireo, a, b);
            final int perWindow = FRAMES / Allocations.WINDOWS;

            final long transmittedBefore = transmitted;
            Allocations.assertAllocatesNothing(perWindow + " frames", () ->
            {
                forward(vireo, a, b, FROM_A, FROM_B, perWindow);
                return transmitted;
            });

            assertTrue(transmitted - transmittedBefore >= FRAMES, () -> "every frame forwarded: " + vireo.ports());
        }
    }

    /**
     * Through rate limits (A's ingress, B's egress) with a burst of one frame: frames wait for A's bucket in
     * its ring and for B's in B's shaping queue, and go on as the buckets refill.
     */
    @Test
    void aMillionRateLimitedFramesAllocateNothing()
    {
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096)))
        {
            final LoopbackPort a = new LoopbackPort("a", 1 << 16);
            final LoopbackPort b = new LoopbackPort("b", 1 << 16);
            oneBridge(vireo, a, b);
            vireo.limitPort("a", new RateLimit(4_000_000_000L, 64L), null);
            vireo.limitPort("b", null, new RateLimit(2_000_000_000L, 64L));
            final int perWindow = FRAMES / Allocations.WINDOWS;

            Allocations.assertAllocatesNothing(perWindow + " frames", () ->
            {
                forward(vireo, a, b, FROM_A, FROM_B, perWindow);
                return transmitted;
            });

            assertEquals(0, vireo.port("b").stats().drops().get("rate_limited"), "the queue held what waited");
        }
    }

    /**
     * Routed and masqueraded: frames from A on br0 to the router's MAC go out on br1 to B, each a packet
     * of one tracked connection, translated by the connection table, TTL and checksums rewritten.
     */
    @Test
    void aMillionRoutedAndTranslatedFramesAllocateNothing()
    {
        routedAndTranslated(false);
    }

    /**
     * As {@link #aMillionRoutedAndTranslatedFramesAllocateNothing}, with a policy on br1 that the routed
     * frames pass (UDP allowed, anything else denied): each is checked by br1's policy through the flow cache.
     */
    @Test
    void aMillionFramesRoutedThroughAnEgressPolicyAllocateNothing()
    {
        routedAndTranslated(true);
    }

    private void routedAndTranslated(final boolean egressPolicy)
    {
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096)))
        {
            final LoopbackPort a = new LoopbackPort("a", 1 << 16);
            final LoopbackPort b = new LoopbackPort("b", 1 << 16);
            masqueradingRouter(vireo, a, b);
            if (egressPolicy)
            {
                vireo.addPolicy("br1", new PolicySpec(null, 100, "allow", null, null, null, null, "udp", null, null));
                vireo.defaultPolicy("br1", "deny");
            }
            final UnsafeBuffer fromA = new UnsafeBuffer(Frames.udp(ROUTER_BR0, MAC_A, 0x0A01_0002, 0x0A02_0002));
            final int perWindow = FRAMES / Allocations.WINDOWS;

            final long transmittedBefore = transmitted;
            Allocations.assertAllocatesNothing(perWindow + " routed frames", () ->
            {
                route(vireo, a, b, fromA, perWindow, 1);
                return transmitted;
            });

            assertTrue(transmitted - transmittedBefore >= FRAMES, () -> "every frame routed: " + vireo.ports());
            final ConnectionPage connections = vireo.gateway().connections("r1", 0, 10);
            assertTrue(connections.connections().size() == 1 && null == connections.next(),
                () -> "one connection: " + connections);
            assertEquals(0, vireo.port("a").stats().drops().get("policy"), "nothing denied");
        }
    }

    /**
     * Routed, masqueraded and fragmented: each 2,000-byte datagram from A leaves for B, behind an interface of
     * MTU 1280, in two fragments.
     */
    @Test
    void aMillionFragmentsOfRoutedPacketsAllocateNothing()
    {
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096)))
        {
            final LoopbackPort a = new LoopbackPort("a", 1 << 20);
            final LoopbackPort b = new LoopbackPort("b", 1 << 20);
            masqueradingRouter(vireo, a, b, 1280);
            final UnsafeBuffer fromA = new UnsafeBuffer(java.util.Arrays.copyOf(
                Frames.udp(ROUTER_BR0, MAC_A, 0x0A01_0002, 0x0A02_0002), 14 + 2000));
            fromA.putShort(16, (short)2000, java.nio.ByteOrder.BIG_ENDIAN);
            fromA.putShort(38, (short)(2000 - 20), java.nio.ByteOrder.BIG_ENDIAN);
            identify(fromA, 1);
            final int perWindow = FRAMES / Allocations.WINDOWS;

            final long transmittedBefore = transmitted;
            Allocations.assertAllocatesNothing(perWindow + " fragments", () ->
            {
                route(vireo, a, b, fromA, perWindow / 2, 2);
                return transmitted;
            });

            assertTrue(transmitted - transmittedBefore >= FRAMES, () -> "every packet routed: " + vireo.ports());
            assertEquals(vireo.port("b").stats().txPackets() - 1, vireo.port("b").stats().ipv4Fragments(),
                "all in fragments, but the router's ARP answer");
        }
    }

    /**
     * Routed and masqueraded in fragments: each datagram from A is two fragments, half of them sent in order
     * and half with the later fragment first (held until its first fragment has gone through), each datagram
     * with an identification of its own, so every datagram makes, uses and frees an entry of the fragment table.
     */
    @Test
    void aMillionRoutedAndTranslatedFragmentsInAndOutOfOrderAllocateNothing()
    {
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096)))
        {
            final LoopbackPort a = new LoopbackPort("a", 1 << 16);
            final LoopbackPort b = new LoopbackPort("b", 1 << 16);
            masqueradingRouter(vireo, a, b);
            // The first fragment: the UDP header and 64 bytes; the last: 64 more bytes from offset 72.
            final UnsafeBuffer first = new UnsafeBuffer(Frames.udp(ROUTER_BR0, MAC_A, 0x0A01_0002, 0x0A02_0002));
            final UnsafeBuffer last = new UnsafeBuffer(Frames.udp(ROUTER_BR0, MAC_A, 0x0A01_0002, 0x0A02_0002));
            first.putShort(20, (short)0x2000, java.nio.ByteOrder.BIG_ENDIAN);
            last.putShort(20, (short)(72 / 8), java.nio.ByteOrder.BIG_ENDIAN);
            final int perWindow = FRAMES / Allocations.WINDOWS;

            final long transmittedBefore = transmitted;
            Allocations.assertAllocatesNothing(perWindow + " routed fragments", () ->
            {
                routeFragments(vireo, a, b, first, last, perWindow);
                return transmitted;
            });

            assertTrue(transmitted - transmittedBefore >= FRAMES, () -> "every fragment routed: " + vireo.ports());
            assertEquals(0, vireo.port("a").stats().drops().values().stream().mapToLong(Long::longValue).sum(),
                () -> "nothing dropped: " + vireo.ports());
        }
    }

    /**
     * ARP/ND suppression: A's ARP requests and neighbour solicitations for an endpoint the switch answers for,
     * each answered back to A by the suppression stage, nothing flooded to B.
     */
    @Test
    void aMillionAnsweredArpRequestsAndSolicitationsAllocateNothing()
    {
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096)))
        {
            final LoopbackPort a = new LoopbackPort("a", 1 << 16);
            final LoopbackPort b = new LoopbackPort("b", 1 << 16);
            oneBridge(vireo, a, b);
            vireo.overlay().addNeighbourAnswer("br0", "10.66.0.2", "02:00:00:00:00:0b");
            vireo.overlay().addNeighbourAnswer("br0", "fd00::2", "02:00:00:00:00:0b");
            final long macA = MacAddress.parse("02:00:00:00:00:0a");
            final UnsafeBuffer arp = new UnsafeBuffer(Frames.arpRequest(macA, 0x0A42_0001, 0x0A42_0002));
            final UnsafeBuffer solicitation = new UnsafeBuffer(Frames.neighbourSolicitation(macA, 1, 0xFD00_0000_0000_0000L, 2));
            final int perWindow = FRAMES / Allocations.WINDOWS;

            final long transmittedBefore = transmitted;
            Allocations.assertAllocatesNothing(perWindow + " answered requests", () ->
            {
                ask(vireo, a, b, arp, solicitation, perWindow);
                return transmitted;
            });

            assertTrue(transmitted - transmittedBefore >= FRAMES, () -> "every request answered: " + vireo.ports());
            assertEquals(0, vireo.port("b").stats().txPackets(), "nothing flooded");
            assertEquals(vireo.port("a").stats().rxPackets(), vireo.port("a").stats().arpNdSuppressed(), "every request answered");
        }
    }

    /** Injects {@code frames} frames on A, and forwards until each round is through, {@code framesOut} frames out for each. */
    private void route(
        final Vireo vireo, final LoopbackPort a, final LoopbackPort b, final UnsafeBuffer fromA, final int frames, final int framesOut)
    {
        for (int sent = 0; sent < frames; sent += PER_ROUND)
        {
            for (int i = 0; i < PER_ROUND; i++)
            {
                a.inject(fromA, 0, fromA.capacity());
            }
            injected += PER_ROUND * framesOut;
            for (int idle = 0; transmitted < injected; idle++)
            {
                if (idle > 10_000)
                {
                    throw new AssertionError("routed frames stopped going out: " + vireo.ports());
                }
                vireo.invoke();
                a.drainTransmitted(countFrame);
                b.drainTransmitted(countFrame);
            }
        }
    }

    /**
     * Injects {@code frames} fragments on A, 8 datagrams a round (4 in order, 4 later fragment first), and forwards
     * until each round is through: a round of 16 leaves the burst room for the held fragments it releases.
     */
    private void routeFragments(
        final Vireo vireo, final LoopbackPort a, final LoopbackPort b, final UnsafeBuffer first, final UnsafeBuffer last,
        final int frames)
    {
        for (int sent = 0; sent < frames; sent += PER_ROUND / 2)
        {
            for (int i = 0; i < PER_ROUND / 4; i++)
            {
                identify(first, datagram);
                identify(last, datagram++);
                if (0 == (i & 1))
                {
                    a.inject(first, 0, first.capacity());
                    a.inject(last, 0, last.capacity());
                }
                else
                {
                    a.inject(last, 0, last.capacity());
                    a.inject(first, 0, first.capacity());
                }
            }
            injected += PER_ROUND / 2;
            for (int idle = 0; transmitted < injected; idle++)
            {
                if (idle > 10_000)
                {
                    throw new AssertionError("routed fragments stopped going out: " + vireo.ports());
                }
                vireo.invoke();
                a.drainTransmitted(countFrame);
                b.drainTransmitted(countFrame);
            }
        }
    }

    /** Gives the packet in the frame an identification, its header checksum computed again. */
    private static void identify(final UnsafeBuffer frame, final int id)
    {
        frame.putShort(18, (short)id, java.nio.ByteOrder.BIG_ENDIAN);
        frame.putShort(24, (short)0);
        frame.putShort(24, (short)io.vireo.dataplane.headers.Checksums.checksum(frame, 14, 20), java.nio.ByteOrder.BIG_ENDIAN);
    }

    /** Injects {@code frames} requests on A, half ARP and half solicitations, and forwards until each round is answered. */
    private void ask(
        final Vireo vireo, final LoopbackPort a, final LoopbackPort b, final UnsafeBuffer arp, final UnsafeBuffer solicitation,
        final int frames)
    {
        for (int sent = 0; sent < frames; sent += PER_ROUND)
        {
            for (int i = 0; i < PER_ROUND; i += 2)
            {
                a.inject(arp, 0, arp.capacity());
                a.inject(solicitation, 0, solicitation.capacity());
            }
            injected += PER_ROUND;
            for (int idle = 0; transmitted < injected; idle++)
            {
                if (idle > 10_000)
                {
                    throw new AssertionError("answers stopped coming: " + vireo.ports());
                }
                vireo.invoke();
                a.drainTransmitted(countFrame);
                b.drainTransmitted(countFrame);
            }
        }
    }

    /** Injects {@code frames} frames, 32 per port at a time, and forwards until each round is through. */
    /** A on br0, B (10.2.0.2, resolved) on br1, router r1 between them masquerading out of br1. */
    private void masqueradingRouter(final Vireo vireo, final LoopbackPort a, final LoopbackPort b)
    {
        masqueradingRouter(vireo, a, b, null);
    }

    /** As {@link #masqueradingRouter(Vireo, LoopbackPort, LoopbackPort)}, with this MTU on br1 (null: the default). */
    private void masqueradingRouter(final Vireo vireo, final LoopbackPort a, final LoopbackPort b, final Integer mtuOnBr1)
    {
        vireo.addBridge("br0", null);
        vireo.addBridge("br1", null);
        vireo.addPort("br0", a);
        vireo.addPort("br1", b);
        vireo.gateway().addRouter("r1");
        vireo.gateway().attachRouter("r1", "br0", java.util.List.of("10.1.0.1/24"), MacAddress.format(ROUTER_BR0), null);
        vireo.gateway().attachRouter("r1", "br1", java.util.List.of("10.2.0.1/24"), "02:00:00:00:01:01", mtuOnBr1);
        vireo.gateway().addNat("r1", new NatRuleSpec(null, "masquerade", "br1", null, null, null, null, null, null));
        b.inject(Frames.arpRequest(MAC_B, 0x0A02_0002, 0x0A02_0001));
        vireo.invoke();
        b.drainTransmitted(countFrame);
    }

    /** A on bridge br0 with B. */
    private static void oneBridge(final Vireo vireo, final LoopbackPort a, final LoopbackPort b)
    {
        vireo.addBridge("br0", null);
        vireo.addPort("br0", a);
        vireo.addPort("br0", b);
    }

    private void forward(
        final Vireo vireo, final LoopbackPort a, final LoopbackPort b, final UnsafeBuffer fromA, final UnsafeBuffer fromB,
        final int frames)
    {
        for (int sent = 0; sent < frames; sent += 2 * PER_ROUND)
        {
            for (int i = 0; i < PER_ROUND; i++)
            {
                a.inject(fromA, 0, fromA.capacity());
                b.inject(fromB, 0, fromB.capacity());
            }
            injected += 2 * PER_ROUND;
            while (transmitted < injected)
            {
                vireo.invoke();
                a.drainTransmitted(countFrame);
                b.drainTransmitted(countFrame);
            }
        }
    }
}
