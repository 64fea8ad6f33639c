package io.vireo.gateway.router;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.icmp.PacketTooBig;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.gateway.answer.RouterAnswers;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An IPv6 packet to a router's MAC: neighbour discovery handed to {@link NeighbourMessages}, echo
 * requests to its addresses answered, anything else to its addresses, to multicast or link-local
 * dropped; the rest routed: hop limit decremented, longest-prefix match, the egress MTU checked, then
 * handed to {@link NextHopDelivery}. Expiry, no route and a packet too big answer with ICMPv6. One per
 * router stage.
 */
final class Ipv6Routing
{
    private static final int ETHERNET = EthernetFlyweight.HEADER_LENGTH;
    private static final int NEXT_HEADER_ICMPV6 = 58;
    private static final int ICMPV6_ECHO_REQUEST = 128;

    private final RouterReplies replies;
    private final NeighbourMessages neighbourMessages;
    private final NextHopDelivery delivery;
    private final PacketTooBig packetSize = new PacketTooBig();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();

    Ipv6Routing(final RouterReplies replies, final NeighbourMessages neighbourMessages, final NextHopDelivery delivery)
    {
        this.replies = replies;
        this.neighbourMessages = neighbourMessages;
        this.delivery = delivery;
    }

    /** Answers, routes or drops the IPv6 frame sent to the router's MAC on interface {@code in}. */
    void route(
        final BurstContext burst, final int frame, final RouterDirectory.Snapshot snapshot, final RouterView router,
        final RouterInterface in)
    {
        final FrameBurst frames = burst.frames();
        final UnsafeBuffer buffer = frames.buffer();
        final int offset = frames.frameOffset(frame);
        final int length = frames.frameLength(frame);
        ipv6.wrap(buffer, offset + ETHERNET, length - ETHERNET);
        if (!ipv6.isValid())
        {
            burst.drop(frame, DropReason.BAD_IP);
            return;
        }
        final long high = ipv6.destinationAddressHigh();
        final long low = ipv6.destinationAddressLow();
        final boolean icmp = NEXT_HEADER_ICMPV6 == ipv6.nextHeader() && ipv6.payloadLength() >= 8;
        final int icmpType = icmp ? buffer.getByte(ipv6.payloadOffset()) & 0xFF : -1;
        if (NeighbourMessages.ICMPV6_NEIGHBOUR_SOLICITATION == icmpType || NeighbourMessages.ICMPV6_NEIGHBOUR_ADVERTISEMENT == icmpType)
        {
            neighbourMessages.neighbourDiscovery(burst, frame, in, true);
            return;
        }
        if (null != router.ownerOfIpv6(high, low) || isMulticastOrLinkLocal(high))
        {
            replies.forRouter(burst, frame, in, ICMPV6_ECHO_REQUEST == icmpType && null != router.ownerOfIpv6(high, low));
            return;
        }
        if (ipv6.hopLimit() <= 1)
        {
            replies.ipv6Error(burst, frame, in, RouterAnswers.ICMPV6_TIME_EXCEEDED, RouterAnswers.ICMPV6_HOP_LIMIT_EXCEEDED, 0,
                DropReason.TTL_EXCEEDED);
            return;
        }
        final NextHop nextHop = NextHopDelivery.nextHop(router, router.ipv6Routes().lookup(high, low));
        final RouterInterface out = NextHopDelivery.egress(snapshot, router, nextHop);
        if (null == out || 0 == out.ipv6High().length)
        {
            replies.ipv6Error(burst, frame, in, RouterAnswers.ICMPV6_DESTINATION_UNREACHABLE, RouterAnswers.ICMPV6_NO_ROUTE, 0,
                DropReason.ROUTER_NO_ROUTE);
            return;
        }
        if (packetSize.packetSize(buffer, frames.netHeaderOffset(frame), offset, length) > out.mtu())
        {
            replies.ipv6Error(burst, frame, in, RouterAnswers.ICMPV6_PACKET_TOO_BIG, 0, out.mtu(), DropReason.FRAGMENTATION_NEEDED);
            return;
        }

        ipv6.hopLimit(ipv6.hopLimit() - 1);
        delivery.deliver(burst, frame, out, true, nextHop.connected() ? high : nextHop.gatewayHigh(),
            nextHop.connected() ? low : nextHop.gatewayLow());
    }

    private static boolean isMulticastOrLinkLocal(final long high)
    {
        return (high >>> 56) == 0xFF || (high >>> 54) == 0x3FA;
    }
}
