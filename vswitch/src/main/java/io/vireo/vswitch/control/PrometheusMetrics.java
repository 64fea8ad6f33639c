package io.vireo.vswitch.control;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import io.vireo.cluster.ClusterNode;
import io.vireo.cluster.ClusterStatus;
import io.vireo.cluster.NetworkStatus;
import io.vireo.vswitch.core.BridgeInfo;
import io.vireo.vswitch.core.PortInfo;
import io.vireo.vswitch.core.RouterInfo;
import io.vireo.vswitch.core.ServiceInfo;
import io.vireo.vswitch.core.Vireo;
import org.HdrHistogram.Histogram;

/**
 * The switch's figures in the Prometheus text format (version 0.0.4): per-port packets, bytes and
 * drops by reason, forwarding-table sizes, connections, services' backends, forwarding-thread time and work, and a histogram of the
 * time the switch spends per burst. Every family has HELP and TYPE lines; counters end in
 * {@code _total}; times are in seconds.
 */
final class PrometheusMetrics
{
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Upper bounds of the burst-latency buckets, in seconds. */
    private static final double[] LATENCY_BUCKETS =
        {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 1e-2};

    private final Vireo vireo;
    private final ClusterNode cluster;

    /** @param cluster this node of a cluster, or null: no {@code vireo_cluster_*} families. */
    PrometheusMetrics(final Vireo vireo, final ClusterNode cluster)
    {
        this.vireo = vireo;
        this.cluster = cluster;
    }

    String render()
    {
        final StringBuilder out = new StringBuilder(8192);
        final var ports = vireo.ports();

        family(out, "vireo_port_rx_packets_total", "counter", "Frames received on a port.");
        ports.forEach(p -> sample(out, "vireo_port_rx_packets_total", portLabels(p), p.stats().rxPackets()));
        family(out, "vireo_port_rx_bytes_total", "counter", "Bytes received on a port.");
        ports.forEach(p -> sample(out, "vireo_port_rx_bytes_total", portLabels(p), p.stats().rxBytes()));
        family(out, "vireo_port_tx_packets_total", "counter", "Frames sent on a port.");
        ports.forEach(p -> sample(out, "vireo_port_tx_packets_total", portLabels(p), p.stats().txPackets()));
        family(out, "vireo_port_tx_bytes_total", "counter", "Bytes sent on a port.");
        ports.forEach(p -> sample(out, "vireo_port_tx_bytes_total", portLabels(p), p.stats().txBytes()));
        family(out, "vireo_port_arp_nd_suppressed_total", "counter",
            "ARP requests and neighbour solicitations from a port that the switch answered itself (a known endpoint).");
        ports.forEach(p -> sample(out, "vireo_port_arp_nd_suppressed_total", portLabels(p), p.stats().arpNdSuppressed()));
        family(out, "vireo_port_ipv4_fragments_total", "counter",
            "IPv4 fragments sent on a port: routed packets without DF larger than the router interface's MTU, cut to it.");
        ports.forEach(p -> sample(out, "vireo_port_ipv4_fragments_total", portLabels(p), p.stats().ipv4Fragments()));
        family(out, "vireo_port_frontend_violations_total", "counter",
            "Protocol violations of a vhost-user port's frontend: each reset the port (0 for other port types).");
        ports.forEach(p -> sample(out, "vireo_port_frontend_violations_total", portLabels(p), p.stats().frontendViolations()));
        family(out, "vireo_port_drops_total", "counter", "Frames dropped, by port and reason.");
        for (final PortInfo port : ports)
        {
            port.stats().drops().forEach((reason, count) ->
                sample(out, "vireo_port_drops_total", portLabels(port) + ",reason=\"" + reason + "\"", count));
        }
        family(out, "vireo_port_up", "gauge", "1 while a port works, 0 once its device failed.");
        ports.forEach(p -> sample(out, "vireo_port_up", portLabels(p), "up".equals(p.state()) ? 1 : 0));

        family(out, "vireo_fdb_entries", "gauge", "MAC addresses in a bridge's forwarding table.");
        for (final BridgeInfo bridge : vireo.bridges())
        {
            sample(out, "vireo_fdb_entries", "bridge=\"" + escape(bridge.name()) + "\"", bridge.fdbEntries());
        }

        family(out, "vireo_conntrack_connections", "gauge", "Connections a router's NAT tracks, by state.");
        vireo.gateway().connectionCounts().forEach((router, states) -> states.forEach((state, count) ->
            sample(out, "vireo_conntrack_connections", "router=\"" + escape(router) + "\",state=\"" + escape(state) + "\"", count)));
        family(out, "vireo_conntrack_refused_total", "counter",
            "New connections refused because the connection table was full (all routers).");
        sample(out, "vireo_conntrack_refused_total", "", vireo.gateway().connectionsRefused());
        family(out, "vireo_conntrack_closed_taken_total", "counter",
            "Closed TCP connections (TIME_WAIT, CLOSE) whose reply tuple a new connection took (all routers).");
        sample(out, "vireo_conntrack_closed_taken_total", "", vireo.gateway().closedConnectionsTaken());

        services(out);

        final Map<String, Map<String, Long>> threads = vireo.threadStats();
        threadFamily(out, threads, "vireo_thread_busy_seconds_total", "busy_ns", 1e-9,
            "Time a forwarding thread spent on duty cycles that moved frames.");
        threadFamily(out, threads, "vireo_thread_idle_seconds_total", "idle_ns", 1e-9,
            "Time a forwarding thread spent idle: empty polls and waiting.");
        threadFamily(out, threads, "vireo_thread_loops_total", "loops", 1, "Duty cycles of a forwarding thread.");
        threadFamily(out, threads, "vireo_thread_rx_polls_total", "rx_polls", 1, "Port receive calls.");
        threadFamily(out, threads, "vireo_thread_rx_bursts_total", "rx_bursts", 1, "Receive calls that returned frames.");
        threadFamily(out, threads, "vireo_thread_rx_frames_total", "rx_frames", 1, "Frames received by a forwarding thread.");
        threadFamily(out, threads, "vireo_flow_cache_hits_total", "flow_cache_hits", 1,
            "Frames whose action a forwarding thread's flow cache held (bridges with policy).");
        threadFamily(out, threads, "vireo_flow_cache_misses_total", "flow_cache_misses", 1,
            "Frames a forwarding thread classified and forwarded the slow way, then cached.");

        latencyHistogram(out, vireo.burstLatency());
        if (null != cluster)
        {
            clusterFamilies(out, cluster.status(false));
        }
        return out.toString();
    }

    /** This node of a cluster: the store's reachability, what it sees, and its counters. */
    private static void clusterFamilies(final StringBuilder out, final ClusterStatus status)
    {
        family(out, "vireo_cluster_store_up", "gauge", "1 while the cluster store answers and the watch is connected.");
        sample(out, "vireo_cluster_store_up", "", status.storeUp() ? 1 : 0);
        family(out, "vireo_cluster_revision", "gauge", "The store revision this node's view of the cluster is at.");
        sample(out, "vireo_cluster_revision", "", status.revision());
        family(out, "vireo_cluster_members", "gauge", "Members of the cluster this node sees, itself included.");
        sample(out, "vireo_cluster_members", "", status.members().size());
        family(out, "vireo_cluster_endpoints", "gauge", "Endpoints of all cluster networks this node sees.");
        sample(out, "vireo_cluster_endpoints", "", status.endpoints());
        family(out, "vireo_cluster_pending_writes", "gauge", "This node's changes not yet in the store (it was away).");
        sample(out, "vireo_cluster_pending_writes", "", status.pendingWrites());
        family(out, "vireo_cluster_network_endpoints", "gauge", "Endpoints installed in a cluster network's bridge, local or remote.");
        for (final NetworkStatus network : status.networks())
        {
            sample(out, "vireo_cluster_network_endpoints", "network=\"" + network.name() + "\",where=\"local\"",
                network.localEndpoints());
            sample(out, "vireo_cluster_network_endpoints", "network=\"" + network.name() + "\",where=\"remote\"",
                network.remoteEndpoints());
        }
        status.counters().forEach((name, value) ->
        {
            family(out, "vireo_cluster_" + name + "_total", "counter", "The cluster node's " + name.replace('_', ' ') + ".");
            sample(out, "vireo_cluster_" + name + "_total", "", value);
        });
    }

    /** Each backend of each router's services: in selection or not, open and total connections, packets, bytes. */
    private void services(final StringBuilder out)
    {
        final Map<String, List<ServiceInfo>> services = new LinkedHashMap<>();
        for (final RouterInfo router : vireo.gateway().routers())
        {
            services.put(router.name(), vireo.gateway().services(router.name()));
        }
        serviceFamily(out, services, "vireo_service_backend_up", "gauge",
            "1 while a service's backend is in selection, 0 while its health probes fail.", b -> "up".equals(b.state()) ? 1 : 0);
        serviceFamily(out, services, "vireo_service_backend_open_connections", "gauge",
            "Connections to a service's backend that are open now.", ServiceInfo.BackendInfo::open);
        serviceFamily(out, services, "vireo_service_backend_connections_total", "counter",
            "Connections a service sent to a backend.", ServiceInfo.BackendInfo::connections);
        serviceFamily(out, services, "vireo_service_backend_packets_total", "counter",
            "Packets of a backend's connections, both ways.", ServiceInfo.BackendInfo::packets);
        serviceFamily(out, services, "vireo_service_backend_bytes_total", "counter",
            "Bytes of IP packets of a backend's connections, both ways.", ServiceInfo.BackendInfo::bytes);
        family(out, "vireo_dns_queries_total", "counter", "DNS queries the routers took, by how they were answered.");
        vireo.gateway().dnsCounts().forEach((outcome, count) ->
            sample(out, "vireo_dns_queries_total", "outcome=\"" + outcome + "\"", count));
        family(out, "vireo_service_backend_transitions_total", "counter",
            "Times a backend went out of selection or came back, all services.");
        sample(out, "vireo_service_backend_transitions_total", "", vireo.gateway().backendTransitions());
    }

    private static void serviceFamily(
        final StringBuilder out, final Map<String, List<ServiceInfo>> services, final String name, final String type,
        final String help, final ToDoubleFunction<ServiceInfo.BackendInfo> value)
    {
        family(out, name, type, help);
        services.forEach((router, list) ->
        {
            for (final ServiceInfo service : list)
            {
                for (final ServiceInfo.BackendInfo backend : service.backends())
                {
                    sample(out, name, "router=\"" + escape(router) + "\",service=\"" + escape(service.name()) +
                        "\",backend=\"" + backend.address() + "\"", value.applyAsDouble(backend));
                }
            }
        });
    }

    private static void threadFamily(
        final StringBuilder out, final Map<String, Map<String, Long>> threads, final String name, final String key,
        final double scale, final String help)
    {
        family(out, name, "counter", help);
        threads.forEach((thread, values) ->
            sample(out, name, "thread=\"" + escape(thread) + "\"", values.getOrDefault(key, 0L) * scale));
    }

    private static void latencyHistogram(final StringBuilder out, final Histogram nanos)
    {
        final String name = "vireo_burst_latency_seconds";
        family(out, name, "histogram",
            "Time the switch spends per received burst, from the end of the receive to the end of its transmits.");
        for (final double bound : LATENCY_BUCKETS)
        {
            final long count = nanos.getTotalCount() == 0 ? 0 :
                nanos.getCountBetweenValues(0, (long)(bound * 1e9));
            sample(out, name + "_bucket", "le=\"" + format(bound) + "\"", count);
        }
        sample(out, name + "_bucket", "le=\"+Inf\"", nanos.getTotalCount());
        sample(out, name + "_sum", "", nanos.getMean() * nanos.getTotalCount() * 1e-9);
        sample(out, name + "_count", "", nanos.getTotalCount());
    }

    private static String portLabels(final PortInfo port)
    {
        return "bridge=\"" + escape(port.bridge()) + "\",port=\"" + escape(port.name()) + "\",type=\"" + port.type() + "\"";
    }

    private static void family(final StringBuilder out, final String name, final String type, final String help)
    {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(final StringBuilder out, final String name, final String labels, final double value)
    {
        out.append(name);
        if (!labels.isEmpty())
        {
            out.append('{').append(labels).append('}');
        }
        out.append(' ').append(format(value)).append('\n');
    }

    private static String format(final double value)
    {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ?
            Long.toString((long)value) : String.format(Locale.ROOT, "%.9g", value);
    }

    private static String escape(final String value)
    {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
