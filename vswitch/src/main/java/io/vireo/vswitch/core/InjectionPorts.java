package io.vireo.vswitch.core;

import io.vireo.dataplane.port.LoopbackPort;

/**
 * The ports through which the routers send frames of their own into a bridge (health probes, answers from a
 * DNS upstream): one per bridge where a router has such to send, type {@code router}, named
 * {@code vrouter<bridge id>}. Control thread only: the caller holds the switch's lock; {@link #onBridge} is
 * also read by the conductor (under the lock) and the DNS upstream thread.
 */
final class InjectionPorts
{
    /** Bytes of frames a bridge's injection port holds: probes, and DNS answers of up to 9 KB. */
    private static final int RING_BYTES = 1 << 17;

    private final Topology topology;
    /** By bridge id: the bridge's injection port, or null. */
    private final LoopbackPort[] byBridge;

    InjectionPorts(final Topology topology, final int maxBridges)
    {
        this.topology = topology;
        this.byBridge = new LoopbackPort[maxBridges];
    }

    /** The injection port of a bridge, or null if it has none. */
    LoopbackPort onBridge(final int bridgeId)
    {
        return byBridge[bridgeId];
    }

    /** Whether the port is the injection port of its bridge. */
    boolean carries(final PortRecord record)
    {
        return record.port() == byBridge[record.bridge.id];
    }

    /** The bridge goes, with its ports: its injection port with them. */
    void bridgeDeleted(final Bridge bridge)
    {
        byBridge[bridge.id] = null;
    }

    /**
     * Gives every bridge where a router probes its services' backends or has a DNS upstream an injection port,
     * and takes it from bridges where none does any more.
     */
    void sync(final Routers routers, final Ports ports)
    {
        final boolean[] wanted = new boolean[byBridge.length];
        for (final RouterInfo router : routers.list())
        {
            if (routers.probes(router.name()) || null != routers.dns(router.name()).upstream())
            {
                for (final RouterInfo.InterfaceInfo routerInterface : router.interfaces())
                {
                    wanted[topology.bridge(routerInterface.bridge()).id] = true;
                }
            }
        }
        for (final Bridge bridge : topology.bridges())
        {
            final LoopbackPort existing = byBridge[bridge.id];
            if (wanted[bridge.id] && null == existing)
            {
                final LoopbackPort port = LoopbackPort.forInjection("vrouter" + bridge.id, "router", RING_BYTES);
                ports.add(bridge, port);
                byBridge[bridge.id] = port;
            }
            else if (!wanted[bridge.id] && null != existing)
            {
                byBridge[bridge.id] = null;
                ports.remove(topology.port(existing.name()));
            }
        }
    }
}
