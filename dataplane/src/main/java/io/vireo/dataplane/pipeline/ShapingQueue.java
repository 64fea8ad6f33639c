package io.vireo.dataplane.pipeline;

import io.vireo.dataplane.buffer.FrameBurst;

/**
 * Frames waiting, in order, for a port's egress {@link TokenBucket}: one queue per port and forwarding
 * thread (the bucket is shared). Frames are copied in (virtio-net header, bytes, peer), so the receive burst
 * they came in can be reused at once; they go out from {@link #frames()}, waiting ones being
 * {@code [head(), frames().size())}. A queue holds at most {@code capacity} frames and the bytes the caller
 * allows ({@link #offer}); what does not fit is the caller's to drop, as tc's tbf drops past its limit.
 * <p>
 * The storage is a {@link FrameBurst} filled from the front: sending moves {@code head} on, an emptied
 * queue starts again at slot 0, and a full one with sent frames before {@code head} moves its waiting
 * frames to the front.
 */
public final class ShapingQueue
{
    private final FrameBurst frames;
    private int head;
    private long bytes;

    /**
     * @param capacity frames it holds.
     * @param slotSize bytes per slot: the pipeline's, so that any frame fits.
     * @param headroom the pipeline's headroom.
     */
    public ShapingQueue(final int capacity, final int slotSize, final int headroom)
    {
        this.frames = new FrameBurst(capacity, slotSize, headroom);
    }

    public boolean isEmpty()
    {
        return head == frames.size();
    }

    /**
     * Copies frame {@code index} of {@code source} to the end of the queue, unless that would make it hold
     * more than its capacity or more than {@code maxBytes} (an empty queue takes any one frame).
     *
     * @return false if it does not fit.
     */
    public boolean offer(final FrameBurst source, final int index, final long maxBytes)
    {
        final long wire = source.wireLength(index);
        if (!isEmpty() && bytes + wire > maxBytes)
        {
            return false;
        }
        if (frames.isFull())
        {
            if (0 == head)
            {
                return false;
            }
            frames.moveToFront(head);
            head = 0;
        }
        frames.append(source, index);
        bytes += wire;
        return true;
    }

    /** The storage; waiting frames are {@code [head(), size())}. */
    public FrameBurst frames()
    {
        return frames;
    }

    public int head()
    {
        return head;
    }

    /** Forgets the first {@code count} waiting frames (sent, or given up on). */
    public void remove(final int count)
    {
        for (int i = head; i < head + count; i++)
        {
            bytes -= frames.wireLength(i);
        }
        head += count;
        if (isEmpty())
        {
            frames.clear();
            head = 0;
            bytes = 0;
        }
    }
}
