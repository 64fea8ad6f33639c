package io.vireo.cluster;

/**
 * A cluster network: a bridge on every node, carried between nodes by VXLAN {@code vni}, its addresses
 * from {@code subnet} in blocks of {@code /blockPrefix} that nodes claim.
 */
public record Network(String name, int vni, String subnet, int blockPrefix)
{
}
