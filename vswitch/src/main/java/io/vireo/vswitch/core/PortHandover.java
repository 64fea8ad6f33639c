package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.port.AfPacketPort;
import io.vireo.dataplane.port.Port;
import io.vireo.dataplane.port.TapPort;
import io.vireo.dataplane.vhost.VhostUserPort;
import io.vireo.vswitch.pipeline.PortEntry;

/**
 * Ports that outlive one switch: the TAPs the {@link PortKeeper} holds across restarts, and a switch handed over
 * to another process ({@code vireod --takeover}), from either side. Ports waiting to be claimed (descriptors of
 * an earlier run's TAPs, a handed-over switch's TAP, af-packet and VXLAN descriptors and vhost-user names) are claimed by
 * adding a port, or a VXLAN bridge, of their name. Control thread only: the caller holds the switch's lock.
 */
final class PortHandover implements AutoCloseable
{
    private final Topology topology;
    private final InjectionPorts injectionPorts;
    private final FdbEntries fdbEntries;
    /** Holds copies of the TAP ports' descriptors across restarts; null unless the context names a run dir for it. */
    private final PortKeeper keeper;
    /** Descriptors the keeper held for TAP ports of an earlier run, or a switch handed over, by port name. */
    private final Map<String, int[]> adoptable;
    /** The counters of that run, by label, for the ports that take their TAPs back. */
    private final Map<String, Long> earlierCounters;
    /** VXLAN sockets a switch handed over ({@link #take}), by port name, until their bridge is added. */
    private final Map<String, HandedPort> handedVxlan = new HashMap<>();
    /** Af-packet sockets a switch handed over ({@link #take}), by port name, until a port of that name is added. */
    private final Map<String, HandedPort> handedAfPacket = new HashMap<>();
    /** Vhost-user ports a switch hands over ({@link #take}), until a port of that name is added. */
    private final Set<String> handedVhost = new HashSet<>();
    /** True while this switch hands itself over to another process ({@link #handOver}): changes are refused. */
    private boolean handingOver;
    /** True while its ports do not forward for a handover ({@link #stopForwarding}). */
    private boolean stopped;
    /** True once another process took this switch's place. */
    private boolean handedOver;

    /**
     * @param keeperDir       where the port keeper runs, or null for none.
     * @param earlierCounters the counters of the switch that ran before on the run dir, by label.
     */
    PortHandover(final Path keeperDir, final Map<String, Long> earlierCounters, final Topology topology,
        final InjectionPorts injectionPorts, final FdbEntries fdbEntries)
    {
        this.topology = topology;
        this.injectionPorts = injectionPorts;
        this.fdbEntries = fdbEntries;
        this.earlierCounters = earlierCounters;
        this.keeper = null == keeperDir ? null : PortKeeper.start(keeperDir);
        this.adoptable = null == keeper ? new HashMap<>() : new HashMap<>(keeper.give());
    }

    /** True while the switch hands itself over: it takes no change. */
    boolean handingOver()
    {
        return handingOver;
    }

    /** Whether closing the switch must leave its counters file: the next switch or the one that took over counts on. */
    boolean leavesCountersFile()
    {
        return null != keeper || handedOver;
    }

    /** The descriptors waiting for a TAP port of this name (this takes them), or null. */
    int[] claimTap(final String name)
    {
        return adoptable.remove(name);
    }

    /** A counter of the earlier run, by label; 0 if it had none. */
    long earlierCount(final String label)
    {
        return earlierCounters.getOrDefault(label, 0L);
    }

    /** The sockets handed over for a VXLAN port of this name (this takes them), or null. */
    HandedPort claimVxlan(final String name)
    {
        return handedVxlan.remove(name);
    }

    /** The socket handed over for an af-packet port of this name (this takes it), or null. */
    HandedPort claimAfPacket(final String name)
    {
        return handedAfPacket.remove(name);
    }

    /** Whether a vhost-user port of this name was handed over (this claims it). */
    boolean claimVhost(final String name)
    {
        return handedVhost.remove(name);
    }

    /** A TAP port was added: the keeper, if there is one, holds copies of its descriptors from now on. */
    void keep(final PortRecord record)
    {
        if (null != keeper)
        {
            keeper.keep(record.name(), queueDescriptors(record));
        }
    }

    /** A port is being deleted: the keeper's copies of its descriptors go first, so the TAP goes with it. */
    void forget(final PortRecord record)
    {
        if (null != keeper && record.port() instanceof TapPort)
        {
            keeper.drop(record.name());
        }
    }

    /** Names of the ports waiting to be claimed. */
    List<String> unclaimed()
    {
        final List<String> names = new ArrayList<>(adoptable.keySet());
        names.addAll(handedVxlan.keySet());
        names.addAll(handedAfPacket.keySet());
        names.addAll(handedVhost);
        return names;
    }

    /** Lets the ports waiting to be claimed go: the keeper drops their TAPs and the kernel removes them. */
    void releaseUnclaimed()
    {
        for (final Map.Entry<String, int[]> port : adoptable.entrySet())
        {
            closeAll(port.getValue());
            if (null != keeper)
            {
                keeper.drop(port.getKey());
            }
        }
        adoptable.clear();
        closeHanded();
        handedVhost.clear();
    }

    /**
     * The first step of handing this switch over: every port's descriptors, which stay this switch's too. From now
     * on every change is refused, until {@link #resume} or the switch closes.
     *
     * @throws VireoException (invalid) naming a port whose type cannot be handed over.
     */
    List<HandedPort> handOver()
    {
        final List<HandedPort> handed = new ArrayList<>();
        for (final PortRecord record : topology.ports())
        {
            final Port port = record.port();
            if (null != record.vtep)
            {
                handed.add(new HandedPort(HandedPort.VXLAN, record.name(), record.vtep.descriptors(), record.vtep.sourcePorts()));
            }
            else if (port instanceof TapPort)
            {
                handed.add(new HandedPort(HandedPort.TAP, record.name(), queueDescriptors(record), new int[0]));
            }
            else if (port instanceof VhostUserPort)
            {
                handed.add(new HandedPort(HandedPort.VHOST_USER, record.name(), new int[0], new int[0]));
            }
            else if (port instanceof AfPacketPort afPacket)
            {
                handed.add(AfPacketPorts.handOver(record.name(), afPacket));
            }
            else if (!injectionPorts.carries(record))
            {
                throw VireoException.invalid("port " + record.name() + " (" + port.type() + ") cannot be handed over to " +
                    "another switch: only TAP, VXLAN, vhost-user and af-packet ports can");
            }
        }
        handingOver = true;
        VhostUserPorts.expectHandOver(topology);
        return handed;
    }

    /**
     * Every port stops forwarding; frames wait in their queues.
     *
     * @return the vhost-user ports' state and descriptors, their rings stopped too, and where each af-packet port's
     *         ring reader stopped.
     */
    List<HandedPort> stopForwarding()
    {
        VhostUserPorts.suspend(topology);
        topology.polling(false);
        stopped = true;
        final List<HandedPort> handed = new ArrayList<>(VhostUserPorts.handOver(topology));
        handed.addAll(AfPacketPorts.positions(topology));
        return handed;
    }

    /** The handover failed: the ports forward again, unless the switch closed meanwhile, and changes are taken again. */
    void resume(final boolean switchClosed)
    {
        if (!switchClosed)
        {
            VhostUserPorts.resume(topology);
        }
        if (stopped && !switchClosed)
        {
            AfPacketPorts.resumeAfterHandOver(topology);
            topology.polling(true);
        }
        stopped = false;
        handingOver = false;
    }

    /** The handover is done: closing leaves the counters file and what the new switch took over alone. */
    void handedOver()
    {
        handedOver = true;
        VhostUserPorts.letGo(topology);
        AfPacketPorts.letGo(topology);
        for (final PortRecord record : topology.ports())
        {
            if (null != record.vtep)
            {
                record.vtep.handedOver();   // its socket's group is the new switch's to rebuild: closing leaves it alone
            }
        }
    }

    /**
     * The first step of taking a running switch's place: the ports it handed over wait to be claimed (a TAP's
     * descriptors replacing those the keeper held, which are closed), and ports join the forwarding threads
     * without being polled, until {@link #startForwarding}.
     */
    void take(final List<HandedPort> ports)
    {
        topology.hold();
        for (final HandedPort port : ports)
        {
            if (HandedPort.VXLAN.equals(port.type()))
            {
                handedVxlan.put(port.name(), port);
            }
            else if (HandedPort.VHOST_USER.equals(port.type()))
            {
                handedVhost.add(port.name());
            }
            else if (HandedPort.AF_PACKET.equals(port.type()))
            {
                final HandedPort earlier = handedAfPacket.put(port.name(), port);
                if (null != earlier)
                {
                    closeAll(earlier.fds());
                }
            }
            else
            {
                final int[] kept = adoptable.put(port.name(), port.fds());
                if (null != kept)
                {
                    closeAll(kept);
                }
            }
        }
    }

    /**
     * The last step of taking a switch's place: counters go on from {@code earlierCounters} (by label), the MACs it
     * had learned are learned here with their age, the vhost-user ports go on from the state it handed over, the
     * af-packet ports' rings from where its readers stopped, and every port starts forwarding.
     *
     * @param stoppedPorts what the switch handed over once it stopped ({@link #stopForwarding} there).
     * @return the entries not learned.
     * @throws VireoException (failed) if an af-packet port has no position, or one that does not fit: nothing polls.
     */
    int startForwarding(final Map<String, List<FdbEntry>> learned, final List<HandedPort> stoppedPorts,
        final Map<String, Long> earlierCounters)
    {
        for (final PortRecord record : topology.ports())
        {
            // first: a vhost-user port whose handed state does not hold counts a violation as it resumes
            record.entries[0].counters().carryOver(label -> earlierCounters.getOrDefault(label, 0L));
        }
        AfPacketPorts.resume(topology, stoppedPorts);
        VhostUserPorts.resume(topology, stoppedPorts.stream().filter(port -> HandedPort.VHOST_USER.equals(port.type())).toList());
        final int skipped = fdbEntries.learn(learned);
        topology.polling(true);
        return skipped;
    }

    /** Closes the descriptors no port claimed and the connection to the port keeper, which goes on holding its TAPs. */
    @Override
    public void close()
    {
        adoptable.values().forEach(PortHandover::closeAll);
        closeHanded();
        if (null != keeper)
        {
            keeper.close();
        }
    }

    private void closeHanded()
    {
        handedVxlan.values().forEach(port -> closeAll(port.fds()));
        handedVxlan.clear();
        handedAfPacket.values().forEach(port -> closeAll(port.fds()));
        handedAfPacket.clear();
    }

    /** A TAP port's descriptors, one per queue. */
    private static int[] queueDescriptors(final PortRecord record)
    {
        return Arrays.stream(record.entries).map(PortEntry::port).distinct().mapToInt(Port::pollFd).toArray();
    }

    private static void closeAll(final int[] fds)
    {
        Arrays.stream(fds).forEach(UnixSocket::closeDescriptor);
    }
}
