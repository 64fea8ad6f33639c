package io.vireo.vswitch.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import io.vireo.cluster.ClusterConfig;
import picocli.CommandLine.Option;

/**
 * {@code vireod}'s cluster options (a picocli mixin of {@link Vireod}): the cluster to join and this node in it.
 * Given, they win over the config file's (or the run dir's state's) cluster section.
 */
final class ClusterOptions
{
    @Option(names = "--cluster", paramLabel = "URLS",
        description = "join the cluster whose state lives in etcd at these client URLs, e.g. http://10.0.0.1:2379,http://10.0.0.2:2379")
    String cluster;

    @Option(names = "--node", paramLabel = "NAME", description = "this node's name in the cluster, unique in it (default: the host name)")
    String node;

    @Option(names = "--underlay", paramLabel = "IP",
        description = "this node's IPv4 address on the underlay, where the other nodes send its VXLAN traffic")
    String underlay;

    @Option(names = "--vtep-port", paramLabel = "PORT",
        description = "UDP port of the cluster networks' VXLAN (default: " + ClusterConfig.DEFAULT_VTEP_PORT + ")")
    Integer vtepPort;

    @Option(names = "--lease-seconds", paramLabel = "N",
        description = "how long the cluster keeps this node after its last renewal (default: " +
            ClusterConfig.DEFAULT_LEASE_SECONDS + ")")
    Integer leaseSeconds;

    /** @throws IllegalArgumentException for an option about this node without {@code --cluster}. */
    void check()
    {
        if (null == cluster && (null != node || null != underlay || null != vtepPort || null != leaseSeconds))
        {
            throw new IllegalArgumentException("--node, --underlay, --vtep-port and --lease-seconds need --cluster URLS");
        }
    }

    /**
     * The cluster to join: from --cluster, --node, --underlay, --vtep-port and --lease-seconds when --cluster is
     * given, else the config's (or the run dir's state's) cluster section; null for none.
     */
    DaemonConfig.ClusterSection section(final DaemonConfig daemonConfig)
    {
        if (null == cluster)
        {
            return daemonConfig.cluster();
        }
        return new DaemonConfig.ClusterSection(
            ClusterConfig.parseEndpoints(cluster).stream().map(URI::toString).toList(), node, underlay, vtepPort, leaseSeconds);
    }

    /** The node's configuration, a section's defaults filled in. */
    static ClusterConfig config(final DaemonConfig.ClusterSection section)
    {
        if (null == section.underlay())
        {
            throw new IllegalArgumentException("cluster: no underlay address (the config's cluster.underlay or --underlay)");
        }
        return new ClusterConfig(ClusterConfig.parseEndpoints(String.join(",", section.endpoints())),
            null != section.node() ? section.node() : hostName(), section.underlay(),
            null != section.vtepPort() ? section.vtepPort() : ClusterConfig.DEFAULT_VTEP_PORT,
            null != section.leaseSeconds() ? section.leaseSeconds() : ClusterConfig.DEFAULT_LEASE_SECONDS,
            ClusterConfig.DEFAULT_PREFIX, ClusterConfig.DEFAULT_REQUEST_TIMEOUT);
    }

    private static String hostName()
    {
        try
        {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("--node not given and the host name cannot be read: " + ex.getMessage());
        }
    }
}
