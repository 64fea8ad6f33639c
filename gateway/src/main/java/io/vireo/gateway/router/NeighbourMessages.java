package io.vireo.gateway.router;

import java.nio.ByteOrder;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.ArpFlyweight;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.gateway.answer.RouterAnswers;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.gateway.router.RouterReplies.consume;

/**
 * ARP and IPv6 neighbour discovery as they reach a router's interface: requests and solicitations for
 * the interface's addresses are answered and teach the {@link NeighbourTable} their sender; replies
 * and advertisements teach it too. One per router stage.
 */
final class NeighbourMessages
{
    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int ETHERNET = EthernetFlyweight.HEADER_LENGTH;
    private static final int NEXT_HEADER_ICMPV6 = 58;
    static final int ICMPV6_NEIGHBOUR_SOLICITATION = 135;
    static final int ICMPV6_NEIGHBOUR_ADVERTISEMENT = 136;
    /** Type, code, checksum, flags, target: where a neighbour discovery message's options start. */
    private static final int ND_OPTIONS_OFFSET = 24;
    private static final int ND_TARGET_OFFSET = 8;
    private static final int OPTION_SOURCE_LINK_ADDRESS = 1;
    private static final int OPTION_TARGET_LINK_ADDRESS = 2;

    private final NeighbourTable neighbours;
    private final RouterAnswers answers;
    private final RouterReplies replies;
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();

    NeighbourMessages(final NeighbourTable neighbours, final RouterAnswers answers, final RouterReplies replies)
    {
        this.neighbours = neighbours;
        this.answers = answers;
        this.replies = replies;
    }

    /**
     * Answers a request for one of the interface's addresses and learns its sender; learns from a reply
     * to the router. Anything else sent to the router's MAC is consumed; a broadcast that is not for
     * the router floods on.
     */
    void arp(final BurstContext burst, final int frame, final RouterInterface in, final boolean toRouter)
    {
        final FrameBurst frames = burst.frames();
        final int offset = frames.frameOffset(frame);
        final int length = frames.frameLength(frame);
        arp.wrap(frames.buffer(), offset + ETHERNET, length - ETHERNET);
        if (!arp.isValid())
        {
            if (toRouter)
            {
                burst.drop(frame, DropReason.ROUTER_LOCAL);
            }
            return;
        }
        final int target = arp.targetProtocolAddress();
        final int sender = arp.senderProtocolAddress();
        final boolean forRouter = in.ownsIpv4(target);
        if ((forRouter || toRouter) && 0 != sender && in.onLinkIpv4(sender))
        {
            neighbours.learnIpv4(in.bridgeId(), sender, arp.senderHardwareAddress(), burst.nowMs());
        }
        if (forRouter && ArpFlyweight.OPERATION_REQUEST == arp.operation())
        {
            replies.answer(burst, frame, answers.arpReply(frames.buffer(), offset, length, in.mac()), in, DropReason.ROUTER_LOCAL);
        }
        else if (toRouter || forRouter)
        {
            consume(burst, frame);
        }
    }

    /**
     * Answers a neighbour solicitation for one of the interface's addresses and learns its sender from
     * the source link-layer option; learns from an advertisement. Other IPv6 multicast floods on.
     */
    void neighbourDiscovery(
        final BurstContext burst, final int frame, final RouterInterface in, final boolean toRouter)
    {
        final FrameBurst frames = burst.frames();
        final UnsafeBuffer buffer = frames.buffer();
        final int offset = frames.frameOffset(frame);
        final int length = frames.frameLength(frame);
        ipv6.wrap(buffer, offset + ETHERNET, length - ETHERNET);
        if (!ipv6.isValid() || NEXT_HEADER_ICMPV6 != ipv6.nextHeader())
        {
            if (toRouter)
            {
                burst.drop(frame, DropReason.ROUTER_LOCAL);
            }
            return;
        }
        final int icmp = ipv6.payloadOffset();
        final int end = icmp + ipv6.payloadLength();
        if (end - icmp < ND_OPTIONS_OFFSET)
        {
            if (toRouter)
            {
                burst.drop(frame, DropReason.ROUTER_LOCAL);
            }
            return;
        }
        final int type = buffer.getByte(icmp) & 0xFF;
        final long targetHigh = buffer.getLong(icmp + ND_TARGET_OFFSET, NETWORK);
        final long targetLow = buffer.getLong(icmp + ND_TARGET_OFFSET + 8, NETWORK);
        if (ICMPV6_NEIGHBOUR_SOLICITATION == type && in.ownsIpv6(targetHigh, targetLow))
        {
            final long sourceHigh = ipv6.sourceAddressHigh();
            final long sourceLow = ipv6.sourceAddressLow();
            final long mac = linkAddressOption(buffer, icmp + ND_OPTIONS_OFFSET, end, OPTION_SOURCE_LINK_ADDRESS);
            if ((0 != sourceHigh || 0 != sourceLow) && NeighbourTable.UNRESOLVED != mac && in.onLinkIpv6(sourceHigh, sourceLow))
            {
                neighbours.learnIpv6(in.bridgeId(), sourceHigh, sourceLow, mac, burst.nowMs());
            }
            replies.answer(burst, frame, answers.neighbourAdvertisement(buffer, offset, length, in.mac()), in, DropReason.ROUTER_LOCAL);
        }
        else if (ICMPV6_NEIGHBOUR_ADVERTISEMENT == type && in.onLinkIpv6(targetHigh, targetLow))
        {
            final long mac = linkAddressOption(buffer, icmp + ND_OPTIONS_OFFSET, end, OPTION_TARGET_LINK_ADDRESS);
            if (NeighbourTable.UNRESOLVED != mac)
            {
                neighbours.learnIpv6(in.bridgeId(), targetHigh, targetLow, mac, burst.nowMs());
            }
            if (toRouter)
            {
                consume(burst, frame);
            }
        }
        else if (toRouter)
        {
            burst.drop(frame, DropReason.ROUTER_LOCAL);
        }
    }

    /** The MAC in the first option of this type (RFC 4861 4.6.1), or {@link NeighbourTable#UNRESOLVED}. */
    private static long linkAddressOption(final UnsafeBuffer buffer, final int from, final int end, final int wanted)
    {
        int option = from;
        while (option + 8 <= end)
        {
            final int type = buffer.getByte(option) & 0xFF;
            final int length = (buffer.getByte(option + 1) & 0xFF) * 8;
            if (0 == length || option + length > end)
            {
                return NeighbourTable.UNRESOLVED;
            }
            if (type == wanted)
            {
                return readMac(buffer, option + 2);
            }
            option += length;
        }
        return NeighbourTable.UNRESOLVED;
    }

    private static long readMac(final UnsafeBuffer buffer, final int offset)
    {
        return ((long)(buffer.getShort(offset, NETWORK) & 0xFFFF) << 32) | (buffer.getInt(offset + 2, NETWORK) & 0xFFFF_FFFFL);
    }
}
