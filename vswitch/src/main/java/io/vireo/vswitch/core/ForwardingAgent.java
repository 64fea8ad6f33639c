package io.vireo.vswitch.core;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.nativeio.CpuAffinity;
import io.vireo.dataplane.offload.Offloads;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.FlowCache;
import io.vireo.flowtable.flowcache.FlowKey;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.tunnel.vxlan.PacketTooBig;
import io.vireo.tunnel.vxlan.Vtep;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * A poll-mode forwarding thread: for every port it owns, receive a burst, then for each frame parse
 * the Ethernet header, learn the source, find the action, and queue the frame on its output ports;
 * then flush every output port's transmit burst once. On a bridge without policy the action is the
 * forwarding table's answer; on a bridge with policy it comes from an exact-match flow cache, and on a
 * miss policy then forwarding table decide and the action is cached under the bridge's generation
 * (bumped whenever the table or the policy of the bridge changes).
 * <p>
 * Only this agent's thread touches its ports' I/O and its tables of ports and bridges; the
 * conductor changes them by {@link #submit commands} drained at the top of every duty cycle, so the
 * hot path has no locks. Frames are never copied: a flooded frame is queued by index on every output
 * port and written from the same slot.
 * <p>
 * A bridge with VXLAN has one more port, its endpoint ({@link Vtep}). The forwarding table names a MAC
 * behind a peer by a remote destination ({@link #remoteDestination}: the bridge and the peer's index),
 * learned from the peer each frame came from; frames for it are queued on the endpoint with that peer,
 * flooded frames with {@link Vtep#ALL_PEERS}. Frames from the overlay never go back into it (split
 * horizon: every peer floods to every other itself). A frame whose IP packet exceeds the overlay's MTU
 * is dropped and counted on the endpoint, and its sender gets an ICMP answer ({@link PacketTooBig}).
 */
final class ForwardingAgent implements Agent
{
    private static final int COMMAND_LIMIT = 16;
    /** Flow-cache actions besides an output port id (which is never negative). */
    private static final int ACTION_FLOOD = -1;
    private static final int ACTION_DENY = -2;
    private static final long MAX_RECORDED_NS = TimeUnit.SECONDS.toNanos(1);
    /** virtio_net_hdr: flags u8, then gso_type u8. */
    private static final int GSO_TYPE_OFFSET = 1;
    private static final Consumer<Runnable> RUN = Runnable::run;
    /** Forwarding-table destinations from here on name a bridge's VXLAN peer, not a port. */
    static final int REMOTE_BASE = 1 << 20;
    /** ICMP answers to frames too big for an overlay, at most this many per millisecond, as the kernel limits its own. */
    private static final int TOO_BIG_REPLIES_PER_MS = 4;
    private static final int NO_PORT = -1;
    static final int ANY_CPU = -1;

    private final String roleName;
    /** The CPU this thread is pinned to at start, or {@link #ANY_CPU}. */
    private final int cpu;
    private volatile int threadId;
    private final ForwardingTable fdb;
    private final FrameBurst burst;
    private final int maxFrameLength;
    private final EpochClock systemClock;
    private final CachedEpochClock clock = new CachedEpochClock();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ManyToOneConcurrentArrayQueue<Runnable> commands = new ManyToOneConcurrentArrayQueue<>(1024);

    private final PortEntry[] ports;
    private final int[][] bridgeMembers;
    private final int[] bridgeMemberCounts;
    /** Each bridge's VXLAN endpoint port, or {@link #NO_PORT}. */
    private final int[] bridgeTunnels;
    private final int[] polled;
    private int polledCount;
    private final int[] pendingTx;
    private int pendingTxCount;
    private final PortWaitSet waitSet;
    private final SoftwareOffloadTransmitter softwareOffload;
    private final Generations generations;
    private final PolicyTable policy;
    private final FlowCache flowCache;
    private final FlowKey flowKey = new FlowKey();
    private final FlowKeyBuilder flowKeys = new FlowKeyBuilder();
    private final ThreadCounters threadCounters;
    /** Time from the end of a receive to the end of its transmits, per non-empty burst; wait-free to record. */
    private final Recorder burstLatency = new Recorder(TimeUnit.SECONDS.toNanos(1), 2);
    private final PacketTooBig packetTooBig = new PacketTooBig();
    private final FrameBurst replies = new FrameBurst(1, 4096, FrameBurst.NET_HEADER_LENGTH);
    private final int[] firstFrame = {0};
    private long tooBigMs;
    private int tooBigReplies;

    ForwardingAgent(
        final String roleName,
        final int cpu,
        final ForwardingTable fdb,
        final FrameBurst burst,
        final int maxFrameLength,
        final int maxPorts,
        final int maxBridges,
        final EpochClock systemClock,
        final PortWaitSet waitSet,
        final ThreadCounters threadCounters,
        final Generations generations,
        final PolicyTable policy,
        final int flowCacheCapacity)
    {
        this.roleName = roleName;
        this.cpu = cpu;
        this.fdb = fdb;
        this.burst = burst;
        this.maxFrameLength = maxFrameLength;
        this.systemClock = systemClock;
        this.ports = new PortEntry[maxPorts];
        this.bridgeMembers = new int[maxBridges][];
        this.bridgeMemberCounts = new int[maxBridges];
        this.bridgeTunnels = new int[maxBridges];
        Arrays.fill(bridgeTunnels, NO_PORT);
        this.polled = new int[maxPorts];
        this.pendingTx = new int[maxPorts];
        this.waitSet = waitSet;
        this.threadCounters = threadCounters;
        this.softwareOffload = new SoftwareOffloadTransmitter(burst.capacity());
        this.generations = generations;
        this.policy = policy;
        this.flowCache = new FlowCache(flowCacheCapacity, generations);
    }

    /** The forwarding-table destination of peer {@code peer} of bridge {@code bridgeId}'s VXLAN endpoint. */
    static int remoteDestination(final int bridgeId, final int peer)
    {
        return REMOTE_BASE + bridgeId * Vtep.MAX_PEERS + peer;
    }

    /** The peer index in a {@link #remoteDestination}. */
    static int peerOf(final int destination)
    {
        return (destination - REMOTE_BASE) % Vtep.MAX_PEERS;
    }

    /** The switch's time per burst since the last call; another thread reads it (HdrHistogram's Recorder). */
    Histogram takeBurstLatency()
    {
        return burstLatency.getIntervalHistogram();
    }

    ThreadCounters threadCounters()
    {
        return threadCounters;
    }

    /** Queues a change for this agent's thread and wakes it if it sleeps; false if the queue is full. Any thread. */
    boolean submit(final Runnable command)
    {
        if (!commands.offer(command))
        {
            return false;
        }
        if (null != waitSet)
        {
            waitSet.wake();
        }
        return true;
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    /** Pins the thread to its CPU, if it has one, and notes the thread's kernel id. */
    @Override
    public void onStart()
    {
        threadId = CpuAffinity.currentThreadId();
        if (ANY_CPU != cpu)
        {
            CpuAffinity.pinCurrentThread(cpu);
        }
    }

    /** The CPU the thread is pinned to, or {@link #ANY_CPU}. */
    int cpu()
    {
        return cpu;
    }

    /** The thread's kernel id once it has started, else 0. Any thread. */
    int threadId()
    {
        return threadId;
    }

    @Override
    public void onClose()
    {
        threadCounters.close();
        flowCache.close();
        if (null != waitSet)
        {
            waitSet.close();
        }
    }

    @Override
    public int doWork()
    {
        final long startNs = System.nanoTime();
        int work = commands.drain(RUN, COMMAND_LIMIT);
        clock.update(systemClock.time());
        for (int i = 0; i < polledCount; i++)
        {
            final PortEntry in = ports[polled[i]];
            burst.clear();
            final int received = in.port.receive(burst);
            threadCounters.onPoll(received);
            if (received > 0)
            {
                final long burstStartNs = System.nanoTime();
                forward(in, received);
                flush();
                burstLatency.recordValue(Math.min(System.nanoTime() - burstStartNs, MAX_RECORDED_NS));
                work += received;
            }
            if (0 != in.port.failure())
            {
                detach(in.id);
                i--;
            }
        }
        threadCounters.onFlowCache(flowCache.hits(), flowCache.misses());
        threadCounters.onCycle(startNs, System.nanoTime(), work);
        return work;
    }

    private void forward(final PortEntry in, final int received)
    {
        final int bridgeId = in.bridgeId;
        final long now = clock.time();
        long bytes = 0;
        for (int frame = 0; frame < received; frame++)
        {
            final int length = burst.frameLength(frame);
            bytes += length;
            in.capture(burst, frame);
            if (length > burst.frameCapacity() || (length > maxFrameLength && !isGso(frame)))
            {
                drop(in, DropReason.OVERSIZE);
                continue;
            }
            ethernet.wrap(burst.buffer(), burst.frameOffset(frame), length);
            if (!ethernet.isValid())
            {
                drop(in, DropReason.RUNT);
                continue;
            }
            final long source = ethernet.source();
            if (MacAddress.isMulticast(source) || MacAddress.isZero(source))
            {
                drop(in, DropReason.BAD_SOURCE_MAC);
                continue;
            }
            final int vlan = ethernet.vlanId();
            final int learnAs = null == in.vtep ? in.id : remoteDestination(bridgeId, in.vtep.ingressPeer(frame));
            final int learned = fdb.learn(bridgeId, vlan, source, learnAs, now);
            if (learned == ForwardingTable.LEARNED || learned == ForwardingTable.MOVED)
            {
                generations.bump(bridgeId);
            }

            final long destination = ethernet.destination();
            apply(in, frame, policy.isActive(bridgeId) ?
                policedAction(in, bridgeId, vlan, source, destination) : l2Action(bridgeId, vlan, destination));
        }
        in.counters.rxPackets.getAndAddRelease(received);
        in.counters.rxBytes.getAndAddRelease(bytes);
    }

    /**
     * On a bridge with policy: the action cached for the frame's flow, or on a miss policy first,
     * then the forwarding table, cached under the generation read before deciding.
     */
    private int policedAction(final PortEntry in, final int bridgeId, final int vlan, final long source, final long destination)
    {
        flowKeys.fill(flowKey, ethernet, in.id, bridgeId, vlan, source, destination);
        int action = flowCache.lookup(flowKey);
        if (action == FlowCache.MISS)
        {
            final long generation = generations.current(bridgeId);
            action = PolicyTable.action(policy.classify(flowKey)) == PolicyTable.DENY ?
                ACTION_DENY : l2Action(bridgeId, vlan, destination);
            flowCache.insert(flowKey, action, generation);
        }
        return action;
    }

    /** Flood for group and unknown destinations, else the port the forwarding table names. */
    private int l2Action(final int bridgeId, final int vlan, final long destination)
    {
        if (MacAddress.isMulticast(destination))
        {
            return ACTION_FLOOD;
        }
        final int out = fdb.lookup(bridgeId, vlan, destination);
        return out == ForwardingTable.MISS ? ACTION_FLOOD : out;
    }

    private void apply(final PortEntry in, final int frame, final int action)
    {
        if (action == ACTION_FLOOD)
        {
            flood(in, frame);
        }
        else if (action == ACTION_DENY)
        {
            drop(in, DropReason.POLICY);
        }
        else if (action == in.id || (action >= REMOTE_BASE && null != in.vtep))
        {
            drop(in, DropReason.HAIRPIN);
        }
        else if (action >= REMOTE_BASE)
        {
            final int tunnel = bridgeTunnels[in.bridgeId];
            if (NO_PORT == tunnel)
            {
                flood(in, frame);
            }
            else
            {
                enqueueRemote(in, ports[tunnel], frame, peerOf(action));
            }
        }
        else
        {
            final PortEntry egress = ports[action];
            if (null != egress && egress.bridgeId == in.bridgeId)
            {
                enqueue(egress, frame);
            }
            else
            {
                flood(in, frame);
            }
        }
    }

    /** A GSO frame from an offloading port: longer than the MTU by design, segmented on the way out if need be. */
    private boolean isGso(final int frame)
    {
        return 0 != burst.buffer().getByte(burst.netHeaderOffset(frame) + GSO_TYPE_OFFSET);
    }

    /** Broadcast, multicast and unknown unicast: every port of the bridge but the ingress. */
    private void flood(final PortEntry in, final int frame)
    {
        final int[] members = bridgeMembers[in.bridgeId];
        final int count = bridgeMemberCounts[in.bridgeId];
        boolean sent = false;
        for (int i = 0; i < count; i++)
        {
            final int member = members[i];
            if (member == in.id)
            {
                continue;
            }
            final PortEntry egress = ports[member];
            if (null == egress.vtep)
            {
                enqueue(egress, frame);
            }
            else
            {
                enqueueRemote(in, egress, frame, Vtep.ALL_PEERS);
            }
            sent = true;
        }
        if (!sent)
        {
            drop(in, DropReason.NO_ROUTE);
        }
    }

    /**
     * Queues a frame for a peer ({@link Vtep#ALL_PEERS}: every peer) of a VXLAN endpoint if the overlay
     * can carry it; else drops it, counted on the endpoint, and answers the sender.
     */
    private void enqueueRemote(final PortEntry in, final PortEntry tunnel, final int frame, final int peer)
    {
        final int offset = burst.frameOffset(frame);
        final int length = burst.frameLength(frame);
        final int packetSize = packetTooBig.packetSize(burst.buffer(), burst.netHeaderOffset(frame), offset, length);
        if ((packetSize < 0 ? length - EthernetFlyweight.HEADER_LENGTH : packetSize) <= tunnel.overlayMtu)
        {
            tunnel.txPeers[tunnel.txCount] = peer;
            enqueue(tunnel, frame);
            return;
        }
        drop(tunnel, DropReason.OVERSIZE);
        final long now = clock.time();
        if (now != tooBigMs)
        {
            tooBigMs = now;
            tooBigReplies = 0;
        }
        if (tooBigReplies < TOO_BIG_REPLIES_PER_MS)
        {
            replies.clear();
            replies.clearNextNetHeader();
            final int reply = packetTooBig.reply(burst.buffer(), offset, length, tunnel.overlayMtu,
                replies.buffer(), replies.nextFrameOffset());
            if (reply > 0)
            {
                tooBigReplies++;
                replies.commit(reply);
                in.capture(replies, 0);
                in.countTransmit(replies, firstFrame, in.transmit(replies, firstFrame, null, 1), 1);
            }
        }
    }

    private void enqueue(final PortEntry egress, final int frame)
    {
        egress.capture(burst, frame);
        if (0 == egress.txCount)
        {
            pendingTx[pendingTxCount++] = egress.id;
        }
        egress.txIndexes[egress.txCount++] = frame;
    }

    private void flush()
    {
        for (int i = 0; i < pendingTxCount; i++)
        {
            final PortEntry egress = ports[pendingTx[i]];
            final int accepted = egress.port.offloads();
            if (Offloads.ALL == accepted || !anyNeedsOffloadWork(egress, accepted))
            {
                transmit(egress);
            }
            else
            {
                softwareOffload.transmit(burst, egress, accepted);
            }
            egress.txCount = 0;
        }
        pendingTxCount = 0;
    }

    private boolean anyNeedsOffloadWork(final PortEntry egress, final int accepted)
    {
        for (int j = 0; j < egress.txCount; j++)
        {
            if (SoftwareOffloadTransmitter.needsWork(burst, egress.txIndexes[j], accepted))
            {
                return true;
            }
        }
        return false;
    }

    private void transmit(final PortEntry egress)
    {
        final int queued = egress.txCount;
        egress.countTransmit(burst, egress.txIndexes, egress.transmit(burst, egress.txIndexes, egress.txPeers, queued), queued);
    }

    private static void drop(final PortEntry in, final DropReason reason)
    {
        in.counters.drops[reason.ordinal()].incrementRelease();
    }

    // ---- commands, run on this agent's thread ----

    void addBridge(final int bridgeId)
    {
        bridgeMembers[bridgeId] = new int[ports.length];
        bridgeMemberCounts[bridgeId] = 0;
    }

    void removeBridge(final int bridgeId)
    {
        bridgeMembers[bridgeId] = null;
        bridgeMemberCounts[bridgeId] = 0;
        bridgeTunnels[bridgeId] = NO_PORT;
    }

    void attach(final PortEntry entry)
    {
        ports[entry.id] = entry;
        if (null != entry.vtep)
        {
            bridgeTunnels[entry.bridgeId] = entry.id;
        }
        if (entry.polled)
        {
            startPolling(entry);
        }
        bridgeMembers[entry.bridgeId][bridgeMemberCounts[entry.bridgeId]++] = entry.id;
    }

    /**
     * Starts or stops receiving from a port whose one queue all threads share (the others go on writing
     * it); a port that is gone, or already in that state, is left alone. Frames the port receives meanwhile
     * wait in its queue for the thread that polls it next.
     */
    void poll(final int portId, final boolean poll)
    {
        final PortEntry entry = ports[portId];
        if (null == entry || entry.polled == poll)
        {
            return;
        }
        entry.polled = poll;
        if (poll)
        {
            startPolling(entry);
        }
        else
        {
            stopPolling(entry);
        }
    }

    private void startPolling(final PortEntry entry)
    {
        polled[polledCount++] = entry.id;
        if (null != waitSet)
        {
            waitSet.add(entry.port.pollFd());
        }
    }

    private void stopPolling(final PortEntry entry)
    {
        polledCount = remove(polled, polledCount, entry.id);
        if (null != waitSet)
        {
            waitSet.remove(entry.port.pollFd());
        }
    }

    /** Starts or (with null) ends the capture of a port's frames; a port that is gone is ignored. */
    void capture(final int portId, final PacketCapture capture)
    {
        final PortEntry entry = ports[portId];
        if (null != entry)
        {
            entry.capture = capture;
        }
    }

    /** Stops polling a port and removes it from its bridge; idempotent. */
    void detach(final int portId)
    {
        final PortEntry entry = ports[portId];
        if (null == entry)
        {
            return;
        }
        if (entry.polled)
        {
            stopPolling(entry);
        }
        final int[] members = bridgeMembers[entry.bridgeId];
        if (null != members)
        {
            bridgeMemberCounts[entry.bridgeId] = remove(members, bridgeMemberCounts[entry.bridgeId], portId);
        }
        if (bridgeTunnels[entry.bridgeId] == portId)
        {
            bridgeTunnels[entry.bridgeId] = NO_PORT;
        }
        ports[portId] = null;
    }

    private static int remove(final int[] values, final int count, final int value)
    {
        for (int i = 0; i < count; i++)
        {
            if (values[i] == value)
            {
                System.arraycopy(values, i + 1, values, i, count - i - 1);
                values[count - 1] = 0;
                return count - 1;
            }
        }
        return count;
    }
}
