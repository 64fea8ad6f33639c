package io.vireo.gateway.router;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.pipeline.PortCounters;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Packets set aside, copied out of the burst (with their virtio-net header) into slots of their own,
 * each with a bridge and a 128-bit key: routed packets waiting for their next hop's MAC, as the kernel
 * queues packets on an unresolved neighbour (the key: the next hop's address), and IPv4 fragments
 * waiting for their datagram's first fragment at a router with NAT (the key: the datagram's); a packet's
 * {@link FrameBurst#fragmentMtu(int) fragment MTU} is kept with it. One per
 * forwarding thread and use; fixed size, no allocation after construction.
 * <pre>
 *  slot i: | net header (12 B) | frame, length[i] bytes |
 * </pre>
 */
final class HeldPackets
{
    private final UnsafeBuffer slots;
    private final int slotSize;
    private final int[] lengths;
    private final int[] bridgeIds;
    private final boolean[] ipv6;
    private final long[] targetHigh;
    private final long[] targetLow;
    private final long[] heldAtMs;
    private final int[] fragmentMtus;
    private final PortCounters[] counters;
    private int count;

    /**
     * @param capacity packets held at once.
     * @param slotSize bytes per packet, its virtio-net header included.
     */
    HeldPackets(final int capacity, final int slotSize)
    {
        this.slots = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity * slotSize, 64));
        this.slotSize = slotSize;
        this.lengths = new int[capacity];
        this.bridgeIds = new int[capacity];
        this.ipv6 = new boolean[capacity];
        this.targetHigh = new long[capacity];
        this.targetLow = new long[capacity];
        this.heldAtMs = new long[capacity];
        this.fragmentMtus = new int[capacity];
        this.counters = new PortCounters[capacity];
    }

    boolean isEmpty()
    {
        return 0 == count;
    }

    int count()
    {
        return count;
    }

    /**
     * Copies frame {@code frame} of the burst to a free slot.
     *
     * @param counters where to count it if it is dropped later: the port it came from.
     * @return false if every slot is taken or the frame is too long to hold.
     */
    boolean hold(
        final FrameBurst frames, final int frame, final int bridgeId, final boolean isIpv6, final long high,
        final long low, final long nowMs, final PortCounters counters)
    {
        final int length = frames.frameLength(frame);
        if (count == lengths.length || length + FrameBurst.NET_HEADER_LENGTH > slotSize)
        {
            return false;
        }
        final int i = count++;
        slots.putBytes(i * slotSize, frames.buffer(), frames.netHeaderOffset(frame), FrameBurst.NET_HEADER_LENGTH + length);
        lengths[i] = length;
        bridgeIds[i] = bridgeId;
        ipv6[i] = isIpv6;
        targetHigh[i] = high;
        targetLow[i] = low;
        heldAtMs[i] = nowMs;
        fragmentMtus[i] = frames.fragmentMtu(frame);
        this.counters[i] = counters;
        return true;
    }

    /**
     * Copies packet {@code i}, with its virtio-net header, into the burst's next free slot (not
     * committed).
     *
     * @return its length.
     */
    int copyOut(final int i, final FrameBurst frames)
    {
        final int length = lengths[i];
        frames.buffer().putBytes(frames.nextFrameOffset() - FrameBurst.NET_HEADER_LENGTH, slots, i * slotSize,
            FrameBurst.NET_HEADER_LENGTH + length);
        return length;
    }

    /** Forgets packet {@code i}; the last one takes its place. */
    void remove(final int i)
    {
        final int last = --count;
        if (i != last)
        {
            slots.putBytes(i * slotSize, slots, last * slotSize, FrameBurst.NET_HEADER_LENGTH + lengths[last]);
            lengths[i] = lengths[last];
            bridgeIds[i] = bridgeIds[last];
            ipv6[i] = ipv6[last];
            targetHigh[i] = targetHigh[last];
            targetLow[i] = targetLow[last];
            heldAtMs[i] = heldAtMs[last];
            fragmentMtus[i] = fragmentMtus[last];
            counters[i] = counters[last];
        }
        counters[last] = null;
    }

    int bridgeId(final int i)
    {
        return bridgeIds[i];
    }

    boolean isIpv6(final int i)
    {
        return ipv6[i];
    }

    long targetHigh(final int i)
    {
        return targetHigh[i];
    }

    long targetLow(final int i)
    {
        return targetLow[i];
    }

    long heldAtMs(final int i)
    {
        return heldAtMs[i];
    }

    /** The MTU packet {@code i} is to be cut to on output, or 0 ({@link FrameBurst#fragmentMtu(int)}). */
    int fragmentMtu(final int i)
    {
        return fragmentMtus[i];
    }

    PortCounters counters(final int i)
    {
        return counters[i];
    }
}
