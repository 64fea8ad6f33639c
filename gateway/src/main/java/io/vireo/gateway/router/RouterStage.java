package io.vireo.gateway.router;

import java.nio.ByteOrder;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.ArpFlyweight;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.icmp.PacketTooBig;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.Stage;
import io.vireo.flowtable.MacAddress;
import io.vireo.gateway.answer.RouterAnswers;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.dns.RouterDns;
import io.vireo.gateway.nat.Ipv4Nat;
import io.vireo.gateway.nat.NatRules;
import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.route.Ipv6RouteTable;
import io.vireo.gateway.service.HealthProbes;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The router stage: on a bridge where a router has an interface, it takes the frames sent to the
 * router and either answers them itself or routes them onto another bridge (or back onto this one),
 * rewritten in place. It runs after learning and policy, before the L2 lookup, which then switches a
 * routed frame on its new bridge by its new destination MAC.
 * <ul>
 *   <li>ARP requests and IPv6 neighbour solicitations for the interface's addresses are answered,
 *   and teach the router their sender; ARP replies and neighbour advertisements teach it too
 *   ({@link NeighbourTable}).</li>
 *   <li>Echo requests to any of the router's addresses are answered, and so are DNS queries to port 53
 *   of its IPv4 addresses, over UDP and TCP, for a router with a DNS server ({@link RouterDns}).</li>
 *   <li>Anything else to the router's MAC is routed: header checked, TTL or hop limit decremented
 *   (the IPv4 checksum updated incrementally, RFC 1624), longest-prefix match, the egress MTU
 *   checked (per segment for a GSO frame, which crosses whole: only its MACs and TTL change, so its
 *   virtio-net header stays right), the next hop's MAC resolved. Expiry, no route and a packet too
 *   big answer with ICMP (from the ingress interface's address); an unresolved next hop sends an ARP
 *   request or neighbour solicitation (at most one a second per neighbour) and holds the packet up
 *   to {@link #HOLD_MS} ms, re-sent once the neighbour answers.</li>
 *   <li>On a router with NAT rules or services, IPv4 connections are tracked and translated around the
 *   route lookup ({@link Ipv4Nat}); a new connection to a service without a healthy backend is refused
 *   with a TCP reset or an ICMP port unreachable. Answers to the router's health probes are taken
 *   ({@link HealthProbes}).</li>
 * </ul>
 * An answer replaces the frame that asked for it and goes back to its sender; a solicitation, and a
 * held packet that can go, are appended to the burst when it has room. One per forwarding thread; no
 * allocation, no lock.
 */
public final class RouterStage implements Stage
{
    /** How long a packet waits for its next hop's MAC. */
    public static final long HOLD_MS = 3_000;
    /** Packets a thread holds at once. */
    public static final int HOLD_CAPACITY = 16;

    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int ETHERNET = EthernetFlyweight.HEADER_LENGTH;
    private static final int PROTOCOL_ICMP = 1;
    private static final int PROTOCOL_TCP = 6;
    private static final int TCP_HEADER_LENGTH = 20;
    private static final int TCP_ACKNOWLEDGMENT = 8;
    private static final int TCP_FLAGS = 13;
    private static final int TCP_RST = 0x04;
    private static final int NEXT_HEADER_ICMPV6 = 58;
    private static final int ICMP_ECHO_REQUEST = 8;
    private static final int ICMPV6_ECHO_REQUEST = 128;
    private static final int ICMPV6_NEIGHBOUR_SOLICITATION = 135;
    private static final int ICMPV6_NEIGHBOUR_ADVERTISEMENT = 136;
    /** Type, code, checksum, flags, target: where a neighbour discovery message's options start. */
    private static final int ND_OPTIONS_OFFSET = 24;
    private static final int ND_TARGET_OFFSET = 8;
    private static final int OPTION_SOURCE_LINK_ADDRESS = 1;
    private static final int OPTION_TARGET_LINK_ADDRESS = 2;
    private static final long SOLICITED_NODE_MAC = 0x3333_FF00_0000L;
    /** The largest packet held: a frame of the largest MTU, not a GSO frame. */
    private static final int HOLD_MAX_LENGTH = 9_216 + ETHERNET;

    private final RouterDirectory directory;
    private final NeighbourTable neighbours;
    private final RouterAnswers answers = new RouterAnswers();
    private final PacketTooBig packetSize = new PacketTooBig();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final HeldPackets held = new HeldPackets(HOLD_CAPACITY, FrameBurst.NET_HEADER_LENGTH + HOLD_MAX_LENGTH);
    private final Ipv4Nat nat;
    private final RouterDns dns;

    /**
     * @param directory   the routers, shared.
     * @param neighbours  the neighbour table, shared.
     * @param connections the connection table of routers with NAT, shared.
     */
    public RouterStage(final RouterDirectory directory, final NeighbourTable neighbours, final ConnectionTable connections)
    {
        this.directory = directory;
        this.neighbours = neighbours;
        this.nat = new Ipv4Nat(connections, directory.backendStats());
        this.dns = new RouterDns(directory.dnsStats(), directory.dnsSecret());
    }

    @Override
    public int features()
    {
        return Features.ROUTER;
    }

    @Override
    public void process(final BurstContext burst)
    {
        final RouterDirectory.Snapshot snapshot = directory.snapshot();
        final RouterInterface in = snapshot.interfaceOn(burst.bridgeId());
        final RouterView router = null == in ? null : snapshot.router(in.routerId());
        if (null != router)
        {
            routeBurst(burst, snapshot, router, in);
        }
        if (!held.isEmpty())
        {
            releaseHeld(burst, snapshot);
        }
    }

    /** Every frame of the burst as received (not what this stage appends) that is for the router. */
    private void routeBurst(
        final BurstContext burst, final RouterDirectory.Snapshot snapshot, final RouterView router, final RouterInterface in)
    {
        final int received = burst.size();
        final FrameBurst frames = burst.frames();
        final UnsafeBuffer buffer = frames.buffer();
        for (int frame = 0; frame < received; frame++)
        {
            // Not "undecided": on a bridge with a policy, the policy stage has already chosen where a frame to the
            // router's MAC goes, by the forwarding table (flood, or a port that claimed that MAC).
            if (burst.isDropped(frame) || 0 != burst.vlan(frame))
            {
                continue;
            }
            final int offset = frames.frameOffset(frame);
            final int etherType = buffer.getShort(offset + EthernetFlyweight.ETHER_TYPE_OFFSET, NETWORK) & 0xFFFF;
            final long destination = burst.destination(frame);
            if (destination == in.mac())
            {
                switch (etherType)
                {
                    case EthernetFlyweight.ETHER_TYPE_IPV4 -> ipv4(burst, frame, snapshot, router, in);
                    case EthernetFlyweight.ETHER_TYPE_IPV6 -> ipv6(burst, frame, snapshot, router, in);
                    case EthernetFlyweight.ETHER_TYPE_ARP -> arp(burst, frame, in, true);
                    default -> burst.drop(frame, DropReason.ROUTER_LOCAL);
                }
            }
            else if (EthernetFlyweight.ETHER_TYPE_ARP == etherType && MacAddress.isBroadcast(destination))
            {
                arp(burst, frame, in, false);
            }
            else if (EthernetFlyweight.ETHER_TYPE_IPV6 == etherType && MacAddress.isMulticast(destination))
            {
                neighbourDiscovery(burst, frame, in, false);
            }
        }
    }

    // ---- ARP and neighbour discovery ----

    /**
     * Answers a request for one of the interface's addresses and learns its sender; learns from a reply
     * to the router. Anything else sent to the router's MAC is consumed; a broadcast that is not for
     * the router floods on.
     */
    private void arp(final BurstContext burst, final int frame, final RouterInterface in, final boolean toRouter)
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
            answer(burst, frame, answers.arpReply(frames.buffer(), offset, length, in.mac()), in, DropReason.ROUTER_LOCAL);
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
    private void neighbourDiscovery(
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
            answer(burst, frame, answers.neighbourAdvertisement(buffer, offset, length, in.mac()), in, DropReason.ROUTER_LOCAL);
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

    // ---- IPv4 ----

    private void ipv4(
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
            burst.drop(frame, DropReason.NAT_FRAGMENT);
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
            forRouter(burst, frame, in, PROTOCOL_ICMP == ipv4.protocol() && !ipv4.isFragment() &&
                ipv4.totalLength() > ipv4.headerLength() &&
                ICMP_ECHO_REQUEST == (buffer.getByte(ip + ipv4.headerLength()) & 0xFF));
            return;
        }
        if (ipv4.ttl() <= 1)
        {
            ipv4Error(burst, frame, in, RouterAnswers.ICMP_TIME_EXCEEDED, RouterAnswers.ICMP_TTL_EXCEEDED, 0,
                DropReason.TTL_EXCEEDED);
            return;
        }
        final NextHop nextHop = nextHop(router, router.ipv4Routes().lookup(destination));
        final RouterInterface out = egress(snapshot, router, nextHop);
        if (null == out || 0 == out.ipv4().length)
        {
            ipv4Error(burst, frame, in, RouterAnswers.ICMP_DESTINATION_UNREACHABLE, RouterAnswers.ICMP_NET_UNREACHABLE, 0,
                DropReason.ROUTER_NO_ROUTE);
            return;
        }
        if (packetSize.packetSize(buffer, frames.netHeaderOffset(frame), offset, length) > out.mtu())
        {
            if (ipv4.dontFragment())
            {
                ipv4Error(burst, frame, in, RouterAnswers.ICMP_DESTINATION_UNREACHABLE,
                    RouterAnswers.ICMP_FRAGMENTATION_NEEDED, out.mtu(), DropReason.FRAGMENTATION_NEEDED);
            }
            else
            {
                burst.drop(frame, DropReason.FRAGMENTATION_NEEDED);
            }
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
        ethernet.wrap(buffer, offset, length).source(out.mac());

        final int target = nextHop.connected() ? destination : (int)nextHop.gatewayLow();
        deliver(burst, frame, out, false, 0, target & 0xFFFF_FFFFL);
    }

    private void ipv4Error(
        final BurstContext burst, final int frame, final RouterInterface in, final int type, final int code,
        final int mtu, final DropReason reason)
    {
        if (0 == in.ipv4().length)
        {
            burst.drop(frame, reason);
            return;
        }
        final FrameBurst frames = burst.frames();
        answerError(burst, frame, answers.ipv4Error(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame),
            frames.frameCapacity(), in.mac(), in.primaryIpv4(), type, code, mtu), in, reason);
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
            answer(burst, frame, answers.tcpReset(buffer, frames.frameOffset(frame), frames.frameLength(frame), in.mac()), in,
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
            answer(burst, frame, verdict < 0 ? RouterAnswers.NONE : verdict, in, DropReason.BAD_DNS);
        }
    }

    /** A new connection to a service with no healthy backend: a TCP reset, or an ICMP port unreachable. */
    private void refuse(final BurstContext burst, final int frame, final RouterInterface in)
    {
        if (PROTOCOL_TCP == ipv4.protocol())
        {
            final FrameBurst frames = burst.frames();
            answerError(burst, frame, answers.tcpReset(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame),
                in.mac()), in, DropReason.SERVICE_NO_BACKEND);
        }
        else
        {
            ipv4Error(burst, frame, in, RouterAnswers.ICMP_DESTINATION_UNREACHABLE, RouterAnswers.ICMP_PORT_UNREACHABLE, 0,
                DropReason.SERVICE_NO_BACKEND);
        }
    }

    private void solicitIpv4(final BurstContext burst, final RouterInterface out, final int target)
    {
        final FrameBurst frames = burst.frames();
        if (!frames.isFull() && neighbours.solicitIpv4(out.bridgeId(), target, burst.nowMs()))
        {
            frames.clearNextNetHeader();
            final int length = answers.arpRequest(frames.buffer(), frames.nextFrameOffset(), out.mac(), out.primaryIpv4(), target);
            burst.append(length, out.bridgeId(), out.mac(), MacAddress.BROADCAST);
        }
    }

    // ---- IPv6 ----

    private void ipv6(
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
        if (ICMPV6_NEIGHBOUR_SOLICITATION == icmpType || ICMPV6_NEIGHBOUR_ADVERTISEMENT == icmpType)
        {
            neighbourDiscovery(burst, frame, in, true);
            return;
        }
        if (null != router.ownerOfIpv6(high, low) || isMulticastOrLinkLocal(high))
        {
            forRouter(burst, frame, in, ICMPV6_ECHO_REQUEST == icmpType && null != router.ownerOfIpv6(high, low));
            return;
        }
        if (ipv6.hopLimit() <= 1)
        {
            ipv6Error(burst, frame, in, RouterAnswers.ICMPV6_TIME_EXCEEDED, RouterAnswers.ICMPV6_HOP_LIMIT_EXCEEDED, 0,
                DropReason.TTL_EXCEEDED);
            return;
        }
        final NextHop nextHop = nextHop(router, router.ipv6Routes().lookup(high, low));
        final RouterInterface out = egress(snapshot, router, nextHop);
        if (null == out || 0 == out.ipv6High().length)
        {
            ipv6Error(burst, frame, in, RouterAnswers.ICMPV6_DESTINATION_UNREACHABLE, RouterAnswers.ICMPV6_NO_ROUTE, 0,
                DropReason.ROUTER_NO_ROUTE);
            return;
        }
        if (packetSize.packetSize(buffer, frames.netHeaderOffset(frame), offset, length) > out.mtu())
        {
            ipv6Error(burst, frame, in, RouterAnswers.ICMPV6_PACKET_TOO_BIG, 0, out.mtu(), DropReason.FRAGMENTATION_NEEDED);
            return;
        }

        ipv6.hopLimit(ipv6.hopLimit() - 1);
        ethernet.wrap(buffer, offset, length).source(out.mac());
        deliver(burst, frame, out, true, nextHop.connected() ? high : nextHop.gatewayHigh(),
            nextHop.connected() ? low : nextHop.gatewayLow());
    }

    private void ipv6Error(
        final BurstContext burst, final int frame, final RouterInterface in, final int type, final int code,
        final int mtu, final DropReason reason)
    {
        if (0 == in.ipv6High().length)
        {
            burst.drop(frame, reason);
            return;
        }
        final FrameBurst frames = burst.frames();
        answerError(burst, frame, answers.ipv6Error(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame),
            frames.frameCapacity(), in.mac(), in.ipv6High()[0], in.ipv6Low()[0], type, code, mtu), in, reason);
    }

    private void solicitIpv6(final BurstContext burst, final RouterInterface out, final long high, final long low)
    {
        final FrameBurst frames = burst.frames();
        if (!frames.isFull() && neighbours.solicitIpv6(out.bridgeId(), high, low, burst.nowMs()))
        {
            frames.clearNextNetHeader();
            final int length = answers.neighbourSolicitation(frames.buffer(), frames.nextFrameOffset(), out.mac(),
                out.ipv6High()[0], out.ipv6Low()[0], high, low);
            burst.append(length, out.bridgeId(), out.mac(), SOLICITED_NODE_MAC | (low & 0xFF_FFFF));
        }
    }

    private static boolean isMulticastOrLinkLocal(final long high)
    {
        return (high >>> 56) == 0xFF || (high >>> 54) == 0x3FA;
    }

    // ---- answers and held packets ----

    /** A packet to one of the router's addresses: an echo request is answered, anything else dropped. */
    private void forRouter(final BurstContext burst, final int frame, final RouterInterface in, final boolean echoRequest)
    {
        if (echoRequest)
        {
            final FrameBurst frames = burst.frames();
            answer(burst, frame, answers.echoReply(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame),
                in.mac()), in, DropReason.ROUTER_LOCAL);
        }
        else
        {
            burst.drop(frame, DropReason.ROUTER_LOCAL);
        }
    }

    /** The next hop a route lookup named, or null for {@link Ipv4RouteTable#NO_ROUTE} (the IPv6 table's is the same). */
    private static NextHop nextHop(final RouterView router, final int index)
    {
        return Ipv4RouteTable.NO_ROUTE == index || Ipv6RouteTable.NO_ROUTE == index ? null : router.nextHops()[index];
    }

    /** The router's interface a next hop leaves by, or null if it is gone. */
    private static RouterInterface egress(
        final RouterDirectory.Snapshot snapshot, final RouterView router, final NextHop nextHop)
    {
        final RouterInterface out = null == nextHop ? null : snapshot.interfaceOn(nextHop.bridgeId());
        return null == out || out.routerId() != router.id() ? null : out;
    }

    /**
     * Sends the answer now in the frame's slot back to its sender on the ingress bridge, or drops the
     * frame under {@code reason} if no answer was due ({@link RouterAnswers#NONE}).
     */
    private void answer(
        final BurstContext burst, final int frame, final int length, final RouterInterface in, final DropReason reason)
    {
        if (RouterAnswers.NONE == length)
        {
            burst.drop(frame, reason);
            return;
        }
        final FrameBurst frames = burst.frames();
        frames.frameLength(frame, length);
        frames.clearNetHeader(frame);
        burst.route(frame, in.bridgeId(), ethernet.wrap(frames.buffer(), frames.frameOffset(frame), length).destination());
    }

    /** {@link #answer} with an ICMP error, which is counted under {@code reason} whether it goes or not. */
    private void answerError(
        final BurstContext burst, final int frame, final int length, final RouterInterface in, final DropReason reason)
    {
        answer(burst, frame, length, in, reason);
        if (RouterAnswers.NONE != length)
        {
            burst.countDrop(reason);
        }
    }

    /**
     * Sends a routed frame (its source MAC, TTL and checksum rewritten already) to its next hop on the
     * egress interface's bridge, or holds it and solicits the next hop if its MAC is not known.
     */
    private void deliver(
        final BurstContext burst, final int frame, final RouterInterface out, final boolean isIpv6, final long high,
        final long low)
    {
        final long mac = resolve(out, isIpv6, high, low, burst.nowMs());
        if (NeighbourTable.UNRESOLVED == mac)
        {
            hold(burst, frame, out, high, low, isIpv6);
            solicit(burst, out, isIpv6, high, low);
            return;
        }
        ethernet.destination(mac);
        burst.route(frame, out.bridgeId(), mac);
    }

    private long resolve(final RouterInterface out, final boolean isIpv6, final long high, final long low, final long nowMs)
    {
        return isIpv6 ? neighbours.resolveIpv6(out.bridgeId(), high, low, nowMs) :
            neighbours.resolveIpv4(out.bridgeId(), (int)low, nowMs);
    }

    private void solicit(final BurstContext burst, final RouterInterface out, final boolean isIpv6, final long high, final long low)
    {
        if (isIpv6)
        {
            solicitIpv6(burst, out, high, low);
        }
        else
        {
            solicitIpv4(burst, out, (int)low);
        }
    }

    /** The router took the frame (an ARP reply, an advertisement, a held packet): nothing goes out, nothing is counted. */
    private static void consume(final BurstContext burst, final int frame)
    {
        burst.action(frame, BurstContext.DROPPED);
    }

    private void hold(
        final BurstContext burst, final int frame, final RouterInterface out, final long high, final long low,
        final boolean isIpv6)
    {
        final FrameBurst frames = burst.frames();
        if (held.hold(frames, frame, out.bridgeId(), isIpv6, high, low, burst.nowMs(), burst.ingressCounters()))
        {
            consume(burst, frame);
        }
        else
        {
            burst.drop(frame, DropReason.NEIGHBOUR_UNRESOLVED);
        }
    }

    /**
     * Sends the held packets whose next hop is now known (while the burst has room), drops those that
     * waited {@link #HOLD_MS}, and solicits again for the others.
     */
    private void releaseHeld(final BurstContext burst, final RouterDirectory.Snapshot snapshot)
    {
        final FrameBurst frames = burst.frames();
        final long now = burst.nowMs();
        for (int i = held.count() - 1; i >= 0; i--)
        {
            final RouterInterface out = snapshot.interfaceOn(held.bridgeId(i));
            final boolean isIpv6 = held.isIpv6(i);
            final long high = held.targetHigh(i);
            final long low = held.targetLow(i);
            final long mac = null == out ? NeighbourTable.UNRESOLVED : resolve(out, isIpv6, high, low, now);
            if (NeighbourTable.UNRESOLVED != mac && !frames.isFull())
            {
                final int length = held.copyOut(i, frames);
                ethernet.wrap(frames.buffer(), frames.nextFrameOffset(), length).destination(mac);
                burst.append(length, out.bridgeId(), out.mac(), mac);
                held.remove(i);
            }
            else if (null == out || now - held.heldAtMs(i) > HOLD_MS)
            {
                held.counters(i).dropped(DropReason.NEIGHBOUR_UNRESOLVED, 1);
                held.remove(i);
            }
            else if (NeighbourTable.UNRESOLVED == mac)
            {
                solicit(burst, out, isIpv6, high, low);
            }
        }
    }

    private static boolean isPartialChecksum(final FrameBurst frames, final int frame)
    {
        return 0 != (frames.buffer().getByte(frames.netHeaderOffset(frame) + VirtioNetHeaderFlyweight.FLAGS_OFFSET) &
            VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM);
    }

    private static long readMac(final UnsafeBuffer buffer, final int offset)
    {
        return ((long)(buffer.getShort(offset, NETWORK) & 0xFFFF) << 32) | (buffer.getInt(offset + 2, NETWORK) & 0xFFFF_FFFFL);
    }
}
