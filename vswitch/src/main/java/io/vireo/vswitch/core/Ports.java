package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.offload.Offloads;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.InterfaceNames;
import io.vireo.dataplane.port.Port;
import io.vireo.dataplane.port.TapPort;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.vswitch.link.Cidr;
import io.vireo.vswitch.pipeline.ForwardingProxy;
import org.agrona.concurrent.status.CountersManager;

/**
 * The ports as the API adds, changes, lists and deletes them: names and owners checked, each type opened by its
 * opener ({@link TapPorts}, {@link VhostUserPorts}, {@link AfPacketPorts}), placement and rate limits, and what
 * a port that comes or goes means to the endpoint listeners, the captures, the forwarding table and the port
 * keeper. Control thread only: the caller holds the switch's lock.
 */
final class Ports
{
    private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9_.-]{1,32}");

    private final Topology topology;
    private final CountersManager counters;
    private final ForwardingThreads threads;
    private final ForwardingProxy forwarding;
    private final ForwardingTable fdb;
    private final Generations generations;
    private final EndpointWatchers endpointWatchers;
    private final Captures captures;
    private final InjectionPorts injectionPorts;
    /** The ports that outlive the switch, which adding a TAP or vhost-user port may claim. */
    private final PortHandover handover;
    /** Whether a TAP port takes offloads when its spec does not say. */
    private final boolean tapOffloads;

    Ports(
        final Topology topology,
        final CountersManager counters,
        final ForwardingThreads threads,
        final ForwardingTable fdb,
        final Generations generations,
        final EndpointWatchers endpointWatchers,
        final Captures captures,
        final InjectionPorts injectionPorts,
        final PortHandover handover,
        final boolean tapOffloads)
    {
        this.topology = topology;
        this.counters = counters;
        this.threads = threads;
        this.forwarding = threads.proxy();
        this.fdb = fdb;
        this.generations = generations;
        this.endpointWatchers = endpointWatchers;
        this.captures = captures;
        this.injectionPorts = injectionPorts;
        this.handover = handover;
        this.tapOffloads = tapOffloads;
    }

    /**
     * Creates (or attaches to, or takes back from the port keeper or a switch handed over) a TAP and adds it to
     * the bridge; on any failure nothing is left behind.
     */
    PortInfo addTap(final String bridgeName, final TapPortSpec spec, final String owner)
    {
        checkOwner(owner);
        final Bridge bridge = topology.bridge(bridgeName);
        checkNewName(spec.name());
        final Integer overlayMtu = null == bridge.vxlan ? null : Integer.valueOf(bridge.vxlan.mtu());
        final int[] kept = handover.claimTap(spec.name());
        final PortRecord record = null != kept ?
            TapPorts.adopt(topology, counters, bridge, spec, kept, owner, handover::earlierCount) :
            TapPorts.open(topology, counters, bridge, spec, tapOffloads, overlayMtu, owner);
        try
        {
            handover.keep(record);
        }
        catch (final RuntimeException ex)
        {
            remove(record);
            throw ex;
        }
        endpointWatchers.attached(record);
        return info(record);
    }

    PortInfo addVhostUser(final String bridgeName, final String name, final Path socket, final boolean client, final String owner)
    {
        checkOwner(owner);
        final Bridge bridge = topology.bridge(bridgeName);
        checkNewName(name);
        return info(VhostUserPorts.open(topology, counters, bridge, name, socket, client, owner, handover.claimVhost(name)));
    }

    PortInfo addAfPacket(final String bridgeName, final String ifname)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        checkNewName(ifname);
        return info(AfPacketPorts.open(topology, counters, bridge, ifname, handover.claimAfPacket(ifname)));
    }

    /** Adds a port the caller opened; the switch closes it on delete. */
    PortInfo add(final String bridgeName, final Port port)
    {
        return info(add(topology.bridge(bridgeName), port));
    }

    PortRecord add(final Bridge bridge, final Port port)
    {
        checkNewName(port.name());
        return topology.add(bridge, List.of(port), PortDetails.NONE, new PortCounters(counters, port.name()), null);
    }

    /** Records where the owner of a TAP port put its interface; nothing on the interface changes. */
    PortInfo locate(final String name, final String netns, final String ip)
    {
        final PortRecord record = topology.port(name);
        if (null == record.details.owner() || !(record.port() instanceof TapPort))
        {
            throw VireoException.invalid("only a TAP port that something else manages (one with an owner) is located: " +
                "port " + name + " is configured by the switch");
        }
        if (null != ip)
        {
            VireoException.checked(() -> Cidr.validate(ip));
        }
        final boolean readdressed = !Objects.equals(ip, record.details.ip());
        record.details = record.details.locatedAt(netns, ip);
        if (readdressed)
        {
            endpointWatchers.attached(record);
        }
        return info(record);
    }

    /**
     * Moves a port and sets its rate limits at once: everything is checked before anything changes.
     *
     * @param thread null to leave the port where it is.
     */
    PortInfo change(final String name, final Integer thread, final RateLimit ingress, final RateLimit egress)
    {
        final PortRecord record = topology.port(name);
        RateLimit.check(ingress, "ingress");
        RateLimit.check(egress, "egress");
        if (null != thread)
        {
            move(name, thread);
        }
        RateLimit.apply(record.entries[0].ingressLimit(), ingress);
        RateLimit.apply(record.entries[0].egressLimit(), egress);
        return info(record);
    }

    /**
     * Moves the polling of a port with one queue to forwarding thread {@code thread}: the old thread stops first
     * and the new one starts after, so no frame is lost and no two threads ever receive from it at once.
     */
    PortInfo move(final String name, final int thread)
    {
        final PortRecord record = topology.port(name);
        if (thread < 0 || thread >= threads.count())
        {
            throw VireoException.invalid("thread must be 0.." + (threads.count() - 1) + ": " + thread);
        }
        // With one thread every port counts as having a queue per thread, and thread 0 is the only place.
        if (PortRecord.QUEUE_PER_THREAD == record.thread && threads.count() > 1)
        {
            throw VireoException.invalid("port " + name + " has a queue per forwarding thread; thread i polls queue i");
        }
        if (PortRecord.QUEUE_PER_THREAD != record.thread && thread != record.thread)
        {
            final int from = record.thread;
            forwarding.poll(from, record.id, false);
            try
            {
                forwarding.poll(thread, record.id, true);
            }
            catch (final RuntimeException ex)
            {
                forwarding.poll(from, record.id, true); // never leave the port unpolled
                throw ex;
            }
            record.thread = thread;
        }
        record.placedThread = thread;
        return info(record);
    }

    /** The forwarding threads: CPU, kernel thread id, and the ports each receives from. */
    List<ThreadInfo> threads()
    {
        return forwarding.perThread(index -> threads.info(index, topology.ports().stream()
            .filter(record -> PortRecord.QUEUE_PER_THREAD == record.thread || index == record.thread)
            .map(PortRecord::name)
            .sorted()
            .toList()));
    }

    /** Deletes a port an operator may delete: neither a bridge's VXLAN endpoint nor a router's injection port. */
    void delete(final String name)
    {
        final PortRecord record = topology.port(name);
        if (record == record.bridge.vxlanPort)
        {
            throw VireoException.invalid("port " + name + " is the VXLAN endpoint of bridge " + record.bridge.name +
                ": it goes with the bridge");
        }
        if (injectionPorts.carries(record))
        {
            throw VireoException.invalid("port " + name + " carries what the router on bridge " + record.bridge.name +
                " sends of its own (health probes, DNS answers): it goes when the router needs it no more");
        }
        delete(record);
    }

    /** Deletes a port for good: a TAP's device goes with it, the port keeper holding it no more. */
    void delete(final PortRecord record)
    {
        handover.forget(record);
        remove(record);
    }

    /**
     * Removes a port: stops forwarding on it, flushes its FDB entries, removes the interfaces it created (but a TAP
     * the port keeper holds).
     */
    void remove(final PortRecord record)
    {
        endpointWatchers.detached(record);
        captures.portRemoved(record);
        topology.remove(record);
        fdb.removeDestination(record.id);
        generations.bump(record.bridge.id);
    }

    /** Removes every port, as the switch closes: the TAPs the port keeper holds wait for the next switch. */
    void removeAll()
    {
        for (final PortRecord record : List.copyOf(topology.ports()))
        {
            remove(record);
        }
    }

    List<PortInfo> list()
    {
        return topology.ports().stream().map(this::info).toList();
    }

    PortInfo info(final String name)
    {
        return info(topology.port(name));
    }

    private PortInfo info(final PortRecord record)
    {
        final Port port = record.port();
        final int failure = record.failure();
        final String state = 0 == failure ? "up" : "failed: " + Native.strerror(failure);
        final PortDetails details = record.details;
        return new PortInfo(port.name(), record.bridge.name, port.type(), details.netns(), details.ip(), details.mac(),
            details.mtu(), details.offloads(), Offloads.describe(port.offloads()), details.socket(), details.client(), state,
            PortStats.of(record.entries[0].counters()), details.owner(), record.placedThread,
            RateLimit.of(record.entries[0].ingressLimit()), RateLimit.of(record.entries[0].egressLimit()));
    }

    private void checkNewName(final String name)
    {
        VireoException.checked(() -> InterfaceNames.validate(name));
        if (topology.hasPort(name))
        {
            throw VireoException.conflict("port " + name + " already exists");
        }
    }

    private static void checkOwner(final String owner)
    {
        if (null != owner && !OWNER.matcher(owner).matches())
        {
            throw VireoException.invalid("invalid owner '" + owner + "': 1-32 letters, digits, '_', '.', '-'");
        }
    }
}
