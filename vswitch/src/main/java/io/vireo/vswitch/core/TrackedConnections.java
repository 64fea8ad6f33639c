package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.gateway.conntrack.ConnectionTable;
import org.agrona.concurrent.EpochClock;

/**
 * The routers' tracked connections as the API shows them: listed by router (each router is a zone of the
 * {@link ConnectionTable}), counted by state for the metrics, flushed. Control thread only: the caller holds the
 * switch's lock.
 */
final class TrackedConnections
{
    private final ConnectionTable connections;
    private final Routers routers;
    private final EpochClock clock;

    TrackedConnections(final ConnectionTable connections, final Routers routers, final EpochClock clock)
    {
        this.connections = connections;
        this.routers = routers;
        this.clock = clock;
    }

    /** A router's tracked connections (those its NAT rules made). */
    List<ConnectionInfo> of(final String router)
    {
        final int zone = routers.zone(router);
        final long now = clock.time();
        final List<ConnectionInfo> list = new ArrayList<>();
        connections.forEach((connectionZone, protocol, originalSource, originalDestination, originalSourcePort,
            originalDestinationPort, replySource, replyDestination, replySourcePort, replyDestinationPort, state, expiresAtMs) ->
        {
            if (connectionZone == zone)
            {
                list.add(new ConnectionInfo(protocolName(protocol),
                    endpoints(originalSource, originalSourcePort, originalDestination, originalDestinationPort),
                    endpoints(replySource, replySourcePort, replyDestination, replyDestinationPort),
                    ConnectionTable.stateName(state), Math.max(0, (expiresAtMs - now) / 1000)));
            }
        });
        return list;
    }

    /** Every router's tracked connections counted by state: router name to state name to count. */
    Map<String, Map<String, Long>> counts()
    {
        final Map<String, Map<String, Long>> counts = new LinkedHashMap<>();
        final Map<Integer, String> names = new HashMap<>();
        for (final RouterInfo router : routers.list())
        {
            names.put(routers.zone(router.name()), router.name());
            counts.put(router.name(), new LinkedHashMap<>());
        }
        connections.forEach((zone, protocol, originalSource, originalDestination, originalSourcePort, originalDestinationPort,
            replySource, replyDestination, replySourcePort, replyDestinationPort, state, expiresAtMs) ->
        {
            final String router = names.get(zone);
            if (null != router)
            {
                counts.get(router).merge(ConnectionTable.stateName(state), 1L, Long::sum);
            }
        });
        return counts;
    }

    /** Forgets a router's tracked connections; returns how many. */
    int flush(final String router)
    {
        return connections.flush(routers.zone(router));
    }

    private static String protocolName(final int protocol)
    {
        return switch (protocol)
        {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            default -> Integer.toString(protocol);
        };
    }

    private static String endpoints(final int source, final int sourcePort, final int destination, final int destinationPort)
    {
        return IpPrefix.formatIpv4(source) + ":" + sourcePort + " -> " + IpPrefix.formatIpv4(destination) + ":" + destinationPort;
    }
}
