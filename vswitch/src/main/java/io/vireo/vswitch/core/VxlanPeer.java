package io.vireo.vswitch.core;

/** A VXLAN peer: its IPv4 address, and whether it was learned from traffic rather than configured. */
public record VxlanPeer(String address, boolean learned)
{
}
