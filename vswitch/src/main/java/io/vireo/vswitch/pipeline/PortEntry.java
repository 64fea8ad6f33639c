package io.vireo.vswitch.pipeline;

import java.util.concurrent.atomic.AtomicBoolean;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.pipeline.ShapingQueue;
import io.vireo.dataplane.pipeline.TokenBucket;
import io.vireo.dataplane.port.Port;

/**
 * A port as one forwarding thread sees it: the port, its bridge, its counters and its pending
 * transmit burst (indexes of frames in the current receive burst).
 * <p>
 * With several forwarding threads every thread has an entry for every port. A multi-queue TAP gives
 * each thread a queue of its own: it polls and writes that queue, no lock. A port with one queue is
 * polled by one thread only ({@link #polled}), and the threads share its transmit side through
 * {@link #txLock} (a spin lock, held per burst, as Open vSwitch shares a port with fewer transmit
 * queues than threads); its receive side and its transmit side may run at once on two threads, which
 * every port type allows.
 */
public final class PortEntry
{
    final Port port;
    final int id;
    final int bridgeId;
    final PortCounters counters;
    /** {@link Port#mtu()}, fixed for the port's life. */
    final int mtu;
    /** {@link Port#countsTransmits()}, fixed for the port's life. */
    private final boolean portCountsTransmits;
    final int[] txIndexes;
    int txCount;
    /** The capture of this port's frames, or null; set and read on the forwarding thread only. */
    FrameRecorder capture;
    /** True if this thread receives from the port; changed on this thread only ({@link ForwardingAgent#poll}). */
    boolean polled;
    /** Taken around every transmit when threads share the port's one queue; null when they do not. */
    private final AtomicBoolean txLock;
    /** The port's rate limits, shared by every thread's entry: frames it sends into the switch, frames it is sent. */
    final TokenBucket ingressLimit;
    final TokenBucket egressLimit;
    /** Frames this thread holds for the egress limit; made the first time one waits ({@link OutputStage}). */
    ShapingQueue shaping;
    /** True while this thread does not read the port, which is over its ingress limit, nor watch its descriptor. */
    boolean suspended;

    /** A port that this thread polls and writes alone. */
    public PortEntry(final Port port, final int id, final int bridgeId, final PortCounters counters, final int burstSize)
    {
        this(port, id, bridgeId, counters, burstSize, true, null, new TokenBucket(), new TokenBucket());
    }

    /**
     * @param polled       true if this thread receives from the port.
     * @param txLock       shared by every thread's entry of a port with one queue; null for a queue of this thread's own.
     * @param ingressLimit the port's ingress policer, shared by every thread's entry of it.
     * @param egressLimit  its egress policer, shared too.
     */
    public PortEntry(
        final Port port,
        final int id,
        final int bridgeId,
        final PortCounters counters,
        final int burstSize,
        final boolean polled,
        final AtomicBoolean txLock,
        final TokenBucket ingressLimit,
        final TokenBucket egressLimit)
    {
        this.ingressLimit = ingressLimit;
        this.egressLimit = egressLimit;
        this.polled = polled;
        this.txLock = txLock;
        this.port = port;
        this.id = id;
        this.bridgeId = bridgeId;
        this.counters = counters;
        this.mtu = port.mtu();
        this.portCountsTransmits = port.countsTransmits();
        this.txIndexes = new int[burstSize];
    }

    public Port port()
    {
        return port;
    }

    public int id()
    {
        return id;
    }

    public PortCounters counters()
    {
        return counters;
    }

    public TokenBucket ingressLimit()
    {
        return ingressLimit;
    }

    public TokenBucket egressLimit()
    {
        return egressLimit;
    }

    /** Adds a frame received on or queued for this port to its capture, if it has one. */
    void capture(final FrameBurst frames, final int frame)
    {
        if (null != capture)
        {
            capture.record(frames.buffer(), frames.frameOffset(frame), Math.min(frames.frameLength(frame), frames.frameCapacity()));
        }
    }

    /** Sends frames {@code indexes[0..count)} of {@code frames} and counts them. */
    void transmit(final FrameBurst frames, final int[] indexes, final int count)
    {
        countTransmit(frames, indexes, send(frames, indexes, count), count);
    }

    /** Sends frames {@code indexes[0..count)} of {@code frames}; returns how many the port took. */
    int send(final FrameBurst frames, final int[] indexes, final int count)
    {
        if (null == txLock)
        {
            return port.transmit(frames, indexes, count);
        }
        while (!txLock.compareAndSet(false, true))
        {
            Thread.onSpinWait();
        }
        try
        {
            return port.transmit(frames, indexes, count);
        }
        finally
        {
            txLock.setRelease(false);
        }
    }

    /**
     * Adds sent frames to the port's counters, and what it refused as {@link DropReason#TX_ERROR}, unless
     * the port {@link Port#countsTransmits() counts them itself}.
     */
    void countTransmit(final FrameBurst frames, final int[] indexes, final int sent, final int queued)
    {
        if (portCountsTransmits)
        {
            return;
        }
        long bytes = 0;
        for (int j = 0; j < sent; j++)
        {
            bytes += frames.frameLength(indexes[j]);
        }
        counters.sent(sent, bytes);
        if (sent < queued)
        {
            counters.dropped(DropReason.TX_ERROR, queued - sent);
        }
    }
}
