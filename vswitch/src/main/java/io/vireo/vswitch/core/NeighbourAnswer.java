package io.vireo.vswitch.core;

/**
 * An address whose ARP requests and IPv6 neighbour solicitations the switch answers itself, and the MAC it
 * answers with ({@link VireoOverlay#addNeighbourAnswer}: ARP/ND suppression).
 */
public record NeighbourAnswer(String address, String mac)
{
}
