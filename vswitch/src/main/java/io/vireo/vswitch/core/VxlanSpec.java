package io.vireo.vswitch.core;

/**
 * The VXLAN endpoint of a bridge, as asked for: VNI, local IPv4 address; null fields take the
 * defaults (UDP port 4789, TTL 64, MTU 1450 for the ports, peers only as configured, UDP sockets on the host's
 * address).
 *
 * @param vni          the VXLAN network identifier, 0 to 16777215.
 * @param local        the local IPv4 address to listen on and send from.
 * @param port         the UDP port to listen on and send to.
 * @param ttl          time to live of the datagrams, 1 to 255.
 * @param mtu          the largest IP packet the overlay carries: the default MTU of the bridge's ports.
 * @param learnAnyPeer accept datagrams from any address and add it as a peer.
 * @param underlayTap  the TAP the endpoint's datagrams cross the host's IP stack through, GSO frames whole (Linux
 *                     6.17 on), which the switch creates with the host's route to {@code local}: then {@code local}
 *                     is the endpoint's own address, not the host's, and the host forwards IPv4. Null: UDP sockets
 *                     on {@code local}, one of the host's addresses.
 */
public record VxlanSpec(Integer vni, String local, Integer port, Integer ttl, Integer mtu, Boolean learnAnyPeer,
    String underlayTap)
{
}
