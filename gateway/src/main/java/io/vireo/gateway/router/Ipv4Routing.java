package io.vireo.gateway.router;

import java.nio.ByteOrder;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.icmp.PacketTooBig;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.flowtable.MacAddress;
import io.vireo.gateway.answer.RouterAnswers;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.dns.RouterDns;
import io.vireo.gateway.nat.FragmentTable;
import io.vireo.gateway.nat.Ipv4Nat;
import io.vireo.gateway.nat.NatRules;
import io.vireo.gateway.service.HealthProbes;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.gateway.router.RouterReplies.consume;

/**
 * An IPv4 packet to a router's MAC: answers to its health probes taken ({@link HealthProbes}), DNS
 * queries to its addresses answered ({@link RouterDns}), connections translated around the route
 * lookup on a router with NAT rules or services ({@link Ipv4Nat}; a new connection to a service with
 * no healthy backend refused), echo requests to its addresses answered; anything else routed: header
 * checked, TTL decremented (the checksum updated incrementally, RFC 1624), longest-prefix match, the
 * egress MTU checked, then handed to {@link NextHopDelivery}. Expiry, no route and a packet too big
 * with DF set answer with ICMP; a packet too big without DF is marked to be cut into fragments on output
 * ({@link FrameBurst#fragmentMtu(int, int)}), unless it is a GSO frame (dropped). A
 * fragment that comes before its datagram's first fragment waits in {@link HeldPackets} of its own (up
 * to {@link RouterStage#FRAGMENT_HOLD_MS} ms) and is routed again, as received, once the first has gone
 * through ({@link #releaseFragments}). One per router stage.
 */
final class Ipv4Routing
{
    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int ETHERNET = EthernetFlyweight.HEADER_LENGTH;
    private static final int PROTOCOL_ICMP = 1;
    private static final int PROTOCOL_TCP = 6;
    private static final int TCP_HEADER_LENGTH = 20;
    private static final int TCP_ACKNOWLEDGMENT = 8;
    private static final int TCP_FLAGS = 13;
    private static final int TCP_RST = 0x04;
    private static final int ICMP_ECHO_REQUEST = 8;

    private final RouterDirectory directory;
    private final RouterAnswers answers;
    private final RouterReplies replies;
    private final NextHopDelivery delivery;
    private final PacketTooBig packetSize = new PacketTooBig();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv4Nat nat;
    private final RouterDns dns;
    private final HeldPackets heldFragments = new HeldPackets(
        RouterStage.FRAGMENT_HOLD_CAPACITY, FrameBurst.NET_HEADER_LENGTH + NextHopDelivery.HOLD_MAX_LENGTH);

    Ipv4Routing(
        final RouterDirectory directory, final ConnectionTable connections, final RouterAnswers answers,
        final RouterReplies replies, final NextHopDelivery delivery)
    {
        this.directory = directory;
        this.answers = answers;
        this.replies = replies;
        this.delivery = delivery;
        this.nat = new Ipv4Nat(connections, directory.backendStats());
        this.dns = new RouterDns(directory.dnsStats(), directory.dnsSecret());
    }

    /**
     * A burst's first pass on a router with NAT: the connections of the IPv4 frames to the router's MAC
     * loaded into the cache at once ({@link Ipv4Nat#aheadOf}), before {@link #route} takes them one by one.
     */
    void loadConnectionsAhead(final BurstContext burst, final RouterView router, final RouterInterface in)
    {
        final FrameBurst frames = burst.frames();
        final UnsafeBuffer buffer = frames.buffer();
        for (int frame = 0; frame < burst.size(); frame++)
        {
            final int offset = frames.frameOffset(frame);
            if (RouterStage.isCandidate(burst, frame) && burst.destination(frame) == in.mac() &&
                EthernetFlyweight.ETHER_TYPE_IPV4 ==
                (buffer.getShort(offset + EthernetFlyweight.ETHER_TYPE_OFFSET, NETWORK) & 0xFFFF))
            {
                nat.aheadOf(buffer, offset + ETHERNET, frames.frameLength(frame) - ETHERNET, router.id());
            }
        }
        nat.loadAhead();
    }

    /** Answers, routes or drops the IPv4 frame sent to the router's MAC on interface {@code in}. */
    void route(
        final BurstContext burst, final int frame, final RouterDirectory.Snapshot snapshot, final RouterView router,
        final RouterInterface in)
    {
        final FrameBurst frames = burst.frames();
        final UnsafeBuffer buffer = frames.buffer();
        final int offset = frames.frameOffset(frame);
        final int length = frames.frameLength(frame);
        final int ip = offset + ETHERNET;
        ipv4.wrap(buffer, ip, length - ETHERNET);
        if (!ipv4.isValid() || 0 != Checksums.checksum(buffer, ip, ipv4.headerLength()))
        {
            burst.drop(frame, DropReason.BAD_IP);
            return;
        }
        final RouterInterface owner = router.ownerOfIpv4(ipv4.destinationAddress());
        if (null != owner && PROTOCOL_TCP == ipv4.protocol() && !ipv4.isFragment() && probeAnswered(burst, frame, in, ip))
        {
            return;
        }
        if (null != owner && null != router.dns() && RouterDns.isDns(buffer, ip))
        {
            dns(burst, frame, in, router);
            return;
        }
        final NatRules rules = router.nat();
        final boolean partialChecksum = isPartialChecksum(frames, frame);
        final int natVerdict = rules.isEmpty() ? Ipv4Nat.UNTRACKED : nat.beforeRouting(buffer, ip, partialChecksum,
            router.id(), rules, owner, burst.nowMs());
        if (Ipv4Nat.FRAGMENT == natVerdict)
        {
            burst.drop(frame, nat.fragmentDrop());
            return;
        }
        if (Ipv4Nat.HELD == natVerdict)
        {
            holdFragment(burst, frame);
            return;
        }
        if (Ipv4Nat.NO_BACKEND == natVerdict)
        {
            refuse(burst, frame, in);
            return;
        }
        final int destination = ipv4.destinationAddress();
        if (null != router.ownerOfIpv4(destination))
        {
            replies.forRouter(burst, frame, in, PROTOCOL_ICMP == ipv4.protocol() && !ipv4.isFragment() &&
                ipv4.totalLength() > ipv4.headerLength() &&
                ICMP_ECHO_REQUEST == (buffer.getByte(ip + ipv4.headerLength()) & 0xFF));
            return;
        }
        if (ipv4.ttl() <= 1)
        {
            replies.ipv4Error(burst, frame, in, RouterAnswers.ICMP_TIME_EXCEEDED, RouterAnswers.ICMP_TTL_EXCEEDED, 0,
                DropReason.TTL_EXCEEDED);
            return;
        }
        final NextHop nextHop = NextHopDelivery.nextHop(router, router.ipv4Routes().lookup(destination));
        final RouterInterface out = NextHopDelivery.egress(snapshot, router, nextHop);
        if (null == out || 0 == out.ipv4().length)
        {
            replies.ipv4Error(burst, frame, in, RouterAnswers.ICMP_DESTINATION_UNREACHABLE, RouterAnswers.ICMP_NET_UNREACHABLE, 0,
                DropReason.ROUTER_NO_ROUTE);
            return;
        }
        final boolean oversize = packetSize.packetSize(buffer, frames.netHeaderOffset(frame), offset, length) > out.mtu();
        if (oversize && ipv4.dontFragment())
        {
            replies.ipv4Error(burst, frame, in, RouterAnswers.ICMP_DESTINATION_UNREACHABLE,
                RouterAnswers.ICMP_FRAGMENTATION_NEEDED, out.mtu(), DropReason.FRAGMENTATION_NEEDED);
            return;
        }
        if (oversize && isGso(frames, frame))
        {
            burst.drop(frame, DropReason.FRAGMENTATION_NEEDED);
            return;
        }
        if (Ipv4Nat.NEW == natVerdict)
        {
            final DropReason refused = nat.afterRouting(buffer, ip, partialChecksum, router.id(), rules, out, burst.bridgeId(),
                burst.nowMs());
            if (null != refused)
            {
                burst.drop(frame, refused);
                return;
            }
        }

        final int ttlAndProtocol = buffer.getShort(ip + Ipv4Flyweight.TTL_OFFSET, NETWORK) & 0xFFFF;
        final int checksum = buffer.getShort(ip + Ipv4Flyweight.HEADER_CHECKSUM_OFFSET, NETWORK) & 0xFFFF;
        buffer.putShort(ip + Ipv4Flyweight.TTL_OFFSET, (short)(ttlAndProtocol - 0x100), NETWORK);
        buffer.putShort(ip + Ipv4Flyweight.HEADER_CHECKSUM_OFFSET,
            (short)Checksums.adjust(checksum, ttlAndProtocol, ttlAndProtocol - 0x100), NETWORK);

        if (oversize)
        {
            // Cut on output, once the egress bridge's policy has seen the whole packet: the burst has no slots to spare.
            frames.fragmentMtu(frame, out.mtu());
        }
        final int target = nextHop.connected() ? destination : (int)nextHop.gatewayLow();
        delivery.deliver(burst, frame, out, false, 0, target & 0xFFFF_FFFFL);
    }

    boolean holdsFragments()
    {
        return !heldFragments.isEmpty();
    }

    /**
     * The held fragments whose datagram's first fragment has gone through: copied back into the burst and
     * routed (translated) if they came in on the burst's bridge and the burst has room. Those whose
     * datagram did not go through, or that waited {@link RouterStage#FRAGMENT_HOLD_MS}, are dropped.
     *
     * @param router the router on the burst's bridge, or null: then nothing is routed, only dropped.
     */
    void releaseFragments(
        final BurstContext burst, final RouterDirectory.Snapshot snapshot, final RouterView router, final RouterInterface in)
    {
        final FrameBurst frames = burst.frames();
        final long now = burst.nowMs();
        for (int i = heldFragments.count() - 1; i >= 0; i--)
        {
            final int state = nat.fragmentState(heldFragments.targetHigh(i), heldFragments.targetLow(i), now);
            if (FragmentTable.TRANSLATED == state && null != router && heldFragments.bridgeId(i) == in.bridgeId() &&
                !frames.isFull())
            {
                final int offset = frames.nextFrameOffset();
                final int length = heldFragments.copyOut(i, frames);
                final PortCounters counters = heldFragments.counters(i);
                heldFragments.remove(i);
                // Counted, if dropped later (by the egress bridge's policy, say), on the port it came in by.
                final int frame = burst.append(
                    length, in.bridgeId(), MacAddress.read(frames.buffer(), offset + 6), in.mac(), counters);
                route(burst, frame, snapshot, router, in);
            }
            else if (FragmentTable.PENDING != state && FragmentTable.TRANSLATED != state ||
                now - heldFragments.heldAtMs(i) > RouterStage.FRAGMENT_HOLD_MS)
            {
                heldFragments.counters(i).dropped(DropReason.NAT_FRAGMENT, 1);
                heldFragments.remove(i);
            }
        }
    }

    /** Keeps a fragment whose first fragment has not come, as received, under its datagram's key. */
    private void holdFragment(final BurstContext burst, final int frame)
    {
        if (heldFragments.hold(burst.frames(), frame, burst.bridgeId(), false, nat.heldKeyHigh(), nat.heldKeyLow(),
            burst.nowMs(), burst.ingressCounters()))
        {
            consume(burst, frame);
        }
        else
        {
            burst.drop(frame, DropReason.NAT_FRAGMENTS_FULL);
        }
    }

    /**
     * A TCP segment to the router's address that answers one of its health probes ({@link HealthProbes}):
     * recorded, and a SYN/ACK answered with a reset so the backend forgets the half-open connection.
     *
     * @return false if it answers no probe.
     */
    private boolean probeAnswered(final BurstContext burst, final int frame, final RouterInterface in, final int ip)
    {
        final UnsafeBuffer buffer = burst.frames().buffer();
        final int tcp = ip + ipv4.headerLength();
        if (ipv4.totalLength() - ipv4.headerLength() < TCP_HEADER_LENGTH)
        {
            return false;
        }
        final int flags = buffer.getByte(tcp + TCP_FLAGS) & 0xFF;
        if (!directory.healthProbes().answer(buffer.getShort(tcp + 2, NETWORK) & 0xFFFF, flags,
            buffer.getInt(tcp + TCP_ACKNOWLEDGMENT, NETWORK)))
        {
            return false;
        }
        if (0 != (flags & TCP_RST))
        {
            consume(burst, frame);
        }
        else
        {
            final FrameBurst frames = burst.frames();
            replies.answer(burst, frame, answers.tcpReset(buffer, frames.frameOffset(frame), frames.frameLength(frame), in.mac()), in,
                DropReason.ROUTER_LOCAL);
        }
        return true;
    }

    /**
     * A DNS query to the router's address: answered in place, passed to the upstream resolver, or dropped
     * and counted (a query the forwarding queue has no room for too).
     */
    private void dns(final BurstContext burst, final int frame, final RouterInterface in, final RouterView router)
    {
        final FrameBurst frames = burst.frames();
        // An answer no larger than the interface's MTU, whatever EDNS size the query offers.
        final int verdict = dns.answer(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame),
            Math.min(frames.frameCapacity(), ETHERNET + in.mtu()), in.mac(), isPartialChecksum(frames, frame), router.dns(),
            router.dnsUpstream());
        if (RouterDns.CONSUMED == verdict ||
            RouterDns.FORWARD == verdict && RouterDns.forward(frames.buffer(), frames.frameOffset(frame), router.id(),
                in.bridgeId(), in.mac(), directory.dnsForwarding()))
        {
            consume(burst, frame);
        }
        else
        {
            replies.answer(burst, frame, verdict < 0 ? RouterAnswers.NONE : verdict, in, DropReason.BAD_DNS);
        }
    }

    /** A new connection to a service with no healthy backend: a TCP reset, or an ICMP port unreachable. */
    private void refuse(final BurstContext burst, final int frame, final RouterInterface in)
    {
        if (PROTOCOL_TCP == ipv4.protocol())
        {
            final FrameBurst frames = burst.frames();
            replies.answerError(burst, frame, answers.tcpReset(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame),
                in.mac()), in, DropReason.SERVICE_NO_BACKEND);
        }
        else
        {
            replies.ipv4Error(burst, frame, in, RouterAnswers.ICMP_DESTINATION_UNREACHABLE, RouterAnswers.ICMP_PORT_UNREACHABLE, 0,
                DropReason.SERVICE_NO_BACKEND);
        }
    }

    /** True for a GSO frame: its segments are cut at output, never fragmented. */
    private static boolean isGso(final FrameBurst frames, final int frame)
    {
        return VirtioNetHeaderFlyweight.GSO_NONE !=
            frames.buffer().getByte(frames.netHeaderOffset(frame) + VirtioNetHeaderFlyweight.GSO_TYPE_OFFSET);
    }

    private static boolean isPartialChecksum(final FrameBurst frames, final int frame)
    {
        return 0 != (frames.buffer().getByte(frames.netHeaderOffset(frame) + VirtioNetHeaderFlyweight.FLAGS_OFFSET) &
            VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM);
    }
}
