package io.vireo.vswitch.core;

import java.util.List;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole switch in invoker mode with loopback ports: learning, flooding, filtering, drops, aging. */
class VireoInvokerTest
{
    private static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    private static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");
    private static final long MAC_C = MacAddress.parse("02:00:00:00:00:0c");
    private static final long BROADCAST = MacAddress.parse("ff:ff:ff:ff:ff:ff");

    private final CachedEpochClock clock = new CachedEpochClock();
    private Vireo vireo;
    private LoopbackPort p1;
    private LoopbackPort p2;
    private LoopbackPort p3;

    @BeforeEach
    void setUp()
    {
        clock.update(1_000_000);
        vireo = Vireo.launch(new VireoContext()
            .threadingMode(ThreadingMode.INVOKER)
            .forwardingThreads(forwardingThreads())
            .epochClock(clock)
            .fdbCapacity(1024));
        vireo.addBridge("br0", 10L);
        p1 = addPort("br0", "p1");
        p2 = addPort("br0", "p2");
        p3 = addPort("br0", "p3");
    }

    /** One here; {@link VireoTwoThreadsInvokerTest} runs every test again with two. */
    int forwardingThreads()
    {
        return 1;
    }

    @AfterEach
    void tearDown()
    {
        vireo.close();
    }

    private LoopbackPort addPort(final String bridge, final String name)
    {
        final LoopbackPort port = new LoopbackPort(name, 1 << 17);
        vireo.addPort(bridge, port);
        return port;
    }

    private void send(final LoopbackPort port, final byte[] frame)
    {
        assertTrue(port.inject(frame));
        for (int i = 0; i < 3; i++)
        {
            vireo.invoke();
        }
    }

    private static List<byte[]> transmitted(final LoopbackPort port)
    {
        return Frames.drain(port);
    }

    private PortStats stats(final String port)
    {
        return vireo.port(port).stats();
    }

    @Test
    void broadcastFloodsToEveryPortButTheIngress()
    {
        final byte[] frame = Frames.ethernet(BROADCAST, MAC_A, 0x0806, 28);
        send(p1, frame);

        assertEquals(0, transmitted(p1).size(), "never back out of the ingress port");
        assertArrayEquals(frame, transmitted(p2).get(0));
        assertArrayEquals(frame, transmitted(p3).get(0));
        assertEquals(1, stats("p1").rxPackets());
        assertEquals(frame.length, stats("p1").rxBytes());
        assertEquals(1, stats("p2").txPackets());
        assertEquals(frame.length, stats("p3").txBytes());
    }

    @Test
    void aPortPlacedOnEachThreadInTurnForwardsFromEvery()
    {
        final int threads = vireo.threads().size();
        assertEquals(forwardingThreads(), threads);
        for (int thread = 0; thread < threads; thread++)
        {
            assertEquals(thread, vireo.movePort("p1", thread).thread());
            final int polledBy = thread;
            assertTrue(vireo.threads().get(thread).ports().contains("p1"));
            send(p1, Frames.ethernet(BROADCAST, MAC_A, 0x0806, 28));
            assertEquals(1, transmitted(p2).size(), () -> "forwarded from thread " + polledBy);
            assertEquals(1, transmitted(p3).size());
        }
        final VireoException outOfRange = assertThrows(VireoException.class, () -> vireo.movePort("p1", threads));
        assertEquals("thread must be 0.." + (threads - 1) + ": " + threads, outOfRange.getMessage());
        assertEquals(VireoException.Kind.NOT_FOUND, assertThrows(VireoException.class, () -> vireo.movePort("nope", 0)).kind());
    }

    @Test
    void learnedUnicastGoesToOnePortOnly()
    {
        send(p1, Frames.ethernet(MAC_B, MAC_A, 0x0800, 46)); // unknown unicast: flooded
        assertEquals(1, transmitted(p2).size());
        assertEquals(1, transmitted(p3).size());

        send(p2, Frames.ethernet(MAC_A, MAC_B, 0x0800, 46)); // A is known: only p1
        send(p1, Frames.ethernet(MAC_B, MAC_A, 0x0800, 46)); // B is known now: only p2
        assertEquals(1, transmitted(p1).size());
        assertEquals(1, transmitted(p2).size());
        assertEquals(0, transmitted(p3).size(), "a third port sees nothing of a learned exchange");
        assertEquals(1, stats("p3").txPackets());
    }

    @Test
    void neverHairpinsAFrameWhoseDestinationIsOnTheIngressPort()
    {
        send(p1, Frames.ethernet(BROADCAST, MAC_A, 0x0806, 28));
        send(p1, Frames.ethernet(BROADCAST, MAC_B, 0x0806, 28));
        transmitted(p2);
        transmitted(p3);

        send(p1, Frames.ethernet(MAC_B, MAC_A, 0x0800, 46));

        assertEquals(0, transmitted(p1).size() + transmitted(p2).size() + transmitted(p3).size());
        assertEquals(1, stats("p1").drops().get("hairpin"));
    }

    @Test
    void aMacThatMovesIsRelearnedAtOnce()
    {
        send(p1, Frames.ethernet(BROADCAST, MAC_A, 0x0806, 28));
        assertEquals("p1", fdbPortOf(MAC_A));

        send(p3, Frames.ethernet(BROADCAST, MAC_A, 0x0806, 28));
        assertEquals("p3", fdbPortOf(MAC_A));
        transmitted(p1);
        transmitted(p2);
        transmitted(p3);

        send(p2, Frames.ethernet(MAC_A, MAC_B, 0x0800, 46));
        assertEquals(1, transmitted(p3).size());
        assertEquals(0, transmitted(p1).size());
    }

    @Test
    void deletingAPortFlushesItsEntries()
    {
        send(p1, Frames.ethernet(BROADCAST, MAC_A, 0x0806, 28));
        send(p2, Frames.ethernet(BROADCAST, MAC_B, 0x0806, 28));
        assertEquals(2, vireo.fdb("br0").size());

        vireo.deletePort("p1");

        assertEquals(List.of("p2"), vireo.fdb("br0").stream().map(FdbEntry::port).toList());
        transmitted(p3);
        send(p2, Frames.ethernet(MAC_A, MAC_B, 0x0800, 46)); // A unknown again: flooded to p3
        assertEquals(1, transmitted(p3).size());
    }

    @Test
    void runtOversizeAndBadSourceAreDroppedAndCountedWhileGoodFramesPass()
    {
        final byte[] runt = new byte[10];
        final byte[] oversize = Frames.ethernet(MAC_B, MAC_A, 0x0800, new VireoContext().maxFrameLength());
        final byte[] truncatedTag = Frames.hex("02000000000b02000000000a8100");
        final byte[] multicastSource = Frames.ethernet(MAC_B, MacAddress.parse("01:00:5e:00:00:01"), 0x0800, 46);
        for (final byte[] bad : List.of(runt, oversize, truncatedTag, multicastSource))
        {
            assertTrue(p1.inject(bad));
        }
        send(p1, Frames.ethernet(BROADCAST, MAC_A, 0x0806, 28));

        final PortStats stats = stats("p1");
        assertEquals(5, stats.rxPackets());
        assertEquals(2, stats.drops().get("runt"));
        assertEquals(1, stats.drops().get("oversize"));
        assertEquals(1, stats.drops().get("bad_source_mac"));
        assertEquals(1, transmitted(p2).size(), "the good frame still passes");
    }

    @Test
    void vlanTaggedFramesAreLearnedPerVlan()
    {
        send(p1, Frames.tagged(BROADCAST, MAC_A, 10, 0x0800, 46));
        final List<FdbEntry> fdb = vireo.fdb("br0");
        assertEquals(1, fdb.size());
        assertEquals(10, fdb.get(0).vlan());
    }

    @Test
    void entriesAgeOutAfterTheBridgesAgingTime()
    {
        send(p1, Frames.ethernet(BROADCAST, MAC_A, 0x0806, 28));
        assertEquals(1, vireo.fdb("br0").size());

        runConductorTicks(80);
        assertEquals(1, vireo.fdb("br0").size(), "8 s old: not yet 10");

        runConductorTicks(80);
        assertEquals(0, vireo.fdb("br0").size(), "16 s old, and a whole sweep has passed");
    }

    private void runConductorTicks(final int ticks)
    {
        for (int i = 0; i < ticks; i++)
        {
            clock.advance(100);
            vireo.invoke();
        }
    }

    @Test
    void bridgesAreIsolated()
    {
        vireo.addBridge("br1", null);
        final LoopbackPort other = addPort("br1", "q1");
        send(p1, Frames.ethernet(BROADCAST, MAC_A, 0x0806, 28));
        assertEquals(0, transmitted(other).size());
        assertEquals(1, transmitted(p2).size());
        assertEquals(1, transmitted(p3).size());

        send(other, Frames.ethernet(BROADCAST, MAC_C, 0x0806, 28));
        assertEquals(0, transmitted(p1).size() + transmitted(p2).size() + transmitted(p3).size());
        assertEquals(1, stats("q1").drops().get("no_route"), "alone on its bridge");
    }

    @Test
    void deletingABridgeDeletesItsPorts()
    {
        vireo.deleteBridge("br0");
        assertEquals(List.of(), vireo.ports());
        assertEquals(List.of(), vireo.bridges());
    }

    @Test
    void badRequestsAreRefusedAndChangeNothing()
    {
        assertKind(VireoException.Kind.CONFLICT, () -> vireo.addBridge("br0", null));
        assertKind(VireoException.Kind.INVALID, () -> vireo.addBridge("bad name", null));
        assertKind(VireoException.Kind.INVALID, () -> vireo.addBridge("br9", 0L));
        assertKind(VireoException.Kind.NOT_FOUND, () -> vireo.deleteBridge("nope"));
        assertKind(VireoException.Kind.NOT_FOUND, () -> vireo.deletePort("nope"));
        assertKind(VireoException.Kind.NOT_FOUND, () -> vireo.addPort("nope", new LoopbackPort("x1", 1 << 12)));
        assertKind(VireoException.Kind.CONFLICT, () -> vireo.addPort("br0", new LoopbackPort("p1", 1 << 12)));
        assertKind(VireoException.Kind.INVALID, () -> vireo.addPort("br0", new LoopbackPort("a-name-too-long-for-linux", 1 << 12)));
        assertKind(VireoException.Kind.NOT_FOUND, () -> vireo.fdb("nope"));
        assertKind(VireoException.Kind.INVALID,
            () -> vireo.addTapPort("br0", new TapPortSpec("t1", null, null, "01:00:00:00:00:01", null)));
        assertKind(VireoException.Kind.INVALID,
            () -> vireo.addTapPort("br0", new TapPortSpec("t1", null, null, "zz:00:00:00:00:01", null)));
        assertKind(VireoException.Kind.INVALID,
            () -> vireo.addTapPort("br0", new TapPortSpec("t1", null, "10.0.0.300/24", null, null)));
        assertKind(VireoException.Kind.INVALID,
            () -> vireo.addTapPort("br0", new TapPortSpec("t1", null, "10.0.0.1", null, null)));
        assertKind(VireoException.Kind.INVALID,
            () -> vireo.addTapPort("br0", new TapPortSpec("t1", null, null, null, 20)));
        assertKind(VireoException.Kind.NOT_FOUND,
            () -> vireo.addTapPort("br0", new TapPortSpec("t1", "no-such-netns-x", null, null, null)));

        assertEquals(List.of("br0"), vireo.bridges().stream().map(BridgeInfo::name).toList());
        assertEquals(List.of("p1", "p2", "p3"), vireo.ports().stream().map(PortInfo::name).toList());
    }

    private static void assertKind(final VireoException.Kind kind, final Runnable action)
    {
        final VireoException ex = assertThrows(VireoException.class, action::run);
        assertEquals(kind, ex.kind(), ex.getMessage());
    }

    private String fdbPortOf(final long mac)
    {
        return vireo.fdb("br0").stream()
            .filter(entry -> entry.mac().equals(MacAddress.format(mac)))
            .map(FdbEntry::port)
            .findFirst()
            .orElse(null);
    }
}
