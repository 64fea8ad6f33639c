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

    /**
     * A page of a router's tracked connections (those its NAT rules made): at most {@code limit}, from the
     * connection table's entry {@code from} on.
     *
     * @throws VireoException (INVALID) if {@code from} is past the table or {@code limit} is below 1.
     */
    ConnectionPage page(final String router, final int from, final int limit)
    {
        final int zone = routers.zone(router);
        if (from < 0 || from > connections.capacity() || limit < 1)
        {
            throw new VireoException(VireoException.Kind.INVALID, "a page of connections starts at 0.." +
                connections.capacity() + " (the last page's next), not " + from + ", and holds at least 1, not " + limit);
        }
        final long now = clock.time();
        final List<ConnectionInfo> list = new ArrayList<>();
        final int next = connections.forEach(zone, from, limit, (connectionZone, protocol, originalSource,
            originalDestination, originalSourcePort, originalDestinationPort, replySource, replyDestination,
            replySourcePort, replyDestinationPort, state, expiresAtMs) ->
            list.add(new ConnectionInfo(protocolName(protocol),
                endpoints(originalSource, originalSourcePort, originalDestination, originalDestinationPort),
                endpoints(replySource, replySourcePort, replyDestination, replyDestinationPort),
                ConnectionTable.stateName(state), Math.max(0, (expiresAtMs - now) / 1000))));
        return new ConnectionPage(router, list, next < connections.capacity() ? Integer.valueOf(next) : null);
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
