package io.vireo.gateway.route;

/**
 * Receives the IPv4 routes of an {@link Ipv4RouteTable} from {@link Ipv4RouteTable#forEach}.
 */
@FunctionalInterface
public interface RouteConsumer
{
    /**
     * @param prefix  the prefix, big-endian valued (10.0.0.0 is {@code 0x0A000000}), host bits zero.
     * @param length  the prefix length, 0..32.
     * @param nextHop the route's next hop.
     */
    void accept(int prefix, int length, int nextHop);
}
