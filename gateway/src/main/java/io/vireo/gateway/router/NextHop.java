package io.vireo.gateway.router;

/**
 * Where a route sends a packet: out of the router's interface on a bridge, to the packet's own
 * destination ({@code connected}) or to a gateway on that bridge.
 *
 * @param bridgeId    the egress interface's bridge.
 * @param connected   true for a connected route: the destination is on the bridge.
 * @param gatewayHigh the gateway's IPv6 address, high 64 bits (0 for IPv4).
 * @param gatewayLow  the gateway's IPv6 address, low 64 bits, or its IPv4 address.
 */
public record NextHop(int bridgeId, boolean connected, long gatewayHigh, long gatewayLow)
{
    /** A connected route's next hop on a bridge. */
    public static NextHop connected(final int bridgeId)
    {
        return new NextHop(bridgeId, true, 0, 0);
    }
}
