package io.vireo.vswitch.core;

import java.nio.file.Path;

import io.vireo.dataplane.pipeline.Destination;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.gateway.suppression.SuppressionTable;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

/** Configuration of a {@link Vireo} switch; every setting has a production default. */
public final class VireoContext
{
    /** The kernel's limit of queues per TAP. */
    public static final int MAX_FORWARDING_THREADS = 256;
    /** Most frames a forwarding thread takes from a port in one receive call: 256 slots are 32 MiB with TAP offloads. */
    public static final int MAX_BURST_SIZE = 256;
    private ThreadingMode threadingMode = ThreadingMode.DEDICATED;
    private IdleMode idleMode = IdleMode.ADAPTIVE;
    private int forwardingThreads = 1;
    private int[] forwardingCpus;
    private boolean tapOffloads = true;
    private int fdbCapacity = 65_536;
    private int connectionCapacity = 262_144;
    /** 100,000 endpoints of an overlay with an IPv4 and an IPv6 address each: 6.4 MB off heap (SuppressionTable). */
    private int neighbourAnswerCapacity = 200_000;
    private int flowCacheCapacity = 8_192;
    private int burstSize = 64;
    private int slotSize;
    private int headroom = 128;
    private int maxFrameLength = 9_216 + 14 + 8;
    private long defaultAgingSeconds = 300;
    private int maxPorts = 1_024;
    private int maxBridges = 256;
    private Path countersFile;
    private Path portKeeperDir;
    private int maxCounters = 16_384;
    private EpochClock epochClock = SystemEpochClock.INSTANCE;
    private int warmUpBursts = 20_000;

    public ThreadingMode threadingMode()
    {
        return threadingMode;
    }

    public VireoContext threadingMode(final ThreadingMode threadingMode)
    {
        this.threadingMode = threadingMode;
        return this;
    }

    public IdleMode idleMode()
    {
        return idleMode;
    }

    /** How forwarding threads wait when idle (dedicated threading only); {@link IdleMode#ADAPTIVE} by default. */
    public VireoContext idleMode(final IdleMode idleMode)
    {
        this.idleMode = idleMode;
        return this;
    }

    public boolean tapOffloads()
    {
        return tapOffloads;
    }

    /**
     * Open TAP ports with {@code IFF_VNET_HDR} and TSO/USO/checksum offloads, so 64 KB GSO frames cross
     * the switch in one read and one write (on by default); ports that take no offloads get them
     * segmented in software.
     */
    public VireoContext tapOffloads(final boolean tapOffloads)
    {
        this.tapOffloads = tapOffloads;
        return this;
    }

    /** Addresses the switch answers ARP and neighbour solicitations for itself, all bridges together. */
    public int neighbourAnswerCapacity()
    {
        return neighbourAnswerCapacity;
    }

    /**
     * Sets {@link #neighbourAnswerCapacity()}, 1 to {@link SuppressionTable#MAX_CAPACITY}: 32 bytes off heap
     * an address.
     */
    public VireoContext neighbourAnswerCapacity(final int neighbourAnswerCapacity)
    {
        this.neighbourAnswerCapacity = neighbourAnswerCapacity;
        return this;
    }

    public int fdbCapacity()
    {
        return fdbCapacity;
    }

    public VireoContext fdbCapacity(final int fdbCapacity)
    {
        this.fdbCapacity = fdbCapacity;
        return this;
    }

    public int connectionCapacity()
    {
        return connectionCapacity;
    }

    /**
     * Connections the routers' NAT tracks at once, all routers together; a new one beyond is refused
     * (counted as {@code conntrack_full}), the established ones go on.
     */
    public VireoContext connectionCapacity(final int connectionCapacity)
    {
        this.connectionCapacity = connectionCapacity;
        return this;
    }

    public int flowCacheCapacity()
    {
        return flowCacheCapacity;
    }

    /** Entries of each forwarding thread's exact-match flow cache, a power of two. */
    public VireoContext flowCacheCapacity(final int flowCacheCapacity)
    {
        this.flowCacheCapacity = flowCacheCapacity;
        return this;
    }

    /** Forwarding threads (default 1: on 2 cores one is usually best, as a TAP write runs the receiver's stack). */
    public int forwardingThreads()
    {
        return forwardingThreads;
    }

    /**
     * With several, every TAP is multi-queue with a queue per thread, each thread polls and writes its
     * own queues, and ports with one queue (vhost-user, VXLAN, loopback) are polled by one thread each.
     */
    public VireoContext forwardingThreads(final int forwardingThreads)
    {
        this.forwardingThreads = forwardingThreads;
        return this;
    }

    /** The CPU each forwarding thread is pinned to, by thread, or null: not pinned (the default). */
    public int[] forwardingCpus()
    {
        return null == forwardingCpus ? null : forwardingCpus.clone();
    }

    /**
     * Pins forwarding thread i to CPU {@code cpus[i]}: one CPU per thread, CPUs the process may run on,
     * dedicated threading only. Null unpins.
     */
    public VireoContext forwardingCpus(final int... cpus)
    {
        this.forwardingCpus = null == cpus ? null : cpus.clone();
        return this;
    }

    public int burstSize()
    {
        return burstSize;
    }

    /**
     * Most frames a forwarding thread takes from one port in a receive call, and so carries through the
     * pipeline at once: 1 to {@link #MAX_BURST_SIZE}, 64 by default. More spreads each burst's fixed cost
     * (a vhost-user queue's ring indexes and flags, lines the driver writes) over more frames: between two vhost-user ports
     * 64 carried 1.16-1.20x the 64-byte frames of 32 and 128 no more than 64 (benches/README.md, 2026-12-06/07). Ports stop
     * filling a burst at {@link io.vireo.dataplane.buffer.FrameBurst#RECEIVE_BYTES} of frames whatever this is.
     */
    public VireoContext burstSize(final int burstSize)
    {
        this.burstSize = burstSize;
        return this;
    }

    /** Bytes per packet slot; by default 16 KiB, or 128 KiB with TAP offloads (64 KB GSO frames). */
    public int slotSize()
    {
        return 0 != slotSize ? slotSize : tapOffloads ? 131_072 : 16_384;
    }

    /** Bytes per packet slot, a power of two holding the largest frame plus {@link #headroom()}. */
    public VireoContext slotSize(final int slotSize)
    {
        this.slotSize = slotSize;
        return this;
    }

    public int headroom()
    {
        return headroom;
    }

    public VireoContext headroom(final int headroom)
    {
        this.headroom = headroom;
        return this;
    }

    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    /**
     * Longest frame forwarded, GSO frames aside (they are bounded by the slot); longer ones are dropped
     * as oversize. Default: 9216-byte MTU + Ethernet + 2 VLAN tags.
     */
    public VireoContext maxFrameLength(final int maxFrameLength)
    {
        this.maxFrameLength = maxFrameLength;
        return this;
    }

    public long defaultAgingSeconds()
    {
        return defaultAgingSeconds;
    }

    public VireoContext defaultAgingSeconds(final long defaultAgingSeconds)
    {
        this.defaultAgingSeconds = defaultAgingSeconds;
        return this;
    }

    public int maxPorts()
    {
        return maxPorts;
    }

    public VireoContext maxPorts(final int maxPorts)
    {
        this.maxPorts = maxPorts;
        return this;
    }

    public int maxBridges()
    {
        return maxBridges;
    }

    public VireoContext maxBridges(final int maxBridges)
    {
        this.maxBridges = maxBridges;
        return this;
    }

    public Path countersFile()
    {
        return countersFile;
    }

    /** The run dir whose port keeper holds the TAP ports' descriptors across restarts; null: none. */
    public Path portKeeperDir()
    {
        return portKeeperDir;
    }

    /**
     * Keeps TAP ports across restarts: a port keeper process in {@code runDir} (started if none runs there)
     * holds copies of their descriptors, and a TAP port added with the name of one it holds takes that
     * device back ({@link Vireo#addTapPort}) instead of making a new one.
     */
    public VireoContext portKeeperDir(final Path runDir)
    {
        this.portKeeperDir = runDir;
        return this;
    }

    /** Memory-mapped counters file other processes read; null keeps counters in this process only. */
    public VireoContext countersFile(final Path countersFile)
    {
        this.countersFile = countersFile;
        return this;
    }

    public int maxCounters()
    {
        return maxCounters;
    }

    public VireoContext maxCounters(final int maxCounters)
    {
        this.maxCounters = maxCounters;
        return this;
    }

    public EpochClock epochClock()
    {
        return epochClock;
    }

    /** Clock for learning and aging; tests pass a controllable one. */
    public VireoContext epochClock(final EpochClock epochClock)
    {
        this.epochClock = epochClock;
        return this;
    }

    public int warmUpBursts()
    {
        return warmUpBursts;
    }

    /**
     * Bursts of synthetic frames run through a private copy of the pipeline at launch, so the forwarding
     * path is compiled before the first real frame ({@link io.vireo.vswitch.pipeline.ForwardingWarmUp});
     * 0: none.
     */
    public VireoContext warmUpBursts(final int warmUpBursts)
    {
        this.warmUpBursts = warmUpBursts;
        return this;
    }

    void validate()
    {
        if (burstSize < 1 || burstSize > MAX_BURST_SIZE)
        {
            throw VireoException.invalid("burst size must be 1.." + MAX_BURST_SIZE + " frames, got " + burstSize);
        }
        if (warmUpBursts < 0)
        {
            throw VireoException.invalid("warm-up bursts must be 0 or more, got " + warmUpBursts);
        }
        if (headroom + maxFrameLength > slotSize())
        {
            throw VireoException.invalid("slotSize " + slotSize() + " cannot hold headroom " + headroom +
                " plus maxFrameLength " + maxFrameLength);
        }
        if (connectionCapacity < 1 || connectionCapacity > 1 << 24)
        {
            throw VireoException.invalid("connection capacity must be 1..16777216, got " + connectionCapacity);
        }
        if (defaultAgingSeconds <= 0)
        {
            throw VireoException.invalid("aging time must be positive, got " + defaultAgingSeconds);
        }
        if (forwardingThreads < 1 || forwardingThreads > MAX_FORWARDING_THREADS)
        {
            throw VireoException.invalid("forwarding threads must be 1.." + MAX_FORWARDING_THREADS + ", got " + forwardingThreads);
        }
        if (null != forwardingCpus)
        {
            if (forwardingCpus.length != forwardingThreads)
            {
                throw VireoException.invalid("give one CPU per forwarding thread: " + forwardingThreads +
                    " thread(s), " + forwardingCpus.length + " CPU(s)");
            }
            if (threadingMode != ThreadingMode.DEDICATED)
            {
                throw VireoException.invalid("forwarding CPUs need dedicated forwarding threads");
            }
        }
        // Port ids, and the peers behind ports, share the forwarding table's destination numbers.
        final int maxPortIds = Destination.maxPortId(ForwardingTable.MAX_DESTINATION) + 1;
        if (maxPorts <= 0 || maxPorts > maxPortIds)
        {
            throw VireoException.invalid("maxPorts must be 1.." + maxPortIds + ", got " + maxPorts);
        }
        if (maxBridges <= 0 || maxBridges > ForwardingTable.MAX_BRIDGE_ID + 1)
        {
            throw VireoException.invalid("maxBridges must be 1.." + (ForwardingTable.MAX_BRIDGE_ID + 1) + ", got " + maxBridges);
        }
        if (neighbourAnswerCapacity < 1 || neighbourAnswerCapacity > SuppressionTable.MAX_CAPACITY)
        {
            throw VireoException.invalid("neighbourAnswerCapacity must be 1.." + SuppressionTable.MAX_CAPACITY + ", got " +
                neighbourAnswerCapacity);
        }
    }
}
