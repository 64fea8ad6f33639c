package io.vireo.cluster;

/** A cluster network as applied to this node's switch: its VXLAN peers and the endpoints installed. */
public record NetworkStatus(String name, int vni, String subnet, int peers, int localEndpoints, int remoteEndpoints)
{
}
