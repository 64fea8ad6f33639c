package io.vireo.gateway.answer;

import io.vireo.dataplane.headers.ArpFlyweight;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.icmp.IcmpErrors;
import org.agrona.MutableDirectBuffer;

import static io.vireo.gateway.answer.AnswerFrames.ETHERNET_LENGTH;
import static io.vireo.gateway.answer.AnswerFrames.ICMPV6_OFFSET;
import static io.vireo.gateway.answer.AnswerFrames.IP_OFFSET;
import static io.vireo.gateway.answer.AnswerFrames.isGroup;
import static io.vireo.gateway.answer.AnswerFrames.padded;
import static io.vireo.gateway.answer.AnswerFrames.unicastEtherType;
import static io.vireo.gateway.answer.RouterAnswers.NONE;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * ARP and IPv6 neighbour discovery for {@link RouterAnswers}: replies and advertisements written over
 * the request, and the router's own requests and solicitations. The contracts are on
 * {@link RouterAnswers}'s methods of the same names.
 */
final class NeighbourAnswers
{
    private static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;
    private static final long ALL_NODES_MAC = 0x3333_0000_0001L;
    private static final long SOLICITED_NODE_MAC = 0x3333_FF00_0000L;
    private static final long MULTICAST_LINK_LOCAL_HIGH = 0xFF02_0000_0000_0000L;
    private static final long ALL_NODES_LOW = 1L;
    private static final long SOLICITED_NODE_LOW = 0x0000_0001_FF00_0000L;
    private static final long SOLICITED_NODE_LOW_MASK = 0xFFFF_FFFF_FF00_0000L;
    private static final int LOW_24_BITS = 0xFF_FFFF;

    private static final int ICMPV6_NEIGHBOUR_SOLICITATION = 135;
    private static final int ICMPV6_NEIGHBOUR_ADVERTISEMENT = 136;
    private static final int ND_HOP_LIMIT = 255;
    /** Type, code, checksum, flags or reserved, target address. */
    private static final int ND_LENGTH = IcmpErrors.ICMP_HEADER_LENGTH + Ipv6Flyweight.ADDRESS_LENGTH;
    private static final int ND_TARGET_OFFSET = IcmpErrors.ICMP_HEADER_LENGTH;
    private static final int OPTION_SOURCE_LINK_LAYER_ADDRESS = 1;
    private static final int OPTION_TARGET_LINK_LAYER_ADDRESS = 2;
    /** Options are counted in units of 8 bytes; a link-layer address option for Ethernet is one. */
    private static final int OPTION_UNIT = 8;
    private static final int FLAG_ROUTER = 0x8000_0000;
    private static final int FLAG_SOLICITED = 0x4000_0000;
    private static final int FLAG_OVERRIDE = 0x2000_0000;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();

    int arpReply(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        if (length < ETHERNET_LENGTH + ArpFlyweight.LENGTH ||
            ethernet.wrap(buffer, offset, length).etherType() != EthernetFlyweight.ETHER_TYPE_ARP)
        {
            return NONE;
        }
        arp.wrap(buffer, offset + ETHERNET_LENGTH, length - ETHERNET_LENGTH);
        if (!arp.isValid() || arp.operation() != ArpFlyweight.OPERATION_REQUEST || isGroup(arp.senderHardwareAddress()))
        {
            return NONE;
        }
        final long requesterMac = arp.senderHardwareAddress();
        final int requesterIp = arp.senderProtocolAddress();
        final int requestedIp = arp.targetProtocolAddress();
        ethernet.destination(requesterMac).source(routerMac);
        arp.operation(ArpFlyweight.OPERATION_REPLY)
            .senderHardwareAddress(routerMac)
            .senderProtocolAddress(requestedIp)
            .targetHardwareAddress(requesterMac)
            .targetProtocolAddress(requesterIp);
        return padded(buffer, offset, ETHERNET_LENGTH + ArpFlyweight.LENGTH);
    }

    int arpRequest(final MutableDirectBuffer buffer, final int offset, final long routerMac, final int senderIp, final int targetIp)
    {
        ethernet.wrap(buffer, offset, RouterAnswers.MIN_FRAME_LENGTH)
            .destination(BROADCAST_MAC)
            .source(routerMac)
            .etherType(EthernetFlyweight.ETHER_TYPE_ARP);
        arp.wrap(buffer, offset + ETHERNET_LENGTH, ArpFlyweight.LENGTH)
            .ethernetIpv4()
            .operation(ArpFlyweight.OPERATION_REQUEST)
            .senderHardwareAddress(routerMac)
            .senderProtocolAddress(senderIp)
            .targetHardwareAddress(0)
            .targetProtocolAddress(targetIp);
        return padded(buffer, offset, ETHERNET_LENGTH + ArpFlyweight.LENGTH);
    }

    int neighbourAdvertisement(
        final MutableDirectBuffer buffer, final int offset, final int length, final long mac, final boolean isRouter)
    {
        if (unicastEtherType(ethernet, buffer, offset, length) != EthernetFlyweight.ETHER_TYPE_IPV6 ||
            AnswerFrames.icmpv6Message(ipv6, buffer, offset, length, ND_HOP_LIMIT, ND_LENGTH) != ICMPV6_NEIGHBOUR_SOLICITATION)
        {
            return NONE;
        }
        final int icmpOffset = offset + ICMPV6_OFFSET;
        final long targetHigh = buffer.getLong(icmpOffset + ND_TARGET_OFFSET, BIG_ENDIAN);
        final long targetLow = buffer.getLong(icmpOffset + ND_TARGET_OFFSET + 8, BIG_ENDIAN);
        final long sourceHigh = ipv6.sourceAddressHigh();
        final long sourceLow = ipv6.sourceAddressLow();
        final boolean unspecified = 0 == sourceHigh && 0 == sourceLow;
        if (0 != buffer.getByte(icmpOffset + 1) || IcmpErrors.isMulticastIpv6(targetHigh) || IcmpErrors.isMulticastIpv6(sourceHigh) ||
            !optionsValid(buffer, icmpOffset + ND_LENGTH, icmpOffset + ipv6.payloadLength(), unspecified) ||
            (unspecified && !isSolicitedNode(ipv6.destinationAddressHigh(), ipv6.destinationAddressLow())))
        {
            return NONE;
        }
        ethernet.destination(unspecified ? ALL_NODES_MAC : ethernet.source()).source(mac);
        final int flags = (isRouter ? FLAG_ROUTER : 0) | (unspecified ? FLAG_OVERRIDE : FLAG_SOLICITED | FLAG_OVERRIDE);
        return ETHERNET_LENGTH + neighbourDiscovery(
            buffer, offset, ICMPV6_NEIGHBOUR_ADVERTISEMENT, flags,
            targetHigh, targetLow,
            unspecified ? MULTICAST_LINK_LOCAL_HIGH : sourceHigh, unspecified ? ALL_NODES_LOW : sourceLow,
            targetHigh, targetLow, OPTION_TARGET_LINK_LAYER_ADDRESS, mac);
    }

    int neighbourSolicitation(
        final MutableDirectBuffer buffer, final int offset, final long routerMac,
        final long sourceHigh, final long sourceLow, final long targetHigh, final long targetLow)
    {
        final long solicitedNode = targetLow & LOW_24_BITS;
        ethernet.wrap(buffer, offset, ETHERNET_LENGTH)
            .destination(SOLICITED_NODE_MAC | solicitedNode)
            .source(routerMac)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV6);
        final int option = 0 == sourceHigh && 0 == sourceLow ? 0 : OPTION_SOURCE_LINK_LAYER_ADDRESS;
        return ETHERNET_LENGTH + neighbourDiscovery(
            buffer, offset, ICMPV6_NEIGHBOUR_SOLICITATION, 0, sourceHigh, sourceLow,
            MULTICAST_LINK_LOCAL_HIGH, SOLICITED_NODE_LOW | solicitedNode, targetHigh, targetLow, option, routerMac);
    }

    /**
     * Writes the IPv6 header and a neighbour solicitation or advertisement after the frame's Ethernet
     * header, with one link-layer address option unless {@code optionType} is 0.
     *
     * @return bytes written: the IPv6 packet's length.
     */
    private int neighbourDiscovery(
        final MutableDirectBuffer buffer, final int offset, final int type, final int flags,
        final long sourceHigh, final long sourceLow, final long destinationHigh, final long destinationLow,
        final long targetHigh, final long targetLow, final int optionType, final long mac)
    {
        final int icmpLength = 0 == optionType ? ND_LENGTH : ND_LENGTH + OPTION_UNIT;
        final int icmpOffset = offset + ICMPV6_OFFSET;
        ipv6.wrap(buffer, offset + IP_OFFSET, Ipv6Flyweight.HEADER_LENGTH + icmpLength)
            .version(Ipv6Flyweight.VERSION).trafficClass(0).flowLabel(0)
            .payloadLength(icmpLength)
            .nextHeader(IcmpErrors.PROTOCOL_ICMPV6)
            .hopLimit(ND_HOP_LIMIT)
            .sourceAddress(sourceHigh, sourceLow)
            .destinationAddress(destinationHigh, destinationLow);
        buffer.putByte(icmpOffset, (byte)type);
        buffer.putByte(icmpOffset + 1, (byte)0);
        buffer.putShort(icmpOffset + 2, (short)0);
        buffer.putInt(icmpOffset + 4, flags, BIG_ENDIAN);
        buffer.putLong(icmpOffset + ND_TARGET_OFFSET, targetHigh, BIG_ENDIAN);
        buffer.putLong(icmpOffset + ND_TARGET_OFFSET + 8, targetLow, BIG_ENDIAN);
        if (0 != optionType)
        {
            buffer.putByte(icmpOffset + ND_LENGTH, (byte)optionType);
            buffer.putByte(icmpOffset + ND_LENGTH + 1, (byte)1);
            buffer.putShort(icmpOffset + ND_LENGTH + 2, (short)(mac >>> 32), BIG_ENDIAN);
            buffer.putInt(icmpOffset + ND_LENGTH + 4, (int)mac, BIG_ENDIAN);
        }
        final long sum = ipv6.pseudoHeaderSum(IcmpErrors.PROTOCOL_ICMPV6, icmpLength) + Checksums.sum(buffer, icmpOffset, icmpLength);
        buffer.putShort(icmpOffset + 2, (short)Checksums.finish(sum), BIG_ENDIAN);
        return Ipv6Flyweight.HEADER_LENGTH + icmpLength;
    }

    /**
     * Neighbour discovery options from {@code index} to {@code end} (RFC 4861 7.1.1): none of length 0
     * or running past the end, and no source link-layer address option from the unspecified address.
     */
    private static boolean optionsValid(final MutableDirectBuffer buffer, final int index, final int end, final boolean unspecified)
    {
        int position = index;
        while (position < end)
        {
            if (position + 2 > end)
            {
                return false;
            }
            final int optionLength = (buffer.getByte(position + 1) & 0xFF) * OPTION_UNIT;
            if (0 == optionLength || position + optionLength > end ||
                (unspecified && (buffer.getByte(position) & 0xFF) == OPTION_SOURCE_LINK_LAYER_ADDRESS))
            {
                return false;
            }
            position += optionLength;
        }
        return true;
    }

    private static boolean isSolicitedNode(final long high, final long low)
    {
        return high == MULTICAST_LINK_LOCAL_HIGH && (low & SOLICITED_NODE_LOW_MASK) == SOLICITED_NODE_LOW;
    }
}
