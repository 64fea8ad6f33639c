package io.vireo.gateway.nat;

import io.vireo.gateway.service.ServiceTable;

/**
 * A router's address translation rules, as the forwarding threads read them: immutable, replaced
 * whole with the router's snapshot. Addresses and prefixes are IPv4.
 * <ul>
 *   <li><b>Masquerade</b>: a new connection leaving by the interface on {@code masqueradeBridges[i]}
 *   from a source in {@code masqueradeFrom[i]/masqueradeFromLengths[i]} gets the router's address on
 *   that interface and a port of its choosing as its source.</li>
 *   <li><b>Publish</b>: a new connection to one of the router's addresses (on the interface on
 *   {@code publishBridges[i]}, or any: -1) with this protocol and port goes to
 *   {@code publishTargets[i]:publishTargetPorts[i]} instead.</li>
 *   <li><b>Services</b>: a new connection to a service's virtual address and port goes to one of its
 *   backends, as its algorithm picks.</li>
 * </ul>
 *
 * @param masqueradeBridges     the egress interface's bridge of each masquerade rule.
 * @param masqueradeFrom        the source prefix of each, or 0 with length 0 for any.
 * @param masqueradeFromLengths its length.
 * @param publishProtocols      6 (TCP) or 17 (UDP) for each publish rule.
 * @param publishPorts          the published port.
 * @param publishBridges        the bridge of the interface whose address is published, or -1 for all.
 * @param publishTargets        the address connections go to.
 * @param publishTargetPorts    the port they go to.
 * @param services              the router's load-balanced services.
 */
public record NatRules(
    int[] masqueradeBridges, int[] masqueradeFrom, int[] masqueradeFromLengths,
    int[] publishProtocols, int[] publishPorts, int[] publishBridges, int[] publishTargets, int[] publishTargetPorts,
    ServiceTable services)
{
    /** No rules: the router translates nothing and tracks no connection. */
    public static final NatRules NONE = new NatRules(new int[0], new int[0], new int[0], new int[0], new int[0], new int[0],
        new int[0], new int[0]);

    /** Rules without services. */
    public NatRules(
        final int[] masqueradeBridges, final int[] masqueradeFrom, final int[] masqueradeFromLengths,
        final int[] publishProtocols, final int[] publishPorts, final int[] publishBridges, final int[] publishTargets,
        final int[] publishTargetPorts)
    {
        this(masqueradeBridges, masqueradeFrom, masqueradeFromLengths, publishProtocols, publishPorts, publishBridges,
            publishTargets, publishTargetPorts, ServiceTable.NONE);
    }

    public boolean isEmpty()
    {
        return 0 == masqueradeBridges.length && 0 == publishPorts.length && services.isEmpty();
    }

    /** True if a new connection from {@code source} leaving onto {@code bridgeId} is masqueraded. */
    public boolean masquerades(final int bridgeId, final int source)
    {
        for (int i = 0; i < masqueradeBridges.length; i++)
        {
            final int length = masqueradeFromLengths[i];
            final int mask = 0 == length ? 0 : -1 << (32 - length);
            if (masqueradeBridges[i] == bridgeId && (source & mask) == masqueradeFrom[i])
            {
                return true;
            }
        }
        return false;
    }

    /**
     * The publish rule for a new connection to the router's address on {@code bridgeId}.
     *
     * @return its index, or -1.
     */
    public int published(final int protocol, final int port, final int bridgeId)
    {
        for (int i = 0; i < publishPorts.length; i++)
        {
            if (publishPorts[i] == port && publishProtocols[i] == protocol &&
                (publishBridges[i] < 0 || publishBridges[i] == bridgeId))
            {
                return i;
            }
        }
        return -1;
    }
}
