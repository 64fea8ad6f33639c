package io.vireo.vswitch.core;

/**
 * A remote endpoint's MAC with a static forwarding entry to the VXLAN peer it is behind
 * ({@link VireoOverlay#addRemoteMac}).
 */
public record RemoteMac(String mac, String peer)
{
}
