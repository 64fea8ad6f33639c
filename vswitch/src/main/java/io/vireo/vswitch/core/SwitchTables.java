package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.Map;

import io.vireo.dataplane.pipeline.Features;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.router.NeighbourTable;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.suppression.SuppressionTable;
import org.agrona.concurrent.status.CountersManager;

/**
 * The tables the forwarding threads and the control plane share (forwarding, policy, per-bridge generations and
 * feature bits, the routers' directory, neighbours, connections, ARP/ND answers) and the counters, made as the
 * context sizes them and freed together once the forwarding threads have stopped.
 */
final class SwitchTables
{
    /** Neighbours the routers remember, all bridges together. */
    private static final int NEIGHBOURS = 65_536;

    final ForwardingTable fdb;
    final Generations generations = new Generations();
    final PolicyTable policy = new PolicyTable(generations);
    final Features features;
    final RouterDirectory routerDirectory;
    final NeighbourTable neighbours = new NeighbourTable(NEIGHBOURS);
    final ConnectionTable connections;
    final SuppressionTable suppression;
    /** The remote MACs and neighbour answers over the forwarding and suppression tables. */
    final OverlayEntries overlayEntries;
    /** The counters of the switch that ran before on the run dir, by label, for the TAPs the port keeper gives back. */
    final Map<String, Long> earlierCounters;
    /** Null unless the context names a counters file: then the counters live in memory alone. */
    private final CountersFile countersFile;
    final CountersManager countersManager;
    final TableCounters tableCounters;

    SwitchTables(final VireoContext context)
    {
        this.fdb = new ForwardingTable(context.fdbCapacity());
        this.features = new Features(context.maxBridges());
        this.routerDirectory = new RouterDirectory(context.maxBridges());
        this.connections = new ConnectionTable(context.connectionCapacity());
        this.suppression = new SuppressionTable(context.neighbourAnswerCapacity());
        this.overlayEntries = new OverlayEntries(fdb, suppression, features, generations);
        // Read before the new counters file replaces the earlier run's.
        this.earlierCounters = null == context.portKeeperDir() || null == context.countersFile() ? Map.of() :
            CountersFile.earlierValues(context.countersFile());
        this.countersFile = null == context.countersFile() ? null :
            CountersFile.create(context.countersFile(), context.maxCounters());
        this.countersManager = null == countersFile ? CountersFile.inMemory(context.maxCounters()) :
            countersFile.manager();
        this.tableCounters = new TableCounters(countersManager);
    }

    /** Renames the counters file to {@code target}, replacing what is there in one step. */
    void moveCountersFile(final Path target)
    {
        if (null == countersFile)
        {
            throw new IllegalStateException("the switch has no counters file");
        }
        countersFile.moveTo(target);
    }

    /**
     * Frees the tables (but the routers' route tables, which {@link Routers#close} frees) and closes the counters.
     *
     * @param leaveCountersFile whether the counters file stays for another switch.
     */
    void close(final boolean leaveCountersFile)
    {
        tableCounters.close();
        fdb.close();
        neighbours.close();
        connections.close();
        suppression.close();
        if (null != countersFile)
        {
            countersFile.close(leaveCountersFile);
        }
    }
}
