package io.vireo.dataplane.port;

import java.nio.ByteBuffer;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.EventFd;
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
 * <p>
 * {@link #forInjection} makes one through which the control plane sends frames of its own into a bridge
 * (a router's health probes): an injection wakes a forwarding thread that sleeps in epoll (an eventfd is
 * its {@link #pollFd}), and what the switch sends the port is discarded (nobody drains it).
 */
public final class LoopbackPort implements Port
{
    private static final int MSG_TYPE_FRAME = 1;

    private final String name;
    private final String type;
    private final RingBuffer rx;
    /** Null for a port that discards what the switch sends it. */
    private final RingBuffer tx;
    /** Null for a port that cannot wake a sleeping thread. */
    private final EventFd injected;
    private final MessageHandler copyIntoBurst = this::copyIntoBurst;
    private FrameBurst receiving;

    /**
     * @param name     port name.
     * @param ringSize bytes of frames each direction holds, a power of two; the largest frame a
     *                 direction carries is an eighth of it (Agrona's ring buffer limit).
     */
    public LoopbackPort(final String name, final int ringSize)
    {
        this(name, "loopback", ringSize, new OneToOneRingBuffer(ring(ringSize)), null);
    }

    private LoopbackPort(final String name, final String type, final int ringSize, final RingBuffer tx, final EventFd injected)
    {
        this.name = name;
        this.type = type;
        this.rx = new ManyToOneRingBuffer(ring(ringSize));
        this.tx = tx;
        this.injected = injected;
    }

    /**
     * A port the control plane injects frames through (see the class comment).
     *
     * @param type the port type users see, such as {@code router}.
     */
    public static LoopbackPort forInjection(final String name, final String type, final int ringSize)
    {
        return new LoopbackPort(name, type, ringSize, null, EventFd.create());
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
        if (null != injected)
        {
            // Signalled first: a receive that drains the signal finds the frame, or one that comes too early
            // leaves the signal for the next (see receive).
            injected.signal();
        }
        return rx.write(MSG_TYPE_FRAME, frame, offset, length);
    }

    public boolean inject(final byte[] frame)
    {
        return inject(new UnsafeBuffer(frame), 0, frame.length);
    }

    /** Hands each frame the switch transmitted on this port to {@code handler}; one consumer thread. */
    public int drainTransmitted(final MessageHandler handler)
    {
        return null == tx ? 0 : tx.read(handler);
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public String type()
    {
        return type;
    }

    @Override
    public int pollFd()
    {
        return null == injected ? -1 : injected.fd();
    }

    @Override
    public int receive(final FrameBurst burst)
    {
        if (null != injected)
        {
            // No syscall while nothing was injected; the signal is drained before the ring is read, so an
            // injection after the read wakes the thread again.
            if (0 == rx.size())
            {
                return 0;
            }
            injected.drain();
        }
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
        if (null == tx)
        {
            return count;
        }
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
        if (null != injected)
        {
            injected.close();
        }
    }
}
