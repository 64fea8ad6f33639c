package io.vireo.vswitch.core;

import java.util.concurrent.atomic.AtomicBoolean;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.port.Port;
import io.vireo.tunnel.vxlan.Vtep;

/**
 * A port as one forwarding thread sees it: the port, its bridge, its counters and its pending
 * transmit burst (indexes of frames in the current receive burst). A bridge's VXLAN endpoint is a
 * port too; its frames also carry the peer each goes to, and it counts its own transmits.
 * <p>
 * With several forwarding threads every thread has an entry for every port. A multi-queue TAP gives
 * each thread a queue of its own: it polls and writes that queue, no lock. A port with one queue is
 * polled by one thread only ({@link #polled}), and the threads share its transmit side through
 * {@link #txLock} (a spin lock, held per burst, as Open vSwitch shares a port with fewer transmit
 * queues than threads); its receive side and its transmit side may run at once on two threads, which
 * every port type allows.
 */
final class PortEntry
{
    final Port port;
    final int id;
    final int bridgeId;
    final PortCounters counters;
    final int[] txIndexes;
    int txCount;
    /** The port as a VXLAN endpoint, or null. */
    final Vtep vtep;
    /** With {@link #vtep}: the peer of each queued frame, or {@link Vtep#ALL_PEERS}. */
    final int[] txPeers;
    /** With {@link #vtep}: the largest IP packet the overlay carries. */
    final int overlayMtu;
    /** The capture of this port's frames, or null; set and read on the forwarding thread only. */
    PacketCapture capture;
    /** True if this thread receives from the port; changed on this thread only ({@link ForwardingAgent#poll}). */
    boolean polled;
    /** Taken around every transmit when threads share the port's one queue; null when they do not. */
    private final AtomicBoolean txLock;

    PortEntry(final Port port, final int id, final int bridgeId, final PortCounters counters, final int burstSize)
    {
        this(port, id, bridgeId, counters, burstSize, 0, true, null);
    }

    PortEntry(
        final Port port,
        final int id,
        final int bridgeId,
        final PortCounters counters,
        final int burstSize,
        final int overlayMtu,
        final boolean polled,
        final AtomicBoolean txLock)
    {
        this.polled = polled;
        this.txLock = txLock;
        this.port = port;
        this.id = id;
        this.bridgeId = bridgeId;
        this.counters = counters;
        this.txIndexes = new int[burstSize];
        this.vtep = port instanceof Vtep tunnel ? tunnel : null;
        this.txPeers = null == vtep ? null : new int[burstSize];
        this.overlayMtu = overlayMtu;
    }

    /** Adds a frame received on or queued for this port to its capture, if it has one. */
    void capture(final FrameBurst frames, final int frame)
    {
        if (null != capture)
        {
            capture.record(frames.buffer(), frames.frameOffset(frame), Math.min(frames.frameLength(frame), frames.frameCapacity()));
        }
    }

    /** Sends frames {@code indexes[0..count)} of {@code frames}, to {@code peers[i]} each on a VXLAN endpoint. */
    int transmit(final FrameBurst frames, final int[] indexes, final int[] peers, final int count)
    {
        if (null == txLock)
        {
            return send(frames, indexes, peers, count);
        }
        while (!txLock.compareAndSet(false, true))
        {
            Thread.onSpinWait();
        }
        try
        {
            return send(frames, indexes, peers, count);
        }
        finally
        {
            txLock.setRelease(false);
        }
    }

    private int send(final FrameBurst frames, final int[] indexes, final int[] peers, final int count)
    {
        return null == vtep ? port.transmit(frames, indexes, count) : vtep.transmit(frames, indexes, peers, count);
    }

    /** Adds sent frames to the port's counters, and what it refused as {@link DropReason#TX_ERROR}; a VXLAN endpoint counts itself. */
    void countTransmit(final FrameBurst frames, final int[] indexes, final int sent, final int queued)
    {
        if (null != vtep)
        {
            return;
        }
        long bytes = 0;
        for (int j = 0; j < sent; j++)
        {
            bytes += frames.frameLength(indexes[j]);
        }
        counters.txPackets.getAndAddRelease(sent);
        counters.txBytes.getAndAddRelease(bytes);
        if (sent < queued)
        {
            counters.drops[DropReason.TX_ERROR.ordinal()].getAndAddRelease(queued - sent);
        }
    }
}
