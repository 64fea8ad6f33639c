package io.vireo.gateway.route;

/**
 * Receives the IPv6 routes of an {@link Ipv6RouteTable} from {@link Ipv6RouteTable#forEach}.
 */
@FunctionalInterface
public interface Ipv6RouteConsumer
{
    /**
     * @param high    the prefix's high 64 bits, host bits zero.
     * @param low     the prefix's low 64 bits, host bits zero.
     * @param length  the prefix length, 0..128.
     * @param nextHop the route's next hop.
     */
    void accept(long high, long low, int length, int nextHop);
}
