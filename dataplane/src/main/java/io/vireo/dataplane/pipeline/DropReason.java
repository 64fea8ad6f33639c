package io.vireo.dataplane.pipeline;

/**
 * Every reason a frame is dropped, by the pipeline's stages or by a port, in one table (as VPP's
 * {@code *_error.def}); a new stage or port type adds its reasons here. Each reason has a counter per
 * port ({@link PortCounters}): the ingress port for receive-side reasons, the egress port for
 * {@link #BAD_OFFLOAD}, {@link #TX_ERROR}, packets larger than its {@link io.vireo.dataplane.port.Port#mtu()} and
 * a routed packet its output cannot cut into fragments ({@link #FRAGMENTATION_NEEDED}: malformed options, offsets
 * past 65,528 bytes),
 * and a port for what it drops itself (a VXLAN port: bad datagrams, frames for a peer that is gone).
 */
public enum DropReason
{
    RUNT("runt", "frame shorter than an Ethernet header (or its VLAN tag)"),
    OVERSIZE("oversize", "frame longer than the switch's maximum frame length, or IP packet larger than the egress port's MTU"),
    BAD_SOURCE_MAC("bad_source_mac", "multicast or zero source MAC"),
    HAIRPIN("hairpin", "destination learned on the ingress port; never sent back"),
    POLICY("policy", "denied by the bridge's endpoint policy"),
    NO_ROUTE("no_route", "no other port in the bridge to send to, or no peer behind a VXLAN port"),
    BAD_OFFLOAD("bad_offload", "a GSO or partial-checksum frame whose headers do not allow segmentation"),
    TX_ERROR("tx_error", "the egress port refused the frame"),
    BAD_VXLAN("bad_vxlan", "a VXLAN datagram shorter than its header or without the I flag, or a frame from a VXLAN endpoint's underlay TAP that is no VXLAN datagram to it"),
    UNKNOWN_VNI("unknown_vni", "a VXLAN datagram for another VNI"),
    UNKNOWN_PEER("unknown_peer", "a VXLAN datagram from an address that is not a peer"),
    BAD_IP("bad_ip", "a packet to a router with a malformed IP header or a bad header checksum"),
    TTL_EXCEEDED("ttl_exceeded", "TTL or hop limit ran out at a router (answered with ICMP time exceeded)"),
    ROUTER_NO_ROUTE("router_no_route", "a router has no route to the destination (answered with ICMP destination unreachable)"),
    NEIGHBOUR_UNRESOLVED("neighbour_unresolved", "a router could not resolve the next hop's MAC in time, or had no room to hold the packet"),
    FRAGMENTATION_NEEDED("fragmentation_needed", "larger than the router's egress MTU and not fragmented: with DF or IPv6 (answered with ICMP fragmentation needed or packet too big when allowed), a GSO frame whose segments exceed it, malformed IPv4 options or fragment offsets that would pass 65,528 bytes"),
    ROUTER_LOCAL("router_local", "to a router's own address, not ARP, neighbour discovery or an echo request"),
    CONNTRACK_FULL("conntrack_full", "a new connection through a router with NAT while the connection table is full"),
    NAT_NO_PORT("nat_no_port", "no free port to masquerade a new connection with (or its translation is in use)"),
    NAT_FRAGMENT("nat_fragment", "an IPv4 fragment at a router with NAT whose datagram does not go through: its first fragment was dropped or refused, or did not come in time"),
    NAT_FRAGMENTS_FULL("nat_fragments_full", "an IPv4 fragment of a new datagram at a router with NAT while the thread's fragment table, or its room for fragments that came before their first, is full"),
    NAT_FRAGMENT_BAD("nat_fragment_bad", "a malformed IPv4 fragment at a router with NAT: a first fragment too short for its TCP/UDP/ICMP header, a later one reaching into it, past 65,535 bytes, not a multiple of 8 bytes, or of a datagram with too many holes"),
    NAT_FRAGMENT_OVERLAP("nat_fragment_overlap", "an IPv4 fragment at a router with NAT that repeats or overlaps part of its datagram already sent, or contradicts its length (an overlap drops the rest of the datagram, as the kernel's reassembly does)"),
    RATE_LIMITED("rate_limited", "over the port's egress rate limit with its shaping queue full (counted on that port)"),
    SERVICE_NO_BACKEND("service_no_backend", "a new connection to a service with no healthy backend (answered with a TCP reset or ICMP port unreachable)"),
    BAD_DNS("bad_dns", "a DNS message to a router that is malformed, a response, or not one it takes (a query split over TCP segments)"),
    BAD_NEIGHBOUR_REQUEST("bad_arp_nd", "a truncated or malformed ARP request or neighbour solicitation on a bridge where the switch answers them (ARP/ND suppression)");

    private static final DropReason[] VALUES = values();

    private final String metricName;
    private final String description;

    DropReason(final String metricName, final String description)
    {
        this.metricName = metricName;
        this.description = description;
    }

    public String metricName()
    {
        return metricName;
    }

    public String description()
    {
        return description;
    }

    public static int count()
    {
        return VALUES.length;
    }

    public static DropReason of(final int ordinal)
    {
        return VALUES[ordinal];
    }
}
