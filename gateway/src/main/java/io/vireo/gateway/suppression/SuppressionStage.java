package io.vireo.gateway.suppression;

import java.nio.ByteOrder;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.ArpFlyweight;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.Destination;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.Stage;
import io.vireo.flowtable.MacAddress;
import io.vireo.gateway.answer.RouterAnswers;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * ARP/ND suppression: on a bridge with {@link Features#SUPPRESSION}, the switch answers a broadcast ARP
 * request or a multicast IPv6 neighbour solicitation for an address in its {@link SuppressionTable}
 * itself, with the MAC the table has for it, so the request never floods to the bridge's other ports
 * (above all to the VXLAN peers: the overlay carries no broadcast to find an endpoint the control plane
 * knows). The answer is written over the request in its slot ({@link RouterAnswers}: an ARP reply; a
 * neighbour advertisement with Solicited and Override set and Router clear, the target's MAC in its
 * option) and goes out of the port the request came in on, and only there. Each answer is counted on
 * that port ({@link io.vireo.dataplane.pipeline.PortCounters#suppressed}), not as a drop.
 * <p>
 * Everything else goes on as before, to the stages after this one:
 * <ul>
 *   <li>a frame from a port with peers (it carries a {@link FrameBurst#peer peer}: from the overlay),
 *   a tagged frame, a unicast one (a neighbour's reachability check, which the neighbour itself must
 *   answer);</li>
 *   <li>a request for an address the table lacks, or for one the table gives the requester's own MAC
 *   (a host asking for its own address);</li>
 *   <li>a gratuitous ARP (sender address = target), an ARP probe (sender 0.0.0.0), duplicate address
 *   detection (a solicitation from ::) and a solicitation from the target itself: a host announcing or
 *   checking an address, which the others must hear.</li>
 * </ul>
 * A request that cannot be read or answered (an ARP packet too short or not Ethernet/IPv4; a
 * solicitation that is truncated, or for a known target but invalid by RFC 4861 7.1.1: hop limit, code,
 * checksum, options) is dropped as {@link DropReason#BAD_NEIGHBOUR_REQUEST}, as its receivers would drop it.
 * <p>
 * One per forwarding thread; no allocation, no lock, nothing thrown.
 */
public final class SuppressionStage implements Stage
{
    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int ETHERNET = EthernetFlyweight.HEADER_LENGTH;
    private static final int NEXT_HEADER_OFFSET = ETHERNET + 6;
    private static final int ICMPV6_OFFSET = ETHERNET + Ipv6Flyweight.HEADER_LENGTH;
    private static final int PROTOCOL_ICMPV6 = 58;
    private static final int ICMPV6_NEIGHBOUR_SOLICITATION = 135;
    /** Type, code, checksum, reserved, target. */
    private static final int SOLICITATION_LENGTH = 24;
    private static final int TARGET_OFFSET = 8;

    private final SuppressionTable table;
    private final RouterAnswers answers = new RouterAnswers();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();

    public SuppressionStage(final SuppressionTable table)
    {
        this.table = table;
    }

    @Override
    public int features()
    {
        return Features.SUPPRESSION;
    }

    @Override
    public void process(final BurstContext burst)
    {
        final FrameBurst frames = burst.frames();
        final UnsafeBuffer buffer = frames.buffer();
        int answered = 0;
        for (int frame = 0, size = burst.size(); frame < size; frame++)
        {
            if (burst.isDropped(frame) || 0 != burst.vlan(frame) || FrameBurst.NO_PEER != frames.peer(frame) ||
                !MacAddress.isMulticast(burst.destination(frame)))
            {
                continue;
            }
            final int offset = frames.frameOffset(frame);
            final int etherType = buffer.getShort(offset + EthernetFlyweight.ETHER_TYPE_OFFSET, NETWORK) & 0xFFFF;
            if (EthernetFlyweight.ETHER_TYPE_ARP == etherType)
            {
                answered += arp(burst, frame, buffer, offset);
            }
            else if (EthernetFlyweight.ETHER_TYPE_IPV6 == etherType)
            {
                answered += solicitation(burst, frame, buffer, offset);
            }
        }
        if (answered > 0)
        {
            burst.ingressCounters().suppressed(answered);
        }
    }

    /** @return 1 if the request was answered. */
    private int arp(final BurstContext burst, final int frame, final UnsafeBuffer buffer, final int offset)
    {
        final int length = burst.frames().frameLength(frame);
        arp.wrap(buffer, offset + ETHERNET, length - ETHERNET);
        if (length < ETHERNET + ArpFlyweight.LENGTH || !arp.isValid())
        {
            burst.drop(frame, DropReason.BAD_NEIGHBOUR_REQUEST);
            return 0;
        }
        final int sender = arp.senderProtocolAddress();
        final int target = arp.targetProtocolAddress();
        if (ArpFlyweight.OPERATION_REQUEST != arp.operation() || 0 == sender || sender == target)
        {
            return 0;
        }
        final long mac = table.lookupIpv4(burst.bridgeId(), target);
        if (SuppressionTable.NO_MAC == mac || mac == arp.senderHardwareAddress() || mac == burst.source(frame))
        {
            return 0;
        }
        return answer(burst, frame, answers.arpReply(buffer, offset, length, mac));
    }

    /** @return 1 if the solicitation was answered. */
    private int solicitation(final BurstContext burst, final int frame, final UnsafeBuffer buffer, final int offset)
    {
        final int length = burst.frames().frameLength(frame);
        if (length <= ICMPV6_OFFSET || PROTOCOL_ICMPV6 != (buffer.getByte(offset + NEXT_HEADER_OFFSET) & 0xFF) ||
            ICMPV6_NEIGHBOUR_SOLICITATION != (buffer.getByte(offset + ICMPV6_OFFSET) & 0xFF))
        {
            return 0;
        }
        ipv6.wrap(buffer, offset + ETHERNET, length - ETHERNET);
        if (!ipv6.isValid() || ipv6.payloadLength() < SOLICITATION_LENGTH)
        {
            burst.drop(frame, DropReason.BAD_NEIGHBOUR_REQUEST);
            return 0;
        }
        final long targetHigh = buffer.getLong(offset + ICMPV6_OFFSET + TARGET_OFFSET, NETWORK);
        final long targetLow = buffer.getLong(offset + ICMPV6_OFFSET + TARGET_OFFSET + 8, NETWORK);
        final long sourceHigh = ipv6.sourceAddressHigh();
        final long sourceLow = ipv6.sourceAddressLow();
        if ((0 == sourceHigh && 0 == sourceLow) || (sourceHigh == targetHigh && sourceLow == targetLow))
        {
            return 0;
        }
        final long mac = table.lookupIpv6(burst.bridgeId(), targetHigh, targetLow);
        if (SuppressionTable.NO_MAC == mac || mac == burst.source(frame))
        {
            return 0;
        }
        return answer(burst, frame, answers.neighbourAdvertisement(buffer, offset, length, mac, false));
    }

    /**
     * Sends the answer now in the frame's slot back out of the ingress port alone, or drops the request
     * that could not be answered.
     */
    private static int answer(final BurstContext burst, final int frame, final int length)
    {
        if (RouterAnswers.NONE == length)
        {
            burst.drop(frame, DropReason.BAD_NEIGHBOUR_REQUEST);
            return 0;
        }
        final FrameBurst frames = burst.frames();
        frames.frameLength(frame, length);
        frames.clearNetHeader(frame);
        // The answer's destination is the requester, which is behind the ingress port: a frame the stage sends
        // there itself, as a router's answers go (not a hairpin).
        burst.route(frame, burst.bridgeId(), MacAddress.read(frames.buffer(), frames.frameOffset(frame)));
        burst.action(frame, Destination.of(burst.ingressPort(), FrameBurst.NO_PEER));
        return 1;
    }
}
