package io.vireo.testkit;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What a member is: name, namespace, URLs, cluster, timings. */
public final class EtcdServerBuilder
{
    String name;
    String netns;
    URI clientUrl;
    URI peerUrl;
    String initialCluster;
    String initialClusterState = "new";
    String clusterToken;
    int heartbeatMs = 100;
    int electionMs = 1000;
    Path baseDir;
    Duration startTimeout = EtcdServer.DEFAULT_START_TIMEOUT;
    final List<String> extraArgs = new ArrayList<>();

    EtcdServerBuilder()
    {
    }

    /** The member's name (default: {@code vireo-etcd-PID-N}). */
    public EtcdServerBuilder name(final String name)
    {
        this.name = name;
        return this;
    }

    /** Runs it in the network namespace {@code netns} (a name under /run/netns); then give both URLs. */
    public EtcdServerBuilder netns(final String netns)
    {
        this.netns = netns;
        return this;
    }

    /** Where it serves clients, e.g. {@code http://10.0.0.1:2379} (default: a free loopback port). */
    public EtcdServerBuilder clientUrl(final URI clientUrl)
    {
        this.clientUrl = clientUrl;
        return this;
    }

    /** Where it talks raft to the other members (default: a free loopback port). */
    public EtcdServerBuilder peerUrl(final URI peerUrl)
    {
        this.peerUrl = peerUrl;
        return this;
    }

    /** {@code name=peerUrl,...} of every member (default: this one alone). */
    public EtcdServerBuilder initialCluster(final String initialCluster)
    {
        this.initialCluster = initialCluster;
        return this;
    }

    /** {@code new} (default) or {@code existing} (a member added to a running cluster). */
    public EtcdServerBuilder initialClusterState(final String initialClusterState)
    {
        this.initialClusterState = initialClusterState;
        return this;
    }

    /** The same for every member of a cluster (default: one made of this JVM's pid). */
    public EtcdServerBuilder clusterToken(final String clusterToken)
    {
        this.clusterToken = clusterToken;
        return this;
    }

    /** Raft heartbeat interval (default 100 ms). */
    public EtcdServerBuilder heartbeatMs(final int heartbeatMs)
    {
        this.heartbeatMs = heartbeatMs;
        return this;
    }

    /** Raft election timeout (default 1000 ms). */
    public EtcdServerBuilder electionMs(final int electionMs)
    {
        this.electionMs = electionMs;
        return this;
    }

    /** Where its temporary directory goes (default: java.io.tmpdir). */
    public EtcdServerBuilder baseDir(final Path baseDir)
    {
        this.baseDir = baseDir;
        return this;
    }

    /** How long {@link EtcdServer#start()} waits for it to be healthy (default 60 s). */
    public EtcdServerBuilder startTimeout(final Duration startTimeout)
    {
        this.startTimeout = startTimeout;
        return this;
    }

    /** More command-line arguments for etcd, e.g. {@code --experimental-watch-progress-notify-interval=1s}. */
    public EtcdServerBuilder extraArgs(final String... args)
    {
        extraArgs.addAll(List.of(args));
        return this;
    }

    /**
     * @return the member, not started.
     */
    public EtcdServer build()
    {
        return new EtcdServer(this);
    }

    /**
     * @return the member, started and healthy.
     */
    public EtcdServer start()
    {
        final EtcdServer server = build();
        try
        {
            server.start();
            return server;
        }
        catch (final RuntimeException | Error ex)
        {
            server.close();
            throw ex;
        }
    }
}
