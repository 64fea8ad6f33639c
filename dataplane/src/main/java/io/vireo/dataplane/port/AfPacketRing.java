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
 * <p>
 * <b>Handed over</b> ({@code vireod --takeover}): the ring belongs to the socket, not the process, so the
 * daemon taking over maps the same pages from the socket's descriptor and goes on from the {@link Position}
 * the running one had reached. Who owns which block across it, by each block's status word:
 * <pre>
 *  running reader, stopped between two bursts at (block b, taken k):
 *
 *    block:   b-1        b                    b+1 .. b+j         b+j+1 ..
 *           +--------+--------------------+--------------------+----------------+
 *  status:  | KERNEL |  USER, k of n taken |  USER (full, not   | KERNEL (being  |
 *           |        |  (or KERNEL, k = 0: |  read yet)         | filled, free)  |
 *           |        |   the reader waits) |                    |                |
 *           +--------+--------------------+--------------------+----------------+
 *  from then on the running reader writes no status word (unless the handover fails): it stops polling,
 *  hands (b, k) over and, once the other has taken its place, unmaps the ring; the kernel goes on filling
 *  KERNEL blocks in order and stops at the first USER one (frames beyond are dropped and the next block
 *  says TP_STATUS_LOSING: 8 MB of ring covers the pause).
 *
 *  the reader taking over, mapping the same pages, at (b, k):
 *    b USER   -> skips the k frames taken (their tp_next_offset chain), takes frames k+1..n, sets b KERNEL
 *    b KERNEL -> k is 0: waits for b as the running reader would have
 * </pre>
 * So a block is the kernel's or one reader's at a time, no frame is taken twice or skipped, and the block
 * the running reader had not finished is finished by the one taking over. A handover that fails before the
 * reader taking over polled leaves the ring as the running reader left it, and it goes on at (b, k). One that
 * fails after (the running reader resumes, {@link #resynchronize}) finds blocks given back meanwhile: the
 * running reader goes on from the oldest block that is a reader's, and may take again frames of a block the
 * other had taken but not given back.
 */
final class AfPacketRing
{
    static final int BLOCK_STATUS_OFFSET = 8;
    static final int BLOCK_PACKETS_OFFSET = 12;
    static final int BLOCK_FIRST_PACKET_OFFSET = 16;
    static final int BLOCK_SEQUENCE_OFFSET = 24;
    static final int PACKET_NEXT_OFFSET = 0;
    static final int PACKET_SNAPLEN_OFFSET = 12;
    static final int PACKET_LEN_OFFSET = 16;
    static final int PACKET_MAC_OFFSET = 24;
    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 1;
    static final int TP_STATUS_LOSING = 1 << 2;
    private static final int NET_HEADER_LENGTH = PacketSocket.NET_HEADER_LENGTH;

    /** Where a reader is: the block it is in (or waits for) and the frames of it already taken. */
    record Position(int block, int taken)
    {
        /** Parses {@link #toString}'s form, {@code block:taken}. */
        static Position parse(final String text)
        {
            final int colon = text.indexOf(':');
            if (colon < 0)
            {
                throw new IllegalArgumentException("bad ring position: " + text);
            }
            return new Position(Integer.parseInt(text.substring(0, colon)), Integer.parseInt(text.substring(colon + 1)));
        }

        @Override
        public String toString()
        {
            return block + ":" + taken;
        }
    }

    private final MappedMemory ring;
    private final int blockSize;
    private final int blockCount;
    private int block;
    /** Frames of the current block not yet taken; 0 when no block is held. */
    private int remaining;
    private long packet;
    private long truncated;
    private boolean losing;
    /** The sequence number of the block this reader was at when it last told its {@link #position}. */
    private long stoppedSequence;
    /** True after {@link #resynchronize} found no block of the reader's: the kernel may be filling any. */
    private boolean searching;

    AfPacketRing(final MappedMemory ring, final int blockSize, final int blockCount)
    {
        this.ring = ring;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
    }

    /**
     * Copies frames into the burst until it has no {@link FrameBurst#hasReceiveRoom() room} or no block is ours; a
     * block whose frames are all taken goes back to the kernel at once, a partly taken one is held for the next call.
     *
     * @return frames appended.
     */
    int receive(final FrameBurst burst)
    {
        int received = 0;
        while (burst.hasReceiveRoom())
        {
            final long blockOffset = (long)block * blockSize;
            if (0 == remaining)
            {
                final int status = ring.getIntAcquire(blockOffset + BLOCK_STATUS_OFFSET);
                if (0 == (status & TP_STATUS_USER))
                {
                    if (!searching || !findOldest())
                    {
                        break;
                    }
                    searching = false;
                    continue;
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

    /** Where this reader is, between two calls to {@link #receive}: what a reader taking over goes on from. */
    Position position()
    {
        final long blockOffset = (long)block * blockSize;
        stoppedSequence = ring.getLong(blockOffset + BLOCK_SEQUENCE_OFFSET);
        final int taken = 0 == remaining ? 0 : ring.getInt(blockOffset + BLOCK_PACKETS_OFFSET) - remaining;
        return new Position(block, taken);
    }

    /**
     * Goes on from where another reader of the same ring stopped ({@link #position}, on its side): the next frame
     * taken is the one after the {@code taken} frames of block {@code block}.
     *
     * @throws IllegalArgumentException if the position is not one of this ring: a block beyond it, frames taken of a
     *                                  block that is not the reader's or has fewer.
     */
    void resume(final Position position)
    {
        if (position.block() < 0 || position.block() >= blockCount || position.taken() < 0)
        {
            throw new IllegalArgumentException("ring position " + position + " is not in a ring of " + blockCount + " blocks");
        }
        block = position.block();
        remaining = 0;
        searching = false;
        if (0 == position.taken())
        {
            return;
        }
        final long blockOffset = (long)block * blockSize;
        final int packets = ring.getInt(blockOffset + BLOCK_PACKETS_OFFSET);
        if (0 == (ring.getIntAcquire(blockOffset + BLOCK_STATUS_OFFSET) & TP_STATUS_USER) || position.taken() >= packets)
        {
            throw new IllegalArgumentException("ring position " + position + ": block " + block + " is not the reader's " +
                "or has not " + (position.taken() + 1) + " frames");
        }
        remaining = packets - position.taken();
        packet = blockOffset + ring.getInt(blockOffset + BLOCK_FIRST_PACKET_OFFSET);
        for (int skipped = 0; skipped < position.taken(); skipped++)
        {
            packet += ring.getInt(packet + PACKET_NEXT_OFFSET);
        }
    }

    /**
     * After another reader may have read the ring meanwhile (a handover that failed once the reader taking over
     * polled; {@link #position} was called when this reader stopped). If the block this reader held is as it left
     * it (still the reader's, the same {@code seq_num}), it goes on inside it. Otherwise it goes on from the oldest
     * block that is the reader's (the lowest {@code seq_num}), from its first frame; while none is, it looks for one
     * each time the block it is at is not ready, since the kernel may be filling another.
     */
    void resynchronize()
    {
        final long current = (long)block * blockSize;
        if (0 != remaining && 0 != (ring.getIntAcquire(current + BLOCK_STATUS_OFFSET) & TP_STATUS_USER) &&
            ring.getLong(current + BLOCK_SEQUENCE_OFFSET) == stoppedSequence)
        {
            return;
        }
        remaining = 0;
        searching = !findOldest();
    }

    /** Moves to the reader's block with the lowest {@code seq_num}, if there is one. */
    private boolean findOldest()
    {
        int oldest = -1;
        long oldestSequence = 0;
        for (int candidate = 0; candidate < blockCount; candidate++)
        {
            final long offset = (long)candidate * blockSize;
            if (0 != (ring.getIntAcquire(offset + BLOCK_STATUS_OFFSET) & TP_STATUS_USER))
            {
                final long sequence = ring.getLong(offset + BLOCK_SEQUENCE_OFFSET);
                if (oldest < 0 || Long.compareUnsigned(sequence, oldestSequence) < 0)
                {
                    oldest = candidate;
                    oldestSequence = sequence;
                }
            }
        }
        if (oldest >= 0)
        {
            block = oldest;
        }
        return oldest >= 0;
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
