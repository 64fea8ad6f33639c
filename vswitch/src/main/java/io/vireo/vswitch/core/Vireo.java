package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.vireo.dataplane.port.Port;
import io.vireo.vswitch.pipeline.ForwardingProxy;
import io.vireo.vswitch.pipeline.ForwardingWarmUp;
import io.vireo.vswitch.pipeline.Pipeline;
import org.HdrHistogram.Histogram;

/**
 * The switch as a library: bridges, ports, forwarding threads and a conductor. {@code vireod} is a
 * thin daemon around it; an edge appliance embeds it the same way:
 * <pre>{@code
 * try (Vireo vireo = Vireo.launch(new VireoContext()))
 * {
 *     vireo.addBridge("br0", null);
 *     vireo.addTapPort("br0", new TapPortSpec("tapA", "ns1", "10.0.0.1/24", null, null, null));
 * }
 * }</pre>
 * A facade: it keeps the public API, the switch's lock and its life cycle, and hands each request to the part
 * that does it. Bridges, ports, policy, captures and the forwarding table are asked of it directly, through
 * {@link Bridges}, {@link Ports} (which open each type through {@link TapPorts}, {@link VhostUserPorts},
 * {@link AfPacketPorts}; {@link VxlanPorts} for a bridge's endpoint), {@link Policies}, {@link Captures} and
 * {@link FdbEntries}. The rest of the API is grouped in three sub-facades:
 * <ul>
 * <li>{@link #overlay()}, a {@link VireoOverlay}: VXLAN peers, remote MACs, neighbour answers ({@link Overlay}),
 * and the local endpoints a cluster publishes ({@link EndpointWatchers});</li>
 * <li>{@link #gateway()}, a {@link VireoGateway}: routers, routes, NAT, services and their backends, DNS and
 * tracked connections ({@link Routers}, with {@link RoutersDns}, {@link TrackedConnections} and the
 * {@link InjectionPorts} they need);</li>
 * <li>{@link #handover()}, a {@link VireoHandover}: restarts and takeovers ({@link PortHandover}).</li>
 * </ul>
 * {@link Topology} keeps the bridges and ports, {@link ForwardingThreads} runs the agents and the
 * {@link Conductor}, and changes reach the forwarding threads as commands through the {@link ForwardingProxy},
 * run between bursts.
 * Control methods, the sub-facades' too, are synchronized on this switch and may be called from any thread (in
 * {@link ThreadingMode#INVOKER} mode, only from the invoking thread); a method returns once the forwarding
 * threads have applied its change.
 */
public final class Vireo implements AutoCloseable
{
    private final SwitchTables tables;
    private final ForwardingThreads threads;
    private final ForwardingProxy forwarding;
    private final Conductor conductor;
    private final EndpointWatchers endpointWatchers;
    private final Captures captures;
    private final PortHandover portHandover;
    private final Ports ports;
    private final Bridges bridges;
    private final Policies policies;
    private final FdbEntries fdbEntries;
    private final Routers routers;
    private final RoutersDns dns;
    private final VireoOverlay overlay;
    private final VireoGateway gateway;
    private final VireoHandover handover;
    private final Histogram burstLatency = new Histogram(TimeUnit.SECONDS.toNanos(1), 2);
    private boolean closed;

    private Vireo(final VireoContext context)
    {
        context.validate();
        this.tables = new SwitchTables(context);
        final Pipeline pipeline = new Pipeline(tables.fdb, tables.policy, tables.generations, tables.features,
            new Pipeline.Geometry(context.burstSize(), context.slotSize(), context.headroom(), context.maxFrameLength(),
                context.maxPorts(), context.maxBridges(), context.flowCacheCapacity()),
            tables.routerDirectory, tables.neighbours, tables.connections, tables.suppression);
        ForwardingWarmUp.run(pipeline.geometry(), context.fdbCapacity(), context.warmUpBursts());
        this.threads = new ForwardingThreads(context, pipeline, tables.countersManager);
        this.forwarding = threads.proxy();
        final Topology topology = new Topology(context.maxBridges(), context.maxPorts(), context.burstSize(), forwarding);
        this.captures = new Captures(forwarding, topology);
        this.routers = new Routers(tables.routerDirectory, tables.neighbours, tables.features, forwarding::quiesce,
            tables.connections);
        tables.connections.removalListener(tables.routerDirectory.backendStats());
        final InjectionPorts injectionPorts = new InjectionPorts(topology, context.maxBridges());
        final HealthProber prober = new HealthProber(routers, tables.routerDirectory, tables.neighbours,
            injectionPorts::onBridge, System.err);
        this.conductor = new Conductor(this, topology, tables.fdb, tables.connections, prober, tables.generations,
            tables.tableCounters, context.epochClock(), context.maxBridges(), this::namespaceGone);
        this.endpointWatchers = new EndpointWatchers(topology);
        this.fdbEntries = new FdbEntries(tables.fdb, topology, tables.generations, context.epochClock());
        this.portHandover = new PortHandover(context.portKeeperDir(), tables.earlierCounters, topology, injectionPorts,
            fdbEntries);
        this.ports = new Ports(topology, tables.countersManager, threads, tables.fdb, tables.generations,
            endpointWatchers, captures, injectionPorts, portHandover, context.tapOffloads());
        this.bridges = new Bridges(topology, tables.countersManager, conductor, portHandover, ports, routers,
            injectionPorts, tables.overlayEntries, tables.fdb, tables.policy, tables.features, tables.generations,
            context.defaultAgingSeconds(), context.burstSize());
        this.policies = new Policies(topology, tables.policy, tables.features);
        this.dns = new RoutersDns(routers, tables.routerDirectory, injectionPorts);
        final TrackedConnections trackedConnections = new TrackedConnections(tables.connections, routers,
            context.epochClock());
        this.overlay = new VireoOverlay(this,
            new Overlay(topology, forwarding, tables.fdb, tables.overlayEntries, tables.generations), endpointWatchers);
        this.gateway = new VireoGateway(this, routers, dns, trackedConnections, prober, tables.connections,
            injectionPorts, ports, bridges);
        this.handover = new VireoHandover(this, portHandover, fdbEntries, tables);
        threads.start(conductor);
    }

    /** Starts a switch with no bridges. */
    public static Vireo launch(final VireoContext context)
    {
        return new Vireo(context);
    }

    /** In {@link ThreadingMode#INVOKER} mode, runs one duty cycle of every agent; returns the work done. */
    public int invoke()
    {
        return threads.invoke();
    }

    /** The VXLAN overlay: peers, remote MACs, neighbour answers, and the local endpoints a cluster publishes. */
    public VireoOverlay overlay()
    {
        return overlay;
    }

    /** The routers and what they do: interfaces, routes, NAT, load-balanced services, DNS, tracked connections. */
    public VireoGateway gateway()
    {
        return gateway;
    }

    /** Restarts and handovers ({@code vireod --takeover}): the ports kept or handed over, the steps of a takeover. */
    public VireoHandover handover()
    {
        return handover;
    }

    // ---- bridges ----

    /** Adds a bridge; {@code agingSeconds} null takes the switch default. */
    public synchronized BridgeInfo addBridge(final String name, final Long agingSeconds)
    {
        return addBridge(name, agingSeconds, null);
    }

    /**
     * Adds a bridge, with a VXLAN endpoint unless {@code vxlan} is null: a port named
     * {@code <bridge>-vxlan} that carries the bridge to its peers ({@link VireoOverlay#addVxlanPeer}). Everything
     * is checked first; on any failure nothing is left behind.
     */
    public synchronized BridgeInfo addBridge(final String name, final Long agingSeconds, final VxlanSpec vxlan)
    {
        ensureOpen();
        return bridges.add(name, agingSeconds, vxlan);
    }

    /** Deletes a bridge and every port on it. */
    public synchronized void deleteBridge(final String name)
    {
        ensureOpen();
        bridges.delete(name);
    }

    public synchronized List<BridgeInfo> bridges()
    {
        return bridges.list();
    }

    /** Whether the switch has a bridge of this name. */
    public synchronized boolean hasBridge(final String name)
    {
        return bridges.has(name);
    }

    /** A bridge's VXLAN endpoint, or null if it has none; cheaper than {@link #bridges()}, which counts FDB entries. */
    public synchronized VxlanInfo vxlan(final String bridgeName)
    {
        return bridges.vxlan(bridgeName);
    }

    /** The bridge's forwarding table, read while the forwarding threads keep learning. */
    public synchronized List<FdbEntry> fdb(final String bridgeName)
    {
        return fdbEntries.of(bridgeName);
    }

    // ---- ports ----

    /**
     * Creates (or attaches to) a TAP, places and configures it as {@code spec} says, and adds it to
     * the bridge. Everything is checked first; on any failure nothing is left behind.
     */
    public synchronized PortInfo addTapPort(final String bridgeName, final TapPortSpec spec)
    {
        return addTapPort(bridgeName, spec, null);
    }

    /** As {@link #addTapPort(String, TapPortSpec)}, for a port that {@code owner} (a CNI plugin, say) manages. */
    public synchronized PortInfo addTapPort(final String bridgeName, final TapPortSpec spec, final String owner)
    {
        ensureOpen();
        return ports.addTap(bridgeName, spec, owner);
    }

    /**
     * Adds a vhost-user port: the switch listens on {@code socket} for a frontend (QEMU, DPDK
     * virtio-user), or with {@code client} connects to the frontend's socket and reconnects whenever it
     * restarts.
     */
    public synchronized PortInfo addVhostUserPort(
        final String bridgeName, final String name, final Path socket, final boolean client)
    {
        return addVhostUserPort(bridgeName, name, socket, client, null);
    }

    /** As {@link #addVhostUserPort(String, String, Path, boolean)}, for a port that {@code owner} manages. */
    public synchronized PortInfo addVhostUserPort(
        final String bridgeName, final String name, final Path socket, final boolean client, final String owner)
    {
        ensureOpen();
        return ports.addVhostUser(bridgeName, name, socket, client, owner);
    }

    /**
     * Attaches an existing host interface (a NIC, a veth) to a bridge through an AF_PACKET socket; the port
     * has the interface's name. Deleting the port detaches the interface and leaves it as it was.
     */
    public synchronized PortInfo addAfPacketPort(final String bridgeName, final String ifname)
    {
        ensureOpen();
        return ports.addAfPacket(bridgeName, ifname);
    }

    /** Adds a port the caller opened (a {@link io.vireo.dataplane.port.LoopbackPort}, say); the switch closes it on delete. */
    public synchronized PortInfo addPort(final String bridgeName, final Port port)
    {
        ensureOpen();
        return ports.add(bridgeName, port);
    }

    /**
     * Records where the owner of a TAP port put its interface, for a runtime that moves and addresses it itself
     * (Docker moves the TAP into the container and names it eth0): {@code port list} shows it, the run dir's
     * state keeps it. Nothing on the interface changes.
     *
     * @throws VireoException (invalid) for a port without an owner, or one that is not a TAP.
     */
    public synchronized PortInfo locatePort(final String name, final String netns, final String ip)
    {
        ensureOpen();
        return ports.locate(name, netns, ip);
    }

    /**
     * Sets a port's rate limits: {@code ingress} polices what it sends into the switch, {@code egress} what the
     * switch sends it; null leaves a direction as it is, rate 0 removes its limit. Applies to the next
     * frame; both or neither change.
     *
     * @throws VireoException (invalid) for a rate or burst out of range.
     */
    public synchronized PortInfo limitPort(final String name, final RateLimit ingress, final RateLimit egress)
    {
        return changePort(name, null, ingress, egress);
    }

    /**
     * {@link #movePort} and {@link #limitPort} at once: everything is checked before anything changes.
     *
     * @param thread null to leave the port where it is.
     */
    public synchronized PortInfo changePort(final String name, final Integer thread, final RateLimit ingress,
        final RateLimit egress)
    {
        ensureOpen();
        return ports.change(name, thread, ingress, egress);
    }

    /**
     * Moves the polling of a port with one queue (vhost-user, a bridge's VXLAN endpoint, a TAP when there is
     * one thread) to forwarding thread {@code thread}; every thread goes on writing it. The old thread stops
     * first and the new one starts after, so no frame is lost (they wait in the port's queue meanwhile) and
     * no two threads ever receive from it at once. The placement is kept in the port's {@link PortInfo#thread}.
     */
    public synchronized PortInfo movePort(final String name, final int thread)
    {
        ensureOpen();
        return ports.move(name, thread);
    }

    /** The forwarding threads: CPU, kernel thread id, and the ports each receives from. */
    public synchronized List<ThreadInfo> threads()
    {
        return ports.threads();
    }

    /** Removes a port: stops forwarding on it, flushes its FDB entries, removes the interfaces it created. */
    public synchronized void deletePort(final String name)
    {
        ensureOpen();
        ports.delete(name);
    }

    /** A TAP port whose namespace went (its descriptors held it): the port goes too, the keeper's copies first. */
    private void namespaceGone(final PortRecord record)
    {
        System.err.println("vireo: port " + record.name() + " deleted: its namespace " + record.details.netns() + " is gone");
        ports.delete(record);
    }

    public synchronized List<PortInfo> ports()
    {
        return ports.list();
    }

    public synchronized PortInfo port(final String name)
    {
        return ports.info(name);
    }

    // ---- endpoint policy ----

    /** Adds a rule to a bridge's policy; it applies to existing flows at once. Returns it with its id. */
    public synchronized PolicySpec addPolicy(final String bridgeName, final PolicySpec spec)
    {
        ensureOpen();
        return policies.add(bridgeName, spec);
    }

    public synchronized void deletePolicy(final String bridgeName, final int ruleId)
    {
        ensureOpen();
        policies.delete(bridgeName, ruleId);
    }

    /** A bridge's rules in evaluation order (highest priority first). */
    public synchronized List<PolicySpec> policies(final String bridgeName)
    {
        return policies.list(bridgeName);
    }

    /** What a bridge does with frames no rule matches: allow (the default) or deny. */
    public synchronized void defaultPolicy(final String bridgeName, final String action)
    {
        ensureOpen();
        policies.defaultAction(bridgeName, action);
    }

    public synchronized String defaultPolicy(final String bridgeName)
    {
        return policies.defaultAction(bridgeName);
    }

    // ---- packet capture ----

    /**
     * Starts capturing a port's frames, both directions, into a pcap file (created or replaced), up to
     * {@code limit} frames (null: until stopped). Forwarding never waits for the capture: frames it
     * cannot keep up with are counted as dropped.
     */
    public synchronized CaptureInfo startCapture(final String portName, final Path file, final Long limit)
    {
        ensureOpen();
        return captures.start(portName, file, limit);
    }

    public synchronized List<CaptureInfo> captures()
    {
        return captures.list();
    }

    public synchronized CaptureInfo capture(final int id)
    {
        return captures.info(id);
    }

    /** Ends a capture: the frames recorded so far are written and the file closed. */
    public synchronized CaptureInfo stopCapture(final int id)
    {
        return captures.stop(id);
    }

    // ---- figures ----

    /**
     * Counters of each forwarding thread by thread name: loops, busy/idle ns, polls, bursts, frames, and
     * its flow cache's hits and misses.
     */
    public Map<String, Map<String, Long>> threadStats()
    {
        return threads.stats();
    }

    /** Nanoseconds the switch spent per burst (forwarding and transmitting), since the switch started. */
    public synchronized Histogram burstLatency()
    {
        forwarding.takeBurstLatency(burstLatency);
        return burstLatency.copy();
    }

    // ---- life cycle ----

    /**
     * Closes every port and stops the agents. The interfaces the switch created go, but for the TAPs the
     * port keeper holds: they wait for the next switch on the run dir.
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            // A switch that stops tells its endpoint listeners nothing: its TAPs wait for the next one (the port keeper).
            endpointWatchers.close();
            dns.close();   // before the ports it injects into go
            captures.stopAll();
            ports.removeAll();
            closed = true;
            conductor.close();
        }
        // Outside the lock: the conductor takes it on every tick and must be able to finish one.
        threads.close();
        portHandover.close();
        routers.close();
        tables.close(portHandover.leavesCountersFile());
    }

    // ---- for the sub-facades: VireoOverlay, VireoGateway, VireoHandover ----

    /** Whether the switch is closed; under its lock. */
    boolean closed()
    {
        return closed;
    }

    /**
     * Runs a sub-facade's call as Vireo's own control methods run: under the switch's lock, and refused by
     * {@link #ensureOpen} while the switch is closed or being handed over.
     */
    synchronized <T> T lockedOpen(final Supplier<T> call)
    {
        ensureOpen();
        return call.get();
    }

    /** As {@link #lockedOpen(Supplier)}, for a call that returns nothing. */
    synchronized void lockedOpen(final Runnable call)
    {
        ensureOpen();
        call.run();
    }

    /** Runs a sub-facade's call under the switch's lock, open or not, as Vireo's own reads run. */
    synchronized <T> T locked(final Supplier<T> call)
    {
        return call.get();
    }

    /** As {@link #locked(Supplier)}, for a call that returns nothing. */
    synchronized void locked(final Runnable call)
    {
        call.run();
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new VireoException(VireoException.Kind.FAILED, "the switch is closed");
        }
        if (portHandover.handingOver())
        {
            throw VireoException.conflict("the switch is being handed over to another vireod (--takeover): " +
                "no change until it is done");
        }
    }
}
