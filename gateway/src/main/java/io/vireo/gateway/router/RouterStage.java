package io.vireo.gateway.router;

import java.nio.ByteOrder;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.Stage;
import io.vireo.flowtable.MacAddress;
import io.vireo.gateway.answer.RouterAnswers;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.dns.RouterDns;
import io.vireo.gateway.nat.Ipv4Nat;
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
 *   big with DF (or IPv6) answer with ICMP (from the ingress interface's address); an IPv4 packet too
 *   big without DF is marked to be fragmented on output; an unresolved next hop sends an ARP
 *   request or neighbour solicitation (at most one a second per neighbour) and holds the packet up
 *   to {@link #HOLD_MS} ms, re-sent once the neighbour answers.</li>
 *   <li>On a router with NAT rules or services, IPv4 connections are tracked and translated around the
 *   route lookup ({@link Ipv4Nat}: the connections of a whole burst first loaded into the cache together, so that
 *   their cache misses overlap; fragments by their datagram's first fragment, those that come before it
 *   held up to {@link #FRAGMENT_HOLD_MS} ms); a new connection to a service without a healthy backend is refused
 *   with a TCP reset or an ICMP port unreachable. Answers to the router's health probes are taken
 *   ({@link HealthProbes}).</li>
 * </ul>
 * An answer replaces the frame that asked for it and goes back to its sender; a solicitation, and a
 * held packet that can go, are appended to the burst when it has room. One per forwarding thread; no
 * allocation, no lock. This class picks a frame's handler: {@link NeighbourMessages} (ARP and neighbour
 * discovery), {@link Ipv4Routing} and {@link Ipv6Routing}, which end in {@link RouterReplies} (answers
 * and ICMP errors) or {@link NextHopDelivery} (next hops and held packets).
 */
public final class RouterStage implements Stage
{
    /** How long a packet waits for its next hop's MAC. */
    public static final long HOLD_MS = 3_000;
    /** Packets a thread holds at once. */
    public static final int HOLD_CAPACITY = 16;
    /** How long an IPv4 fragment that came before its datagram's first fragment waits for it, at a router with NAT. */
    public static final long FRAGMENT_HOLD_MS = 500;
    /** Such fragments a thread holds at once. */
    public static final int FRAGMENT_HOLD_CAPACITY = 32;

    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;

    private final RouterDirectory directory;
    private final NeighbourMessages neighbourMessages;
    private final NextHopDelivery delivery;
    private final Ipv4Routing ipv4;
    private final Ipv6Routing ipv6;

    /**
     * @param directory   the routers, shared.
     * @param neighbours  the neighbour table, shared.
     * @param connections the connection table of routers with NAT, shared.
     */
    public RouterStage(final RouterDirectory directory, final NeighbourTable neighbours, final ConnectionTable connections)
    {
        final RouterAnswers answers = new RouterAnswers();
        final RouterReplies replies = new RouterReplies(answers);
        this.directory = directory;
        this.neighbourMessages = new NeighbourMessages(neighbours, answers, replies);
        this.delivery = new NextHopDelivery(neighbours, answers);
        this.ipv4 = new Ipv4Routing(directory, connections, answers, replies, delivery);
        this.ipv6 = new Ipv6Routing(replies, neighbourMessages, delivery);
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
        if (ipv4.holdsFragments())
        {
            ipv4.releaseFragments(burst, snapshot, router, in);
        }
        if (delivery.holdsPackets())
        {
            delivery.releaseHeld(burst, snapshot);
        }
    }

    /** Every frame of the burst as received (not what this stage appends) that is for the router. */
    private void routeBurst(
        final BurstContext burst, final RouterDirectory.Snapshot snapshot, final RouterView router, final RouterInterface in)
    {
        final int received = burst.size();
        final FrameBurst frames = burst.frames();
        final UnsafeBuffer buffer = frames.buffer();
        if (!router.nat().isEmpty())
        {
            ipv4.loadConnectionsAhead(burst, router, in);
        }
        for (int frame = 0; frame < received; frame++)
        {
            if (!isCandidate(burst, frame))
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
                    case EthernetFlyweight.ETHER_TYPE_IPV4 -> ipv4.route(burst, frame, snapshot, router, in);
                    case EthernetFlyweight.ETHER_TYPE_IPV6 -> ipv6.route(burst, frame, snapshot, router, in);
                    case EthernetFlyweight.ETHER_TYPE_ARP -> neighbourMessages.arp(burst, frame, in, true);
                    default -> burst.drop(frame, DropReason.ROUTER_LOCAL);
                }
            }
            else if (EthernetFlyweight.ETHER_TYPE_ARP == etherType && MacAddress.isBroadcast(destination))
            {
                neighbourMessages.arp(burst, frame, in, false);
            }
            else if (EthernetFlyweight.ETHER_TYPE_IPV6 == etherType && MacAddress.isMulticast(destination))
            {
                neighbourMessages.neighbourDiscovery(burst, frame, in, false);
            }
        }
    }

    /**
     * A frame of the burst the router looks at: not dropped, untagged. Not "undecided": on a bridge with a policy,
     * the policy stage has already chosen where a frame to the router's MAC goes, by the forwarding table (flood,
     * or a port that claimed that MAC).
     */
    static boolean isCandidate(final BurstContext burst, final int frame)
    {
        return !burst.isDropped(frame) && 0 == burst.vlan(frame);
    }
}
