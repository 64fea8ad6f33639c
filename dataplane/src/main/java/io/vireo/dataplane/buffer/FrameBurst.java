package io.vireo.dataplane.buffer;

import java.nio.ByteOrder;

import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A burst of frames held in pre-allocated off-heap slots, owned by one forwarding thread and reused
 * for every receive.
 * <pre>
 *  slot 0                                        slot 1
 * +----------+------------+--------------------+----------+------------+---
 * | headroom | net header | frame (length[0])  | headroom | net header | ...
 * +----------+------------+--------------------+----------+------------+---
 *            |<-- 12 B -->|
 * |<------------------- slotSize ------------->|
 * </pre>
 * The 12 bytes right before every frame hold its virtio-net header ({@code virtio_net_hdr_v1}: GSO
 * type and size, checksum offsets), so a frame read from an offloading TAP carries its offload
 * metadata in place and is written to another one in a single call; ports without offloads zero it
 * on receive. The rest of the headroom lets an encapsulation prepend its headers without a copy.
 * A port receives by writing a frame at {@link #nextFrameAddress()} (at most
 * {@link #frameCapacity()} bytes) and calling {@link #commit(int)} with the length it got.
 * <p>
 * Every frame also carries a <b>peer</b>, metadata for ports that reach several remote endpoints
 * through one port (a VXLAN port's peers): on receive, the peer the frame came from ({@link #NO_PEER}
 * from any other port); once queued for such a port, the peer it goes to, or {@link #ALL_PEERS}. And a
 * <b>fragment MTU</b>: 0, or the MTU a router found an IPv4 packet without DF too large for, which the
 * output cuts it to ({@link io.vireo.dataplane.offload.Ipv4Fragmenter}); kept on the frame's copies
 * ({@link #append}, {@link #moveToFront}), as the peer is.
 */
public final class FrameBurst
{
    /** Length of the virtio-net header kept in front of every frame. */
    public static final int NET_HEADER_LENGTH = 12;
    /** {@link #peer(int)} of a frame that came from, or goes to, no particular peer. */
    public static final int NO_PEER = -1;
    /** {@link #peer(int)} of a frame that goes to every peer of its port (head-end replication). */
    public static final int ALL_PEERS = -2;
    /**
     * Ports stop receiving into a burst once its frames hold this many bytes ({@link #hasReceiveRoom()}): at most four
     * 64 KB GSO frames. A burst of 32 of them is 2 MB, a core's whole L2 here, and each frame went cold between
     * its read and its write: with four TCP streams between two TAPs, traced by hand, reads of 64 KB took 10.7 us
     * and writes 13.4 us in a run at 32 frames a burst, 7.0 and 6.8 in one at four (benches/README.md, 2026-12-05).
     * Bursts of small frames are not cut by it.
     */
    public static final int RECEIVE_BYTES = 3 * 65_536;

    private final UnsafeBuffer buffer;
    private final long baseAddress;
    private final int slotSize;
    private final int headroom;
    private final int capacity;
    private final int[] lengths;
    private final int[] peers;
    private final int[] fragmentMtus;
    private int size;
    private int receivedBytes;

    /**
     * @param capacity frames per burst.
     * @param slotSize bytes per slot, a power of two.
     * @param headroom bytes in front of each frame, at least {@link #NET_HEADER_LENGTH}.
     */
    public FrameBurst(final int capacity, final int slotSize, final int headroom)
    {
        if (capacity <= 0 || Integer.bitCount(slotSize) != 1 || headroom < NET_HEADER_LENGTH || headroom >= slotSize)
        {
            throw new IllegalArgumentException(
                "bad frame burst geometry: capacity=" + capacity + " slotSize=" + slotSize + " headroom=" + headroom);
        }
        this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity * slotSize, 64));
        this.baseAddress = buffer.addressOffset();
        this.slotSize = slotSize;
        this.headroom = headroom;
        this.capacity = capacity;
        this.lengths = new int[capacity];
        this.peers = new int[capacity];
        this.fragmentMtus = new int[capacity];
    }

    /** The whole burst memory; frame {@code i} starts at {@link #frameOffset(int)}. */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    public int capacity()
    {
        return capacity;
    }

    public int size()
    {
        return size;
    }

    public boolean isFull()
    {
        return size == capacity;
    }

    /**
     * True while a port should go on receiving into this burst: a slot is free and the frames committed since the last
     * {@link #clear()} hold fewer than {@link #RECEIVE_BYTES} bytes.
     */
    public boolean hasReceiveRoom()
    {
        return size < capacity && receivedBytes < RECEIVE_BYTES;
    }

    public void clear()
    {
        size = 0;
        receivedBytes = 0;
    }

    /** Largest frame a slot holds. */
    public int frameCapacity()
    {
        return slotSize - headroom;
    }

    public int headroom()
    {
        return headroom;
    }

    /** Native address where the next received frame is written. */
    public long nextFrameAddress()
    {
        return baseAddress + frameOffset(size);
    }

    /** Offset in {@link #buffer()} where the next received frame is written. */
    public int nextFrameOffset()
    {
        return frameOffset(size);
    }

    /**
     * Appends the frame just written at the next slot. The length is what the port reported and may
     * exceed {@link #frameCapacity()} when the frame was truncated; the pipeline drops such frames.
     */
    public void commit(final int length)
    {
        receivedBytes += length;
        peers[size] = NO_PEER;
        fragmentMtus[size] = 0;
        lengths[size++] = length;
    }

    /**
     * Appends a copy of frame {@code index} of {@code source}: its virtio-net header, bytes and peer. The
     * source's slots must be no larger than this burst's.
     */
    public void append(final FrameBurst source, final int index)
    {
        final int length = source.lengths[index];
        buffer.putBytes(nextFrameOffset() - NET_HEADER_LENGTH, source.buffer, source.netHeaderOffset(index),
            NET_HEADER_LENGTH + length);
        peers[size] = source.peers[index];
        fragmentMtus[size] = source.fragmentMtus[index];
        lengths[size++] = length;
    }

    /** Moves frames {@code [from, size)} to the front, in order, and forgets those before them. */
    public void moveToFront(final int from)
    {
        for (int i = from; i < size; i++)
        {
            final int to = i - from;
            buffer.putBytes(netHeaderOffset(to), buffer, netHeaderOffset(i), NET_HEADER_LENGTH + lengths[i]);
            lengths[to] = lengths[i];
            peers[to] = peers[i];
            fragmentMtus[to] = fragmentMtus[i];
        }
        size -= from;
    }

    /** The peer frame {@code index} came from or goes to: a port's peer index, {@link #NO_PEER} or {@link #ALL_PEERS}. */
    public int peer(final int index)
    {
        return peers[index];
    }

    public void peer(final int index, final int peer)
    {
        peers[index] = peer;
    }

    /** The MTU frame {@code index}'s IPv4 packet is to be cut to on output, or 0: sent as it is. */
    public int fragmentMtu(final int index)
    {
        return fragmentMtus[index];
    }

    /** Marks frame {@code index}'s IPv4 packet to be cut into fragments of at most {@code mtu} bytes on output. */
    public void fragmentMtu(final int index, final int mtu)
    {
        fragmentMtus[index] = mtu;
    }

    public int frameOffset(final int index)
    {
        return index * slotSize + headroom;
    }

    public long frameAddress(final int index)
    {
        return baseAddress + frameOffset(index);
    }

    /** Offset in {@link #buffer()} of frame {@code index}'s virtio-net header. */
    public int netHeaderOffset(final int index)
    {
        return frameOffset(index) - NET_HEADER_LENGTH;
    }

    /** Zeroes the virtio-net header of the next frame: no offload, checksums complete. */
    public void clearNextNetHeader()
    {
        clearNetHeader(size);
    }

    /** Zeroes the virtio-net header of frame {@code index} (or of the next frame, at {@link #size()}). */
    public void clearNetHeader(final int index)
    {
        final int offset = netHeaderOffset(index);
        buffer.putLong(offset, 0);
        buffer.putInt(offset + 8, 0);
    }

    public int frameLength(final int index)
    {
        return lengths[index];
    }

    /**
     * Bytes frame {@code index} takes on the wire: its length, plus the headers each further segment of a
     * GSO frame repeats once it is cut (the virtio-net header's {@code gso_size} and {@code hdr_len}).
     */
    public long wireLength(final int index)
    {
        final int length = lengths[index];
        final int netHeader = netHeaderOffset(index);
        final int gsoSize = buffer.getShort(netHeader + VirtioNetHeaderFlyweight.GSO_SIZE_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int headers = buffer.getShort(netHeader + VirtioNetHeaderFlyweight.HDR_LEN_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if ((buffer.getByte(netHeader + VirtioNetHeaderFlyweight.GSO_TYPE_OFFSET) & ~VirtioNetHeaderFlyweight.GSO_ECN) ==
            VirtioNetHeaderFlyweight.GSO_NONE || 0 == gsoSize || headers >= length)
        {
            return length;
        }
        final long segments = (length - headers + gsoSize - 1) / gsoSize;
        return length + (segments - 1) * headers;
    }

    /** Sets the length of a frame already in the burst: a port that appended bytes to it (at most {@link #frameCapacity()}). */
    public void frameLength(final int index, final int length)
    {
        lengths[index] = length;
    }
}
