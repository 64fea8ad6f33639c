package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

import io.vireo.api.Endpoint;
import io.vireo.api.EndpointListener;
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
 * that does it: {@link Bridges}, {@link Ports} (which open each type through {@link TapPorts},
 * {@link VhostUserPorts}, {@link AfPacketPorts}; {@link VxlanPorts} for a bridge's endpoint), {@link Overlay}
 * (VXLAN peers, remote MACs, neighbour answers), {@link Policies}, {@link Captures}, {@link Routers} (with
 * {@link RoutersDns}, {@link TrackedConnections} and the {@link InjectionPorts} they need), {@link FdbEntries}
 * and {@link PortHandover} (restarts and takeovers). {@link Topology} keeps the bridges and ports,
 * {@link ForwardingThreads} runs the agents and the {@link Conductor}, and changes reach the forwarding threads
 * as commands through the {@link ForwardingProxy}, run between bursts.
 * Control methods are synchronized and may be called from any thread (in {@link ThreadingMode#INVOKER}
 * mode, only from the invoking thread); a method returns once the forwarding threads have applied its
 * change.
 */
public final class Vireo implements AutoCloseable
{
    private final SwitchTables tables;
    private final ForwardingThreads threads;
    private final ForwardingProxy forwarding;
    private final Conductor conductor;
    private final EndpointWatchers endpointWatchers;
    private final Captures captures;
    private final InjectionPorts injectionPorts;
    private final PortHandover handover;
    private final Ports ports;
    private final Bridges bridges;
    private final Overlay overlay;
    private final Policies policies;
    private final FdbEntries fdbEntries;
    private final Routers routers;
    private final RoutersDns dns;
    private final RegistryInstances registry = new RegistryInstances();
    private final TrackedConnections trackedConnections;
    private final HealthProber prober;
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
        ForwardingWarmUp.run(pipeline.geometry(), context.warmUpBursts());
        this.threads = new ForwardingThreads(context, pipeline, tables.countersManager);
        this.forwarding = threads.proxy();
        final Topology topology = new Topology(context.maxBridges(), context.maxPorts(), context.burstSize(), forwarding);
        this.captures = new Captures(forwarding, topology);
        this.routers = new Routers(tables.routerDirectory, tables.neighbours, tables.features, forwarding::quiesce,
            tables.connections);
        tables.connections.removalListener(tables.routerDirectory.backendStats());
        this.injectionPorts = new InjectionPorts(topology, context.maxBridges());
        this.prober = new HealthProber(routers, tables.routerDirectory, tables.neighbours, injectionPorts::onBridge,
            System.err);
        this.conductor = new Conductor(this, topology, tables.fdb, tables.connections, prober, tables.generations,
            tables.tableCounters, context.epochClock(), context.maxBridges(), this::namespaceGone);
        this.endpointWatchers = new EndpointWatchers(topology);
        this.fdbEntries = new FdbEntries(tables.fdb, topology, tables.generations, context.epochClock());
        this.handover = new PortHandover(context.portKeeperDir(), tables.earlierCounters, topology, injectionPorts,
            fdbEntries);
        this.ports = new Ports(topology, tables.countersManager, threads, tables.fdb, tables.generations,
            endpointWatchers, captures, injectionPorts, handover, context.tapOffloads());
        this.bridges = new Bridges(topology, tables.countersManager, conductor, handover, ports, routers,
            injectionPorts, tables.overlayEntries, tables.fdb, tables.policy, tables.features, tables.generations,
            context.defaultAgingSeconds(), context.burstSize());
        this.overlay = new Overlay(topology, forwarding, tables.fdb, tables.overlayEntries, tables.generations);
        this.policies = new Policies(topology, tables.policy, tables.features);
        this.dns = new RoutersDns(routers, tables.routerDirectory, injectionPorts);
        this.trackedConnections = new TrackedConnections(tables.connections, routers, context.epochClock());
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

    // ---- bridges ----

    /** Adds a bridge; {@code agingSeconds} null takes the switch default. */
    public synchronized BridgeInfo addBridge(final String name, final Long agingSeconds)
    {
        return addBridge(name, agingSeconds, null);
    }

    /**
     * Adds a bridge, with a VXLAN endpoint unless {@code vxlan} is null: a port named
     * {@code <bridge>-vxlan} that carries the bridge to its peers ({@link #addVxlanPeer}). Everything
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

    // ---- VXLAN peers, remote MACs, ARP/ND suppression ----

    /** Adds a peer to a VXLAN bridge (or makes a learned one configured); idempotent. */
    public synchronized List<VxlanPeer> addVxlanPeer(final String bridgeName, final String address)
    {
        ensureOpen();
        return overlay.addPeer(bridgeName, address);
    }

    /**
     * Removes a peer from a VXLAN bridge, and the MACs behind it: learned ones, remote MACs added for it
     * ({@link #addRemoteMac}) and the addresses answered for those ({@link #addNeighbourAnswer}).
     */
    public synchronized void deleteVxlanPeer(final String bridgeName, final String address)
    {
        ensureOpen();
        overlay.deletePeer(bridgeName, address);
    }

    public synchronized List<VxlanPeer> vxlanPeers(final String bridgeName)
    {
        return overlay.peers(bridgeName);
    }

    /**
     * Forwards {@code mac} on a VXLAN bridge to its peer {@code peer} with a static forwarding entry, for an
     * endpoint the control plane knows is there: no frame floods to find it, learning never moves it, it
     * never ages, and it goes when the peer does ({@link #deleteVxlanPeer}). Replaces whatever entry the MAC
     * had (a learned one, or another peer). Cached flows of the bridge go stale.
     *
     * @throws VireoException invalid for a MAC that is not unicast and non-zero or a bridge without a VXLAN
     *                        endpoint; not found for a peer the bridge does not have; conflict if the forwarding
     *                        table is full.
     */
    public synchronized void addRemoteMac(final String bridgeName, final String mac, final String peer)
    {
        ensureOpen();
        overlay.addRemoteMac(bridgeName, mac, peer);
    }

    /**
     * Removes the static entry {@link #addRemoteMac} gave {@code mac}; idempotent.
     *
     * @return false if the bridge had none.
     */
    public synchronized boolean deleteRemoteMac(final String bridgeName, final String mac)
    {
        ensureOpen();
        return overlay.deleteRemoteMac(bridgeName, mac);
    }

    /** The remote MACs of a bridge, each with its peer. */
    public synchronized List<RemoteMac> remoteMacs(final String bridgeName)
    {
        return overlay.remoteMacs(bridgeName);
    }

    /**
     * Answers ARP requests (IPv4) or neighbour solicitations (IPv6) for {@code address} on a bridge with
     * {@code mac} from now on, from the switch itself: a request for it from a port without peers is answered
     * back out of that port and flooded nowhere (see {@link io.vireo.gateway.suppression.SuppressionStage}).
     * Replaces the MAC the address had. Cached flows of the bridge go stale.
     *
     * @throws VireoException invalid for an address with a prefix length or a MAC that is not unicast and
     *                        non-zero; conflict if the switch answers for {@link VireoContext#neighbourAnswerCapacity()}
     *                        addresses already.
     */
    public synchronized void addNeighbourAnswer(final String bridgeName, final String address, final String mac)
    {
        ensureOpen();
        overlay.addAnswer(bridgeName, address, mac);
    }

    /**
     * Stops answering for an address on a bridge; idempotent.
     *
     * @return false if the switch did not answer for it.
     */
    public synchronized boolean deleteNeighbourAnswer(final String bridgeName, final String address)
    {
        ensureOpen();
        return overlay.deleteAnswer(bridgeName, address);
    }

    /**
     * Makes {@code addresses} exactly the ones the switch answers for with {@code mac} on a bridge: the new ones
     * are added (taken from another MAC if another had them), those {@code mac} had and no longer has removed.
     * Everything is checked first.
     */
    public synchronized void setNeighbourAnswers(final String bridgeName, final String mac, final List<String> addresses)
    {
        ensureOpen();
        overlay.setAnswers(bridgeName, mac, addresses);
    }

    /** The addresses a bridge answers for, each with its MAC. */
    public synchronized List<NeighbourAnswer> neighbourAnswers(final String bridgeName)
    {
        return overlay.answers(bridgeName);
    }

    /**
     * Makes one change to the overlay for {@link ClusterSwitch}, under the switch's lock: one call (one lock, one
     * bridge lookup) per change, its input parsed already.
     */
    synchronized void changeOverlay(final Consumer<Overlay> change)
    {
        ensureOpen();
        change.accept(overlay);
    }

    // ---- local endpoints ----

    /**
     * Tells {@code listener} of every port with a MAC (a TAP port: the one given, or the device's) that joins or
     * leaves a bridge {@code bridges} accepts, or whose address changes ({@link #locatePort}; told as attached
     * again), after first telling it of those there are. The endpoint's addresses are the port's address,
     * without its prefix length, if it has one; its underlay is {@link io.vireo.api.Endpoint#LOCAL}.
     * <p>
     * Threading: {@code bridges} is asked under the switch's lock when a change happens and must not call the
     * switch (read a concurrent set). The listener is called on a thread of the switch's own,
     * {@code vireo-endpoints}, one event at a time in the order of the changes, with no lock held: it may call
     * the switch. A port whose device failed is still attached until it is deleted; a switch that closes tells
     * nothing (its TAPs wait for the next one).
     *
     * @return closing it stops the events (those queued already are still told).
     */
    public synchronized AutoCloseable watchEndpoints(final Predicate<String> bridges, final EndpointListener listener)
    {
        ensureOpen();
        return endpointWatchers.add(bridges, listener, this);
    }

    /** A bridge's ports with a MAC, as the endpoints watchers hear of ({@link #watchEndpoints}). */
    public synchronized List<Endpoint> endpoints(final String bridgeName)
    {
        ensureOpen();
        return endpointWatchers.endpoints(bridgeName);
    }

    /**
     * Tells every endpoint listener that wants the bridge of its ports with a MAC again, as attached: for a
     * bridge a listener started wanting after its ports joined.
     */
    public synchronized void announceEndpoints(final String bridgeName)
    {
        ensureOpen();
        endpointWatchers.announce(bridgeName);
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

    // ---- restarts and handovers (vireod --takeover) ----

    /**
     * Names of TAP ports of an earlier run whose devices the port keeper still holds, and of ports a switch
     * handed over ({@link #takePorts}), that no port has claimed (by adding a TAP port, or a VXLAN bridge, of
     * that name) since this switch started.
     */
    public synchronized List<String> unclaimedPorts()
    {
        return handover.unclaimed();
    }

    /** Lets the TAPs of unclaimed ports go: the keeper drops them and the kernel removes them. */
    public synchronized void releaseUnclaimedPorts()
    {
        handover.releaseUnclaimed();
    }

    /**
     * The first step of handing this switch over to another process: every port's descriptors, which stay this
     * switch's too (it goes on forwarding). From now on every change is refused, until
     * {@link #resumeAfterFailedHandover} or {@link #close}, so the switch the other process builds from the state
     * saved so far is this one.
     *
     * @throws VireoException (invalid) naming a port whose type cannot be handed over (only TAP, VXLAN, vhost-user
     *                        and af-packet ports, and the routers' own, which the other switch makes itself, can).
     */
    public synchronized List<HandedPort> handOverPorts()
    {
        ensureOpen();
        return handover.handOver();
    }

    /**
     * A step of a handover ({@link #handOverPorts}): every port stops forwarding; frames wait in their queues.
     *
     * @return the vhost-user ports' state and descriptors (still this switch's), their rings stopped too, and where
     *         each af-packet port's ring reader stopped.
     */
    public synchronized List<HandedPort> stopForwarding()
    {
        if (!handover.handingOver() || closed)
        {
            throw new IllegalStateException("the switch is not being handed over");
        }
        return handover.stopForwarding();
    }

    /** The handover failed: the ports forward again if they had stopped, and changes are taken again. */
    public synchronized void resumeAfterFailedHandover()
    {
        handover.resume(closed);
    }

    /**
     * The handover is done: closing the switch leaves the counters file, which the new switch replaced, and the
     * vhost-user ports' socket files alone.
     */
    public synchronized void handedOver()
    {
        handover.handedOver();
    }

    /**
     * Renames the counters file to {@code target}, replacing what is there in one step: a switch taking another's
     * place counts into a file of its own until it forwards.
     */
    public synchronized void moveCountersFile(final Path target)
    {
        tables.moveCountersFile(target);
    }

    /** Every bridge's learned (dynamic) forwarding entries, by bridge name: what a switch taking over learns first. */
    public synchronized Map<String, List<FdbEntry>> learnedEntries()
    {
        return fdbEntries.learned();
    }

    /**
     * The first step of taking a running switch's place: the ports it handed over ({@link #handOverPorts}). A TAP
     * port added from now on under one of their names takes its descriptors (instead of those the port keeper
     * held, which are closed), a VXLAN bridge its sockets; and ports join the forwarding threads without being
     * polled, until {@link #startForwarding}.
     */
    public synchronized void takePorts(final List<HandedPort> ports)
    {
        ensureOpen();
        handover.take(ports);
    }

    /**
     * The last step of taking a switch's place, once it stopped forwarding: every port's counters go on from
     * {@code earlierCounters} (by label), the MACs it had learned ({@link #learnedEntries}) are learned here with
     * their age, the vhost-user ports go on from the state it handed over ({@link #stopForwarding}), the af-packet
     * ports' rings from where its readers stopped, and every port starts forwarding.
     *
     * @param stoppedPorts what {@link #stopForwarding} returned there.
     * @return the entries not learned: their port or VXLAN peer is not on this switch, or the table is full.
     * @throws VireoException (failed) if an af-packet port taken over has no position there, or one that does not
     *                        fit its ring: nothing forwards yet.
     */
    public synchronized int startForwarding(final Map<String, List<FdbEntry>> learned, final List<HandedPort> stoppedPorts,
        final Map<String, Long> earlierCounters)
    {
        ensureOpen();
        return handover.startForwarding(learned, stoppedPorts, earlierCounters);
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

    // ---- routers ----

    /** Adds a router with no interfaces. */
    public synchronized RouterInfo addRouter(final String name)
    {
        ensureOpen();
        return routers.add(name);
    }

    /** Deletes a router, its interfaces and routes. */
    public synchronized void deleteRouter(final String name)
    {
        ensureOpen();
        routers.delete(name);
        injectionPorts.sync(routers, ports);
    }

    public synchronized List<RouterInfo> routers()
    {
        return routers.list();
    }

    public synchronized RouterInfo router(final String name)
    {
        return routers.get(name);
    }

    /**
     * Gives a router an interface on a bridge: it answers ARP and neighbour solicitations for the
     * addresses ({@code ADDRESS/LENGTH}), is the gateway of the bridge's endpoints, and routes to their
     * subnets. {@code mac} null picks a random locally administered one; {@code mtu} null is 1500.
     */
    public synchronized RouterInfo attachRouter(
        final String router, final String bridgeName, final List<String> addresses, final String mac, final Integer mtu)
    {
        ensureOpen();
        final RouterInfo attached = routers.attach(router, bridges.bridge(bridgeName), addresses, mac, mtu);
        injectionPorts.sync(routers, ports);
        return attached;
    }

    /** Takes a router's interface off a bridge, with the routes through it. */
    public synchronized RouterInfo detachRouter(final String router, final String bridgeName)
    {
        ensureOpen();
        final RouterInfo detached = routers.detach(router, bridgeName);
        injectionPorts.sync(routers, ports);
        return detached;
    }

    /** Adds a static route: {@code prefix} (IPv4 or IPv6) via a gateway on one of the router's subnets. */
    public synchronized RouteInfo addRoute(final String router, final String prefix, final String via)
    {
        ensureOpen();
        return routers.addRoute(router, prefix, via);
    }

    public synchronized void deleteRoute(final String router, final String prefix)
    {
        ensureOpen();
        routers.deleteRoute(router, prefix);
    }

    /** A router's routes: connected ones first, then static ones. */
    public synchronized List<RouteInfo> routes(final String router)
    {
        return routers.routes(router);
    }

    /**
     * Adds an address translation rule to a router: {@code masquerade} (connections leaving by the
     * interface on {@code out} get the router's address there) or {@code publish} (connections to a port
     * of the router's address go to {@code to}). It applies to new connections.
     */
    public synchronized NatRuleSpec addNat(final String router, final NatRuleSpec rule)
    {
        ensureOpen();
        return routers.addNat(router, rule);
    }

    public synchronized void deleteNat(final String router, final int id)
    {
        ensureOpen();
        routers.deleteNat(router, id);
    }

    /** A router's address translation rules, in the order they were added. */
    public synchronized List<NatRuleSpec> nat(final String router)
    {
        return routers.nat(router);
    }

    // ---- services, DNS, connections ----

    /**
     * Adds a load-balanced service to a router: new connections to its virtual address and port go to one
     * of its backends, picked by its algorithm, and stay there.
     */
    public synchronized ServiceInfo addService(final String router, final ServiceSpec spec)
    {
        ensureOpen();
        final ServiceInfo added = routers.addService(router, spec);
        injectionPorts.sync(routers, ports);
        return added;
    }

    /** Deletes a service; its connections end. */
    public synchronized void deleteService(final String router, final String service)
    {
        ensureOpen();
        routers.deleteService(router, service);
        injectionPorts.sync(routers, ports);
    }

    /** Adds a static backend to a service; it takes new connections from now on. */
    public synchronized ServiceInfo addBackend(final String router, final String service, final ServiceSpec.BackendSpec backend)
    {
        ensureOpen();
        return routers.addBackend(router, service, backend);
    }

    /** Takes a static backend ({@code IP:PORT}) out of a service: its connections end, no other connection moves. */
    public synchronized ServiceInfo deleteBackend(final String router, final String service, final String address)
    {
        ensureOpen();
        return routers.deleteBackend(router, service, address);
    }

    /** A router's services with their backends' state and figures. */
    public synchronized List<ServiceInfo> services(final String router)
    {
        return routers.services(router);
    }

    public synchronized ServiceInfo service(final String router, final String service)
    {
        return routers.service(router, service);
    }

    /** A router's services as a config file writes them: static backends only. */
    public synchronized List<ServiceSpec> serviceSpecs(final String router)
    {
        return routers.serviceSpecs(router);
    }

    /** Times a service's backend went out of selection or came back, since the switch started. */
    public synchronized long backendTransitions()
    {
        return prober.transitions();
    }

    /**
     * The registry's live instances of a service are now these ({@code IP:PORT} each, an IPv6 one as
     * {@code [IP]:PORT}): the routers' DNS names (A and AAAA) follow, and so do the services that take
     * backends from the registry (IPv4 instances only: services are IPv4).
     */
    public synchronized void registryChanged(final String service, final List<String> instances)
    {
        ensureOpen();
        registry.changed(service, instances);
        routers.registryChanged(registry.ipv4(), registry.ipv6());
        injectionPorts.sync(routers, ports);
    }

    /** Sets a router's DNS server: each field given replaces what it has. */
    public synchronized DnsSpec setDns(final String router, final DnsSpec spec)
    {
        ensureOpen();
        final DnsSpec set = dns.set(router, spec);
        injectionPorts.sync(routers, ports);
        return set;
    }

    public synchronized DnsSpec dns(final String router)
    {
        return routers.dns(router);
    }

    /**
     * DNS queries the routers took, by outcome name (answered, nxdomain, formerr, dropped, ...), and those passed
     * upstream: upstream_sent, upstream_answered, upstream_unanswered.
     */
    public synchronized Map<String, Long> dnsCounts()
    {
        return dns.counts();
    }

    /** A router's tracked connections (those its NAT rules made). */
    public synchronized List<ConnectionInfo> connections(final String router)
    {
        return trackedConnections.of(router);
    }

    /** Every router's tracked connections counted by state, for the metrics: router name to state name to count. */
    public synchronized Map<String, Map<String, Long>> connectionCounts()
    {
        return trackedConnections.counts();
    }

    /** New connections the routers' NAT refused because the connection table was full. */
    public long connectionsRefused()
    {
        return tables.connections.fullCount();
    }

    /** Forgets a router's tracked connections; their next packets start new ones (or are refused). */
    public synchronized int flushConnections(final String router)
    {
        ensureOpen();
        return trackedConnections.flush(router);
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
        handover.close();
        routers.close();
        tables.close(handover.leavesCountersFile());
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new VireoException(VireoException.Kind.FAILED, "the switch is closed");
        }
        if (handover.handingOver())
        {
            throw VireoException.conflict("the switch is being handed over to another vireod (--takeover): " +
                "no change until it is done");
        }
    }
}
