package io.vireo.vswitch.pipeline;

import java.nio.ByteOrder;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.flowtable.policy.PolicyRule;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.nat.NatRules;
import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.route.Ipv6RouteTable;
import io.vireo.gateway.router.NeighbourTable;
import io.vireo.gateway.router.NextHop;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.router.RouterInterface;
import io.vireo.gateway.router.RouterStage;
import io.vireo.gateway.router.RouterView;
import io.vireo.vswitch.core.CountersFile;
import io.vireo.vswitch.pipeline.PipelineTest.RecordingPort;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router stage inside the pipeline, between two bridges with one recording port each: it answers
 * ARP for its address, resolves a next hop while holding the packet, routes across bridges with the
 * TTL and checksum right, and answers expiry and a missing route to the sender; masquerading, it takes
 * fragments through by their first fragment, holding those that come before it; it fragments a packet
 * without DF larger than the egress MTU, translated first.
 */
class RouterPipelineTest
{
    private static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    private static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");
    private static final long MAC_R0 = MacAddress.parse("02:00:00:00:01:00");
    private static final long MAC_R1 = MacAddress.parse("02:00:00:00:01:01");
    private static final int IP_A = 0x0A00_0102;
    private static final int IP_R0 = 0x0A00_0101;
    private static final int IP_B = 0x0A00_0202;
    private static final int IP_R1 = 0x0A00_0201;
    private static final int BURST = 8;
    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;

    private final CachedEpochClock clock = new CachedEpochClock();
    private final CountersManager counters = CountersFile.inMemory(256);
    private final ForwardingTable fdb = new ForwardingTable(1024);
    private final Generations generations = new Generations();
    private final PolicyTable policy = new PolicyTable(generations);
    private final Features features = new Features(4);
    private final NeighbourTable neighbours = new NeighbourTable(64);
    private final Ipv4RouteTable ipv4Routes = new Ipv4RouteTable(16);
    private final Ipv6RouteTable ipv6Routes = new Ipv6RouteTable(16);
    private final ConnectionTable connections = new ConnectionTable(64);
    private final RecordingPort a = new RecordingPort("a", 0);
    private final RecordingPort b = new RecordingPort("b", 0);
    private final RouterDirectory directory = new RouterDirectory(4);
    private PortEntry entryA;
    private PortEntry entryB;
    private ForwardingAgent agent;

    @BeforeEach
    void setUp()
    {
        clock.update(1_000);
        final Pipeline pipeline = new Pipeline(fdb, policy, generations, features,
            new Pipeline.Geometry(BURST, 4096, 128, 1518, 8, 4, 64), directory, neighbours, connections);
        agent = pipeline.newAgent("test", ForwardingAgent.ANY_CPU, clock, null, new ThreadCounters(counters, "test"));
        final ForwardingProxy proxy = new ForwardingProxy(new ForwardingAgent[] {agent}, agent::doWork);
        proxy.addBridge(0);
        proxy.addBridge(1);
        entryA = new PortEntry(a, 0, 0, new PortCounters(counters, "a"), BURST);
        proxy.attach(new PortEntry[] {entryA});
        entryB = new PortEntry(b, 1, 1, new PortCounters(counters, "b"), BURST);
        proxy.attach(new PortEntry[] {entryB});

        publish(NatRules.NONE);
        ipv4Routes.add(0x0A00_0100, 24, 0);
        ipv4Routes.add(0x0A00_0200, 24, 1);
        features.set(0, Features.ROUTER, true);
        features.set(1, Features.ROUTER, true);
    }

    /** The router between the bridges, with these NAT rules. */
    private void publish(final NatRules nat)
    {
        publish(nat, 1500);
    }

    /** The router between the bridges, with these NAT rules and this MTU on bridge 1. */
    private void publish(final NatRules nat, final int mtuOnBridge1)
    {
        final RouterInterface on0 = new RouterInterface(0, 0, MAC_R0, 1500, new int[] {IP_R0}, new int[] {24},
            new long[0], new long[0], new int[0]);
        final RouterInterface on1 = new RouterInterface(0, 1, MAC_R1, mtuOnBridge1, new int[] {IP_R1}, new int[] {24},
            new long[0], new long[0], new int[0]);
        directory.publish(new RouterDirectory.Snapshot(new RouterInterface[] {on0, on1, null, null},
            new RouterView[] {new RouterView(0, ipv4Routes, ipv6Routes,
                new NextHop[] {NextHop.connected(0), NextHop.connected(1)}, new RouterInterface[] {on0, on1}, nat)}));
    }

    @AfterEach
    void tearDown()
    {
        fdb.close();
        neighbours.close();
        ipv4Routes.close();
        ipv6Routes.close();
        connections.close();
    }

    @Test
    void theRouterAnswersArpForItsAddressOnTheBridgeAsked()
    {
        receive(a, arp(1, MacAddress.BROADCAST, MAC_A, IP_A, 0, IP_R0));
        assertEquals(1, a.sent.size(), "the answer goes back to the asker");
        assertTrue(b.sent.isEmpty(), "nothing crosses to the other bridge");
        final UnsafeBuffer reply = new UnsafeBuffer(a.sentBytes.get(0));
        assertEquals(MAC_A, MacAddress.read(reply, 0));
        assertEquals(MAC_R0, MacAddress.read(reply, 6));
        assertEquals(2, reply.getShort(20, NETWORK), "an ARP reply");
        assertEquals(IP_R0, reply.getInt(28, NETWORK));
        assertEquals(MAC_A, neighbours.resolveIpv4(0, IP_A, clock.time()), "and the router learned the asker");
    }

    @Test
    void aPacketWaitsForItsNextHopThenCrossesWithOneHopOffItsTtl()
    {
        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));
        assertEquals(1, b.sent.size(), "the router asks for B");
        final UnsafeBuffer request = new UnsafeBuffer(b.sentBytes.get(0));
        assertEquals(MacAddress.BROADCAST, MacAddress.read(request, 0));
        assertEquals(MAC_R1, MacAddress.read(request, 6));
        assertEquals(IP_R1, request.getInt(28, NETWORK));
        assertEquals(IP_B, request.getInt(38, NETWORK));

        receive(b, arp(2, MAC_R1, MAC_B, IP_B, MAC_R1, IP_R1));
        assertEquals(2, b.sent.size(), "the held packet goes once B answers");
        assertRouted(b.sentBytes.get(1));

        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));
        assertEquals(3, b.sent.size(), "the next one goes at once");
        assertRouted(b.sentBytes.get(2));
        assertTrue(a.sent.isEmpty());
    }

    @Test
    void expiryAndNoRouteAreAnsweredToTheSenderAndBadHeadersDropped()
    {
        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 1));
        receive(a, ipv4(MAC_R0, MAC_A, IP_A, 0x0A09_0909, 64));
        assertEquals(2, a.sent.size());
        assertIcmp(a.sentBytes.get(0), 11, 0);
        assertIcmp(a.sentBytes.get(1), 3, 0);
        assertEquals(1, entryA.counters.drops(DropReason.TTL_EXCEEDED));
        assertEquals(1, entryA.counters.drops(DropReason.ROUTER_NO_ROUTE));

        final byte[] corrupt = ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64);
        corrupt[24] ^= 1;
        receive(a, corrupt);
        assertEquals(1, entryA.counters.drops(DropReason.BAD_IP));
        assertTrue(b.sent.isEmpty());
    }

    @Test
    void hostileHeadersAreDroppedOrAnsweredAndCountedNeverRouted()
    {
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        final byte[] shortHeader = java.util.Arrays.copyOf(ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64), 14 + 19);
        final byte[] smallIhl = ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64);
        smallIhl[14] = 0x44;
        final byte[] lyingLength = ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64);
        lyingLength[16] = 0x7F;
        final byte[] version6 = ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64);
        version6[14] = 0x65;
        for (final byte[] frame : new byte[][] {shortHeader, smallIhl, lyingLength, version6})
        {
            receive(a, frame);
        }
        assertEquals(4, entryA.counters.drops(DropReason.BAD_IP));

        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 0));
        assertIcmp(a.sentBytes.get(0), 11, 0);
        receive(a, arp(1, MAC_R0, MAC_A, IP_A, 0, IP_R0));
        final byte[] truncatedArp = java.util.Arrays.copyOf(arp(1, MAC_R0, MAC_A, IP_A, 0, IP_R0), 30);
        receive(a, truncatedArp);
        assertEquals(1, entryA.counters.drops(DropReason.ROUTER_LOCAL), "a truncated ARP to the router");
        assertTrue(b.sent.isEmpty(), "nothing malformed crosses the router");

        final byte[] withOptions = ipv4WithOptions();
        receive(a, withOptions);
        assertEquals(1, b.sent.size(), "a header with options is routed");
        final UnsafeBuffer routed = new UnsafeBuffer(b.sentBytes.get(0));
        assertEquals(63, routed.getByte(22) & 0xFF);
        assertEquals(0, Checksums.checksum(routed, 14, 24));
    }

    /**
     * Masquerading out of bridge 1: a later fragment that comes first waits, goes right after its first
     * fragment, translated as it was; the reply's fragments come back to A; a fragment whose first never
     * comes is dropped and counted once it has waited its time.
     */
    @Test
    void fragmentsFollowTheirFirstFragmentAndAnOrphanIsDroppedInTime()
    {
        publish(new NatRules(new int[] {1}, new int[] {0}, new int[] {0}, new int[0], new int[0], new int[0], new int[0],
            new int[0]));
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        neighbours.learnIpv4(0, IP_A, MAC_A, clock.time());

        receive(a, fragment(MAC_R0, MAC_A, IP_A, IP_B, 7, 40, false, 5000));
        assertTrue(b.sent.isEmpty(), "held");
        assertEquals(0, dropped(entryA));
        receive(a, fragment(MAC_R0, MAC_A, IP_A, IP_B, 7, 0, true, 5000));
        assertEquals(2, b.sent.size(), "the first fragment, then the one that waited for it");
        final UnsafeBuffer first = new UnsafeBuffer(b.sentBytes.get(0));
        final UnsafeBuffer later = new UnsafeBuffer(b.sentBytes.get(1));
        assertEquals(0, first.getShort(20, NETWORK) & 0x1FFF);
        assertEquals(40 / 8, later.getShort(20, NETWORK) & 0x1FFF);
        for (final UnsafeBuffer sent : new UnsafeBuffer[] {first, later})
        {
            assertEquals(MAC_B, MacAddress.read(sent, 0));
            assertEquals(IP_R1, sent.getInt(26, NETWORK), "masqueraded");
            assertEquals(63, sent.getByte(22) & 0xFF);
            assertEquals(0, Checksums.checksum(sent, 14, 20));
        }
        final int port = first.getShort(34, NETWORK) & 0xFFFF;

        final byte[] replyFirst = fragment(MAC_R1, MAC_B, IP_B, IP_R1, 10, 0, true, 53);
        new UnsafeBuffer(replyFirst).putShort(36, (short)port, NETWORK);
        receive(b, replyFirst);
        receive(b, fragment(MAC_R1, MAC_B, IP_B, IP_R1, 10, 40, false, 53));
        assertEquals(2, a.sent.size(), () -> "the reply's two fragments reach A: " + a.sent);
        for (final byte[] sent : a.sentBytes)
        {
            assertEquals(IP_A, new UnsafeBuffer(sent).getInt(30, NETWORK));
            assertEquals(0, Checksums.checksum(new UnsafeBuffer(sent), 14, 20));
        }

        receive(a, fragment(MAC_R0, MAC_A, IP_A, IP_B, 8, 40, false, 5000));
        clock.advance(RouterStage.FRAGMENT_HOLD_MS);
        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));
        assertEquals(1, entryA.counters.drops(DropReason.NAT_FRAGMENT), "the orphan, once it waited its time");
        assertEquals(3, b.sent.size(), "and the packet that came after it went");
    }

    @Test
    void aPacketWithoutDfOverTheEgressMtuCrossesInFragmentsAndOneWithDfIsAnswered()
    {
        publish(NatRules.NONE, 1280);
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        final byte[] big = big(1500, 0);

        receive(a, big);

        assertEquals(2, b.sent.size(), "cut in two");
        assertFragments(big, 1280, IP_A);
        assertEquals(2, entryB.counters.fragments(), "counted on the egress port");
        assertEquals(0, dropped(entryA));

        receive(a, big(1500, 0x4000));
        assertEquals(2, b.sent.size());
        assertEquals(1, a.sent.size());
        assertIcmp(a.sentBytes.get(0), 3, 4);
        assertEquals(1280, new UnsafeBuffer(a.sentBytes.get(0)).getShort(40, NETWORK), "the next-hop MTU");
        assertEquals(1, entryA.counters.drops(DropReason.FRAGMENTATION_NEEDED));
    }

    /** The options of the packet: three NOPs, End of Options; none to copy, so later fragments have a 20-byte header. */
    @Test
    void aPacketOfExactlyTheEgressMtuCrossesWholeAndOneWithOptionsInFragments()
    {
        publish(NatRules.NONE, 1280);
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());

        receive(a, big(1280, 0));
        assertEquals(1, b.sent.size());
        assertEquals(14 + 1280, b.sentBytes.get(0).length);
        assertEquals(0, entryB.counters.fragments());

        final byte[] withOptions = ipv4WithOptions();
        final byte[] bigWithOptions = java.util.Arrays.copyOf(withOptions, 14 + 1400);
        final UnsafeBuffer buffer = new UnsafeBuffer(bigWithOptions);
        buffer.putShort(16, (short)1400, NETWORK);
        buffer.putShort(24, (short)0, NETWORK);
        buffer.putShort(24, (short)Checksums.checksum(buffer, 14, 24), NETWORK);
        receive(a, bigWithOptions);
        assertEquals(3, b.sent.size(), "in two fragments");
        final UnsafeBuffer first = new UnsafeBuffer(b.sentBytes.get(1));
        final UnsafeBuffer later = new UnsafeBuffer(b.sentBytes.get(2));
        assertEquals(0x46, first.getByte(14), "the first fragment keeps the options");
        assertEquals(24 + 1256, first.getShort(16, NETWORK));
        assertEquals(0, Checksums.checksum(first, 14, 24));
        assertEquals(0x45, later.getByte(14), "none copied into the later one");
        assertEquals(20 + 1400 - 24 - 1256, later.getShort(16, NETWORK));
        assertEquals(1256 / 8, later.getShort(20, NETWORK));
        assertEquals(0, Checksums.checksum(later, 14, 20));
        assertEquals(0, dropped(entryA));
    }

    @Test
    void aHeldPacketOverTheEgressMtuGoesInFragmentsOnceItsNextHopAnswers()
    {
        publish(NatRules.NONE, 1280);
        final byte[] big = big(1500, 0);

        receive(a, big);
        assertEquals(1, b.sent.size(), "the router asks for B");
        receive(b, arp(2, MAC_R1, MAC_B, IP_B, MAC_R1, IP_R1));

        assertEquals(3, b.sent.size(), "the request, then the held packet in two");
        b.sent.remove(0);
        b.sentBytes.remove(0);
        assertFragments(big, 1280, IP_A);
    }

    /** A fragment so near the end of its datagram that its pieces' offsets would pass 65,528 bytes: dropped at output, counted. */
    @Test
    void aFragmentWhosePiecesWouldPassTheLastOffsetIsDroppedOnTheEgressPort()
    {
        publish(NatRules.NONE, 1280);
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());

        receive(a, big(1500, 8100));

        assertTrue(b.sent.isEmpty());
        assertEquals(1, entryB.counters.drops(DropReason.FRAGMENTATION_NEEDED));
        assertEquals(0, entryB.counters.fragments());
    }

    /**
     * A TCP super-frame (GSO) over the egress MTU: cut into TCP segments at output if they fit the MTU,
     * dropped if they do not, never fragmented.
     */
    @Test
    void aGsoFrameIsSegmentedNotFragmented()
    {
        publish(NatRules.NONE, 1280);
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        final byte[] superFrame = big(1500, 0);
        superFrame[23] = 6;
        superFrame[46] = 0x50;
        final UnsafeBuffer buffer = new UnsafeBuffer(superFrame);
        buffer.putShort(24, (short)0, NETWORK);
        buffer.putShort(24, (short)Checksums.checksum(buffer, 14, 20), NETWORK);

        a.netHeader = gsoHeader(1000);
        receive(a, superFrame);
        assertEquals(List.of(14 + 40 + 1000, 14 + 40 + 460), b.sentBytes.stream().map(sent -> sent.length).toList(),
            "two TCP segments");
        assertEquals(0, entryB.counters.fragments());

        a.netHeader = gsoHeader(1448);
        receive(a, superFrame);
        assertEquals(2, b.sent.size(), "segments over the MTU are not fragmented");
        assertEquals(1, entryA.counters.drops(DropReason.FRAGMENTATION_NEEDED));
    }

    /** Masquerading out of bridge 1: every fragment carries the translated source, the first the translated port. */
    @Test
    void aTranslatedPacketIsFragmentedAfterItsTranslation()
    {
        publish(new NatRules(new int[] {1}, new int[] {0}, new int[] {0}, new int[0], new int[0], new int[0], new int[0],
            new int[0]), 1280);
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        final byte[] big = big(1500, 0);

        receive(a, big);

        assertEquals(2, b.sent.size());
        assertFragments(big, 1280, IP_R1);
        assertEquals(2, entryB.counters.fragments());
    }

    /** A fragment (MF set, at an offset) larger than the egress MTU is cut again, relative to its datagram. */
    @Test
    void aFragmentIsFragmentedAgainKeepingItsOffsetAndMoreFragments()
    {
        publish(NatRules.NONE, 1280);
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        final byte[] middle = big(1500, 0x2000 | 185);

        receive(a, middle);

        assertEquals(2, b.sent.size());
        for (int i = 0; i < 2; i++)
        {
            final int flags = new UnsafeBuffer(b.sentBytes.get(i)).getShort(20, NETWORK);
            assertEquals(0x2000 | 185 + i * 1256 / 8, flags, "MF on both, offsets from the datagram's start");
        }
    }

    @Test
    void randomBytesToTheRouterNeverBreakTheThread()
    {
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        final java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        final int[] etherTypes = {0x0800, 0x86DD, 0x0806};
        for (int i = 0; i < 20_000; i++)
        {
            final byte[] frame = new byte[14 + random.nextInt(200)];
            random.nextBytes(frame);
            final UnsafeBuffer buffer = new UnsafeBuffer(frame);
            MacAddress.write(buffer, 0, 0 == i % 7 ? MacAddress.BROADCAST : MAC_R0);
            MacAddress.write(buffer, 6, MAC_A);
            buffer.putShort(12, (short)etherTypes[i % 3], NETWORK);
            if (i % 2 == 0 && frame.length >= 34)
            {
                buffer.putByte(14, (byte)(i % 3 == 0 ? 0x45 : 0x60));
            }
            receive(a, frame);
        }
        assertEquals(20_000, entryA.counters.rxPackets());
        for (final byte[] sent : b.sentBytes)
        {
            final UnsafeBuffer routed = new UnsafeBuffer(sent);
            assertEquals(MAC_R1, MacAddress.read(routed, 6), "only the router's own frames reach the other bridge");
        }
    }

    /**
     * A policy on the bridge a packet is routed onto isolates it as it isolates the bridge's own ports: the
     * routed packet is checked as it enters bridge 1 from the router, and a denied one is counted on the
     * port it came in by.
     */
    @Test
    void aPolicyOnTheEgressBridgeDeniesWhatIsRoutedOntoIt()
    {
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        policy(1, PolicyRule.builder().deny().sourcePrefix(IpPrefix.parse("10.0.1.0/24")).build());

        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));

        assertTrue(b.sent.isEmpty(), "denied by bridge 1's policy");
        assertEquals(1, entryA.counters.drops(DropReason.POLICY), "counted on A's port, where it came in");
    }

    @Test
    void whatTheEgressPolicyAllowsIsRoutedAndAChangeAppliesToTheCachedFlow()
    {
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        final int allow = policy(1, PolicyRule.builder().allow().priority(100).protocol(PolicyRule.PROTOCOL_UDP)
            .destinationPorts(5001, 5001).build());
        policy.defaultAction(1, PolicyTable.DENY);

        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));
        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));
        assertEquals(2, b.sent.size(), "UDP to port 5001 is allowed in");
        assertRouted(b.sentBytes.get(1));
        final byte[] otherPort = ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64);
        otherPort[37] = 0x42;
        receive(a, otherPort);
        assertEquals(2, b.sent.size(), "another port is not");
        assertEquals(1, entryA.counters.drops(DropReason.POLICY));

        policy.remove(1, allow);
        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));
        assertEquals(2, b.sent.size(), "the cached verdict went with the rule");
        assertEquals(2, entryA.counters.drops(DropReason.POLICY));
    }

    /**
     * The router's own frames are not forwarded ones: its answers go back onto a bridge whose policy denies
     * everything from the router's MAC, while a packet it routes onto that bridge is denied there.
     */
    @Test
    void theRoutersOwnAnswersAreNotCheckedButWhatItRoutesIs()
    {
        policy(0, PolicyRule.builder().deny().sourceMac(MAC_R0).build());

        receive(a, arp(1, MacAddress.BROADCAST, MAC_A, IP_A, 0, IP_R0));
        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 1));
        assertEquals(2, a.sent.size(), "the ARP reply and the ICMP time exceeded reach A");
        assertIcmp(a.sentBytes.get(1), 11, 0);

        receive(b, ipv4(MAC_R1, MAC_B, IP_B, IP_A, 64));
        assertEquals(2, a.sent.size(), "B's packet, routed onto bridge 0 from the router's MAC there, is denied");
        assertEquals(1, entryB.counters.drops(DropReason.POLICY), "on B's port, where it came in");
        assertEquals(0, entryA.counters.drops(DropReason.POLICY));
    }

    /**
     * A packet held for its next hop is checked when it goes, in the burst of whichever port brought the
     * answer, and counted on the port it came in by; the router's ARP request is not checked.
     */
    @Test
    void aHeldPacketIsCheckedWhenItGoesAndCountedOnThePortItCameInBy()
    {
        policy(1, PolicyRule.builder().deny().sourceMac(MAC_R1).protocol(PolicyRule.PROTOCOL_UDP).build());

        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));
        assertEquals(1, b.sent.size(), "the router asks for B");
        receive(b, arp(2, MAC_R1, MAC_B, IP_B, MAC_R1, IP_R1));

        assertEquals(1, b.sent.size(), "the held packet is denied as it goes");
        assertEquals(1, entryA.counters.drops(DropReason.POLICY), "counted on A's port");
        assertEquals(0, entryB.counters.drops(DropReason.POLICY), "not on the port whose burst released it");
    }

    @Test
    void egressRulesSeeTheRoutersMacAsSourceAndTheNextHopsAsDestination()
    {
        neighbours.learnIpv4(1, IP_B, MAC_B, clock.time());
        policy(1, PolicyRule.builder().deny().sourceMac(MAC_A).build());
        policy(1, PolicyRule.builder().deny().destinationMac(MAC_R1).build());
        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));
        assertEquals(1, b.sent.size(), "neither the sender's MAC nor the router's as destination is on bridge 1");

        policy(1, PolicyRule.builder().deny().destinationMac(MAC_B).build());
        receive(a, ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64));
        assertEquals(1, b.sent.size(), "the next hop's MAC is");
        assertEquals(1, entryA.counters.drops(DropReason.POLICY));
    }

    /** A rule on a bridge, with its policy stage on as the switch's control plane sets it. */
    private int policy(final int bridgeId, final PolicyRule rule)
    {
        features.set(bridgeId, Features.POLICY, true);
        return policy.add(bridgeId, rule);
    }

    private static long dropped(final PortEntry entry)
    {
        long dropped = 0;
        for (final DropReason reason : DropReason.values())
        {
            dropped += entry.counters.drops(reason);
        }
        return dropped;
    }

    /**
     * A UDP fragment with 40 bytes of the datagram from {@code offset}: the first holds the UDP header (source port
     * {@code sourcePort}, destination port 53); more fragments follow it or not.
     */
    private static byte[] fragment(
        final long destination, final long source, final int from, final int to, final int id, final int offset,
        final boolean more, final int sourcePort)
    {
        final byte[] frame = ipv4(destination, source, from, to, 64);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        buffer.putShort(18, (short)id, NETWORK);
        buffer.putShort(20, (short)((more ? 0x2000 : 0) | offset / 8), NETWORK);
        buffer.putShort(24, (short)0, NETWORK);
        buffer.putShort(24, (short)Checksums.checksum(buffer, 14, 20), NETWORK);
        buffer.putShort(34, (short)sourcePort, NETWORK);
        buffer.putShort(36, (short)53, NETWORK);
        buffer.putShort(38, (short)80, NETWORK);
        buffer.putShort(40, (short)0x1234, NETWORK);
        return frame;
    }

    /** A UDP datagram to B with a 4-byte IP option (NOP, NOP, NOP, end), checksums right. */
    private static byte[] ipv4WithOptions()
    {
        final byte[] plain = ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64);
        final byte[] frame = new byte[plain.length + 4];
        System.arraycopy(plain, 0, frame, 0, 34);
        System.arraycopy(plain, 34, frame, 38, plain.length - 34);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        buffer.putByte(14, (byte)0x46);
        buffer.putShort(16, (short)(frame.length - 14), NETWORK);
        buffer.putInt(34, 0x0101_0100, NETWORK);
        buffer.putShort(24, (short)0, NETWORK);
        buffer.putShort(24, (short)Checksums.checksum(buffer, 14, 24), NETWORK);
        return frame;
    }

    /**
     * What B got is {@code packet} routed and cut into fragments of at most {@code mtu} bytes, with the source
     * address {@code source}: the payloads, put together, are the packet's (after its source port, which NAT changes).
     */
    private void assertFragments(final byte[] packet, final int mtu, final int source)
    {
        final java.io.ByteArrayOutputStream payload = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < b.sent.size(); i++)
        {
            final UnsafeBuffer fragment = new UnsafeBuffer(b.sentBytes.get(i));
            final int totalLength = fragment.getShort(16, NETWORK) & 0xFFFF;
            assertEquals(b.sentBytes.get(i).length, 14 + totalLength);
            assertTrue(totalLength <= mtu, "fragment " + i + ": " + totalLength + " bytes");
            assertEquals(MAC_B, MacAddress.read(fragment, 0));
            assertEquals(0x77, fragment.getShort(18, NETWORK), "identification kept");
            assertEquals(i < b.sent.size() - 1, 0 != (fragment.getShort(20, NETWORK) & 0x2000), "MF on all but the last");
            assertEquals(payload.size() / 8, fragment.getShort(20, NETWORK) & 0x1FFF);
            assertEquals(63, fragment.getByte(22) & 0xFF);
            assertEquals(source, fragment.getInt(26, NETWORK));
            assertEquals(IP_B, fragment.getInt(30, NETWORK));
            assertEquals(0, Checksums.checksum(fragment, 14, 20), "fragment " + i + "'s header checksum");
            payload.write(b.sentBytes.get(i), 34, totalLength - 20);
        }
        final byte[] sent = payload.toByteArray();
        assertEquals(packet.length - 34, sent.length);
        assertTrue(java.util.Arrays.equals(packet, 36, packet.length, sent, 2, sent.length), "the payload, byte for byte");
    }

    /** A virtio-net header: TCP over IPv4 segmentation to {@code gsoSize}, checksum complete. */
    private static byte[] gsoHeader(final int gsoSize)
    {
        final byte[] header = new byte[FrameBurst.NET_HEADER_LENGTH];
        new VirtioNetHeaderFlyweight().wrap(new UnsafeBuffer(header), 0, header.length)
            .gsoType(VirtioNetHeaderFlyweight.GSO_TCPV4).hdrLen(14 + 40).gsoSize(gsoSize).csumStart(34).csumOffset(16);
        return header;
    }

    /** A UDP datagram of {@code totalLength} bytes from A to B, identification 0x77, with these flags and offset. */
    private static byte[] big(final int totalLength, final int flagsAndOffset)
    {
        final byte[] frame = new byte[14 + totalLength];
        final byte[] small = ipv4(MAC_R0, MAC_A, IP_A, IP_B, 64);
        System.arraycopy(small, 0, frame, 0, small.length);
        for (int i = small.length; i < frame.length; i++)
        {
            frame[i] = (byte)(i * 13);
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        buffer.putShort(16, (short)totalLength, NETWORK);
        buffer.putShort(18, (short)0x77, NETWORK);
        buffer.putShort(20, (short)flagsAndOffset, NETWORK);
        buffer.putShort(24, (short)0, NETWORK);
        buffer.putShort(24, (short)Checksums.checksum(buffer, 14, 20), NETWORK);
        buffer.putShort(38, (short)(totalLength - 20), NETWORK);
        return frame;
    }

    private void assertRouted(final byte[] frame)
    {
        final UnsafeBuffer routed = new UnsafeBuffer(frame);
        assertEquals(MAC_B, MacAddress.read(routed, 0));
        assertEquals(MAC_R1, MacAddress.read(routed, 6));
        assertEquals(63, routed.getByte(22) & 0xFF);
        assertEquals(0, Checksums.checksum(routed, 14, 20), "the header checksum was updated with the TTL");
        assertEquals(IP_B, routed.getInt(30, NETWORK));
    }

    private static void assertIcmp(final byte[] frame, final int type, final int code)
    {
        final UnsafeBuffer answer = new UnsafeBuffer(frame);
        assertEquals(MAC_A, MacAddress.read(answer, 0));
        assertEquals(MAC_R0, MacAddress.read(answer, 6));
        assertEquals(IP_R0, answer.getInt(26, NETWORK), "from the router's address on the sender's bridge");
        assertEquals(IP_A, answer.getInt(30, NETWORK));
        assertEquals(1, answer.getByte(23));
        assertEquals(type, answer.getByte(34) & 0xFF);
        assertEquals(code, answer.getByte(35) & 0xFF);
        assertEquals(0, Checksums.checksum(answer, 14, 20));
    }

    private void receive(final RecordingPort port, final byte[] frame)
    {
        port.toReceive.add(frame);
        port.peers.add(FrameBurst.NO_PEER);
        clock.advance(1);
        agent.doWork();
    }

    private static byte[] arp(
        final int operation, final long destination, final long sender, final int senderIp, final long target, final int targetIp)
    {
        final byte[] frame = new byte[60];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        MacAddress.write(buffer, 0, destination);
        MacAddress.write(buffer, 6, sender);
        buffer.putShort(12, (short)0x0806, NETWORK);
        buffer.putShort(14, (short)1, NETWORK);
        buffer.putShort(16, (short)0x0800, NETWORK);
        buffer.putByte(18, (byte)6);
        buffer.putByte(19, (byte)4);
        buffer.putShort(20, (short)operation, NETWORK);
        MacAddress.write(buffer, 22, sender);
        buffer.putInt(28, senderIp, NETWORK);
        MacAddress.write(buffer, 32, target);
        buffer.putInt(38, targetIp, NETWORK);
        return frame;
    }

    /** A UDP datagram with 32 bytes of payload and a right header checksum. */
    private static byte[] ipv4(final long destination, final long source, final int from, final int to, final int ttl)
    {
        final byte[] frame = new byte[14 + 20 + 8 + 32];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        MacAddress.write(buffer, 0, destination);
        MacAddress.write(buffer, 6, source);
        buffer.putShort(12, (short)0x0800, NETWORK);
        buffer.putByte(14, (byte)0x45);
        buffer.putShort(16, (short)(frame.length - 14), NETWORK);
        buffer.putByte(22, (byte)ttl);
        buffer.putByte(23, (byte)17);
        buffer.putInt(26, from, NETWORK);
        buffer.putInt(30, to, NETWORK);
        buffer.putShort(24, (short)Checksums.checksum(buffer, 14, 20), NETWORK);
        buffer.putShort(34, (short)5000, NETWORK);
        buffer.putShort(36, (short)5001, NETWORK);
        buffer.putShort(38, (short)40, NETWORK);
        return frame;
    }
}
