package io.vireo.dataplane.port;

import java.nio.ByteBuffer;

import io.vireo.dataplane.buffer.FrameBurst;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * An in-process port, as Open vSwitch's {@code netdev-dummy}: frames {@link #inject injected} by any
 * thread are received by the switch, frames the switch transmits are queued for
 * {@link #drainTransmitted}. Both directions are off-heap ring buffers, so the forwarding thread
 * allocates nothing. Used by tests and by embedders that feed frames from their own code.
 */
public final class LoopbackPort implements Port
{
    private static final int MSG_TYPE_FRAME = 1;

    private final String name;
    private final RingBuffer rx;
    private final RingBuffer tx;
    private final MessageHandler copyIntoBurst = this::copyIntoBurst;
    private FrameBurst receiving;

    /**
     * @param name     port name.
     * @param ringSize bytes of frames each direction holds, a power of two; the largest frame a
     *                 direction carries is an eighth of it (Agrona's ring buffer limit).
     */
    public LoopbackPort(final String name, final int ringSize)
    {
        this.name = name;
        this.rx = new ManyToOneRingBuffer(ring(ringSize));
        this.tx = new OneToOneRingBuffer(ring(ringSize));
    }

    private static UnsafeBuffer ring(final int size)
    {
        final ByteBuffer memory = BufferUtil.allocateDirectAligned(size + RingBufferDescriptor.TRAILER_LENGTH, 64);
        return new UnsafeBuffer(memory);
    }

    /**
     * Queues a frame for the switch to receive; false if the receive ring is full. Any thread.
     *
     * @throws IllegalArgumentException if the frame is longer than an eighth of the ring.
     */
    public boolean inject(final DirectBuffer frame, final int offset, final int length)
    {
        return rx.write(MSG_TYPE_FRAME, frame, offset, length);
    }

    public boolean inject(final byte[] frame)
    {
        return inject(new UnsafeBuffer(frame), 0, frame.length);
    }

    /** Hands each frame the switch transmitted on this port to {@code handler}; one consumer thread. */
    public int drainTransmitted(final MessageHandler handler)
    {
        return tx.read(handler);
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public String type()
    {
        return "loopback";
    }

    @Override
    public int receive(final FrameBurst burst)
    {
        receiving = burst;
        final int wanted = burst.capacity() - burst.size();
        final int received = rx.read(copyIntoBurst, wanted);
        // A read stops where the ring wraps; a second one picks up the rest.
        return received < wanted ? received + rx.read(copyIntoBurst, wanted - received) : received;
    }

    private void copyIntoBurst(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final FrameBurst burst = receiving;
        burst.clearNextNetHeader();
        final int copied = Math.min(length, burst.frameCapacity());
        burst.buffer().putBytes(burst.nextFrameOffset(), buffer, index, copied);
        burst.commit(length);
    }

    @Override
    public int transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        int sent = 0;
        while (sent < count)
        {
            final int frame = indexes[sent];
            final int length = burst.frameLength(frame);
            if (length > tx.maxMsgLength() || !tx.write(MSG_TYPE_FRAME, burst.buffer(), burst.frameOffset(frame), length))
            {
                break;
            }
            sent++;
        }
        return sent;
    }

    @Override
    public int failure()
    {
        return 0;
    }

    @Override
    public void close()
    {
    }
}
