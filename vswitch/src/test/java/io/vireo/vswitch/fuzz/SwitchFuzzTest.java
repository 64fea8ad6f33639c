package io.vireo.vswitch.fuzz;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import io.vireo.vswitch.core.Frames;
import io.vireo.vswitch.core.NatRuleSpec;
import io.vireo.vswitch.core.PolicySpec;
import io.vireo.vswitch.core.PortStats;
import io.vireo.vswitch.core.ServiceSpec;
import io.vireo.vswitch.core.ThreadingMode;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Arbitrary frames into a whole switch in invoker mode: bridge br0 (ports a and b, a policy that denies
 * telnet, ARP/ND suppression answering for 10.1.0.9 and fd01::9), bridge br1 (port c) and router r1 between them masquerading out of br1, with service web
 * (10.9.0.1:80, backend c's port 80) and its DNS server, c's address resolved. The input is a sequence of records {@code [port][length, 2 bytes][frame]}, each frame
 * injected on a, b or c by {@code port % 3} and forwarded before the next.
 * <p>
 * Each frame is received once and leaves a trace: something transmitted (forwarded, flooded, answered,
 * an ARP request for it) or a drop counted under a reason, but for ARP and ICMPv6, and TCP to a router's
 * address (its DNS server's ACKs, a health probe's answer), which a router may consume, and an IPv4
 * fragment with an offset, which the NAT may hold until its first fragment comes (and send with a later frame). A frame whose checksums were right comes out
 * with right checksums, routed and translated or not. After the hostile frames, a good frame is still
 * bridged from a to b and routed from a to c.
 */
class SwitchFuzzTest
{
    private static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    private static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");
    private static final long MAC_C = MacAddress.parse("02:00:00:00:00:0c");
    private static final long MAC_ROUTER_BR0 = MacAddress.parse("02:00:00:00:01:00");
    private static final int IP_A = 0x0A01_0002;
    private static final int IP_B = 0x0A01_0003;
    private static final int IP_C = 0x0A02_0002;
    private static final int IP_ROUTER_BR1 = 0x0A02_0001;
    private static final int RECORD_HEADER_LENGTH = 3;
    private static final int ETHERNET_HEADER_LENGTH = 14;
    private static final int ETHER_TYPE_ARP = 0x0806;
    private static final int ETHER_TYPE_IPV6 = 0x86DD;
    private static final int ETHER_TYPE_IPV4 = 0x0800;
    private static final int PROTOCOL_TCP = 6;
    private static final int IP_ROUTER_BR0 = 0x0A01_0001;
    private static final int IPV6_NEXT_HEADER_OFFSET = ETHERNET_HEADER_LENGTH + 6;
    private static final int PROTOCOL_ICMPV6 = 58;
    private static final int RING_BYTES = 1 << 16;
    // Enough for a frame to go through the pipeline and an answer or held packet to follow.
    private static final int ROUNDS_PER_FRAME = 4;

    private final FrameChecksums checksums = new FrameChecksums();
    private final List<byte[]> transmitted = new ArrayList<>();

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void everyFrameIsForwardedAnsweredOrCountedAsDropped(final byte[] input)
    {
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096).warmUpBursts(0)))
        {
            final LoopbackPort[] ports = {
                new LoopbackPort("a", RING_BYTES), new LoopbackPort("b", RING_BYTES), new LoopbackPort("c", RING_BYTES)};
            build(vireo, ports);
            for (int position = 0; position + RECORD_HEADER_LENGTH <= input.length; )
            {
                final LoopbackPort port = ports[(input[position] & 0xFF) % ports.length];
                final int length = Math.min((input[position + 1] & 0xFF) << 8 | input[position + 2] & 0xFF,
                    input.length - position - RECORD_HEADER_LENGTH);
                final byte[] frame = Arrays.copyOfRange(input, position + RECORD_HEADER_LENGTH,
                    position + RECORD_HEADER_LENGTH + length);
                position += RECORD_HEADER_LENGTH + length;
                if (length > 0)
                {
                    sendHostile(vireo, ports, port, frame);
                }
            }
            keepsForwarding(vireo, ports);
        }
    }

    private void build(final Vireo vireo, final LoopbackPort[] ports)
    {
        vireo.addBridge("br0", null);
        vireo.addBridge("br1", null);
        vireo.addPort("br0", ports[0]);
        vireo.addPort("br0", ports[1]);
        vireo.addPort("br1", ports[2]);
        vireo.addPolicy("br0", new PolicySpec(null, 100, "deny", null, null, null, null, "tcp", null, "23"));
        vireo.gateway().addRouter("r1");
        vireo.gateway().attachRouter("r1", "br0", List.of("10.1.0.1/24"), MacAddress.format(MAC_ROUTER_BR0), null);
        vireo.gateway().attachRouter("r1", "br1", List.of("10.2.0.1/24"), "02:00:00:00:01:01", null);
        vireo.gateway().addNat("r1", new NatRuleSpec(null, "masquerade", "br1", null, null, null, null, null, null));
        vireo.gateway().addService("r1", new ServiceSpec("web", "10.9.0.1:80", "tcp", "maglev", null,
            new ServiceSpec.HealthCheck(false, null, null, null, null), List.of(new ServiceSpec.BackendSpec("10.2.0.2:80", 1))));
        // ARP/ND suppression on br0: the switch answers for endpoint 10.1.0.9 / fd01::9 itself.
        vireo.overlay().addNeighbourAnswer("br0", "10.1.0.9", "02:00:00:00:00:09");
        vireo.overlay().addNeighbourAnswer("br0", "fd01::9", "02:00:00:00:00:09");
        ports[2].inject(Frames.arpRequest(MAC_C, IP_C, IP_ROUTER_BR1));
        forward(vireo, ports);
    }

    private void sendHostile(final Vireo vireo, final LoopbackPort[] ports, final LoopbackPort port, final byte[] frame)
    {
        final long[] before = totals(vireo, ports);
        final long receivedBefore = vireo.port(port.name()).stats().rxPackets();
        assertTrue(port.inject(frame), "injected");
        final List<byte[]> sent = forward(vireo, ports);
        final long[] after = totals(vireo, ports);

        assertEquals(receivedBefore + 1, vireo.port(port.name()).stats().rxPackets(), "received once");
        final long transmits = after[0] - before[0];
        final long drops = after[1] - before[1];
        assertTrue(transmits + drops >= 1 || isNeighbourMessage(frame) || isTcpToRouter(frame) || isLaterIpv4Fragment(frame),
            () -> "neither sent nor counted as dropped: " + vireo.ports());
        assertEquals(transmits, sent.size(), "every frame counted as transmitted was transmitted");
        if (checksums.areValid(frame))
        {
            for (final byte[] out : sent)
            {
                assertTrue(checksums.areValid(out), "a frame with right checksums comes out with right checksums");
            }
        }
    }

    /** The good frames, the source MACs learned where they are again after whatever the hostile frames claimed. */
    private void keepsForwarding(final Vireo vireo, final LoopbackPort[] ports)
    {
        ports[1].inject(Frames.udp(MAC_A, MAC_B, IP_B, IP_A));
        ports[2].inject(Frames.arpRequest(MAC_C, IP_C, IP_ROUTER_BR1));
        forward(vireo, ports);

        ports[0].inject(Frames.udp(MAC_B, MAC_A, IP_A, IP_B));
        assertTrue(forward(vireo, ports).stream().anyMatch(frame -> isTo(frame, MAC_B)), "bridged from a to b");

        ports[0].inject(Frames.udp(MAC_ROUTER_BR0, MAC_A, IP_A, IP_C));
        final List<byte[]> routed = forward(vireo, ports);
        assertTrue(routed.stream().anyMatch(frame -> isTo(frame, MAC_C)), () -> "routed from a to c: " + routed.stream().map(f -> java.util.HexFormat.of().formatHex(f)).toList() + vireo.ports());
    }

    /** Runs the switch and collects what it transmitted on any port. */
    private List<byte[]> forward(final Vireo vireo, final LoopbackPort[] ports)
    {
        transmitted.clear();
        for (int round = 0; round < ROUNDS_PER_FRAME; round++)
        {
            vireo.invoke();
        }
        for (final LoopbackPort port : ports)
        {
            port.drainTransmitted((type, buffer, index, length) ->
            {
                final byte[] frame = new byte[length];
                buffer.getBytes(index, frame);
                transmitted.add(frame);
            });
        }
        return List.copyOf(transmitted);
    }

    /** Frames transmitted and dropped, over all ports. */
    private static long[] totals(final Vireo vireo, final LoopbackPort[] ports)
    {
        final long[] totals = new long[2];
        for (final LoopbackPort port : ports)
        {
            final PortStats stats = vireo.port(port.name()).stats();
            totals[0] += stats.txPackets();
            totals[1] += stats.drops().values().stream().mapToLong(Long::longValue).sum();
        }
        return totals;
    }

    /**
     * Untagged ARP or ICMPv6: what a router may take to learn a neighbour from and then consume, neither sent
     * on nor counted as a drop (an ARP reply to it, a neighbour advertisement).
     */
    private static boolean isNeighbourMessage(final byte[] frame)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final int etherType = frame.length < ETHERNET_HEADER_LENGTH ? 0 : buffer.getShort(12, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        return etherType == ETHER_TYPE_ARP ||
            etherType == ETHER_TYPE_IPV6 && frame.length > IPV6_NEXT_HEADER_OFFSET && frame[IPV6_NEXT_HEADER_OFFSET] == PROTOCOL_ICMPV6;
    }

    /** IPv4 TCP to one of r1's addresses: a DNS server's ACK or FIN's last ACK, or a health probe's answer, taken. */
    private static boolean isTcpToRouter(final byte[] frame)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        if (frame.length < ETHERNET_HEADER_LENGTH + 20 || (buffer.getShort(12, ByteOrder.BIG_ENDIAN) & 0xFFFF) != ETHER_TYPE_IPV4 ||
            frame[ETHERNET_HEADER_LENGTH + 9] != PROTOCOL_TCP)
        {
            return false;
        }
        final int destination = buffer.getInt(ETHERNET_HEADER_LENGTH + 16, ByteOrder.BIG_ENDIAN);
        return destination == IP_ROUTER_BR0 || destination == IP_ROUTER_BR1;
    }

    /** IPv4 with a fragment offset: a fragment the NAT may hold for its datagram's first fragment. */
    private static boolean isLaterIpv4Fragment(final byte[] frame)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        return frame.length >= ETHERNET_HEADER_LENGTH + 20 &&
            (buffer.getShort(12, ByteOrder.BIG_ENDIAN) & 0xFFFF) == ETHER_TYPE_IPV4 &&
            0 != (buffer.getShort(ETHERNET_HEADER_LENGTH + 6, ByteOrder.BIG_ENDIAN) & 0x1FFF);
    }

    private static boolean isTo(final byte[] frame, final long mac)
    {
        return MacAddress.read(new UnsafeBuffer(frame), 0) == mac;
    }
}
