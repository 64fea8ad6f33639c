package io.vireo.vswitch.pipeline;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.icmp.PacketTooBig;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.Destination;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.ShapingQueue;
import io.vireo.dataplane.pipeline.Stage;
import io.vireo.dataplane.pipeline.TokenBucket;

/**
 * The last stage: carries out each frame's action and sends. A frame for a destination is queued on
 * its port, with the destination's peer in the frame's metadata; a flooded frame on every other port
 * of the bridge, to all peers of a port that has peers (a frame never goes back out of the port it came
 * in on: so nothing from the overlay goes back into it either). A frame for its own ingress port is
 * dropped as {@code hairpin}; one for a port that is gone or on another bridge is flooded. A frame a
 * router {@link BurstContext#route routed} goes out on the router's bridge instead, through any of its
 * ports, the ingress port included. Then every port with frames queued is sent its burst once, with
 * the offloads it does not take done in software.
 * <p>
 * A port with an {@link io.vireo.dataplane.port.Port#mtu() MTU} (a VXLAN port's overlay) gets no IP
 * packet larger than it: such a frame is dropped, counted as {@code oversize} on that port, and its
 * sender gets an ICMP answer ({@link PacketTooBig}), at most {@link #TOO_BIG_REPLIES_PER_MS} per
 * millisecond, as the kernel limits its own. A packet a router marked to be fragmented
 * ({@link FrameBurst#fragmentMtu(int)}) is cut to the smaller of that MTU and the port's instead. Frames
 * are never copied but to be cut: a flooded frame is queued by index on every output port and written
 * from the same slot.
 */
final class OutputStage implements Stage
{
    private static final int TOO_BIG_REPLIES_PER_MS = 4;

    private final PortTable ports;
    private final int[] pendingTx;
    private int pendingTxCount;
    private final SoftwareOffloadTransmitter softwareOffload;
    private final PacketTooBig packetTooBig = new PacketTooBig();
    private final FrameBurst replies = new FrameBurst(1, 4096, FrameBurst.NET_HEADER_LENGTH);
    private final int[] firstFrame = {0};
    private long tooBigMs;
    private int tooBigReplies;

    /** Frames a port's shaping queue holds on one thread. */
    private static final int SHAPING_FRAMES = 64;
    /** The bytes it holds: 100 ms at the port's rate, at least 256 KiB. */
    private static final long SHAPING_MILLIS = 100;
    private static final long SHAPING_MIN_BYTES = 256 * 1024;
    /**
     * Queued frames go out once the bucket holds this much credit (half the burst's worth, at most 1 ms):
     * a few frames per wake-up rather than one, which costs the thread and the receiver's ACKs far less.
     */
    private static final long SHAPING_BATCH_MAX_NANOS = 1_000_000;

    /** Ids of the ports whose shaping queue on this thread holds frames. */
    private final int[] shapingPorts;
    private int shapingCount;
    private final int slotSize;
    private final int headroom;

    OutputStage(final PortTable ports, final int maxPorts, final int burstSize, final int slotSize, final int headroom)
    {
        this.ports = ports;
        this.pendingTx = new int[maxPorts];
        this.shapingPorts = new int[maxPorts];
        this.softwareOffload = new SoftwareOffloadTransmitter(burstSize);
        this.slotSize = slotSize;
        this.headroom = headroom;
    }

    @Override
    public void process(final BurstContext burst)
    {
        final PortEntry in = ports.port(burst.ingressPort());
        for (int frame = 0, size = burst.size(); frame < size; frame++)
        {
            final int action = burst.action(frame);
            if (action == BurstContext.FLOOD)
            {
                flood(burst, in, frame);
            }
            else if (action >= 0)
            {
                final int portId = Destination.port(action);
                final PortEntry egress = ports.port(portId);
                final boolean routed = burst.isRouted(frame);
                if (portId == in.id && !routed)
                {
                    burst.drop(frame, DropReason.HAIRPIN);
                }
                else if (null != egress && egress.bridgeId == burst.bridge(frame))
                {
                    enqueue(burst, in, egress, frame, Destination.peer(action));
                }
                else
                {
                    flood(burst, in, frame);
                }
            }
        }
        flush(burst.frames());
    }

    /**
     * Broadcast, multicast and unknown unicast: every port of the frame's bridge but the ingress (a
     * routed frame comes from the router, so the ingress port gets it too).
     */
    private void flood(final BurstContext burst, final PortEntry in, final int frame)
    {
        final int bridgeId = burst.bridge(frame);
        final int except = burst.isRouted(frame) ? -1 : in.id;
        final int[] members = ports.members(bridgeId);
        final int count = ports.memberCount(bridgeId);
        boolean sent = false;
        for (int i = 0; i < count; i++)
        {
            final int member = members[i];
            if (member != except)
            {
                enqueue(burst, in, ports.port(member), frame, FrameBurst.ALL_PEERS);
                sent = true;
            }
        }
        if (!sent)
        {
            burst.drop(frame, DropReason.NO_ROUTE);
        }
    }

    private void enqueue(final BurstContext burst, final PortEntry in, final PortEntry egress, final int frame, final int peer)
    {
        final FrameBurst frames = burst.frames();
        if (0 != egress.mtu && 0 == frames.fragmentMtu(frame) && tooBig(frames, frame, egress.mtu))
        {
            egress.counters.dropped(DropReason.OVERSIZE, 1);
            answerTooBig(burst, in, frame, egress.mtu);
            return;
        }
        egress.capture(frames, frame);
        frames.peer(frame, peer);
        if (0 == egress.txCount)
        {
            pendingTx[pendingTxCount++] = egress.id;
        }
        egress.txIndexes[egress.txCount++] = frame;
    }

    private boolean tooBig(final FrameBurst frames, final int frame, final int mtu)
    {
        final int length = frames.frameLength(frame);
        final int packetSize = packetTooBig.packetSize(frames.buffer(), frames.netHeaderOffset(frame), frames.frameOffset(frame), length);
        return (packetSize < 0 ? length - EthernetFlyweight.HEADER_LENGTH : packetSize) > mtu;
    }

    /** Tells the sender of a frame too big for {@code mtu}, rate limited; the answer goes straight out of the ingress port. */
    private void answerTooBig(final BurstContext burst, final PortEntry in, final int frame, final int mtu)
    {
        final long now = burst.nowMs();
        if (now != tooBigMs)
        {
            tooBigMs = now;
            tooBigReplies = 0;
        }
        if (tooBigReplies < TOO_BIG_REPLIES_PER_MS)
        {
            final FrameBurst frames = burst.frames();
            replies.clear();
            replies.clearNextNetHeader();
            final int reply = packetTooBig.reply(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame), mtu,
                replies.buffer(), replies.nextFrameOffset());
            if (reply > 0)
            {
                tooBigReplies++;
                replies.commit(reply);
                in.capture(replies, 0);
                in.transmit(replies, firstFrame, 1);
            }
        }
    }

    private void flush(final FrameBurst frames)
    {
        for (int i = 0; i < pendingTxCount; i++)
        {
            final PortEntry egress = ports.port(pendingTx[i]);
            if (egress.egressLimit.limited() || null != egress.shaping && !egress.shaping.isEmpty())
            {
                shape(frames, egress, System.nanoTime());
            }
            send(frames, egress);
            egress.txCount = 0;
        }
        pendingTxCount = 0;
    }

    /**
     * Sends the egress port's queued frames, segmenting or checksumming in software what it does not take,
     * and fragmenting what a router marked.
     */
    private void send(final FrameBurst frames, final PortEntry egress)
    {
        final int accepted = egress.port.offloads();
        if (!anyNeedsWork(frames, egress, accepted))
        {
            egress.transmit(frames, egress.txIndexes, egress.txCount);
        }
        else
        {
            softwareOffload.transmit(frames, egress, accepted);
        }
    }

    /**
     * Keeps queued for sending now the frames the egress limit lets pass, in order; the others wait in the
     * port's shaping queue behind any already there, and what does not fit there is dropped and counted.
     */
    private void shape(final FrameBurst frames, final PortEntry egress, final long nowNanos)
    {
        if (null == egress.shaping)
        {
            egress.shaping = new ShapingQueue(SHAPING_FRAMES, slotSize, headroom);
        }
        final ShapingQueue queue = egress.shaping;
        final long maxBytes = Math.max(SHAPING_MIN_BYTES, egress.egressLimit.rate() / 8 * SHAPING_MILLIS / 1000);
        int kept = 0;
        int dropped = 0;
        for (int j = 0; j < egress.txCount; j++)
        {
            final int frame = egress.txIndexes[j];
            final boolean wasEmpty = queue.isEmpty();
            if (wasEmpty && egress.egressLimit.admit(frames.wireLength(frame), nowNanos))
            {
                egress.txIndexes[kept++] = frame;
            }
            else if (queue.offer(frames, frame, maxBytes))
            {
                if (wasEmpty)
                {
                    shapingPorts[shapingCount++] = egress.id;
                }
            }
            else
            {
                dropped++;
            }
        }
        if (dropped > 0)
        {
            egress.counters.dropped(DropReason.RATE_LIMITED, dropped);
        }
        egress.txCount = kept;
    }

    /** True while a shaping queue of this thread holds frames. */
    boolean isShaping()
    {
        return shapingCount > 0;
    }

    /**
     * Sends what the shaping queues of this thread may send now.
     *
     * @return the frames sent.
     */
    int drainShaping(final long nowNanos)
    {
        int sent = 0;
        for (int i = 0; i < shapingCount; i++)
        {
            final PortEntry egress = ports.port(shapingPorts[i]);
            final ShapingQueue queue = null == egress ? null : egress.shaping;
            if (null != queue && !queue.isEmpty() && nowNanos - releaseAt(egress) >= 0)
            {
                final FrameBurst waiting = queue.frames();
                int count = 0;
                for (int frame = queue.head(); frame < waiting.size() && count < egress.txIndexes.length; frame++)
                {
                    if (!egress.egressLimit.admit(waiting.wireLength(frame), nowNanos))
                    {
                        break;
                    }
                    egress.txIndexes[count++] = frame;
                }
                if (count > 0)
                {
                    egress.txCount = count;
                    send(waiting, egress);
                    egress.txCount = 0;
                    queue.remove(count);
                    sent += count;
                }
            }
            if (null == queue || queue.isEmpty())
            {
                shapingPorts[i--] = shapingPorts[--shapingCount];
            }
        }
        return sent;
    }

    /** When the first shaping queue of this thread may send again ({@link System#nanoTime()} time); MAX_VALUE if none waits. */
    long shapingDeadline()
    {
        long deadline = Long.MAX_VALUE;
        for (int i = 0; i < shapingCount; i++)
        {
            final PortEntry egress = ports.port(shapingPorts[i]);
            if (null != egress)
            {
                deadline = Math.min(deadline, releaseAt(egress));
            }
        }
        return deadline;
    }

    /** When the egress port's queued frames go out next: once its bucket holds a batch's credit. */
    private static long releaseAt(final PortEntry egress)
    {
        final TokenBucket limit = egress.egressLimit;
        return limit.readyAt() + Math.min(limit.burstNanos() / 2, SHAPING_BATCH_MAX_NANOS);
    }

    private static boolean anyNeedsWork(final FrameBurst frames, final PortEntry egress, final int accepted)
    {
        for (int j = 0; j < egress.txCount; j++)
        {
            if (SoftwareOffloadTransmitter.needsWork(frames, egress.txIndexes[j], accepted))
            {
                return true;
            }
        }
        return false;
    }
}
