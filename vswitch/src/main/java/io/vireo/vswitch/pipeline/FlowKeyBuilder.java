package io.vireo.vswitch.pipeline;

import java.nio.ByteOrder;

import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.flowtable.flowcache.FlowKey;
import org.agrona.MutableDirectBuffer;

/**
 * Fills a {@link FlowKey} from a parsed frame: ingress, bridge, VLAN, MACs, ethertype, and for IPv4
 * and IPv6 the addresses, protocol and (TCP, UDP, SCTP; not for later fragments) the ports. Reads
 * only inside the frame; a field that is not there stays zero. One per forwarding thread.
 * <pre>
 *  IPv4: ihl/version @0, protocol @9, fragment offset @6 (13 bits), source @12, destination @16
 *  IPv6: next header @6, source @8 (16 bytes), destination @24 (16 bytes), header 40 bytes
 *  TCP/UDP/SCTP: source port @0, destination port @2
 * </pre>
 */
final class FlowKeyBuilder
{
    private static final int IPV4_MIN_HEADER = 20;
    private static final int IPV6_HEADER = 40;
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int SCTP = 132;

    void fill(
        final FlowKey key,
        final EthernetFlyweight ethernet,
        final int ingress,
        final int bridgeId,
        final int vlan,
        final long source,
        final long destination)
    {
        final int etherType = ethernet.payloadEtherType();
        key.reset().ingressPort(ingress).bridgeId(bridgeId).vlan(vlan)
            .sourceMac(source).destinationMac(destination).etherType(etherType);
        final MutableDirectBuffer buffer = ethernet.buffer();
        final int l3 = ethernet.payloadOffset();
        final int l3Length = ethernet.payloadLength();
        if (etherType == EthernetFlyweight.ETHER_TYPE_IPV4 && l3Length >= IPV4_MIN_HEADER)
        {
            final int headerLength = (buffer.getByte(l3) & 0x0f) * 4;
            final int protocol = buffer.getByte(l3 + 9) & 0xff;
            key.protocol(protocol)
                .ipv4Source(buffer.getInt(l3 + 12, ByteOrder.BIG_ENDIAN))
                .ipv4Destination(buffer.getInt(l3 + 16, ByteOrder.BIG_ENDIAN));
            final boolean laterFragment = 0 != (buffer.getShort(l3 + 6, ByteOrder.BIG_ENDIAN) & 0x1fff);
            if (!laterFragment && headerLength >= IPV4_MIN_HEADER)
            {
                ports(key, buffer, protocol, l3 + headerLength, l3Length - headerLength);
            }
        }
        else if (etherType == EthernetFlyweight.ETHER_TYPE_IPV6 && l3Length >= IPV6_HEADER)
        {
            final int nextHeader = buffer.getByte(l3 + 6) & 0xff;
            key.protocol(nextHeader)
                .ipv6Source(buffer.getLong(l3 + 8, ByteOrder.BIG_ENDIAN), buffer.getLong(l3 + 16, ByteOrder.BIG_ENDIAN))
                .ipv6Destination(buffer.getLong(l3 + 24, ByteOrder.BIG_ENDIAN), buffer.getLong(l3 + 32, ByteOrder.BIG_ENDIAN));
            ports(key, buffer, nextHeader, l3 + IPV6_HEADER, l3Length - IPV6_HEADER);
        }
    }

    private static void ports(
        final FlowKey key, final MutableDirectBuffer buffer, final int protocol, final int l4, final int l4Length)
    {
        if ((protocol == TCP || protocol == UDP || protocol == SCTP) && l4Length >= 4)
        {
            key.sourcePort(buffer.getShort(l4, ByteOrder.BIG_ENDIAN) & 0xffff)
                .destinationPort(buffer.getShort(l4 + 2, ByteOrder.BIG_ENDIAN) & 0xffff);
        }
    }
}
