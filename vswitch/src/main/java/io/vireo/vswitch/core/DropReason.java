package io.vireo.vswitch.core;

/**
 * Every reason the pipeline drops a frame, in one table (as VPP's {@code *_error.def}). Each reason
 * has a counter per port: the ingress port for receive-side reasons, the egress port for
 * {@link #BAD_OFFLOAD} and {@link #TX_ERROR}, and a bridge's VXLAN port for what its endpoint drops
 * and for frames larger than the overlay's MTU.
 */
public enum DropReason
{
    RUNT("runt", "frame shorter than an Ethernet header (or its VLAN tag)"),
    OVERSIZE("oversize", "frame longer than the switch's maximum frame length, or than a VXLAN overlay's MTU"),
    BAD_SOURCE_MAC("bad_source_mac", "multicast or zero source MAC"),
    HAIRPIN("hairpin", "destination learned on the ingress port; never sent back"),
    POLICY("policy", "denied by the bridge's endpoint policy"),
    NO_ROUTE("no_route", "no other port in the bridge to send to"),
    BAD_OFFLOAD("bad_offload", "a GSO or partial-checksum frame whose headers do not allow segmentation"),
    TX_ERROR("tx_error", "the egress port refused the frame"),
    BAD_VXLAN("bad_vxlan", "a VXLAN datagram shorter than its header or without the I flag"),
    UNKNOWN_VNI("unknown_vni", "a VXLAN datagram for another VNI"),
    UNKNOWN_PEER("unknown_peer", "a VXLAN datagram from an address that is not a peer");

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
