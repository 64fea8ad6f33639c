package io.vireo.dataplane.vhost;

import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.nativeio.MappedMemory;
import io.vireo.dataplane.nativeio.Native;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The driver side of a virtio-net queue pair, written by hand over a memfd: what a guest's virtio
 * driver (or DPDK virtio-user) does, with knobs to do it wrong. One region, which starts
 * {@link #MMAP_OFFSET} bytes into the file and has different guest physical and user addresses, so
 * translations are exercised.
 * <pre>
 * region offset   0x000000  queue 0: descriptors | 0x4000 avail | 0x8000 used
 *                 0x010000  queue 1: the same
 *                 0x020000  queue 0 buffers, BUFFER_LENGTH per descriptor index
 *                 0x120000  queue 1 buffers
 *                 0x220000  indirect tables, 4 KiB per descriptor index of queue 1
 *                 0x400000  end
 * </pre>
 */
final class TestDriver implements AutoCloseable
{
    static final long GUEST_BASE = 0x4000_0000L;
    static final long USER_BASE = 0x7F55_0000_0000L;
    static final long MMAP_OFFSET = 0x1000;
    static final long REGION_SIZE = 0x40_0000;
    static final int BUFFER_LENGTH = 2048;
    static final int HEADER = 12;

    private static final long QUEUE_BLOCK = 0x1_0000;
    private static final long AVAIL = 0x4000;
    private static final long USED = 0x8000;
    private static final long BUFFERS = 0x2_0000;
    private static final long BUFFER_BLOCK = 0x10_0000;
    private static final long TABLES = 0x22_0000;
    private static final int TABLE_BLOCK = 4096;

    final int fd;
    final int size;
    private final MappedMemory file;
    private final int[] availIdx = new int[2];
    private final int[] lastUsed = new int[2];
    private final int[] nextDescriptor = new int[2];

    TestDriver(final int size)
    {
        this.size = size;
        this.fd = MappedMemory.createMemfd("vireo-test-driver", MMAP_OFFSET + REGION_SIZE);
        this.file = MappedMemory.mapShared(fd, MMAP_OFFSET + REGION_SIZE);
    }

    /** A second descriptor for the same memory, as the frontend passes one over the socket. */
    int duplicateFd()
    {
        final int duplicate = Native.libc().open("/proc/self/fd/" + fd, 2);
        if (duplicate < 0)
        {
            throw new IllegalStateException("cannot reopen memfd " + fd);
        }
        return duplicate;
    }

    RegionTable table()
    {
        return RegionTable.of(new long[]{GUEST_BASE}, new long[]{REGION_SIZE}, new long[]{USER_BASE}, new long[]{MMAP_OFFSET});
    }

    GuestMemory guestMemory()
    {
        return GuestMemory.map(table(), new int[]{duplicateFd()});
    }

    static long guest(final long regionOffset)
    {
        return GUEST_BASE + regionOffset;
    }

    static long user(final long regionOffset)
    {
        return USER_BASE + regionOffset;
    }

    long descUser(final int queue)
    {
        return user(queue * QUEUE_BLOCK);
    }

    long availUser(final int queue)
    {
        return user(queue * QUEUE_BLOCK + AVAIL);
    }

    long usedUser(final int queue)
    {
        return user(queue * QUEUE_BLOCK + USED);
    }

    static long bufferOffset(final int queue, final int descriptor)
    {
        return BUFFERS + queue * BUFFER_BLOCK + (long)descriptor * BUFFER_LENGTH;
    }

    static long tableOffset(final int descriptor)
    {
        return TABLES + (long)descriptor * TABLE_BLOCK;
    }

    /** Bytes at a region offset, through the driver's own mapping. */
    MappedMemory file()
    {
        return file;
    }

    static long fileOffset(final long regionOffset)
    {
        return MMAP_OFFSET + regionOffset;
    }

    // Raw ring access, for building good and bad rings.

    void descriptor(final int queue, final int index, final long address, final long length, final int flags, final int next)
    {
        writeDescriptor(fileOffset(queue * QUEUE_BLOCK) + 16L * index, address, length, flags, next);
    }

    /** Entry {@code index} of the indirect table of descriptor {@code owner} (queue 1). */
    void indirectEntry(final int owner, final int index, final long address, final long length, final int flags, final int next)
    {
        writeDescriptor(fileOffset(tableOffset(owner)) + 16L * index, address, length, flags, next);
    }

    private void writeDescriptor(final long at, final long address, final long length, final int flags, final int next)
    {
        file.putLong(at, address);
        file.putInt(at + 8, (int)length);
        file.putShort(at + 12, (short)flags);
        file.putShort(at + 14, (short)next);
    }

    /** Makes the chain at {@code head} available. */
    void publish(final int queue, final int head)
    {
        final long avail = fileOffset(queue * QUEUE_BLOCK + AVAIL);
        file.putShort(avail + 4 + 2L * (availIdx[queue] & (size - 1)), (short)head);
        availIdx[queue] = (availIdx[queue] + 1) & 0xFFFF;
        file.putShortRelease(avail + 2, (short)availIdx[queue]);
    }

    void availIdx(final int queue, final int value)
    {
        availIdx[queue] = value & 0xFFFF;
        file.putShortRelease(fileOffset(queue * QUEUE_BLOCK + AVAIL) + 2, (short)value);
    }

    void availFlags(final int queue, final int flags)
    {
        file.putShortRelease(fileOffset(queue * QUEUE_BLOCK + AVAIL), (short)flags);
    }

    int usedFlags(final int queue)
    {
        return file.getShortAcquire(fileOffset(queue * QUEUE_BLOCK + USED)) & 0xFFFF;
    }

    int usedIdx(final int queue)
    {
        return file.getShortAcquire(fileOffset(queue * QUEUE_BLOCK + USED) + 2) & 0xFFFF;
    }

    int usedId(final int queue, final int slot)
    {
        return file.getInt(fileOffset(queue * QUEUE_BLOCK + USED) + 4 + 8L * (slot & (size - 1)));
    }

    int usedLength(final int queue, final int slot)
    {
        return file.getInt(fileOffset(queue * QUEUE_BLOCK + USED) + 8 + 8L * (slot & (size - 1)));
    }

    private int takeDescriptors(final int queue, final int count)
    {
        final int first = nextDescriptor[queue] + count <= size ? nextDescriptor[queue] : 0;
        nextDescriptor[queue] = (first + count) % size;
        return first;
    }

    // Well-behaved driver operations.

    /** Queues {@code frame} for the device on queue 1 in one descriptor: a zero header then frame. */
    int send(final byte[] frame)
    {
        return send(new byte[HEADER], frame);
    }

    /** Queues {@code frame} behind the virtio-net header {@code header} (12 bytes) in one descriptor. */
    int send(final byte[] header, final byte[] frame)
    {
        final int d = takeDescriptors(1, 1);
        final long buffer = bufferOffset(1, d);
        file.copyFrom(fileOffset(buffer), new UnsafeBuffer(header), 0, HEADER);
        file.copyFrom(fileOffset(buffer) + HEADER, new UnsafeBuffer(frame), 0, frame.length);
        descriptor(1, d, guest(buffer), HEADER + frame.length, 0, 0);
        publish(1, d);
        return d;
    }

    /** A virtio-net header with these fields and num_buffers 0. */
    static byte[] header(
        final int flags, final int gsoType, final int hdrLen, final int gsoSize, final int csumStart, final int csumOffset)
    {
        final UnsafeBuffer header = new UnsafeBuffer(new byte[HEADER]);
        new VirtioNetHeaderFlyweight().wrap(header, 0, HEADER).clear()
            .flags(flags).gsoType(gsoType).hdrLen(hdrLen).gsoSize(gsoSize).csumStart(csumStart).csumOffset(csumOffset);
        return header.byteArray();
    }

    /** Queues {@code frame} as a chain: a zero header alone, then the frame cut in two. */
    int sendChained(final byte[] frame)
    {
        return sendChained(new byte[HEADER], frame);
    }

    /**
     * Queues {@code frame} as a chain: {@code header} (12 bytes) alone, then the frame cut in two, or in as many
     * pieces of {@link #BUFFER_LENGTH} as it needs; it takes that many descriptors and one.
     */
    int sendChained(final byte[] header, final byte[] frame)
    {
        final int pieces = Math.max(2, (frame.length + BUFFER_LENGTH - 1) / BUFFER_LENGTH);
        final int d = takeDescriptors(1, 1 + pieces);
        final long headerBuffer = bufferOffset(1, d);
        file.copyFrom(fileOffset(headerBuffer), new UnsafeBuffer(header), 0, HEADER);
        descriptor(1, d, guest(headerBuffer), HEADER, DescriptorChain.F_NEXT, d + 1);
        int offset = 0;
        for (int i = 1; i <= pieces; i++)
        {
            final int length = (frame.length - offset) / (pieces + 1 - i);
            final long buffer = bufferOffset(1, d + i);
            file.copyFrom(fileOffset(buffer), new UnsafeBuffer(frame), offset, length);
            descriptor(1, d + i, guest(buffer), length, i < pieces ? DescriptorChain.F_NEXT : 0, i < pieces ? d + i + 1 : 0);
            offset += length;
        }
        publish(1, d);
        return d;
    }

    /** Queues {@code frame} through an indirect table of two entries: header, frame. */
    int sendIndirect(final byte[] frame)
    {
        final int d = takeDescriptors(1, 1);
        final long buffer = bufferOffset(1, d);
        file.setMemory(fileOffset(buffer), HEADER, (byte)0);
        file.copyFrom(fileOffset(buffer) + HEADER, new UnsafeBuffer(frame), 0, frame.length);
        indirectEntry(d, 0, guest(buffer), HEADER, DescriptorChain.F_NEXT, 1);
        indirectEntry(d, 1, guest(buffer) + HEADER, frame.length, 0, 0);
        descriptor(1, d, guest(tableOffset(d)), 32, DescriptorChain.F_INDIRECT, 0);
        publish(1, d);
        return d;
    }

    /** Offers {@code count} receive buffers of {@code length} bytes each on queue 0. */
    void postReceiveBuffers(final int count, final int length)
    {
        for (int i = 0; i < count; i++)
        {
            final int d = takeDescriptors(0, 1);
            descriptor(0, d, guest(bufferOffset(0, d)), length, DescriptorChain.F_WRITE, 0);
            publish(0, d);
        }
    }

    /** Frames the device has written to queue 0 since the last call, merged by their num_buffers. */
    List<byte[]> receive()
    {
        final List<byte[]> frames = new ArrayList<>();
        while (lastUsed[0] != usedIdx(0))
        {
            final long first = fileOffset(bufferOffset(0, usedId(0, lastUsed[0])));
            final int buffers = file.getShort(first + 10) & 0xFFFF;
            int total = 0;
            for (int i = 0; i < buffers; i++)
            {
                total += usedLength(0, lastUsed[0] + i);
            }
            final byte[] frame = new byte[total - HEADER];
            int position = 0;
            for (int i = 0; i < buffers; i++)
            {
                final int slot = lastUsed[0] + i;
                final long buffer = fileOffset(bufferOffset(0, usedId(0, slot)));
                final int skip = 0 == i ? HEADER : 0;
                final int length = usedLength(0, slot) - skip;
                file.copyTo(buffer + skip, new UnsafeBuffer(frame), position, length);
                position += length;
            }
            lastUsed[0] = (lastUsed[0] + buffers) & 0xFFFF;
            frames.add(frame);
        }
        return frames;
    }

    /** Header bytes the device wrote in front of the frame in descriptor {@code d} of queue 0. */
    byte[] receivedHeader(final int d)
    {
        final byte[] header = new byte[HEADER];
        file.copyTo(fileOffset(bufferOffset(0, d)), new UnsafeBuffer(header), 0, HEADER);
        return header;
    }

    /** Chains made available on {@code queue} and not yet returned by the device. */
    int inFlight(final int queue)
    {
        return (availIdx[queue] - usedIdx(queue)) & 0xFFFF;
    }

    /** Chains of queue 1 the device has returned. */
    int sentAndReturned()
    {
        return usedIdx(1);
    }

    @Override
    public void close()
    {
        file.close();
        Native.libc().close(fd);
    }
}
