package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.port.InterfaceNames;
import io.vireo.dataplane.port.Port;
import io.vireo.dataplane.port.TapPort;
import io.vireo.dataplane.vhost.VhostUserPort;
import io.vireo.flowtable.ForwardingTable;
import io.vireo.flowtable.Generations;
import io.vireo.flowtable.PolicyTable;
import io.vireo.flowtable.MacAddress;
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
    private static final long COMMAND_TIMEOUT_MS = 5_000;
    private static final long CONDUCTOR_TICK_MS = 100;
    private static final long MAX_SWEEP_MS = 10_000;
    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65_535;

    private final VireoContext context;
    private final ForwardingTable fdb;
    private final Generations generations = new Generations();
    private final PolicyTable policy = new PolicyTable(generations);
    private final CountersFile countersFile;
    private final CountersManager countersManager;
    private final ForwardingAgent forwarding;
    private final AgentRunner forwardingRunner;
    private final AgentRunner conductorRunner;
    private final AgentInvoker invoker;

    private final Map<String, Bridge> bridges = new LinkedHashMap<>();
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

        Bridge(final String name, final int id, final long agingSeconds)
        {
            this.name = name;
            this.id = id;
            this.agingSeconds = agingSeconds;
        }
    }

    private static final class PortRecord
    {
        final PortEntry entry;
        final Bridge bridge;
        final PortDetails details;
        boolean failureHandled;

        PortRecord(final PortEntry entry, final Bridge bridge, final PortDetails details)
        {
            this.entry = entry;
            this.bridge = bridge;
            this.details = details;
        }
    }

    /** What a port was configured with, as reported: namespace, address, MAC, MTU, offloads, socket, client (null where none). */
    private record PortDetails(
        String netns, String ip, String mac, Integer mtu, Boolean offloads, String socket, Boolean client)
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
        final PortWaitSet waitSet = dedicated && context.idleMode() == IdleMode.ADAPTIVE ? new PortWaitSet() : null;
        final String forwardingRole = "vireo-forwarding-0";
        this.forwarding = new ForwardingAgent(
            forwardingRole,
            fdb,
            new FrameBurst(context.burstSize(), context.slotSize(), context.headroom()),
            context.maxFrameLength(),
            context.maxPorts(),
            context.maxBridges(),
            context.epochClock(),
            waitSet,
            new ThreadCounters(countersManager, forwardingRole),
            generations,
            policy,
            context.flowCacheCapacity());

        final Agent conductor = new Conductor();
        final ErrorHandler errorHandler = ex -> System.err.println("vireo: agent error: " + ex);
        if (dedicated)
        {
            invoker = null;
            forwardingRunner = new AgentRunner(idleStrategy(context.idleMode(), waitSet), errorHandler, null, forwarding);
            conductorRunner = new AgentRunner(
                new SleepingMillisIdleStrategy(CONDUCTOR_TICK_MS), errorHandler, null, conductor);
            AgentRunner.startOnThread(forwardingRunner);
            AgentRunner.startOnThread(conductorRunner);
        }
        else
        {
            forwardingRunner = null;
            conductorRunner = null;
            invoker = new AgentInvoker(errorHandler, null, new CompositeAgent(forwarding, conductor));
            invoker.start();
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
        final int id = bridgeIds.nextClearBit(0);
        if (id >= context.maxBridges())
        {
            throw VireoException.conflict("too many bridges (the limit is " + context.maxBridges() + ")");
        }
        execute(() -> forwarding.addBridge(id));
        bridgeIds.set(id);
        agingMsByBridge[id] = TimeUnit.SECONDS.toMillis(aging);
        final Bridge bridge = new Bridge(name, id, aging);
        bridges.put(name, bridge);
        updateAgingSliceSlots();
        return info(bridge);
    }

    /** Deletes a bridge and every port on it. */
    public synchronized void deleteBridge(final String name)
    {
        ensureOpen();
        final Bridge bridge = bridge(name);
        for (final String port : List.copyOf(bridge.ports))
        {
            deletePort(port);
        }
        execute(() -> forwarding.removeBridge(bridge.id));
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
        return new BridgeInfo(bridge.name, bridge.agingSeconds, List.copyOf(bridge.ports), fdb.size(bridge.id));
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
        ensureOpen();
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

        final boolean offloads = null == spec.offloads() ? context.tapOffloads() : spec.offloads();
        final TapPort tap = openTap(spec.name(), offloads);
        try
        {
            Links.configure(spec.name(), spec.netns(), mac, spec.mtu(), spec.ip());
            final Links.LinkState link = Links.state(spec.netns(), spec.name());
            return register(bridge, tap, new PortDetails(spec.netns(), spec.ip(), link.mac(), link.mtu(), offloads, null, null));
        }
        catch (final LinkException ex)
        {
            tap.close();
            throw new VireoException(VireoException.Kind.FAILED, ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            tap.close();
            throw ex;
        }
    }

    private static TapPort openTap(final String name, final boolean offloads)
    {
        try
        {
            return TapPort.open(name, offloads);
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
        ensureOpen();
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
            return register(bridge, port, new PortDetails(null, null, null, null, null, socket.toString(), client));
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
        return register(bridge, port, new PortDetails(null, null, null, null, null, null, null));
    }

    private PortInfo register(final Bridge bridge, final Port port, final PortDetails details)
    {
        final int id = portIds.nextClearBit(0);
        if (id >= context.maxPorts())
        {
            throw VireoException.conflict("too many ports (the limit is " + context.maxPorts() + ")");
        }
        final PortCounters counters = new PortCounters(countersManager, port.name());
        final PortEntry entry = new PortEntry(port, id, bridge.id, counters, context.burstSize());
        try
        {
            execute(() -> forwarding.attach(entry));
        }
        catch (final RuntimeException ex)
        {
            counters.close();
            throw ex;
        }
        portIds.set(id);
        portNamesById[id] = port.name();
        final PortRecord record = new PortRecord(entry, bridge, details);
        portsById[id] = record;
        ports.put(port.name(), record);
        bridge.ports.add(port.name());
        return info(record);
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
        final int id = record.entry.id;
        execute(() -> forwarding.detach(id));
        fdb.removeDestination(id);
        generations.bump(record.bridge.id);
        record.entry.port.close();
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
        final int failure = port.failure();
        final String state = 0 == failure ? "up" : "failed: " + Native.strerror(failure);
        final PortDetails details = record.details;
        return new PortInfo(port.name(), record.bridge.name, port.type(), details.netns(), details.ip(), details.mac(),
            details.mtu(), details.offloads(), details.socket(), details.client(), state, stats(record.entry.counters));
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

    // ---- figures ----

    /**
     * Counters of each forwarding thread by thread name: loops, busy/idle ns, polls, bursts, frames, and
     * its flow cache's hits and misses.
     */
    public Map<String, Map<String, Long>> threadStats()
    {
        final Map<String, Long> values = forwarding.threadCounters().snapshot();
        values.put("flow_cache_hits", forwarding.flowCacheHits());
        values.put("flow_cache_misses", forwarding.flowCacheMisses());
        return Map.of(forwarding.roleName(), values);
    }

    /** Nanoseconds the switch spent per burst (forwarding and transmitting), since the switch started. */
    public synchronized Histogram burstLatency()
    {
        burstLatency.add(forwarding.takeBurstLatency());
        return burstLatency.copy();
    }

    // ---- forwarding table ----

    /** The bridge's forwarding table, read while the forwarding threads keep learning. */
    public synchronized List<FdbEntry> fdb(final String bridgeName)
    {
        final Bridge bridge = bridge(bridgeName);
        final long now = context.epochClock().time();
        final List<FdbEntry> entries = new ArrayList<>();
        fdb.forEach(bridge.id, (vlan, mac, destination, lastSeenMs, isStatic) ->
        {
            final String port = destination >= 0 && destination < portNamesById.length ?
                portNamesById[destination] : null;
            if (null != port)
            {
                final long age = isStatic ? 0 : Math.max(0, now - lastSeenMs) / 1000;
                entries.add(new FdbEntry(MacAddress.format(mac), vlan, port, age, isStatic));
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
            for (final String port : List.copyOf(ports.keySet()))
            {
                deletePort(port);
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
            forwardingRunner.close();
            conductorRunner.close();
        }
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

    /** Runs a change on the forwarding thread and waits until it is applied. */
    private void execute(final Runnable change)
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
            if (null != record && 0 != record.entry.port.failure() && !record.failureHandled)
            {
                record.failureHandled = true;
                work += fdb.removeDestination(record.entry.id);
                generations.bump(record.bridge.id);
                System.err.println("vireo: port " + record.entry.port.name() + " failed: " +
                    Native.strerror(record.entry.port.failure()) + "; it forwards nothing until deleted");
            }
        }
        final int aged = fdb.ageSlice(now, agingPolicy, agingSliceSlots);
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
