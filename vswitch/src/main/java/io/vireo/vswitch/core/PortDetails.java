package io.vireo.vswitch.core;

/** What a port was configured with, as reported: namespace, address, MAC, MTU, offloads, socket, client, owner (null where none). */
record PortDetails(
    String netns, String ip, String mac, Integer mtu, Boolean offloads, String socket, Boolean client, String owner)
{
    static final PortDetails NONE = new PortDetails(null, null, null, null, null, null, null, null);
}
