package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import io.vireo.api.Endpoint;
import io.vireo.api.EndpointListener;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.offload.Offloads;
import io.vireo.dataplane.pipeline.Destination;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.pipeline.TokenBucket;
import io.vireo.dataplane.port.InterfaceNames;
import io.vireo.gateway.dns.DnsResponder;
import io.vireo.gateway.dns.DnsStats;
import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.dataplane.port.Port;
import io.vireo.dataplane.port.TapPort;
import io.vireo.dataplane.vhost.VhostUserPort;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.router.NeighbourTable;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.suppression.SuppressionTable;
import io.vireo.tunnel.vxlan.Vtep;
import io.vireo.vswitch.link.Cidr;
import io.vireo.vswitch.pipeline.ForwardingProxy;
import io.vireo.vswitch.pipeline.ForwardingWarmUp;
import io.vireo.vswitch.pipeline.Pipeline;
import io.vireo.vswitch.pipeline.PortEntry;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.status.CountersManager;

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
 * A facade: it checks requests and keeps the public API; {@link Topology} keeps the bridges and ports,
 * {@link TapPorts}, {@link VhostUserPorts} and {@link VxlanPorts} open ports, {@link Captures} the
 * captures, {@link ForwardingThreads} runs the agents and the {@link Conductor}, and changes reach the
 * forwarding threads as commands through the {@link ForwardingProxy}, run between bursts.
 * Control methods are synchronized and may be called from any thread (in {@link ThreadingMode#INVOKER}
 * mode, only from the invoking thread); a method returns once the forwarding threads have applied its
 * change.
 */
public final class Vireo implements AutoCloseable
{
    private static final Pattern BRIDGE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9_.-]{1,32}");
    /** Neighbours the routers remember, all bridges together. */
    private static final int NEIGHBOURS = 65_536;
    /** Bytes of frames a bridge's injection port holds: probes, and DNS answers of up to 9 KB. */
    private static final int INJECTION_RING_BYTES = 1 << 17;

    private final VireoContext context;
    private final ForwardingTable fdb;
    private final Generations generations = new Generations();
    private final PolicyTable policy = new PolicyTable(generations);
    private final Features features;
    private final CountersFile countersFile;
    private final CountersManager countersManager;
    private final TableCounters tableCounters;
    private final ForwardingThreads threads;
    private final ForwardingProxy forwarding;
    private final Topology topology;
    private final Captures captures;
    private final Conductor conductor;
    private final NeighbourTable neighbours;
    private final ConnectionTable connections;
    private final SuppressionTable suppression;
    private final OverlayEntries overlay;
    private final EndpointWatchers endpointWatchers = new EndpointWatchers();
    private final Routers routers;
    /**
     * By bridge id: the port through which the router there sends frames of its own (health probes, answers
     * from its DNS upstream) while it has such to send; else null.
     */
    private final LoopbackPort[] injectionPorts;
    private DnsUpstream dnsUpstream;
    private final HealthProber prober;
    /** The registry's live IPv4 instances by service name, {@code address << 16 | port}. */
    private final Map<String, List<Long>> registryInstances = new TreeMap<>();
    /** The registry's live IPv6 instances by service name. */
    private final Map<String, List<Routers.Ipv6Instance>> registryIpv6Instances = new TreeMap<>();
    private final RouterDirectory routerDirectory;
    private final Histogram burstLatency = new Histogram(TimeUnit.SECONDS.toNanos(1), 2);
    /** Holds copies of the TAP ports' descriptors across restarts; null unless the context names a run dir for it. */
    private final PortKeeper keeper;
    /** Descriptors the keeper held for TAP ports of an earlier run, by port name, until a port claims them. */
    private final Map<String, int[]> adoptable;
    /** The counters of that run, by label, for the ports that take their TAPs back. */
    private final Map<String, Long> earlierCounters;
    /** VXLAN sockets a switch handed over ({@link #takePorts}), by port name, until their bridge is added. */
    private final Map<String, HandedPort> handedVxlan = new HashMap<>();
    /** Vhost-user ports a switch hands over ({@link #takePorts}), until a port of that name is added. */
    private final Set<String> handedVhost = new HashSet<>();
    /** True while this switch hands itself over to another process ({@link #handOverPorts}): changes are refused. */
    private boolean handingOver;
    /** True while its ports do not forward for a handover ({@link #stopForwarding}). */
    private boolean stopped;
    /** True once another process took this switch's place: closing leaves the counters file, now that one's, alone. */
    private boolean handedOver;
    private boolean closed;

    private Vireo(final VireoContext context)
    {
        context.validate();
        this.context = context;
        this.fdb = new ForwardingTable(context.fdbCapacity());
        this.features = new Features(context.maxBridges());
        this.earlierCounters = null == context.portKeeperDir() || null == context.countersFile() ? Map.of() :
            CountersFile.earlierValues(context.countersFile());
        this.countersFile = null == context.countersFile() ? null :
            CountersFile.create(context.countersFile(), context.maxCounters());
        this.countersManager = null == countersFile ? CountersFile.inMemory(context.maxCounters()) :
            countersFile.manager();
        this.tableCounters = new TableCounters(countersManager);
        this.routerDirectory = new RouterDirectory(context.maxBridges());
        this.neighbours = new NeighbourTable(NEIGHBOURS);
        this.connections = new ConnectionTable(context.connectionCapacity());
        this.suppression = new SuppressionTable(context.neighbourAnswerCapacity());
        this.overlay = new OverlayEntries(fdb, suppression, features, generations);
        final Pipeline pipeline = new Pipeline(fdb, policy, generations, features, new Pipeline.Geometry(
            context.burstSize(), context.slotSize(), context.headroom(), context.maxFrameLength(), context.maxPorts(),
            context.maxBridges(), context.flowCacheCapacity()), routerDirectory, neighbours, connections, suppression);
        ForwardingWarmUp.run(pipeline.geometry(), context.warmUpBursts());
        this.threads = new ForwardingThreads(context, pipeline, countersManager);
        this.forwarding = threads.proxy();
        this.topology = new Topology(context.maxBridges(), context.maxPorts(), context.burstSize(), forwarding);
        this.captures = new Captures(forwarding);
        this.routers = new Routers(routerDirectory, neighbours, features, forwarding::quiesce, connections);
        connections.removalListener(routerDirectory.backendStats());
        this.injectionPorts = new LoopbackPort[context.maxBridges()];
        this.prober = new HealthProber(routers, routerDirectory, neighbours, bridgeId -> injectionPorts[bridgeId], System.err);
        this.conductor = new Conductor(this, topology, fdb, connections, prober, generations, tableCounters,
            context.epochClock(), context.maxBridges(), this::namespaceGone);
        this.keeper = null == context.portKeeperDir() ? null : PortKeeper.start(context.portKeeperDir());
        this.adoptable = null == keeper ? new HashMap<>() : new HashMap<>(keeper.give());
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
        if (null == name || !BRIDGE_NAME.matcher(name).matches())
        {
            throw VireoException.invalid("invalid bridge name '" + name +
                "': 1-32 letters, digits, '_', '.', '-', starting with a letter or digit");
        }
        if (topology.hasBridge(name))
        {
            throw VireoException.conflict("bridge " + name + " already exists");
        }
        final long aging = null == agingSeconds ? context.defaultAgingSeconds() : agingSeconds;
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
                bridge.vxlanPort = VxlanPorts.open(topology, countersManager, bridge, settings, context.burstSize(),
                    handedVxlan.remove(settings.portName()));
                bridge.vxlan = settings;
            }
            catch (final RuntimeException ex)
            {
                deleteBridge(name);
                throw ex;
            }
        }
        return info(bridge);
    }

    /** Deletes a bridge and every port on it. */
    public synchronized void deleteBridge(final String name)
    {
        ensureOpen();
        final Bridge bridge = topology.bridge(name);
        routers.bridgeDeleted(bridge);
        injectionPorts[bridge.id] = null;   // removed with the bridge's other ports
        for (final String port : List.copyOf(bridge.ports))
        {
            forgetKept(topology.port(port));
            removePort(topology.port(port));
        }
        topology.removeBridge(bridge);
        overlay.bridgeDeleted(bridge);
        fdb.removeBridge(bridge.id);
        policy.removeBridge(bridge.id);
        features.clear(bridge.id);
        generations.bump(bridge.id);
        conductor.aging(bridge.id, 0);
    }

    public synchronized List<BridgeInfo> bridges()
    {
        return topology.bridges().stream().map(this::info).toList();
    }

    private BridgeInfo info(final Bridge bridge)
    {
        return new BridgeInfo(bridge.name, bridge.agingSeconds, List.copyOf(bridge.ports), fdb.size(bridge.id),
            null == bridge.vxlan ? null : new VxlanInfo(bridge.vxlan.vni(), bridge.vxlan.local(), bridge.vxlan.port(),
                bridge.vxlan.ttl(), bridge.vxlan.mtu(), bridge.vxlan.learnAnyPeer(), bridge.vxlan.portName(),
                VxlanPorts.peers(bridge.vxlanPort.vtep)));
    }

    // ---- VXLAN peers ----

    /** Adds a peer to a VXLAN bridge (or makes a learned one configured); idempotent. */
    public synchronized List<VxlanPeer> addVxlanPeer(final String bridgeName, final String address)
    {
        ensureOpen();
        final PortRecord port = vxlanPort(bridgeName);
        addPeer(bridgeName, port, address);
        return VxlanPorts.peers(port.vtep);
    }

    private void addPeer(final String bridgeName, final PortRecord port, final String address)
    {
        final int peer = VxlanPorts.ipv4Address(address, "VXLAN peer");
        VireoException.checked(() ->
        {
            Vtep.checkPeerAddress(peer, port.vtep.localAddress());
            return peer;
        });
        if (Vtep.NO_PEER == forwarding.changePort(port.pollingThread(), () -> port.vtep.addPeer(peer)))
        {
            throw VireoException.conflict("bridge " + bridgeName + " has " + Vtep.MAX_PEERS + " VXLAN peers, the limit");
        }
    }

    /**
     * Removes a peer from a VXLAN bridge, and the MACs behind it: learned ones, remote MACs added for it
     * ({@link #addRemoteMac}) and the addresses answered for those ({@link #addNeighbourAnswer}).
     */
    public synchronized void deleteVxlanPeer(final String bridgeName, final String address)
    {
        ensureOpen();
        final PortRecord port = vxlanPort(bridgeName);
        final int peer = VxlanPorts.ipv4Address(address, "VXLAN peer");
        final int index = forwarding.changePort(port.pollingThread(), () -> port.vtep.removePeer(peer));
        if (index == Vtep.NO_PEER)
        {
            throw VireoException.notFound("bridge " + bridgeName + " has no VXLAN peer " + address);
        }
        fdb.removeDestination(Destination.of(port.id, index));
        overlay.peerRemoved(port.bridge, Destination.of(port.id, index));
        generations.bump(port.bridge.id);
    }

    public synchronized List<VxlanPeer> vxlanPeers(final String bridgeName)
    {
        return VxlanPorts.peers(vxlanPort(bridgeName).vtep);
    }

    // ---- an overlay's endpoints: remote MACs, ARP/ND suppression, local endpoints ----

    /** Whether the switch has a bridge of this name. */
    public synchronized boolean hasBridge(final String name)
    {
        return topology.hasBridge(name);
    }

    /** A bridge's VXLAN endpoint, or null if it has none; cheaper than {@link #bridges()}, which counts FDB entries. */
    public synchronized VxlanInfo vxlan(final String bridgeName)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        return null == bridge.vxlan ? null : new VxlanInfo(bridge.vxlan.vni(), bridge.vxlan.local(), bridge.vxlan.port(),
            bridge.vxlan.ttl(), bridge.vxlan.mtu(), bridge.vxlan.learnAnyPeer(), bridge.vxlan.portName(),
            VxlanPorts.peers(bridge.vxlanPort.vtep));
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
        final PortRecord port = vxlanPort(bridgeName);
        final long address = unicastMac(mac);
        final String peerText = IpPrefix.formatIpv4(VxlanPorts.ipv4Address(peer, "VXLAN peer"));
        final Vtep.Peer found = port.peer(peerText);
        if (null == found)
        {
            throw VireoException.notFound("bridge " + bridgeName + " has no VXLAN peer " + peerText);
        }
        overlay.addRemoteMac(port.bridge, address, Destination.of(port.id, found.index()), found.address());
    }

    /**
     * Removes the static entry {@link #addRemoteMac} gave {@code mac}; idempotent.
     *
     * @return false if the bridge had none.
     */
    public synchronized boolean deleteRemoteMac(final String bridgeName, final String mac)
    {
        ensureOpen();
        return overlay.removeRemoteMac(topology.bridge(bridgeName), unicastMac(mac));
    }

    /** The remote MACs of a bridge, each with its peer. */
    public synchronized List<RemoteMac> remoteMacs(final String bridgeName)
    {
        return overlay.remoteMacs(topology.bridge(bridgeName));
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
        final Bridge bridge = topology.bridge(bridgeName);
        overlay.addAnswer(bridge, OverlayEntries.address(address), unicastMac(mac));
    }

    /**
     * Stops answering for an address on a bridge; idempotent.
     *
     * @return false if the switch did not answer for it.
     */
    public synchronized boolean deleteNeighbourAnswer(final String bridgeName, final String address)
    {
        ensureOpen();
        return overlay.removeAnswer(topology.bridge(bridgeName), OverlayEntries.address(address));
    }

    /**
     * Makes {@code addresses} exactly the ones the switch answers for with {@code mac} on a bridge: the new ones
     * are added (taken from another MAC if another had them), those {@code mac} had and no longer has removed.
     * Everything is checked first.
     */
    public synchronized void setNeighbourAnswers(final String bridgeName, final String mac, final List<String> addresses)
    {
        ensureOpen();
        final Bridge bridge = topology.bridge(bridgeName);
        final long address = unicastMac(mac);
        final List<IpPrefix> parsed = addresses.stream().map(OverlayEntries::address).distinct().toList();
        overlay.answers(bridge, address, parsed);
    }

    /** The addresses a bridge answers for, each with its MAC. */
    public synchronized List<NeighbourAnswer> neighbourAnswers(final String bridgeName)
    {
        return overlay.answers(topology.bridge(bridgeName));
    }

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
        return endpointWatchers.add(bridges, listener, List.copyOf(topology.ports()), this);
    }

    /** A bridge's ports with a MAC, as the endpoints watchers hear of ({@link #watchEndpoints}). */
    public synchronized List<Endpoint> endpoints(final String bridgeName)
    {
        ensureOpen();
        final List<Endpoint> endpoints = new ArrayList<>();
        for (final String port : topology.bridge(bridgeName).ports)
        {
            final Endpoint endpoint = EndpointWatchers.endpointOf(topology.port(port));
            if (null != endpoint)
            {
                endpoints.add(endpoint);
            }
        }
        return endpoints;
    }

    /**
     * Tells every endpoint listener that wants the bridge of its ports with a MAC again, as attached: for a
     * bridge a listener started wanting after its ports joined.
     */
    public synchronized void announceEndpoints(final String bridgeName)
    {
        ensureOpen();
        final Bridge bridge = topology.bridge(bridgeName);
        for (final String port : bridge.ports)
        {
            endpointWatchers.attached(topology.port(port));
        }
    }

    // What ClusterSwitch calls: one call (one lock, one bridge lookup) per change, its input parsed already.

    /**
     * Makes a configured peer of {@code peer} on a VXLAN bridge, as {@link #addVxlanPeer} does, without asking the
     * forwarding thread when it is one already and without listing the peers after.
     *
     * @param peer the address as {@link IpPrefix#formatIpv4} writes it.
     */
    synchronized void ensureVxlanPeer(final String bridgeName, final String peer)
    {
        ensureOpen();
        final PortRecord port = vxlanPort(bridgeName);
        final Vtep.Peer existing = port.peer(peer);
        if (null == existing || existing.learned())
        {
            addPeer(bridgeName, port, peer);
        }
    }

    /**
     * An overlay endpoint, as {@link #addRemoteMac} (or {@link #deleteRemoteMac} for a local one) and then
     * {@link #setNeighbourAnswers} would set it, in one call; a peer the bridge lacks is added first.
     *
     * @param mac       a unicast, non-zero MAC.
     * @param peer      the VXLAN peer the MAC is behind, as {@link IpPrefix#formatIpv4} writes it; null for an
     *                  endpoint of this node (its MAC is learned from its port: only the answers).
     * @param addresses the addresses to answer for with {@code mac}, distinct.
     */
    synchronized void setOverlayEndpoint(final String bridgeName, final long mac, final String peer, final List<IpPrefix> addresses)
    {
        ensureOpen();
        final Bridge bridge = topology.bridge(bridgeName);
        if (null == peer)
        {
            overlay.removeRemoteMac(bridge, mac);
        }
        else
        {
            final PortRecord port = vxlanPort(bridgeName);
            if (null == port.peer(peer))
            {
                addPeer(bridgeName, port, peer);
            }
            // the peer's own text, which every MAC behind it shares, rather than one string per MAC
            final Vtep.Peer found = port.peer(peer);
            overlay.addRemoteMac(bridge, mac, Destination.of(port.id, found.index()), found.address());
        }
        overlay.answers(bridge, mac, addresses);
    }

    /** Removes an overlay endpoint's remote MAC and answers, if the bridge exists; idempotent. */
    synchronized void removeOverlayEndpoint(final String bridgeName, final String mac)
    {
        ensureOpen();
        if (topology.hasBridge(bridgeName))
        {
            final Bridge bridge = topology.bridge(bridgeName);
            final long address = unicastMac(mac);
            overlay.removeRemoteMac(bridge, address);
            overlay.answers(bridge, address, List.of());
        }
    }

    /** A MAC an endpoint may have, parsed. */
    static long unicastMac(final String text)
    {
        final long mac = VireoException.checked(() -> MacAddress.parse(null == text ? "" : text));
        if (MacAddress.isMulticast(mac) || MacAddress.isZero(mac))
        {
            throw VireoException.invalid("invalid MAC " + text + ": an endpoint has a unicast, non-zero address");
        }
        return mac;
    }

    private PortRecord vxlanPort(final String bridgeName)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        if (null == bridge.vxlanPort)
        {
            throw VireoException.invalid("bridge " + bridgeName + " has no VXLAN endpoint");
        }
        return bridge.vxlanPort;
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
        checkOwner(owner);
        final Bridge bridge = topology.bridge(bridgeName);
        checkNewPortName(spec.name());
        final Integer overlayMtu = null == bridge.vxlan ? null : Integer.valueOf(bridge.vxlan.mtu());
        final int[] kept = adoptable.remove(spec.name());
        final PortRecord record = null != kept ?
            TapPorts.adopt(topology, countersManager, bridge, spec, kept, owner,
                label -> earlierCounters.getOrDefault(label, 0L)) :
            TapPorts.open(topology, countersManager, bridge, spec, context.tapOffloads(), overlayMtu, owner);
        if (null != keeper)
        {
            try
            {
                keeper.keep(spec.name(), queueDescriptors(record));
            }
            catch (final RuntimeException ex)
            {
                removePort(record);
                throw ex;
            }
        }
        endpointWatchers.attached(record);
        return info(record);
    }

    /** A TAP port's descriptors, one per queue. */
    private static int[] queueDescriptors(final PortRecord record)
    {
        return Arrays.stream(record.entries).map(PortEntry::port).distinct().mapToInt(Port::pollFd).toArray();
    }

    /**
     * Names of TAP ports of an earlier run whose devices the port keeper still holds, and of ports a switch
     * handed over ({@link #takePorts}), that no port has claimed (by adding a TAP port, or a VXLAN bridge, of
     * that name) since this switch started.
     */
    public synchronized List<String> unclaimedPorts()
    {
        final List<String> names = new ArrayList<>(adoptable.keySet());
        names.addAll(handedVxlan.keySet());
        names.addAll(handedVhost);
        return names;
    }

    /** Lets the TAPs of unclaimed ports go: the keeper drops them and the kernel removes them. */
    public synchronized void releaseUnclaimedPorts()
    {
        for (final Map.Entry<String, int[]> port : adoptable.entrySet())
        {
            Arrays.stream(port.getValue()).forEach(UnixSocket::closeDescriptor);
            if (null != keeper)
            {
                keeper.drop(port.getKey());
            }
        }
        adoptable.clear();
        closeHandedVxlan();
        handedVhost.clear();
    }

    private void closeHandedVxlan()
    {
        handedVxlan.values().forEach(port -> Arrays.stream(port.fds()).forEach(UnixSocket::closeDescriptor));
        handedVxlan.clear();
    }

    // ---- handing the switch over to another process (vireod --takeover) ----

    /**
     * The first step of handing this switch over to another process: every port's descriptors, which stay this
     * switch's too (it goes on forwarding). From now on every change is refused, until
     * {@link #resumeAfterFailedHandover} or {@link #close}, so the switch the other process builds from the state
     * saved so far is this one.
     *
     * @throws VireoException (invalid) naming a port whose type cannot be handed over (only TAP and VXLAN ports, and
     *                        the routers' own, which the other switch makes itself, can).
     */
    public synchronized List<HandedPort> handOverPorts()
    {
        ensureOpen();
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
            else if (port != injectionPorts[record.bridge.id])
            {
                throw VireoException.invalid("port " + record.name() + " (" + port.type() + ") cannot be handed over to " +
                    "another switch: only TAP, VXLAN and vhost-user ports can");
            }
        }
        handingOver = true;
        VhostUserPorts.expectHandOver(topology);
        return handed;
    }

    /**
     * A step of a handover ({@link #handOverPorts}): every port stops forwarding; frames wait in their queues.
     *
     * @return the vhost-user ports' state and descriptors (still this switch's), their rings stopped too.
     */
    public synchronized List<HandedPort> stopForwarding()
    {
        if (!handingOver || closed)
        {
            throw new IllegalStateException("the switch is not being handed over");
        }
        VhostUserPorts.suspend(topology);
        topology.polling(false);
        stopped = true;
        return VhostUserPorts.handOver(topology);
    }

    /** The handover failed: the ports forward again if they had stopped, and changes are taken again. */
    public synchronized void resumeAfterFailedHandover()
    {
        if (!closed)
        {
            VhostUserPorts.resume(topology);
        }
        if (stopped && !closed)
        {
            topology.polling(true);
        }
        stopped = false;
        handingOver = false;
    }

    /**
     * The handover is done: closing the switch leaves the counters file, which the new switch replaced, and the
     * vhost-user ports' socket files alone.
     */
    public synchronized void handedOver()
    {
        handedOver = true;
        VhostUserPorts.letGo(topology);
        for (final PortRecord record : topology.ports())
        {
            if (null != record.vtep)
            {
                record.vtep.handedOver();   // its socket's group is the new switch's to rebuild: closing leaves it alone
            }
        }
    }

    /**
     * Renames the counters file to {@code target}, replacing what is there in one step: a switch taking another's
     * place counts into a file of its own until it forwards.
     */
    public synchronized void moveCountersFile(final Path target)
    {
        if (null == countersFile)
        {
            throw new IllegalStateException("the switch has no counters file");
        }
        countersFile.moveTo(target);
    }

    /** Every bridge's learned (dynamic) forwarding entries, by bridge name: what a switch taking over learns first. */
    public synchronized Map<String, List<FdbEntry>> learnedEntries()
    {
        final Map<String, List<FdbEntry>> learned = new LinkedHashMap<>();
        for (final Bridge bridge : topology.bridges())
        {
            learned.put(bridge.name, fdb(bridge.name).stream().filter(entry -> !entry.isStatic()).toList());
        }
        return learned;
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
            else
            {
                final int[] kept = adoptable.put(port.name(), port.fds());
                if (null != kept)
                {
                    Arrays.stream(kept).forEach(UnixSocket::closeDescriptor);
                }
            }
        }
    }

    /**
     * The last step of taking a switch's place, once it stopped forwarding: every port's counters go on from
     * {@code earlierCounters} (by label), the MACs it had learned ({@link #learnedEntries}) are learned here with
     * their age, the vhost-user ports go on from the state it handed over ({@link #stopForwarding}), and every port
     * starts forwarding.
     *
     * @return the entries not learned: their port or VXLAN peer is not on this switch, or the table is full.
     */
    public synchronized int startForwarding(final Map<String, List<FdbEntry>> learned, final List<HandedPort> vhostPorts,
        final Map<String, Long> earlierCounters)
    {
        ensureOpen();
        VhostUserPorts.resume(topology, vhostPorts);
        for (final PortRecord record : topology.ports())
        {
            record.entries[0].counters().carryOver(label -> earlierCounters.getOrDefault(label, 0L));
        }
        final long now = context.epochClock().time();
        int skipped = 0;
        for (final Map.Entry<String, List<FdbEntry>> bridgeEntries : learned.entrySet())
        {
            if (!topology.hasBridge(bridgeEntries.getKey()))
            {
                skipped += bridgeEntries.getValue().size();
                continue;
            }
            final Bridge bridge = topology.bridge(bridgeEntries.getKey());
            for (final FdbEntry entry : bridgeEntries.getValue())
            {
                final int destination = destinationOf(entry);
                final int outcome = destination < 0 ? ForwardingTable.INVALID : fdb.learn(bridge.id, entry.vlan(),
                    MacAddress.parse(entry.mac()), destination, now - entry.ageSeconds() * 1000);
                skipped += outcome == ForwardingTable.LEARNED || outcome == ForwardingTable.REFRESHED ||
                    outcome == ForwardingTable.MOVED ? 0 : 1;
            }
            generations.bump(bridge.id);
        }
        topology.polling(true);
        return skipped;
    }

    /** Where a learned entry of another switch is on this one, by port name and peer address; -1 if nowhere. */
    private int destinationOf(final FdbEntry entry)
    {
        if (!topology.hasPort(entry.port()))
        {
            return -1;
        }
        final PortRecord port = topology.port(entry.port());
        if (null == entry.remote())
        {
            return Destination.of(port.id, Vtep.NO_PEER);
        }
        final Vtep.Peer peer = null == port.vtep ? null : port.peer(entry.remote());
        return null == peer ? -1 : Destination.of(port.id, peer.index());
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
        checkOwner(owner);
        final Bridge bridge = topology.bridge(bridgeName);
        checkNewPortName(name);
        return info(VhostUserPorts.open(topology, countersManager, bridge, name, socket, client, owner, handedVhost.remove(name)));
    }

    /**
     * Attaches an existing host interface (a NIC, a veth) to a bridge through an AF_PACKET socket; the port
     * has the interface's name. Deleting the port detaches the interface and leaves it as it was.
     */
    public synchronized PortInfo addAfPacketPort(final String bridgeName, final String ifname)
    {
        ensureOpen();
        final Bridge bridge = topology.bridge(bridgeName);
        checkNewPortName(ifname);
        return info(AfPacketPorts.open(topology, countersManager, bridge, ifname));
    }

    /** Adds a port the caller opened (a {@link io.vireo.dataplane.port.LoopbackPort}, say); the switch closes it on delete. */
    public synchronized PortInfo addPort(final String bridgeName, final Port port)
    {
        ensureOpen();
        final Bridge bridge = topology.bridge(bridgeName);
        checkNewPortName(port.name());
        return info(topology.add(bridge, List.of(port), PortDetails.NONE, new PortCounters(countersManager, port.name()), null));
    }

    /**
     * Moves the polling of a port with one queue (vhost-user, a bridge's VXLAN endpoint, a TAP when there is
     * one thread) to forwarding thread {@code thread}; every thread goes on writing it. The old thread stops
     * first and the new one starts after, so no frame is lost (they wait in the port's queue meanwhile) and
     * no two threads ever receive from it at once. The placement is kept in the port's {@link PortInfo#thread}.
     */
    /**
     * Sets a port's rate limits: {@code ingress} polices what it sends into the switch, {@code egress} what the
     * switch sends it; null leaves a direction as it is, rate 0 removes its limit. Applies to the next
     * frame; both or neither change.
     *
     * @throws VireoException (invalid) for a rate or burst out of range.
     */
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
        final boolean readdressed = !java.util.Objects.equals(ip, record.details.ip());
        record.details = record.details.locatedAt(netns, ip);
        if (readdressed)
        {
            endpointWatchers.attached(record);
        }
        return info(record);
    }

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
        final PortRecord record = topology.port(name);
        check(ingress, "ingress");
        check(egress, "egress");
        if (null != thread)
        {
            movePort(name, thread);
        }
        apply(record.entries[0].ingressLimit(), ingress);
        apply(record.entries[0].egressLimit(), egress);
        return info(record);
    }

    private static void check(final RateLimit limit, final String direction)
    {
        if (null == limit)
        {
            return;
        }
        if (null == limit.rate())
        {
            throw VireoException.invalid(direction + " rate limit: give rate in bits per second (0 removes the limit)");
        }
        try
        {
            TokenBucket.check(limit.rate(), 0 == limit.rate() ? 0 : limit.burstOrDefault());
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.invalid(direction + " rate limit: " + ex.getMessage());
        }
    }

    private static void apply(final TokenBucket bucket, final RateLimit limit)
    {
        if (null != limit)
        {
            bucket.set(limit.rate(), 0 == limit.rate() ? 0 : limit.burstOrDefault());
        }
    }

    public synchronized PortInfo movePort(final String name, final int thread)
    {
        ensureOpen();
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
    public synchronized List<ThreadInfo> threads()
    {
        return forwarding.perThread(index -> threads.info(index, topology.ports().stream()
            .filter(record -> PortRecord.QUEUE_PER_THREAD == record.thread || index == record.thread)
            .map(PortRecord::name)
            .sorted()
            .toList()));
    }

    /** Removes a port: stops forwarding on it, flushes its FDB entries, removes the interfaces it created. */
    public synchronized void deletePort(final String name)
    {
        ensureOpen();
        final PortRecord record = topology.port(name);
        if (record == record.bridge.vxlanPort)
        {
            throw VireoException.invalid("port " + name + " is the VXLAN endpoint of bridge " + record.bridge.name +
                ": it goes with the bridge");
        }
        if (record.port() == injectionPorts[record.bridge.id])
        {
            throw VireoException.invalid("port " + name + " carries what the router on bridge " + record.bridge.name +
                " sends of its own (health probes, DNS answers): it goes when the router needs it no more");
        }
        forgetKept(record);
        removePort(record);
    }

    /** A port being deleted: the keeper's copies of its descriptors go first, so the TAP goes with it. */
    private void forgetKept(final PortRecord record)
    {
        if (null != keeper && record.port() instanceof TapPort)
        {
            keeper.drop(record.name());
        }
    }

    /** A TAP port whose namespace went (its descriptors held it): the port goes too, the keeper's copies first. */
    private void namespaceGone(final PortRecord record)
    {
        System.err.println("vireo: port " + record.name() + " deleted: its namespace " + record.details.netns() + " is gone");
        forgetKept(record);
        removePort(record);
    }

    private void removePort(final PortRecord record)
    {
        endpointWatchers.detached(record);
        captures.portRemoved(record);
        topology.remove(record);
        fdb.removeDestination(record.id);
        generations.bump(record.bridge.id);
    }

    public synchronized List<PortInfo> ports()
    {
        return topology.ports().stream().map(this::info).toList();
    }

    public synchronized PortInfo port(final String name)
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
            stats(record.entries[0].counters()), details.owner(), record.placedThread,
            limitOf(record.entries[0].ingressLimit()), limitOf(record.entries[0].egressLimit()));
    }

    private static RateLimit limitOf(final TokenBucket bucket)
    {
        return bucket.limited() ? new RateLimit(bucket.rate(), bucket.burst()) : null;
    }

    private static PortStats stats(final PortCounters counters)
    {
        final Map<String, Long> drops = new LinkedHashMap<>();
        for (final DropReason reason : DropReason.values())
        {
            drops.put(reason.metricName(), counters.drops(reason));
        }
        return new PortStats(counters.rxPackets(), counters.rxBytes(), counters.txPackets(), counters.txBytes(), drops,
            counters.suppressed());
    }

    private void checkNewPortName(final String name)
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

    // ---- endpoint policy ----

    /** Adds a rule to a bridge's policy; it applies to existing flows at once. Returns it with its id. */
    public synchronized PolicySpec addPolicy(final String bridgeName, final PolicySpec spec)
    {
        ensureOpen();
        final Bridge bridge = topology.bridge(bridgeName);
        final int id = changePolicy(bridge, () -> policy.add(bridge.id, PolicyRules.toRule(spec)));
        return policies(bridgeName).stream().filter(rule -> rule.id() == id).findFirst().orElseThrow();
    }

    public synchronized void deletePolicy(final String bridgeName, final int ruleId)
    {
        ensureOpen();
        final Bridge bridge = topology.bridge(bridgeName);
        if (!changePolicy(bridge, () -> policy.remove(bridge.id, ruleId)))
        {
            throw VireoException.notFound("bridge " + bridgeName + " has no policy rule " + ruleId);
        }
    }

    /** A bridge's rules in evaluation order (highest priority first). */
    public synchronized List<PolicySpec> policies(final String bridgeName)
    {
        return policy.list(topology.bridge(bridgeName).id).stream().map(PolicyRules::toSpec).toList();
    }

    /** What a bridge does with frames no rule matches: allow (the default) or deny. */
    public synchronized void defaultPolicy(final String bridgeName, final String action)
    {
        ensureOpen();
        final Bridge bridge = topology.bridge(bridgeName);
        final int value = VireoException.checked(() -> PolicyRules.action(action));
        changePolicy(bridge, () ->
        {
            policy.defaultAction(bridge.id, value);
            return null;
        });
    }

    public synchronized String defaultPolicy(final String bridgeName)
    {
        return PolicyRules.actionName(policy.defaultAction(topology.bridge(bridgeName).id));
    }

    /**
     * Changes a bridge's policy with its policy stage on: switched on before the change, so no frame
     * passes a rule being added, and off after it if the bridge has no policy left.
     */
    private <T> T changePolicy(final Bridge bridge, final java.util.function.Supplier<T> change)
    {
        features.set(bridge.id, Features.POLICY, true);
        try
        {
            return VireoException.checked(change);
        }
        finally
        {
            features.set(bridge.id, Features.POLICY, policy.isActive(bridge.id));
        }
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
        return captures.start(topology.port(portName), file, limit);
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
        final PortRecord port = captures.portOf(id);
        return captures.stop(id, null != port && topology.portById(port.id) == port);
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

    // ---- forwarding table ----

    /** The bridge's forwarding table, read while the forwarding threads keep learning. */
    public synchronized List<FdbEntry> fdb(final String bridgeName)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        final long now = context.epochClock().time();
        final List<FdbEntry> entries = new ArrayList<>();
        final Map<Integer, String> peers = new HashMap<>();
        if (null != bridge.vxlanPort)
        {
            bridge.vxlanPort.vtep.peers().forEach(peer -> peers.put(peer.index(), peer.address()));
        }
        fdb.forEach(bridge.id, (vlan, mac, destination, lastSeenMs, isStatic) ->
        {
            final PortRecord port = topology.portById(Destination.port(destination));
            final int peerIndex = Destination.peer(destination);
            final String peer = peerIndex < 0 ? null : peers.get(peerIndex);
            if (null != port && (peerIndex < 0 || null != peer))
            {
                final long age = isStatic ? 0 : Math.max(0, now - lastSeenMs) / 1000;
                entries.add(new FdbEntry(MacAddress.format(mac), vlan, port.name(), peer, age, isStatic));
            }
        });
        return entries;
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
        syncInjectionPorts();
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
        final RouterInfo attached = routers.attach(router, topology.bridge(bridgeName), addresses, mac, mtu);
        syncInjectionPorts();
        return attached;
    }

    /** Takes a router's interface off a bridge, with the routes through it. */
    public synchronized RouterInfo detachRouter(final String router, final String bridgeName)
    {
        ensureOpen();
        final RouterInfo detached = routers.detach(router, bridgeName);
        syncInjectionPorts();
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

    /**
     * Adds a load-balanced service to a router: new connections to its virtual address and port go to one
     * of its backends, picked by its algorithm, and stay there.
     */
    public synchronized ServiceInfo addService(final String router, final ServiceSpec spec)
    {
        ensureOpen();
        final ServiceInfo added = routers.addService(router, spec);
        syncInjectionPorts();
        return added;
    }

    /** Deletes a service; its connections end. */
    public synchronized void deleteService(final String router, final String service)
    {
        ensureOpen();
        routers.deleteService(router, service);
        syncInjectionPorts();
    }

    /**
     * Gives every bridge where a router probes its services' backends or has a DNS upstream an injection port
     * (type {@code router}, named {@code vrouter<bridge id>}), and takes it from bridges where none does any more.
     */
    private void syncInjectionPorts()
    {
        final boolean[] wanted = new boolean[injectionPorts.length];
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
            final LoopbackPort existing = injectionPorts[bridge.id];
            if (wanted[bridge.id] && null == existing)
            {
                final LoopbackPort port = LoopbackPort.forInjection("vrouter" + bridge.id, "router", INJECTION_RING_BYTES);
                checkNewPortName(port.name());
                topology.add(bridge, List.of(port), PortDetails.NONE, new PortCounters(countersManager, port.name()), null);
                injectionPorts[bridge.id] = port;
            }
            else if (!wanted[bridge.id] && null != existing)
            {
                injectionPorts[bridge.id] = null;
                removePort(topology.port(existing.name()));
            }
        }
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

    /**
     * The registry's live instances of a service are now these ({@code IP:PORT} each, an IPv6 one as
     * {@code [IP]:PORT}): the routers' DNS names (A and AAAA) follow, and so do the services that take
     * backends from the registry (IPv4 instances only: services are IPv4).
     */
    public synchronized void registryChanged(final String service, final List<String> instances)
    {
        ensureOpen();
        final List<Long> ipv4 = new ArrayList<>();
        final List<Routers.Ipv6Instance> ipv6 = new ArrayList<>();
        for (final String instance : instances)
        {
            if (instance.startsWith("["))
            {
                final int close = instance.indexOf("]:");
                final IpPrefix address = Routers.parsePrefix(instance.substring(1, close));
                ipv6.add(new Routers.Ipv6Instance(address.high(), address.low(), Integer.parseInt(instance.substring(close + 2))));
            }
            else
            {
                ipv4.add(Service.endpoint(instance, "instance"));
            }
        }
        put(registryInstances, service, ipv4);
        put(registryIpv6Instances, service, ipv6);
        routers.registryChanged(registryInstances, registryIpv6Instances);
        syncInjectionPorts();
    }

    private static <T> void put(final Map<String, List<T>> map, final String key, final List<T> values)
    {
        if (values.isEmpty())
        {
            map.remove(key);
        }
        else
        {
            map.put(key, List.copyOf(values));
        }
    }

    /** Sets a router's DNS server: each field given replaces what it has. */
    public synchronized DnsSpec setDns(final String router, final DnsSpec spec)
    {
        ensureOpen();
        final DnsSpec set = routers.setDns(router, spec);
        final Map<Integer, InetSocketAddress> upstreams = routers.upstreams();
        if (null == dnsUpstream && !upstreams.isEmpty())
        {
            dnsUpstream = new DnsUpstream(routerDirectory, bridgeId -> injectionPorts[bridgeId]);
        }
        if (null != dnsUpstream)
        {
            dnsUpstream.upstreams(upstreams);
        }
        syncInjectionPorts();
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
        final Map<String, Long> counts = new LinkedHashMap<>();
        for (int outcome = 0; outcome < DnsResponder.OUTCOMES; outcome++)
        {
            counts.put(DnsStats.name(outcome), routerDirectory.dnsStats().count(outcome));
        }
        final Map<String, Long> upstream = null == dnsUpstream ? Map.of() : dnsUpstream.counts();
        for (final String name : List.of("sent", "answered", "unanswered"))
        {
            counts.put("upstream_" + name, upstream.getOrDefault(name, 0L));
        }
        return counts;
    }

    /** Times a service's backend went out of selection or came back, since the switch started. */
    public synchronized long backendTransitions()
    {
        return prober.transitions();
    }

    /** A router's services as a config file writes them: static backends only. */
    public synchronized List<ServiceSpec> serviceSpecs(final String router)
    {
        return routers.serviceSpecs(router);
    }

    /** A router's tracked connections (those its NAT rules made). */
    public synchronized List<ConnectionInfo> connections(final String router)
    {
        final int zone = routers.zone(router);
        final long now = context.epochClock().time();
        final List<ConnectionInfo> list = new ArrayList<>();
        connections.forEach((connectionZone, protocol, originalSource, originalDestination, originalSourcePort,
            originalDestinationPort, replySource, replyDestination, replySourcePort, replyDestinationPort, state, expiresAtMs) ->
        {
            if (connectionZone == zone)
            {
                list.add(new ConnectionInfo(protocolName(protocol),
                    endpoints(originalSource, originalSourcePort, originalDestination, originalDestinationPort),
                    endpoints(replySource, replySourcePort, replyDestination, replyDestinationPort),
                    ConnectionTable.stateName(state), Math.max(0, (expiresAtMs - now) / 1000)));
            }
        });
        return list;
    }

    /** Every router's tracked connections counted by state, for the metrics: router name to state name to count. */
    public synchronized Map<String, Map<String, Long>> connectionCounts()
    {
        final Map<String, Map<String, Long>> counts = new LinkedHashMap<>();
        final Map<Integer, String> names = new HashMap<>();
        for (final RouterInfo router : routers.list())
        {
            names.put(routers.zone(router.name()), router.name());
            counts.put(router.name(), new LinkedHashMap<>());
        }
        connections.forEach((zone, protocol, originalSource, originalDestination, originalSourcePort, originalDestinationPort,
            replySource, replyDestination, replySourcePort, replyDestinationPort, state, expiresAtMs) ->
        {
            final String router = names.get(zone);
            if (null != router)
            {
                counts.get(router).merge(ConnectionTable.stateName(state), 1L, Long::sum);
            }
        });
        return counts;
    }

    /** New connections the routers' NAT refused because the connection table was full. */
    public long connectionsRefused()
    {
        return connections.fullCount();
    }

    /** Forgets a router's tracked connections; their next packets start new ones (or are refused). */
    public synchronized int flushConnections(final String router)
    {
        ensureOpen();
        return connections.flush(routers.zone(router));
    }

    private static String protocolName(final int protocol)
    {
        return switch (protocol)
        {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            default -> Integer.toString(protocol);
        };
    }

    private static String endpoints(final int source, final int sourcePort, final int destination, final int destinationPort)
    {
        return IpPrefix.formatIpv4(source) + ":" + sourcePort + " -> " + IpPrefix.formatIpv4(destination) + ":" + destinationPort;
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
            if (null != dnsUpstream)
            {
                dnsUpstream.close();   // before the ports it injects into go
            }
            for (final int capture : captures.ids())
            {
                try
                {
                    stopCapture(capture);
                }
                catch (final VireoException ex)
                {
                    System.err.println("vireo: " + ex.getMessage());
                }
            }
            for (final PortRecord port : List.copyOf(topology.ports()))
            {
                removePort(port);
            }
            closed = true;
            conductor.close();
        }
        // Outside the lock: the conductor takes it on every tick and must be able to finish one.
        threads.close();
        adoptable.values().forEach(fds -> Arrays.stream(fds).forEach(UnixSocket::closeDescriptor));
        closeHandedVxlan();
        if (null != keeper)
        {
            keeper.close();
        }
        tableCounters.close();
        fdb.close();
        routers.close();
        neighbours.close();
        connections.close();
        suppression.close();
        if (null != countersFile)
        {
            countersFile.close(null != keeper || handedOver);
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new VireoException(VireoException.Kind.FAILED, "the switch is closed");
        }
        if (handingOver)
        {
            throw VireoException.conflict("the switch is being handed over to another vireod (--takeover): " +
                "no change until it is done");
        }
    }
}
