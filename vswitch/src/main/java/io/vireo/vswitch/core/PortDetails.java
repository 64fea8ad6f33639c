package io.vireo.vswitch.core;

/** What a port was configured with, as reported: namespace, address, MAC, MTU, offloads, socket, client, owner (null where none). */
record PortDetails(
    String netns, String ip, String mac, Integer mtu, Boolean offloads, String socket, Boolean client, String owner)
{
    static final PortDetails NONE = new PortDetails(null, null, null, null, null, null, null, null);

    /** The same, with the namespace and address its owner gave the interface. */
    PortDetails locatedAt(final String newNetns, final String newIp)
    {
        return new PortDetails(newNetns, newIp, mac, mtu, offloads, socket, client, owner);
    }
}
