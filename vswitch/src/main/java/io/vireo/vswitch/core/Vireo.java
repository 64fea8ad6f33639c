package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.CpuAffinity;
import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.offload.Offloads;
import io.vireo.dataplane.port.InterfaceNames;
import io.vireo.dataplane.port.Port;
import io.vireo.dataplane.port.TapPort;
import io.vireo.dataplane.vhost.VhostUserPort;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.tunnel.vxlan.Vtep;
import io.vireo.vswitch.link.Cidr;
import io.vireo.vswitch.link.LinkException;
import io.vireo.vswitch.link.Links;
import org.HdrHistogram.Histogram;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.status.CountersManager;

/**
 * The switch as a library: bridges, ports, a forwarding agent and a conductor. {@code vireod} is a
 * thin daemon around it; an edge appliance embeds it the same way:
 * <pre>{@code
 * try (Vireo vireo = Vireo.launch(new VireoContext()))
 * {
 *     vireo.addBridge("br0", null);
 *     vireo.addTapPort("br0", new TapPortSpec("tapA", "ns1", "10.0.0.1/24", null, null));
 * }
 * }</pre>
 * Control methods are synchronized and may be called from any thread (in {@link ThreadingMode#INVOKER}
 * mode, only from the invoking thread). Changes reach the forwarding agent as commands it runs between
 * bursts; a method returns once the agent has applied its change.
 */
public final class Vireo implements AutoCloseable
{
    private static final Pattern BRIDGE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9_.-]{1,32}");
    private static final long COMMAND_TIMEOUT_MS = 5_000;
    /** {@link PortRecord#thread} of a port with a queue per thread: every thread polls its own. */
    private static final int QUEUE_PER_THREAD = -1;
    private static final long CONDUCTOR_TICK_MS = 100;
    private static final long MAX_SWEEP_MS = 10_000;
    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65_535;
    /** The usual 1500-byte underlay less the VXLAN overhead. */
    private static final int DEFAULT_OVERLAY_MTU = 1_500 - Vtep.OVERHEAD;

    private final VireoContext context;
    private final ForwardingTable fdb;
    private final Generations generations = new Generations();
    private final PolicyTable policy = new PolicyTable(generations);
    private final CountersFile countersFile;
    private final CountersManager countersManager;
    private final ForwardingAgent[] forwarders;
    private final TableCounters tableCounters;
    private final AgentRunner[] forwardingRunners;
    private final AgentRunner conductorRunner;
    private final AgentInvoker invoker;

    private final Map<String, Bridge> bridges = new LinkedHashMap<>();
    private final Map<Integer, CaptureRecord> captures = new LinkedHashMap<>();
    private int nextCaptureId = 1;
    private final Map<String, PortRecord> ports = new LinkedHashMap<>();
    private final BitSet bridgeIds = new BitSet();
    private final BitSet portIds = new BitSet();
    private final long[] agingMsByBridge;
    private final String[] portNamesById;
    private final PortRecord[] portsById;
    private final Histogram burstLatency = new Histogram(TimeUnit.SECONDS.toNanos(1), 2);
    private int agingSliceSlots;
    private final ForwardingTable.AgingPolicy agingPolicy;
    private long nextTickMs;
    private boolean closed;

    private static final class Bridge
    {
        final String name;
        final int id;
        final long agingSeconds;
        final List<String> ports = new ArrayList<>();
        /** The bridge's VXLAN endpoint and its settings, or null. */
        PortRecord vxlanPort;
        VxlanInfo vxlan;

        Bridge(final String name, final int id, final long agingSeconds)
        {
            this.name = name;
            this.id = id;
            this.agingSeconds = agingSeconds;
        }
    }

    private static final class PortRecord
    {
        /**
         * The entry of the thread that polls the port (of the first thread for a multi-queue TAP); it changes
         * when the port moves to another thread.
         */
        volatile PortEntry entry;
        /** Every forwarding thread's entry, by thread. */
        final PortEntry[] entries;
        final Bridge bridge;
        final PortDetails details;
        /** The thread that polls the port, or {@link #QUEUE_PER_THREAD}. */
        int thread;
        /** The thread an operator put the port on ({@link #movePort}), or null: placed round robin. */
        Integer placedThread;
        boolean failureHandled;

        PortRecord(final int thread, final PortEntry[] entries, final Bridge bridge, final PortDetails details)
        {
            this.thread = thread;
            this.entry = entries[Math.max(thread, 0)];
            this.entries = entries;
            this.bridge = bridge;
            this.details = details;
        }

        /** The errno of the first queue that failed for good, or 0. */
        int failure()
        {
            for (final PortEntry queue : entries)
            {
                if (0 != queue.port.failure())
                {
                    return queue.port.failure();
                }
            }
            return 0;
        }

        /** Closes the port: every queue of a multi-queue TAP, the one port otherwise. */
        void close()
        {
            Arrays.stream(entries).map(queue -> queue.port).distinct().forEach(Port::close);
        }
    }

    private record CaptureRecord(PacketCapture capture, PortRecord port)
    {
    }

    /** What a port was configured with, as reported: namespace, address, MAC, MTU, offloads, socket, client (null where none). */
    private record PortDetails(
        String netns, String ip, String mac, Integer mtu, Boolean offloads, String socket, Boolean client, String owner)
    {
    }

    private Vireo(final VireoContext context)
    {
        context.validate();
        this.context = context;
        this.agingMsByBridge = new long[context.maxBridges()];
        this.portNamesById = new String[context.maxPorts()];
        this.portsById = new PortRecord[context.maxPorts()];
        this.agingPolicy = bridgeId -> agingMsByBridge[bridgeId];
        this.fdb = new ForwardingTable(context.fdbCapacity());
        this.countersFile = null == context.countersFile() ? null :
            CountersFile.create(context.countersFile(), context.maxCounters());
        this.countersManager = null == countersFile ? CountersFile.inMemory(context.maxCounters()) :
            countersFile.manager();
        final boolean dedicated = context.threadingMode() == ThreadingMode.DEDICATED;
        final int threads = context.forwardingThreads();
        final int[] cpus = context.forwardingCpus();
        if (null != cpus)
        {
            checkCpus(cpus);
        }
        this.forwarders = new ForwardingAgent[threads];
        final PortWaitSet[] waitSets = new PortWaitSet[threads];
        for (int i = 0; i < threads; i++)
        {
            waitSets[i] = dedicated && context.idleMode() == IdleMode.ADAPTIVE ? new PortWaitSet() : null;
            final String role = "vireo-forwarding-" + i;
            forwarders[i] = new ForwardingAgent(
                role,
                null == cpus ? ForwardingAgent.ANY_CPU : cpus[i],
                fdb,
                new FrameBurst(context.burstSize(), context.slotSize(), context.headroom()),
                context.maxFrameLength(),
                context.maxPorts(),
                context.maxBridges(),
                context.epochClock(),
                waitSets[i],
                new ThreadCounters(countersManager, role),
                generations,
                policy,
                context.flowCacheCapacity());
        }

        this.tableCounters = new TableCounters(countersManager);
        final Agent conductor = new Conductor();
        final ErrorHandler errorHandler = ex -> System.err.println("vireo: agent error: " + ex);
        if (dedicated)
        {
            invoker = null;
            forwardingRunners = new AgentRunner[threads];
            for (int i = 0; i < threads; i++)
            {
                forwardingRunners[i] = new AgentRunner(idleStrategy(context.idleMode(), waitSets[i]), errorHandler, null, forwarders[i]);
                AgentRunner.startOnThread(forwardingRunners[i]);
            }
            conductorRunner = new AgentRunner(
                new SleepingMillisIdleStrategy(CONDUCTOR_TICK_MS), errorHandler, null, conductor);
            AgentRunner.startOnThread(conductorRunner);
        }
        else
        {
            forwardingRunners = null;
            conductorRunner = null;
            final List<Agent> agents = new ArrayList<>(List.of(forwarders));
            agents.add(conductor);
            invoker = new AgentInvoker(errorHandler, null, new CompositeAgent(agents));
            invoker.start();
        }
    }

    /** Every CPU must be one the process may run on, else a thread would fail to pin itself at start. */
    private static void checkCpus(final int[] cpus)
    {
        final BitSet allowed = CpuAffinity.allowedCpus();
        for (final int cpu : cpus)
        {
            if (cpu < 0 || !allowed.get(cpu))
            {
                throw VireoException.invalid("CPU " + cpu + " is not one this process may run on (allowed: " +
                    CpuList.format(allowed) + ")");
            }
        }
    }

    private static IdleStrategy idleStrategy(final IdleMode mode, final PortWaitSet waitSet)
    {
        switch (mode)
        {
            case BUSY: return new BusySpinIdleStrategy();
            case BACKOFF: return new BackoffIdleStrategy(100, 10, 1_000, 1_000_000);
            default: return waitSet;
        }
    }

    /** Starts a switch with no bridges. */
    public static Vireo launch(final VireoContext context)
    {
        return new Vireo(context);
    }

    /** In {@link ThreadingMode#INVOKER} mode, runs one duty cycle of every agent; returns the work done. */
    public int invoke()
    {
        if (null == invoker)
        {
            throw new IllegalStateException("invoke() is for ThreadingMode.INVOKER");
        }
        return invoker.invoke();
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
        if (bridges.containsKey(name))
        {
            throw VireoException.conflict("bridge " + name + " already exists");
        }
        final long aging = null == agingSeconds ? context.defaultAgingSeconds() : agingSeconds;
        if (aging <= 0 || aging > 1_000_000)
        {
            throw VireoException.invalid("invalid aging time " + aging + " s: must be 1..1000000");
        }
        final VxlanInfo settings = null == vxlan ? null : vxlanSettings(name, vxlan);
        final int id = bridgeIds.nextClearBit(0);
        if (id >= context.maxBridges())
        {
            throw VireoException.conflict("too many bridges (the limit is " + context.maxBridges() + ")");
        }
        executeOnAll(agent -> agent.addBridge(id));
        bridgeIds.set(id);
        agingMsByBridge[id] = TimeUnit.SECONDS.toMillis(aging);
        final Bridge bridge = new Bridge(name, id, aging);
        bridges.put(name, bridge);
        updateAgingSliceSlots();
        if (null != settings)
        {
            try
            {
                addVxlanPort(bridge, settings);
            }
            catch (final RuntimeException ex)
            {
                deleteBridge(name);
                throw ex;
            }
        }
        return info(bridge);
    }

    private VxlanInfo vxlanSettings(final String bridgeName, final VxlanSpec spec)
    {
        if (null == spec.vni() || spec.vni() < 0 || spec.vni() > 0xFF_FFFF)
        {
            throw VireoException.invalid("a VXLAN bridge needs a VNI of 0..16777215, got " + spec.vni());
        }
        if (null == spec.local())
        {
            throw VireoException.invalid("a VXLAN bridge needs the local VTEP address (vtep-local)");
        }
        final int local = ipv4Address(spec.local(), "local VTEP address");
        final int port = null == spec.port() ? Vtep.DEFAULT_UDP_PORT : spec.port();
        if (port < 1 || port > 0xFFFF)
        {
            throw VireoException.invalid("invalid VXLAN UDP port " + port + ": must be 1..65535");
        }
        final int ttl = null == spec.ttl() ? Vtep.DEFAULT_TTL : spec.ttl();
        if (ttl < 1 || ttl > 255)
        {
            throw VireoException.invalid("invalid VXLAN TTL " + ttl + ": must be 1..255");
        }
        final int mtu = null == spec.mtu() ? DEFAULT_OVERLAY_MTU : spec.mtu();
        if (mtu < MIN_MTU || mtu > MAX_MTU - Vtep.OVERHEAD)
        {
            throw VireoException.invalid("invalid overlay MTU " + mtu + ": must be " + MIN_MTU + ".." + (MAX_MTU - Vtep.OVERHEAD));
        }
        for (final Bridge other : bridges.values())
        {
            if (null != other.vxlan && other.vxlan.port() == port && other.vxlan.local().equals(IpPrefix.formatIpv4(local)))
            {
                throw VireoException.conflict("bridge " + other.name + " already has a VXLAN endpoint on " +
                    other.vxlan.local() + ":" + port);
            }
        }
        final String portName = bridgeName + "-vxlan";
        if (ports.containsKey(portName))
        {
            throw VireoException.conflict("port " + portName + " already exists");
        }
        return new VxlanInfo(spec.vni(), IpPrefix.formatIpv4(local), port, ttl, mtu,
            Boolean.TRUE.equals(spec.learnAnyPeer()), portName, List.of());
    }

    private void addVxlanPort(final Bridge bridge, final VxlanInfo settings)
    {
        final PortCounters counters = new PortCounters(countersManager, settings.portName());
        final Vtep vtep;
        try
        {
            vtep = Vtep.open(settings.portName(), settings.vni(), ipv4Address(settings.local(), "local VTEP address"),
                settings.port(), settings.ttl(), settings.learnAnyPeer(), new VtepCounters(counters), context.burstSize());
        }
        catch (final NativeException ex)
        {
            counters.close();
            final String hint = ex.errno() == Errno.EADDRNOTAVAIL ? " (no interface of the daemon's namespace has that address)" :
                ex.errno() == Errno.EADDRINUSE ? " (another socket, the kernel's vxlan say, has that port)" : "";
            throw new VireoException(VireoException.Kind.FAILED,
                "cannot open the VXLAN endpoint of bridge " + bridge.name + ": " + ex.getMessage() + hint, ex);
        }
        try
        {
            bridge.vxlanPort = register(bridge, List.of(vtep), new PortDetails(null, settings.local() + ":" + settings.port(),
                null, settings.mtu(), null, null, null, null), counters, settings.mtu());
            bridge.vxlan = settings;
        }
        catch (final RuntimeException ex)
        {
            vtep.close();
            throw ex;
        }
    }

    private static int ipv4Address(final String text, final String what)
    {
        final IpPrefix address = checkArgument(() -> IpPrefix.parse(text));
        if (!address.isIpv4() || text.indexOf('/') >= 0)
        {
            throw VireoException.invalid("invalid " + what + " '" + text + "': an IPv4 address is needed (the underlay is IPv4)");
        }
        return (int)address.low();
    }

    /** Deletes a bridge and every port on it. */
    public synchronized void deleteBridge(final String name)
    {
        ensureOpen();
        final Bridge bridge = bridge(name);
        for (final String port : List.copyOf(bridge.ports))
        {
            removePort(ports.get(port));
        }
        executeOnAll(agent -> agent.removeBridge(bridge.id));
        fdb.removeBridge(bridge.id);
        policy.removeBridge(bridge.id);
        generations.bump(bridge.id);
        bridges.remove(name);
        bridgeIds.clear(bridge.id);
        updateAgingSliceSlots();
    }

    public synchronized List<BridgeInfo> bridges()
    {
        final List<BridgeInfo> result = new ArrayList<>();
        for (final Bridge bridge : bridges.values())
        {
            result.add(info(bridge));
        }
        return result;
    }

    private BridgeInfo info(final Bridge bridge)
    {
        return new BridgeInfo(bridge.name, bridge.agingSeconds, List.copyOf(bridge.ports), fdb.size(bridge.id),
            null == bridge.vxlan ? null : new VxlanInfo(bridge.vxlan.vni(), bridge.vxlan.local(), bridge.vxlan.port(),
                bridge.vxlan.ttl(), bridge.vxlan.mtu(), bridge.vxlan.learnAnyPeer(), bridge.vxlan.portName(), vxlanPeers(bridge)));
    }

    // ---- VXLAN peers ----

    /** Adds a peer to a VXLAN bridge (or makes a learned one configured); idempotent. */
    public synchronized List<VxlanPeer> addVxlanPeer(final String bridgeName, final String address)
    {
        ensureOpen();
        final Bridge bridge = vxlanBridge(bridgeName);
        final int peer = ipv4Address(address, "VXLAN peer");
        final Vtep vtep = bridge.vxlanPort.entry.vtep;
        checkArgument(() ->
        {
            Vtep.checkPeerAddress(peer, vtep.localAddress());
            return peer;
        });
        final int[] index = new int[1];
        execute(bridge.vxlanPort.entry, () -> index[0] = vtep.addPeer(peer));
        if (index[0] == Vtep.NO_PEER)
        {
            throw VireoException.conflict("bridge " + bridgeName + " has " + Vtep.MAX_PEERS + " VXLAN peers, the limit");
        }
        return vxlanPeers(bridge);
    }

    /** Removes a peer from a VXLAN bridge, and the MACs learned behind it. */
    public synchronized void deleteVxlanPeer(final String bridgeName, final String address)
    {
        ensureOpen();
        final Bridge bridge = vxlanBridge(bridgeName);
        final int peer = ipv4Address(address, "VXLAN peer");
        final int[] index = new int[1];
        execute(bridge.vxlanPort.entry, () -> index[0] = bridge.vxlanPort.entry.vtep.removePeer(peer));
        if (index[0] == Vtep.NO_PEER)
        {
            throw VireoException.notFound("bridge " + bridgeName + " has no VXLAN peer " + address);
        }
        fdb.removeDestination(ForwardingAgent.remoteDestination(bridge.id, index[0]));
        generations.bump(bridge.id);
    }

    public synchronized List<VxlanPeer> vxlanPeers(final String bridgeName)
    {
        return vxlanPeers(vxlanBridge(bridgeName));
    }

    private static List<VxlanPeer> vxlanPeers(final Bridge bridge)
    {
        final List<VxlanPeer> peers = new ArrayList<>();
        for (final Vtep.Peer peer : bridge.vxlanPort.entry.vtep.peers())
        {
            peers.add(new VxlanPeer(peer.address(), peer.learned()));
        }
        return peers;
    }

    private Bridge vxlanBridge(final String name)
    {
        final Bridge bridge = bridge(name);
        if (null == bridge.vxlanPort)
        {
            throw VireoException.invalid("bridge " + name + " has no VXLAN endpoint");
        }
        return bridge;
    }

    private Bridge bridge(final String name)
    {
        final Bridge bridge = bridges.get(name);
        if (null == bridge)
        {
            throw VireoException.notFound("no bridge named " + name);
        }
        return bridge;
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
        final Bridge bridge = bridge(bridgeName);
        checkNewPortName(spec.name());
        final String mac = null == spec.mac() ? null : validMac(spec.mac());
        if (null != spec.ip())
        {
            checkArgument(() -> Cidr.validate(spec.ip()));
        }
        if (null != spec.mtu() && (spec.mtu() < MIN_MTU || spec.mtu() > MAX_MTU))
        {
            throw VireoException.invalid("invalid MTU " + spec.mtu() + ": must be " + MIN_MTU + ".." + MAX_MTU);
        }
        if (null != spec.netns())
        {
            if (!Links.namespaceExists(spec.netns()))
            {
                throw VireoException.notFound("no network namespace named " + spec.netns());
            }
            if (Links.exists(spec.netns(), spec.name()))
            {
                throw VireoException.conflict(
                    "an interface named " + spec.name() + " already exists in namespace " + spec.netns());
            }
        }

        final Integer mtu = null != spec.mtu() || null == bridge.vxlan ? spec.mtu() : Integer.valueOf(bridge.vxlan.mtu());
        final boolean offloads = null == spec.offloads() ? context.tapOffloads() : spec.offloads();
        final List<TapPort> queues = openTap(spec.name(), offloads, forwarders.length);
        try
        {
            Links.configure(spec.name(), spec.netns(), mac, mtu, spec.ip());
            final Links.LinkState link = Links.state(spec.netns(), spec.name());
            return info(register(bridge, List.copyOf(queues),
                new PortDetails(spec.netns(), spec.ip(), link.mac(), link.mtu(), offloads, null, null, owner),
                new PortCounters(countersManager, spec.name()), 0));
        }
        catch (final LinkException ex)
        {
            queues.forEach(TapPort::close);
            throw new VireoException(VireoException.Kind.FAILED, ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            queues.forEach(TapPort::close);
            throw ex;
        }
    }

    /** A TAP with a queue per forwarding thread (multi-queue when there are several). */
    private static List<TapPort> openTap(final String name, final boolean offloads, final int queues)
    {
        try
        {
            return TapPort.openQueues(name, offloads, queues);
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.conflict(ex.getMessage());
        }
        catch (final NativeException ex)
        {
            final String hint = ex.errno() == Errno.EPERM ? " (vireod needs root or CAP_NET_ADMIN)" :
                ex.errno() == Errno.EBUSY ? " (another process holds this TAP)" : "";
            throw new VireoException(VireoException.Kind.FAILED, "cannot open TAP " + name + ": " +
                ex.getMessage() + hint, ex);
        }
        catch (final IllegalStateException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, ex.getMessage(), ex);
        }
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
        final Bridge bridge = bridge(bridgeName);
        checkNewPortName(name);
        if (null == socket)
        {
            throw VireoException.invalid("a vhost-user port needs a socket path");
        }
        final VhostUserPort port;
        try
        {
            port = client ? VhostUserPort.client(name, socket) : VhostUserPort.server(name, socket);
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.invalid(ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED,
                "cannot open vhost-user socket " + socket + ": " + ex.getMessage(), ex);
        }
        try
        {
            return register(bridge, port, new PortDetails(null, null, null, null, null, socket.toString(), client, owner));
        }
        catch (final RuntimeException ex)
        {
            port.close();
            throw ex;
        }
    }

    /** Adds a port the caller opened (a {@link io.vireo.dataplane.port.LoopbackPort}, say); the switch closes it on delete. */
    public synchronized PortInfo addPort(final String bridgeName, final Port port)
    {
        ensureOpen();
        final Bridge bridge = bridge(bridgeName);
        checkNewPortName(port.name());
        return register(bridge, port, new PortDetails(null, null, null, null, null, null, null, null));
    }

    private PortInfo register(final Bridge bridge, final Port port, final PortDetails details)
    {
        return info(register(bridge, List.of(port), details, new PortCounters(countersManager, port.name()), 0));
    }

    /**
     * Attaches a port to every forwarding thread, with its counters (closed if this fails);
     * {@code overlayMtu} for a VXLAN endpoint, else 0. With a queue per thread, thread i polls and
     * writes queue i; a port with one queue is polled by one thread (by port id, round robin) and
     * written by all under a lock.
     */
    private PortRecord register(
        final Bridge bridge, final List<? extends Port> queues, final PortDetails details, final PortCounters counters,
        final int overlayMtu)
    {
        final int id = portIds.nextClearBit(0);
        if (id >= context.maxPorts())
        {
            counters.close();
            throw VireoException.conflict("too many ports (the limit is " + context.maxPorts() + ")");
        }
        final int threads = forwarders.length;
        final boolean queuePerThread = queues.size() == threads;
        final int owner = queuePerThread ? QUEUE_PER_THREAD : id % threads;
        final AtomicBoolean txLock = queuePerThread ? null : new AtomicBoolean();
        final PortEntry[] entries = new PortEntry[threads];
        for (int i = 0; i < threads; i++)
        {
            entries[i] = new PortEntry(queuePerThread ? queues.get(i) : queues.get(0), id, bridge.id, counters,
                context.burstSize(), overlayMtu, queuePerThread || i == owner, txLock);
        }
        try
        {
            executeOnAll(agent -> agent.attach(entries[indexOf(agent)]));
        }
        catch (final RuntimeException ex)
        {
            executeOnAll(agent -> agent.detach(id));
            counters.close();
            throw ex;
        }
        final Port port = queues.get(0);
        portIds.set(id);
        portNamesById[id] = port.name();
        final PortRecord record = new PortRecord(owner, entries, bridge, details);
        portsById[id] = record;
        ports.put(port.name(), record);
        bridge.ports.add(port.name());
        return record;
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
        final PortRecord record = ports.get(name);
        if (null == record)
        {
            throw VireoException.notFound("no port named " + name);
        }
        if (thread < 0 || thread >= forwarders.length)
        {
            throw VireoException.invalid("thread must be 0.." + (forwarders.length - 1) + ": " + thread);
        }
        // With one thread every port counts as having a queue per thread, and thread 0 is the only place.
        if (QUEUE_PER_THREAD == record.thread && forwarders.length > 1)
        {
            throw VireoException.invalid("port " + name + " has a queue per forwarding thread; thread i polls queue i");
        }
        if (QUEUE_PER_THREAD != record.thread && thread != record.thread)
        {
            final int id = record.entry.id;
            final int from = record.thread;
            execute(forwarders[from], () -> forwarders[from].poll(id, false));
            try
            {
                execute(forwarders[thread], () -> forwarders[thread].poll(id, true));
            }
            catch (final RuntimeException ex)
            {
                execute(forwarders[from], () -> forwarders[from].poll(id, true)); // never leave the port unpolled
                throw ex;
            }
            record.thread = thread;
            record.entry = record.entries[thread];
        }
        record.placedThread = thread;
        return info(record);
    }

    /** The forwarding threads: CPU, kernel thread id, and the ports each receives from. */
    public synchronized List<ThreadInfo> threads()
    {
        final List<ThreadInfo> result = new ArrayList<>();
        for (int i = 0; i < forwarders.length; i++)
        {
            final int index = i;
            final List<String> polled = ports.values().stream()
                .filter(record -> QUEUE_PER_THREAD == record.thread || index == record.thread)
                .map(record -> record.entry.port.name())
                .sorted()
                .toList();
            final ForwardingAgent agent = forwarders[i];
            result.add(new ThreadInfo(i, agent.roleName(), ForwardingAgent.ANY_CPU == agent.cpu() ? null : agent.cpu(),
                0 == agent.threadId() ? null : agent.threadId(), polled));
        }
        return result;
    }

    /** Removes a port: stops forwarding on it, flushes its FDB entries, removes the interfaces it created. */
    public synchronized void deletePort(final String name)
    {
        ensureOpen();
        final PortRecord record = ports.get(name);
        if (null == record)
        {
            throw VireoException.notFound("no port named " + name);
        }
        if (record == record.bridge.vxlanPort)
        {
            throw VireoException.invalid("port " + name + " is the VXLAN endpoint of bridge " + record.bridge.name +
                ": it goes with the bridge");
        }
        removePort(record);
    }

    private void removePort(final PortRecord record)
    {
        final int id = record.entry.id;
        final String name = record.entry.port.name();
        captures.values().stream().filter(capture -> capture.port() == record).forEach(capture -> capture.capture().close());
        executeOnAll(agent -> agent.detach(id));
        fdb.removeDestination(id);
        generations.bump(record.bridge.id);
        record.close();
        record.entry.counters.close();
        ports.remove(name);
        record.bridge.ports.remove(name);
        portNamesById[id] = null;
        portsById[id] = null;
        portIds.clear(id);
    }

    public synchronized List<PortInfo> ports()
    {
        final List<PortInfo> result = new ArrayList<>();
        for (final PortRecord record : ports.values())
        {
            result.add(info(record));
        }
        return result;
    }

    public synchronized PortInfo port(final String name)
    {
        final PortRecord record = ports.get(name);
        if (null == record)
        {
            throw VireoException.notFound("no port named " + name);
        }
        return info(record);
    }

    private PortInfo info(final PortRecord record)
    {
        final Port port = record.entry.port;
        final int failure = record.failure();
        final String state = 0 == failure ? "up" : "failed: " + Native.strerror(failure);
        final PortDetails details = record.details;
        return new PortInfo(port.name(), record.bridge.name, port.type(), details.netns(), details.ip(), details.mac(),
            details.mtu(), details.offloads(), Offloads.describe(port.offloads()), details.socket(), details.client(), state, stats(record.entry.counters),
            details.owner(), record.placedThread);
    }

    private static PortStats stats(final PortCounters counters)
    {
        final Map<String, Long> drops = new LinkedHashMap<>();
        for (final DropReason reason : DropReason.values())
        {
            drops.put(reason.metricName(), counters.drops(reason));
        }
        return new PortStats(counters.rxPackets(), counters.rxBytes(), counters.txPackets(), counters.txBytes(), drops);
    }

    private void checkNewPortName(final String name)
    {
        checkArgument(() -> InterfaceNames.validate(name));
        if (ports.containsKey(name))
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

    private static String validMac(final String text)
    {
        final long mac = checkArgument(() -> MacAddress.parse(text));
        if (MacAddress.isMulticast(mac) || MacAddress.isZero(mac))
        {
            throw VireoException.invalid("invalid MAC " + text + ": a port needs a unicast, non-zero address");
        }
        return MacAddress.format(mac);
    }

    private static <T> T checkArgument(final java.util.function.Supplier<T> check)
    {
        try
        {
            return check.get();
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.invalid(ex.getMessage());
        }
    }

    // ---- endpoint policy ----

    /** Adds a rule to a bridge's policy; it applies to existing flows at once. Returns it with its id. */
    public synchronized PolicySpec addPolicy(final String bridgeName, final PolicySpec spec)
    {
        ensureOpen();
        final Bridge bridge = bridge(bridgeName);
        final int id = checkArgument(() -> policy.add(bridge.id, PolicyRules.toRule(spec)));
        return policies(bridgeName).stream().filter(rule -> rule.id() == id).findFirst().orElseThrow();
    }

    public synchronized void deletePolicy(final String bridgeName, final int ruleId)
    {
        ensureOpen();
        if (!policy.remove(bridge(bridgeName).id, ruleId))
        {
            throw VireoException.notFound("bridge " + bridgeName + " has no policy rule " + ruleId);
        }
    }

    /** A bridge's rules in evaluation order (highest priority first). */
    public synchronized List<PolicySpec> policies(final String bridgeName)
    {
        final List<PolicySpec> rules = new ArrayList<>();
        policy.list(bridge(bridgeName).id).forEach(rule -> rules.add(PolicyRules.toSpec(rule)));
        return rules;
    }

    /** What a bridge does with frames no rule matches: allow (the default) or deny. */
    public synchronized void defaultPolicy(final String bridgeName, final String action)
    {
        ensureOpen();
        final Bridge bridge = bridge(bridgeName);
        final int value = checkArgument(() -> PolicyRules.action(action));
        policy.defaultAction(bridge.id, value);
    }

    public synchronized String defaultPolicy(final String bridgeName)
    {
        return PolicyRules.actionName(policy.defaultAction(bridge(bridgeName).id));
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
        final PortRecord record = ports.get(portName);
        if (null == record)
        {
            throw VireoException.notFound("no port named " + portName);
        }
        if (null == file || !file.isAbsolute())
        {
            throw VireoException.invalid("a capture needs an absolute file path, got " + file);
        }
        if (null != limit && limit <= 0)
        {
            throw VireoException.invalid("a capture's frame count must be positive, got " + limit);
        }
        for (final CaptureRecord running : captures.values())
        {
            if (running.port() == record)
            {
                throw VireoException.conflict("port " + portName + " is being captured already (capture " +
                    running.capture().id() + ")");
            }
        }
        final PacketCapture capture;
        try
        {
            capture = new PacketCapture(nextCaptureId++, portName, file, limit);
        }
        catch (final java.io.IOException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, "cannot write capture file " + file + ": " + ex, ex);
        }
        final int portId = record.entry.id;
        executeOnAll(agent -> agent.capture(portId, capture));
        captures.put(capture.id(), new CaptureRecord(capture, record));
        return capture.info();
    }

    public synchronized List<CaptureInfo> captures()
    {
        final List<CaptureInfo> result = new ArrayList<>();
        captures.values().forEach(record -> result.add(record.capture().info()));
        return result;
    }

    public synchronized CaptureInfo capture(final int id)
    {
        return captureRecord(id).capture().info();
    }

    /** Ends a capture: the frames recorded so far are written and the file closed. */
    public synchronized CaptureInfo stopCapture(final int id)
    {
        final CaptureRecord record = captureRecord(id);
        if (ports.get(record.port().entry.port.name()) == record.port())
        {
            executeOnAll(agent -> agent.capture(record.port().entry.id, null));
        }
        captures.remove(id);
        record.capture().close();
        if (null != record.capture().failure())
        {
            throw new VireoException(VireoException.Kind.FAILED, "capture " + id + " could not write its file: " +
                record.capture().failure());
        }
        return record.capture().info();
    }

    private CaptureRecord captureRecord(final int id)
    {
        final CaptureRecord record = captures.get(id);
        if (null == record)
        {
            throw VireoException.notFound("no capture " + id);
        }
        return record;
    }

    // ---- figures ----

    /**
     * Counters of each forwarding thread by thread name: loops, busy/idle ns, polls, bursts, frames, and
     * its flow cache's hits and misses.
     */
    public Map<String, Map<String, Long>> threadStats()
    {
        final Map<String, Map<String, Long>> stats = new LinkedHashMap<>();
        for (final ForwardingAgent agent : forwarders)
        {
            stats.put(agent.roleName(), agent.threadCounters().snapshot());
        }
        return stats;
    }

    /** Nanoseconds the switch spent per burst (forwarding and transmitting), since the switch started. */
    public synchronized Histogram burstLatency()
    {
        for (final ForwardingAgent agent : forwarders)
        {
            burstLatency.add(agent.takeBurstLatency());
        }
        return burstLatency.copy();
    }

    // ---- forwarding table ----

    /** The bridge's forwarding table, read while the forwarding threads keep learning. */
    public synchronized List<FdbEntry> fdb(final String bridgeName)
    {
        final Bridge bridge = bridge(bridgeName);
        final long now = context.epochClock().time();
        final List<FdbEntry> entries = new ArrayList<>();
        final Map<Integer, String> remotes = new HashMap<>();
        if (null != bridge.vxlanPort)
        {
            bridge.vxlanPort.entry.vtep.peers().forEach(peer -> remotes.put(peer.index(), peer.address()));
        }
        fdb.forEach(bridge.id, (vlan, mac, destination, lastSeenMs, isStatic) ->
        {
            final boolean remote = destination >= ForwardingAgent.REMOTE_BASE;
            final String port = remote ? (null == bridge.vxlan ? null : bridge.vxlan.portName()) :
                destination >= 0 && destination < portNamesById.length ? portNamesById[destination] : null;
            final String peer = remote ? remotes.get(ForwardingAgent.peerOf(destination)) : null;
            if (null != port && (!remote || null != peer))
            {
                final long age = isStatic ? 0 : Math.max(0, now - lastSeenMs) / 1000;
                entries.add(new FdbEntry(MacAddress.format(mac), vlan, port, peer, age, isStatic));
            }
        });
        return entries;
    }

    // ---- life cycle ----

    /** Deletes every port (removing the interfaces the switch created) and stops the agents. */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            for (final int capture : List.copyOf(captures.keySet()))
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
            for (final PortRecord port : List.copyOf(ports.values()))
            {
                removePort(port);
            }
            closed = true;
        }
        // Outside the lock: the conductor takes it on every tick and must be able to finish one.
        if (null != invoker)
        {
            invoker.close();
        }
        else
        {
            for (final AgentRunner runner : forwardingRunners)
            {
                runner.close();
            }
            conductorRunner.close();
        }
        tableCounters.close();
        fdb.close();
        if (null != countersFile)
        {
            countersFile.close();
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new VireoException(VireoException.Kind.FAILED, "the switch is closed");
        }
    }

    /** Runs a change on every forwarding thread, one after the other, each waited for. */
    private void executeOnAll(final Consumer<ForwardingAgent> change)
    {
        for (final ForwardingAgent agent : forwarders)
        {
            execute(agent, () -> change.accept(agent));
        }
    }

    /** Runs a change on the forwarding thread that polls a port. */
    private void execute(final PortEntry entry, final Runnable change)
    {
        for (int i = 0; i < forwarders.length; i++)
        {
            if (portsById[entry.id].entries[i] == entry)
            {
                execute(forwarders[i], change);
                return;
            }
        }
        throw new IllegalStateException("no thread has the entry of port " + entry.port.name());
    }

    private int indexOf(final ForwardingAgent agent)
    {
        return Arrays.asList(forwarders).indexOf(agent);
    }

    /** Runs a change on a forwarding thread and waits until it is applied. */
    private void execute(final ForwardingAgent forwarding, final Runnable change)
    {
        final CompletableFuture<Void> applied = new CompletableFuture<>();
        final Runnable command = () ->
        {
            try
            {
                change.run();
                applied.complete(null);
            }
            catch (final Throwable ex)
            {
                applied.completeExceptionally(ex);
            }
        };
        final long deadline = System.currentTimeMillis() + COMMAND_TIMEOUT_MS;
        while (!forwarding.submit(command))
        {
            awaitProgress(deadline);
        }
        while (!applied.isDone())
        {
            awaitProgress(deadline);
        }
        try
        {
            applied.get(0, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, "forwarding thread failed: " + ex.getCause(), ex);
        }
        catch (final InterruptedException | TimeoutException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, "forwarding thread did not apply a change", ex);
        }
    }

    private void awaitProgress(final long deadline)
    {
        if (null != invoker)
        {
            invoker.invoke();
            return;
        }
        if (System.currentTimeMillis() > deadline)
        {
            throw new VireoException(VireoException.Kind.FAILED,
                "forwarding thread did not answer within " + COMMAND_TIMEOUT_MS + " ms");
        }
        Thread.onSpinWait();
    }

    /**
     * The conductor's duty cycle: retire failed ports, age the forwarding table a slice at a time.
     * Allocates nothing, so in invoker mode the invoking thread stays garbage-free.
     */
    private synchronized int conductorTick()
    {
        final long now = context.epochClock().time();
        if (closed || now < nextTickMs)
        {
            return 0;
        }
        nextTickMs = now + CONDUCTOR_TICK_MS;
        int work = 0;
        for (final PortRecord record : portsById)
        {
            if (null != record && 0 != record.failure() && !record.failureHandled)
            {
                record.failureHandled = true;
                work += fdb.removeDestination(record.entry.id);
                generations.bump(record.bridge.id);
                System.err.println("vireo: port " + record.entry.port.name() + " failed: " +
                    Native.strerror(record.failure()) + "; it forwards nothing until deleted");
            }
        }
        final int aged = fdb.ageSlice(now, agingPolicy, agingSliceSlots);
        tableCounters.publish(fdb.size(), fdb.capacity(), fdb.tableFullCount());
        if (aged > 0)
        {
            // The table does not say whose entries aged: make every bridge's cached flows stale.
            for (int bridgeId = bridgeIds.nextSetBit(0); bridgeId >= 0; bridgeId = bridgeIds.nextSetBit(bridgeId + 1))
            {
                generations.bump(bridgeId);
            }
        }
        return work + aged;
    }

    /** Slots per tick so that a whole sweep takes at most half the shortest aging time (and at most 10 s). */
    private void updateAgingSliceSlots()
    {
        long shortestAgingMs = MAX_SWEEP_MS * 2;
        for (final Bridge bridge : bridges.values())
        {
            shortestAgingMs = Math.min(shortestAgingMs, agingMsByBridge[bridge.id]);
        }
        final long sweepMs = Math.max(CONDUCTOR_TICK_MS, shortestAgingMs / 2);
        final long ticksPerSweep = Math.max(1, sweepMs / CONDUCTOR_TICK_MS);
        agingSliceSlots = (int)Math.min(fdb.slotCount(), (fdb.slotCount() + ticksPerSweep - 1) / ticksPerSweep);
    }

    private final class Conductor implements Agent
    {
        @Override
        public int doWork()
        {
            return conductorTick();
        }

        @Override
        public String roleName()
        {
            return "vireo-conductor";
        }
    }
}
