package io.vireo.dataplane.port;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.MappedMemory;
import io.vireo.dataplane.nativeio.PacketSocket;

/**
 * The reader's side of a {@code TPACKET_V3} receive ring: blocks the kernel fills with frames packed
 * one after another, each block handed over whole (when full, or when its timeout passes) and handed
 * back by its status word. Frames are copied into the burst's slots with their virtio-net header.
 * <pre>
 * ring: blockCount blocks of blockSize bytes, taken in order, round and round
 * +-----------+-----------+-----------+---      block i at i * blockSize
 * |  block 0  |  block 1  |  block 2  | ...
 * +-----------+-----------+-----------+---
 *
 * block: struct tpacket_block_desc (+ tpacket_hdr_v1), then the frames
 *  0 version   4 offset_to_priv   8 block_status (TP_STATUS_KERNEL 0 = the kernel's,
 *  TP_STATUS_USER 1 = ours, | TP_STATUS_LOSING 4 = the kernel dropped frames, no block free)
 * 12 num_pkts  16 offset_to_first_pkt  20 blk_len  24 seq_num (u64)  32 ts_first  40 ts_last
 *
 * frame at offset_to_first_pkt, the next at + tp_next_offset (16-byte aligned), its 10-byte
 * virtio_net_hdr right before the frame (the burst's 12-byte header gets num_buffers 0):
 *  0 tp_next_offset  4 tp_sec  8 tp_nsec  12 tp_snaplen (bytes here)  16 tp_len (bytes on the wire)
 * 20 tp_status  24 tp_mac (u16: frame start, from the frame header)  26 tp_net (u16)
 * 28 tp_rxhash  32 tp_vlan_tci  36 tp_vlan_tpid (u16)  38..47 padding
 * +------------------+--------- gap ---------+-------------------+--------------------+
 * | tpacket3_hdr 48B | sockaddr_ll, padding  | virtio-net header | frame (tp_snaplen) |
 * +------------------+-----------------------+-------------------+--------------------+
 *                                            ^ tp_mac - 10       ^ tp_mac
 * </pre>
 * A frame longer than a whole block can hold (the ring's {@code blockSize} bounds the largest) comes
 * with {@code tp_snaplen < tp_len}: it is counted as truncated and committed with a length beyond the
 * slot, which the pipeline drops as oversize. One thread; nothing here allocates.
 */
final class AfPacketRing
{
    static final int BLOCK_STATUS_OFFSET = 8;
    static final int BLOCK_PACKETS_OFFSET = 12;
    static final int BLOCK_FIRST_PACKET_OFFSET = 16;
    static final int PACKET_NEXT_OFFSET = 0;
    static final int PACKET_SNAPLEN_OFFSET = 12;
    static final int PACKET_LEN_OFFSET = 16;
    static final int PACKET_MAC_OFFSET = 24;
    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 1;
    static final int TP_STATUS_LOSING = 1 << 2;
    private static final int NET_HEADER_LENGTH = PacketSocket.NET_HEADER_LENGTH;

    private final MappedMemory ring;
    private final int blockSize;
    private final int blockCount;
    private int block;
    /** Frames of the current block not yet taken; 0 when no block is held. */
    private int remaining;
    private long packet;
    private long truncated;
    private boolean losing;

    AfPacketRing(final MappedMemory ring, final int blockSize, final int blockCount)
    {
        this.ring = ring;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
    }

    /**
     * Copies frames into the burst until it is full or no block is ours; a block whose frames are all
     * taken goes back to the kernel at once, a partly taken one is held for the next call.
     *
     * @return frames appended.
     */
    int receive(final FrameBurst burst)
    {
        int received = 0;
        while (!burst.isFull())
        {
            final long blockOffset = (long)block * blockSize;
            if (0 == remaining)
            {
                final int status = ring.getIntAcquire(blockOffset + BLOCK_STATUS_OFFSET);
                if (0 == (status & TP_STATUS_USER))
                {
                    break;
                }
                losing |= 0 != (status & TP_STATUS_LOSING);
                remaining = ring.getInt(blockOffset + BLOCK_PACKETS_OFFSET);
                packet = blockOffset + ring.getInt(blockOffset + BLOCK_FIRST_PACKET_OFFSET);
                if (0 == remaining)
                {
                    release(blockOffset);
                    continue;
                }
            }
            copy(burst);
            received++;
            if (0 == --remaining)
            {
                release(blockOffset);
            }
            else
            {
                packet += ring.getInt(packet + PACKET_NEXT_OFFSET);
            }
        }
        return received;
    }

    private void copy(final FrameBurst burst)
    {
        final int snapLength = ring.getInt(packet + PACKET_SNAPLEN_OFFSET);
        final int wireLength = ring.getInt(packet + PACKET_LEN_OFFSET);
        final long frame = packet + (ring.getShort(packet + PACKET_MAC_OFFSET) & 0xFFFF);
        final int headerOffset = burst.nextFrameOffset() - FrameBurst.NET_HEADER_LENGTH;
        ring.copyTo(frame - NET_HEADER_LENGTH, burst.buffer(), headerOffset, NET_HEADER_LENGTH);
        burst.buffer().putShort(headerOffset + NET_HEADER_LENGTH, (short)0);
        final int capacity = burst.frameCapacity();
        ring.copyTo(frame, burst.buffer(), burst.nextFrameOffset(), Math.min(snapLength, capacity));
        if (snapLength < wireLength)
        {
            truncated++;
            burst.commit(Math.max(wireLength, capacity + 1));
        }
        else
        {
            burst.commit(snapLength);
        }
    }

    private void release(final long blockOffset)
    {
        ring.putIntRelease(blockOffset + BLOCK_STATUS_OFFSET, TP_STATUS_KERNEL);
        block = block + 1 == blockCount ? 0 : block + 1;
    }

    /** Frames that arrived cut short (tp_snaplen below tp_len) since the ring was made. */
    long truncated()
    {
        return truncated;
    }

    /** True once if a block since the last call said the kernel was dropping frames (TP_STATUS_LOSING). */
    boolean takeLosing()
    {
        final boolean was = losing;
        losing = false;
        return was;
    }
}
