package io.vireo.vswitch.core;

import java.util.List;
import java.util.regex.Pattern;

import io.vireo.dataplane.pipeline.Features;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyTable;
import org.agrona.concurrent.status.CountersManager;

/**
 * The bridges as the API adds, lists and deletes them: names and aging checked, a VXLAN bridge's endpoint opened
 * ({@link VxlanPorts}), and everything a bridge that goes leaves behind cleared (router interfaces, ports,
 * forwarding entries, policy, overlay entries, feature bits). Control thread only: the caller holds the switch's
 * lock.
 */
final class Bridges
{
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");

    private final Topology topology;
    private final CountersManager counters;
    private final Conductor conductor;
    private final PortHandover handover;
    private final Ports ports;
    private final Routers routers;
    private final InjectionPorts injectionPorts;
    private final OverlayEntries overlay;
    private final ForwardingTable fdb;
    private final PolicyTable policy;
    private final Features features;
    private final Generations generations;
    private final long defaultAgingSeconds;
    private final int burstSize;

    Bridges(
        final Topology topology,
        final CountersManager counters,
        final Conductor conductor,
        final PortHandover handover,
        final Ports ports,
        final Routers routers,
        final InjectionPorts injectionPorts,
        final OverlayEntries overlay,
        final ForwardingTable fdb,
        final PolicyTable policy,
        final Features features,
        final Generations generations,
        final long defaultAgingSeconds,
        final int burstSize)
    {
        this.topology = topology;
        this.counters = counters;
        this.conductor = conductor;
        this.handover = handover;
        this.ports = ports;
        this.routers = routers;
        this.injectionPorts = injectionPorts;
        this.overlay = overlay;
        this.fdb = fdb;
        this.policy = policy;
        this.features = features;
        this.generations = generations;
        this.defaultAgingSeconds = defaultAgingSeconds;
        this.burstSize = burstSize;
    }

    /**
     * Adds a bridge, with a VXLAN endpoint unless {@code vxlan} is null (taking the sockets a switch handed over
     * under its name). Everything is checked first; on any failure nothing is left behind.
     */
    BridgeInfo add(final String name, final Long agingSeconds, final VxlanSpec vxlan)
    {
        if (null == name || !NAME.matcher(name).matches())
        {
            throw VireoException.invalid("invalid bridge name '" + name +
                "': 1-32 letters, digits, '_', '.', '-', starting with a letter or digit");
        }
        if (topology.hasBridge(name))
        {
            throw VireoException.conflict("bridge " + name + " already exists");
        }
        final long aging = null == agingSeconds ? defaultAgingSeconds : agingSeconds;
        if (aging <= 0 || aging > 1_000_000)
        {
            throw VireoException.invalid("invalid aging time " + aging + " s: must be 1..1000000");
        }
        final VxlanInfo settings = null == vxlan ? null : VxlanPorts.settings(name, vxlan, topology);
        final Bridge bridge = topology.addBridge(name, aging);
        conductor.aging(bridge.id, aging);
        if (null != settings)
        {
            try
            {
                bridge.vxlanPort = VxlanPorts.open(topology, counters, bridge, settings, burstSize,
                    handover.claimVxlan(settings.portName()));
                bridge.vxlan = settings;
            }
            catch (final RuntimeException ex)
            {
                delete(name);
                throw ex;
            }
        }
        return info(bridge);
    }

    /** Deletes a bridge and every port on it. */
    void delete(final String name)
    {
        final Bridge bridge = topology.bridge(name);
        routers.bridgeDeleted(bridge);
        injectionPorts.bridgeDeleted(bridge);   // its port goes with the bridge's other ports
        for (final String port : List.copyOf(bridge.ports))
        {
            ports.delete(topology.port(port));
        }
        topology.removeBridge(bridge);
        overlay.bridgeDeleted(bridge);
        fdb.removeBridge(bridge.id);
        policy.removeBridge(bridge.id);
        features.clear(bridge.id);
        generations.bump(bridge.id);
        conductor.aging(bridge.id, 0);
    }

    /** @throws VireoException (not found) naming the bridge. */
    Bridge bridge(final String name)
    {
        return topology.bridge(name);
    }

    boolean has(final String name)
    {
        return topology.hasBridge(name);
    }

    List<BridgeInfo> list()
    {
        return topology.bridges().stream().map(this::info).toList();
    }

    /** A bridge's VXLAN endpoint, or null if it has none. */
    VxlanInfo vxlan(final String name)
    {
        return vxlan(topology.bridge(name));
    }

    private BridgeInfo info(final Bridge bridge)
    {
        return new BridgeInfo(bridge.name, bridge.agingSeconds, List.copyOf(bridge.ports), fdb.size(bridge.id),
            vxlan(bridge));
    }

    private static VxlanInfo vxlan(final Bridge bridge)
    {
        return null == bridge.vxlan ? null : new VxlanInfo(bridge.vxlan.vni(), bridge.vxlan.local(), bridge.vxlan.port(),
            bridge.vxlan.ttl(), bridge.vxlan.mtu(), bridge.vxlan.learnAnyPeer(), bridge.vxlan.underlayTap(), bridge.vxlan.portName(),
            VxlanPorts.peers(bridge.vxlanPort.vtep));
    }
}
