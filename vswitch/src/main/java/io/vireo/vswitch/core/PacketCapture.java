package io.vireo.vswitch.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

import io.vireo.vswitch.pipeline.FrameRecorder;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.SystemEpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * A capture of one port's frames, both directions, into a pcap file that tshark and tcpdump read.
 * <p>
 * The forwarding threads only copy each frame of the port into a ring buffer ({@link #record});
 * when the ring is full the frame is counted as dropped from the capture, never waited for, so a
 * capture cannot slow forwarding. A thread of the capture's own drains the ring into the file, which
 * it opens before the capture starts and closes when the capture ends. The file is classic pcap with
 * nanosecond timestamps:
 * <pre>
 *  file header, 24 bytes, little-endian:
 *  | magic a1b23c4d | major 2 | minor 4 | zone 0 | sigfigs 0 | snaplen 262144 | linktype 1 (Ethernet) |
 *  per frame, 16 bytes then the frame:
 *  | seconds | nanoseconds | captured length | original length | frame ... |
 * </pre>
 * A ring record is the frame prefixed by its time: {@code | epoch ns (8) | frame |}.
 */
final class PacketCapture implements FrameRecorder, AutoCloseable
{
    private static final int RING_BYTES = 8 << 20;
    private static final int SNAPLEN = 262_144;
    private static final int MSG_TYPE = 1;
    private static final int PCAP_MAGIC_NANOS = 0xA1B2_3C4D;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int RECORD_HEADER = 16;

    private final int id;
    private final String port;
    private final Path file;
    private final Long limit;
    private final FileChannel channel;
    private final ManyToOneRingBuffer ring = new ManyToOneRingBuffer(new UnsafeBuffer(
        BufferUtil.allocateDirectAligned(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH, 64)));
    private final EpochNanoClock clock = new SystemEpochNanoClock();
    private final ByteBuffer header = ByteBuffer.allocateDirect(RECORD_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer frame = ByteBuffer.allocateDirect(SNAPLEN);
    private final AtomicLong captured = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    /** Frames the forwarding threads have put into the ring. */
    private final AtomicLong accepted = new AtomicLong();
    private volatile boolean stopping;
    private volatile IOException failure;

    /**
     * Creates {@code file} (replacing it) and starts the writer thread.
     *
     * @param limit frames to capture, or null for no limit.
     * @throws IOException if the file cannot be written.
     */
    PacketCapture(final int id, final String port, final Path file, final Long limit) throws IOException
    {
        this.id = id;
        this.port = port;
        this.file = file;
        this.limit = limit;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        final ByteBuffer fileHeader = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(PCAP_MAGIC_NANOS).putShort((short)2).putShort((short)4).putInt(0).putInt(0)
            .putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET).flip();
        while (fileHeader.hasRemaining())
        {
            channel.write(fileHeader);
        }
        this.writer = new Thread(this::drainUntilStopped, "vireo-capture-" + id);
        writer.setDaemon(true);
        writer.start();
    }

    int id()
    {
        return id;
    }

    /**
     * Copies a frame into the capture, unless it has all the frames it wants; any forwarding thread, never
     * blocks, allocates nothing.
     */
    @Override
    public void record(final DirectBuffer buffer, final int offset, final int length)
    {
        if (null != limit && accepted.get() >= limit)
        {
            return;
        }
        final int captureLength = Math.min(length, SNAPLEN);
        final int index = ring.tryClaim(MSG_TYPE, Long.BYTES + captureLength);
        if (index <= 0)
        {
            dropped.incrementAndGet();
            return;
        }
        final var ringBuffer = ring.buffer();
        ringBuffer.putLong(index, clock.nanoTime());
        ringBuffer.putBytes(index + Long.BYTES, buffer, offset, captureLength);
        ring.commit(index);
        accepted.incrementAndGet();
    }

    /** Running until stopped or, with a limit, until that many frames are written or dropped. */
    CaptureInfo info()
    {
        final long written = captured.get();
        final long lost = dropped.get();
        final boolean running = !stopping && (null == limit || written + lost < limit);
        return new CaptureInfo(id, port, file.toString(), limit, written, lost, running);
    }

    /** Stops taking frames, writes what the ring holds, closes the file. */
    @Override
    public void close()
    {
        stopping = true;
        try
        {
            writer.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** Why writing the file failed, or null. */
    IOException failure()
    {
        return failure;
    }

    private void drainUntilStopped()
    {
        try (FileChannel out = channel)
        {
            while (!stopping)
            {
                if (0 == ring.read((type, buffer, index, length) -> write(out, buffer, index, length)))
                {
                    Thread.sleep(1);
                }
            }
            while (ring.read((type, buffer, index, length) -> write(out, buffer, index, length)) > 0)
            {
                // the rest of what was recorded before the stop
            }
            out.force(false);
        }
        catch (final IOException ex)
        {
            failure = ex;
        }
        catch (final UncheckedIOException ex)
        {
            failure = ex.getCause();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void write(final FileChannel out, final DirectBuffer buffer, final int index, final int length)
    {
        final long epochNanos = buffer.getLong(index);
        final int frameLength = length - Long.BYTES;
        header.clear();
        header.putInt((int)(epochNanos / 1_000_000_000L)).putInt((int)(epochNanos % 1_000_000_000L))
            .putInt(frameLength).putInt(frameLength).flip();
        frame.clear().limit(frameLength);
        buffer.getBytes(index + Long.BYTES, frame, 0, frameLength);
        try
        {
            while (header.hasRemaining())
            {
                out.write(header);
            }
            while (frame.hasRemaining())
            {
                out.write(frame);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        captured.incrementAndGet();
    }
}
