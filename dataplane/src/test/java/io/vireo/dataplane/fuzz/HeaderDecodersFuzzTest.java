package io.vireo.dataplane.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.dataplane.headers.ArpFlyweight;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.headers.UdpFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.icmp.IcmpErrors;
import io.vireo.dataplane.offload.SoftwareOffload;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The header flyweights and software offload over arbitrary bytes. Each frame is wrapped in a buffer
 * of exactly its length, so a read or write past the frame fails Agrona's bounds check; the offsets
 * and lengths a valid header reports must stay inside what it was wrapped over.
 */
class HeaderDecodersFuzzTest
{
    private static final int PROTOCOL_TCP = 6;
    private static final int PROTOCOL_UDP = 17;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final VirtioNetHeaderFlyweight virtio = new VirtioNetHeaderFlyweight();
    private final SoftwareOffload offload = new SoftwareOffload();

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void decodersStayInsideTheFrame(final byte[] bytes)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(bytes);
        ethernet.wrap(frame, 0, bytes.length);
        if (!ethernet.isValid())
        {
            return;
        }
        ethernet.vlanId();
        ethernet.innerVlanId();
        final int l3Offset = ethernet.payloadOffset();
        final int l3Length = ethernet.payloadLength();
        assertTrue(l3Offset >= 0 && l3Length >= 0 && l3Offset + l3Length == bytes.length, "ethernet payload");
        switch (ethernet.payloadEtherType())
        {
            case EthernetFlyweight.ETHER_TYPE_ARP -> decodeArp(frame, l3Offset, l3Length);
            case EthernetFlyweight.ETHER_TYPE_IPV4 -> decodeIpv4(frame, l3Offset, l3Length);
            case EthernetFlyweight.ETHER_TYPE_IPV6 -> decodeIpv6(frame, l3Offset, l3Length);
            default ->
            {
            }
        }
    }

    /**
     * A frame with an arbitrary virtio-net header: checksum completion and segmentation either refuse
     * it or hand out segments that lie inside their buffer and are no longer than an Ethernet jumbo frame
     * carrying headers of the input.
     */
    @FuzzTest(maxDuration = "50s")
    void offloadStaysInsideTheFrame(final FuzzedDataProvider data)
    {
        final UnsafeBuffer header = new UnsafeBuffer(data.consumeBytes(VirtioNetHeaderFlyweight.LENGTH));
        if (header.capacity() < VirtioNetHeaderFlyweight.LENGTH)
        {
            return;
        }
        final byte[] bytes = data.consumeRemainingAsBytes();
        final UnsafeBuffer frame = new UnsafeBuffer(bytes);
        virtio.wrap(header, 0, VirtioNetHeaderFlyweight.LENGTH);
        final int segments = offload.segment(frame, 0, bytes.length, virtio, (buffer, offset, length) ->
            assertTrue(offset >= 0 && length > 0 && offset + length <= buffer.capacity(), "segment inside its buffer"));
        assertTrue(segments != 0 || bytes.length == 0, "a frame is segmented or refused");
        offload.completeChecksum(frame, 0, bytes.length, virtio);
    }

    private void decodeArp(final UnsafeBuffer frame, final int offset, final int length)
    {
        arp.wrap(frame, offset, length);
        if (arp.isValid())
        {
            arp.senderHardwareAddress();
            arp.senderProtocolAddress();
            arp.targetHardwareAddress();
            arp.targetProtocolAddress();
        }
    }

    private void decodeIpv4(final UnsafeBuffer frame, final int offset, final int length)
    {
        ipv4.wrap(frame, offset, length);
        if (!ipv4.isValid())
        {
            return;
        }
        final int headerLength = ipv4.headerLength();
        final int totalLength = ipv4.totalLength();
        assertTrue(headerLength >= Ipv4Flyweight.MIN_HEADER_LENGTH && headerLength <= totalLength && totalLength <= length,
            "ipv4 header and options inside the packet");
        IcmpErrors.mayAnswer(ipv4);
        decodeTransport(frame, ipv4.protocol(), offset + headerLength, totalLength - headerLength);
    }

    private void decodeIpv6(final UnsafeBuffer frame, final int offset, final int length)
    {
        ipv6.wrap(frame, offset, length);
        if (!ipv6.isValid())
        {
            return;
        }
        final int payloadOffset = ipv6.payloadOffset();
        final int payloadLength = ipv6.payloadLength();
        assertTrue(payloadOffset + payloadLength <= offset + length, "ipv6 payload inside the packet");
        // Every ICMPv6 error type, so the extension header walk runs whatever the packet carries.
        IcmpErrors.mayAnswer(ipv6, 1, 0, false);
        IcmpErrors.mayAnswer(ipv6, IcmpErrors.ICMPV6_PACKET_TOO_BIG, 0, true);
        IcmpErrors.mayAnswer(ipv6, IcmpErrors.ICMPV6_PARAMETER_PROBLEM, IcmpErrors.ICMPV6_UNRECOGNIZED_OPTION, true);
        decodeTransport(frame, ipv6.nextHeader(), payloadOffset, payloadLength);
    }

    private void decodeTransport(final UnsafeBuffer frame, final int protocol, final int offset, final int length)
    {
        if (protocol == PROTOCOL_UDP)
        {
            udp.wrap(frame, offset, length);
            if (udp.isValid())
            {
                assertTrue(udp.payloadOffset() + udp.payloadLength() <= offset + length, "udp payload inside the packet");
                udp.computeChecksum(0);
            }
        }
        else if (protocol == PROTOCOL_TCP)
        {
            tcp.wrap(frame, offset, length);
            if (tcp.isValid())
            {
                assertTrue(tcp.payloadLength() >= 0 && tcp.payloadOffset() + tcp.payloadLength() == offset + length,
                    "tcp payload inside the segment");
                tcp.computeChecksum(0);
            }
        }
    }
}
