package io.vireo.tunnel.vxlan;

/** Why a {@link Vtep} dropped a datagram or a frame. */
public enum VxlanDrop
{
    /** A datagram shorter than a VXLAN header, or without the I flag. */
    BAD_HEADER,
    /** A datagram for a VNI this endpoint does not serve. */
    UNKNOWN_VNI,
    /** A datagram from an address that is not a peer. */
    UNKNOWN_PEER,
    /** A datagram whose inner frame is shorter than an Ethernet header. */
    RUNT,
    /** A datagram longer than a frame slot. */
    OVERSIZE,
    /** A frame for a peer removed since it was queued, or flooded while there is no peer. */
    NO_PEER,
    /** A datagram the kernel refused to send (no route, larger than the path MTU, socket buffer full). */
    TX_ERROR
}
