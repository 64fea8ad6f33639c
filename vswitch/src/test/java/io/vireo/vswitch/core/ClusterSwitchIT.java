package io.vireo.vswitch.core;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.vireo.api.Endpoint;
import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ClusterSwitch} over two switches in invoker mode on this thread, nodes 127.0.0.1 and 127.0.0.2 (real
 * VXLAN sockets on loopback addresses, which need root for the raw socket): network ov1 (VNI 42), host A on
 * node one's loopback port a (and a bystander c), endpoint B on node two's port b.
 */
class ClusterSwitchIT
{
    private static final String ONE = "127.0.0.1";
    private static final String TWO = "127.0.0.2";
    private static final long MAC_A = MacAddress.parse("02:77:00:00:00:01");
    private static final long MAC_B = MacAddress.parse("02:77:00:00:00:02");
    private static final long MAC_C = MacAddress.parse("02:77:00:00:00:03");
    private static final int IP_A = 0x0A42_0001;
    private static final int IP_B = 0x0A42_0002;
    private static final Endpoint B_ON_TWO = new Endpoint(MacAddress.format(MAC_B), List.of("10.66.0.2", "fd00::2"), TWO);

    private int udpPort;
    private Vireo one;
    private Vireo two;
    private ClusterSwitch clusterOne;
    private ClusterSwitch clusterTwo;
    private final LoopbackPort a = new LoopbackPort("a", 1 << 16);
    private final LoopbackPort b = new LoopbackPort("b", 1 << 16);
    private final LoopbackPort c = new LoopbackPort("c", 1 << 16);

    @BeforeEach
    void setUp() throws Exception
    {
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByName(TWO)))
        {
            udpPort = probe.getLocalPort();
        }
        one = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096).warmUpBursts(0));
        two = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096).warmUpBursts(0));
        clusterOne = new ClusterSwitch(one, ONE);
        clusterTwo = new ClusterSwitch(two);
        clusterOne.ensureNetwork("ov1", 42, ONE, udpPort);
        clusterTwo.ensureNetwork("ov1", 42, TWO, udpPort);
        clusterTwo.addPeer("ov1", ONE);
        one.addPort("ov1", a);
        one.addPort("ov1", c);
        two.addPort("ov1", b);
    }

    @AfterEach
    void tearDown()
    {
        one.close();
        two.close();
    }

    @Test
    void aNetworkIsAVxlanBridgeThatLearnsFromItsPeersOnlyAndEnsuringItAgainIsNoChange()
    {
        final VxlanInfo vxlan = one.vxlan("ov1");
        assertEquals(42, vxlan.vni());
        assertEquals(ONE, vxlan.local());
        assertEquals(udpPort, vxlan.port());
        assertFalse(vxlan.learnAnyPeer());
        clusterOne.ensureNetwork("ov1", 42, ONE, udpPort);
        assertEquals(List.of("ov1"), clusterOne.networks());

        final IllegalStateException other = assertThrows(IllegalStateException.class,
            () -> clusterOne.ensureNetwork("ov1", 43, ONE, udpPort + 1));
        assertTrue(other.getMessage().contains("VNI 42, not 43") && other.getMessage().contains("UDP port " + udpPort),
            other.getMessage());
        one.addBridge("plain", null);
        assertTrue(assertThrows(IllegalStateException.class, () -> clusterOne.ensureNetwork("plain", 7, ONE, udpPort + 1))
            .getMessage().contains("without a VXLAN endpoint"));
        assertThrows(IllegalArgumentException.class, () -> clusterOne.ensureNetwork("ov2", 1 << 24, ONE, udpPort + 1));
        assertThrows(IllegalArgumentException.class, () -> clusterOne.ensureNetwork("ov2", 7, "not-an-address", udpPort + 1));
        assertThrows(IllegalArgumentException.class, () -> clusterOne.ensureNetwork("bad name!", 7, ONE, udpPort + 1));
        assertTrue(assertThrows(IllegalStateException.class, () -> clusterOne.ensureNetwork("ov2", 42, ONE, udpPort))
            .getMessage().contains("bridge ov1 already carries VNI 42 on " + ONE + ":" + udpPort), "one VNI, one bridge a port");
        assertFalse(one.hasBridge("ov2"), "nothing left of the failures");
        assertEquals(List.of("ov1"), clusterOne.networks(), "plain is not a network");

        clusterOne.ensureNetwork("ov2", 7, ONE, udpPort);
        assertEquals(List.of("ov1", "ov2"), clusterOne.networks(), "another VNI shares ov1's address and port");
        clusterOne.removeNetwork("ov2");
        assertEquals(List.of("ov1"), clusterOne.networks());
    }

    /** A daemon restarted from its config has the bridge already: the one that knows its underlay lists it, and takes it over. */
    @Test
    void aBridgeShapedAsANetworkOnTheNodesUnderlayCountsAfterARestart()
    {
        one.addBridge("restored", null, new VxlanSpec(9, ONE, udpPort + 1, null, null, false, null));
        one.addBridge("anyPeer", null, new VxlanSpec(10, ONE, udpPort + 2, null, null, true, null));
        assertEquals(List.of("ov1", "restored"), clusterOne.networks());
        assertEquals(List.of("ov1"), clusterTwo.networks(), "without the underlay: what it made");
        assertEquals(List.of(), new ClusterSwitch(one).networks(), "a new one without the underlay knows none");

        final ClusterSwitch afterRestart = new ClusterSwitch(one);
        afterRestart.ensureNetwork("restored", 9, ONE, udpPort + 1);
        assertEquals(List.of("restored"), afterRestart.networks());
        afterRestart.removeNetwork("restored");
        afterRestart.removeNetwork("restored");
        assertFalse(one.hasBridge("restored"));
        assertThrows(IllegalStateException.class, () -> afterRestart.removeNetwork("anyPeer"), "not a network: left alone");
        assertTrue(one.hasBridge("anyPeer"));
    }

    @Test
    void aRemoteEndpointIsReachedThroughItsPeerWithoutFloodingAndItsAddressesAreAnsweredLocally()
    {
        clusterOne.addEndpoint("ov1", B_ON_TWO);
        clusterOne.addEndpoint("ov1", B_ON_TWO);

        assertEquals(List.of(new VxlanPeer(TWO, false)), one.overlay().vxlanPeers("ov1"),
            "the peer came with the endpoint");
        assertEquals(List.of(new RemoteMac(MacAddress.format(MAC_B), TWO)), one.overlay().remoteMacs("ov1"));
        assertTrue(one.fdb("ov1").contains(new FdbEntry(MacAddress.format(MAC_B), 0, "ov1-vxlan", TWO, 0, true)), one.fdb("ov1")::toString);
        assertEquals(2, one.overlay().neighbourAnswers("ov1").size());

        a.inject(Frames.arpRequest(MAC_A, IP_A, IP_B));
        await(() -> one.port("a").stats().arpNdSuppressed() == 1, "the ARP answered");
        assertEquals(1, Frames.drain(a).size(), "the reply back to A");
        assertEquals(0, Frames.drain(c).size(), "not flooded to the bystander");
        assertEquals(0, one.port("ov1-vxlan").stats().txPackets(), "nor to the overlay");

        a.inject(Frames.udp(MAC_B, MAC_A, IP_A, IP_B));
        await(() -> Frames.drain(b).size() == 1, "the datagram crossed to node two");
        assertEquals(0, Frames.drain(c).size(), "unicast to the peer alone: no flood");
    }

    @Test
    void learningNeverMovesARemoteEndpointsEntry()
    {
        clusterOne.addEndpoint("ov1", B_ON_TWO);

        c.inject(Frames.udp(MAC_A, MAC_B, IP_B, IP_A));   // a frame from c claiming B's MAC
        await(() -> one.port("c").stats().rxPackets() == 1, "received");
        invoke(4);

        assertTrue(one.fdb("ov1").contains(new FdbEntry(MacAddress.format(MAC_B), 0, "ov1-vxlan", TWO, 0, true)), one.fdb("ov1")::toString);
    }

    @Test
    void endpointsAndPeersGoIdempotentlyAndTheMacsAndAnswersBehindAPeerGoWithIt()
    {
        clusterOne.addEndpoint("ov1", B_ON_TWO);
        clusterOne.removeEndpoint("ov1", B_ON_TWO.mac());
        clusterOne.removeEndpoint("ov1", B_ON_TWO.mac());
        clusterOne.removeEndpoint("gone", B_ON_TWO.mac());
        assertEquals(List.of(), one.overlay().remoteMacs("ov1"));
        assertEquals(List.of(), one.overlay().neighbourAnswers("ov1"));
        assertFalse(one.fdb("ov1").stream().anyMatch(FdbEntry::isStatic));

        clusterOne.addEndpoint("ov1", B_ON_TWO);
        clusterOne.removePeer("ov1", TWO);
        clusterOne.removePeer("ov1", TWO);
        clusterOne.removePeer("gone", TWO);
        assertEquals(List.of(), one.overlay().vxlanPeers("ov1"));
        assertEquals(List.of(), one.overlay().remoteMacs("ov1"));
        assertEquals(List.of(), one.overlay().neighbourAnswers("ov1"));
        assertEquals(List.of(), one.fdb("ov1"));
    }

    @Test
    void anEndpointThatMovesHereKeepsItsAnswersAndLosesItsEntryAndItsOldAddressesGo()
    {
        clusterOne.addEndpoint("ov1", B_ON_TWO);
        clusterOne.addEndpoint("ov1", new Endpoint(B_ON_TWO.mac(), List.of("10.66.0.2"), Endpoint.LOCAL));

        assertEquals(List.of(), one.overlay().remoteMacs("ov1"));
        assertFalse(one.fdb("ov1").stream().anyMatch(FdbEntry::isStatic), "learned from its port from now on");
        assertEquals(List.of(new NeighbourAnswer("10.66.0.2", B_ON_TWO.mac())), one.overlay().neighbourAnswers("ov1"),
            "fd00::2 went");
    }

    @Test
    void refusalsAreArgumentOrStateErrorsAndChangeNothing()
    {
        assertThrows(IllegalArgumentException.class, () -> clusterOne.addEndpoint("ov1",
            new Endpoint("ff:ff:ff:ff:ff:ff", List.of("10.66.0.2"), TWO)));
        assertThrows(IllegalArgumentException.class, () -> clusterOne.addEndpoint("ov1",
            new Endpoint(B_ON_TWO.mac(), List.of("10.66.0.2/24"), TWO)));
        assertThrows(IllegalArgumentException.class, () -> clusterOne.addEndpoint("ov1",
            new Endpoint(B_ON_TWO.mac(), List.of(), "node-two")));
        assertThrows(IllegalArgumentException.class, () -> clusterOne.addEndpoint("ov1",
            new Endpoint(B_ON_TWO.mac(), List.of(), ONE)), "this node's own underlay is no peer");
        assertThrows(IllegalStateException.class, () -> clusterOne.addEndpoint("ov9", B_ON_TWO));
        assertThrows(IllegalStateException.class, () -> clusterOne.addPeer("ov9", TWO));
        assertThrows(IllegalArgumentException.class, () -> clusterOne.addPeer("ov1", "224.0.0.1"));
        assertEquals(List.of(), one.overlay().vxlanPeers("ov1"));
        assertEquals(List.of(), one.overlay().remoteMacs("ov1"));
        assertEquals(List.of(), one.overlay().neighbourAnswers("ov1"));
    }

    private void invoke(final int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            one.invoke();
            two.invoke();
        }
    }

    private void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            invoke(1);
            Thread.onSpinWait();
        }
    }
}
