package io.vireo.gateway.conntrack;

/**
 * Receives the connections of a {@link ConnectionTable#forEach}. Addresses are IPv4 addresses as
 * ints (the first octet in the high byte); ports are 0 to 65535, the echo identifier for ICMP.
 */
@FunctionalInterface
public interface ConnectionConsumer
{
    /**
     * @param zone                    the router's id.
     * @param protocol                the IP protocol number.
     * @param originalSource          the first packet's source.
     * @param originalDestination     the first packet's destination.
     * @param originalSourcePort      the first packet's source port.
     * @param originalDestinationPort the first packet's destination port.
     * @param replySource             the source replies come from.
     * @param replyDestination        the destination replies go to (after source NAT, the NAT address).
     * @param replySourcePort         the replies' source port.
     * @param replyDestinationPort    the replies' destination port.
     * @param state                   one of {@link ConnectionTable}'s states.
     * @param expiresAtMs             when the connection's timeout passes, on the caller's clock.
     */
    void accept(
        int zone, int protocol,
        int originalSource, int originalDestination, int originalSourcePort, int originalDestinationPort,
        int replySource, int replyDestination, int replySourcePort, int replyDestinationPort,
        int state, long expiresAtMs);
}
