package io.vireo.dataplane.vhost;

import java.lang.invoke.VarHandle;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.nativeio.EventFd;
import io.vireo.dataplane.nativeio.MappedMemory;
import io.vireo.dataplane.offload.Offloads;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One running split virtqueue, polled by the forwarding thread: {@link #receive} takes frames the
 * driver made available on its transmit queue, {@link #transmit} fills buffers the driver made
 * available on its receive queue. Built by the control thread once the ring is complete, enabled
 * and kicked; never touched again by it until the port has been quiesced.
 * <pre>
 * available ring (driver to device), 2-byte aligned:
 *  0       2       4                                4 + 2 size
 * +-------+-------+---------+-----+------------+------------+
 * | flags |  idx  | ring[0] | ... | ring[n-1]  | used_event |
 * +-------+-------+---------+-----+------------+------------+
 *   bit 0 NO_INTERRUPT      u16 heads of chains  (EVENT_IDX only, not offered)
 *
 * used ring (device to driver), 4-byte aligned:
 *  0       2       4       8       12                      4 + 8 size
 * +-------+-------+-------+-------+-----+-----------------+-------------+
 * | flags |  idx  |  id   |  len  | ... | id, len [n-1]   | avail_event |
 * +-------+-------+-------+-------+-----+-----------------+-------------+
 *   bit 0 NO_NOTIFY  u32 head, u32 bytes written
 * </pre>
 * Both {@code idx} are free-running 16-bit counters; entry {@code i} is {@code ring[i mod size]}.
 * This side reads {@code avail.idx} with acquire, writes used entries plainly, then publishes
 * {@code used.idx} with one 16-bit release store. It sets NO_NOTIFY (it polls, kicks are not
 * wanted) and signals the call eventfd only when the driver has not set NO_INTERRUPT.
 * <p>
 * Every buffer is returned as soon as it is consumed, so the next available index and the used
 * index are always equal between calls: one counter, {@link #nextAvail()}, which GET_VRING_BASE
 * reports.
 */
final class Virtqueue
{
    static final int MAX_SIZE = 32768;
    /**
     * Largest frame accepted from a driver: a 64 KiB GSO segment behind an Ethernet header and two VLAN
     * tags fits, more is a broken or hostile driver.
     */
    static final int MAX_FRAME_LENGTH = 65536 + 128;

    static final int VRING_AVAIL_F_NO_INTERRUPT = 1;
    static final int VRING_USED_F_NO_NOTIFY = 1;
    static final int IDX_OFFSET = 2;
    static final int RING_OFFSET = 4;
    static final int USED_ENTRY_LENGTH = 8;

    private static final int HEADER_LENGTH = VirtioNetHeaderFlyweight.LENGTH;
    private static final int NUM_BUFFERS_OFFSET = VirtioNetHeaderFlyweight.NUM_BUFFERS_OFFSET;
    /** Header flags a device may hand its driver once GUEST_CSUM is negotiated. */
    private static final int GUEST_FLAGS = VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM | VirtioNetHeaderFlyweight.FLAG_DATA_VALID;
    /** Most frames whose chains are read before the first of them is written, or returned. */
    private static final int RUN = 64;
    private static final int DELIVERED = 0;
    private static final int NO_ROOM = 1;
    private static final int INVALID = 2;
    private static final int UNSUPPORTED = 3;

    /** What a queue reports to its port from the forwarding thread; neither call may allocate or block. */
    interface Events
    {
        void violation(Violation violation, int queue, long detail);

        void refused(int frames);
    }

    private final int index;
    private final int size;
    private final int mask;
    private final MappedMemory avail;
    private final long availOffset;
    private final MappedMemory used;
    private final long usedOffset;
    private final DescriptorChain chain;
    private final boolean mergeable;
    private final int hostOffloads;
    private final int guestOffloads;
    private final EventFd call;
    private final Events events;
    private final UnsafeBuffer header = new UnsafeBuffer(BufferUtil.allocateDirectAligned(HEADER_LENGTH, 8));
    private int nextAvail;

    // A run of frames (see deliverWhole): entry i is the run's i-th chain's head, and for transmit the frame's length
    // and the buffer it is written into whole.
    private final int[] runHeads = new int[RUN];
    private final int[] runLengths = new int[RUN];
    private final MappedMemory[] runMemories = new MappedMemory[RUN];
    private final long[] runOffsets = new long[RUN];

    // Where transmit is writing: the current buffer of the current chain, and where num_buffers landed.
    private MappedMemory buffer;
    private long bufferOffset;
    private long bufferRoom;
    private int chainHead;
    private int chainWritten;
    private int chains;
    private MappedMemory numBuffersLow;
    private long numBuffersLowOffset;
    private MappedMemory numBuffersHigh;
    private long numBuffersHighOffset;

    private Virtqueue(
        final int index, final int size, final Area desc, final Area avail, final Area used, final int base,
        final GuestMemory memory, final long features, final EventFd call, final Events events)
    {
        this.index = index;
        this.size = size;
        this.mask = size - 1;
        this.avail = avail.memory;
        this.availOffset = avail.offset;
        this.used = used.memory;
        this.usedOffset = used.offset;
        this.chain = new DescriptorChain(
            memory, desc.memory, desc.offset, size, Features.has(features, Features.VIRTIO_RING_F_INDIRECT_DESC));
        this.mergeable = Features.has(features, Features.VIRTIO_NET_F_MRG_RXBUF);
        this.hostOffloads = Features.hostOffloads(features);
        this.guestOffloads = Features.guestOffloads(features);
        this.call = call;
        this.events = events;
        this.nextAvail = base & 0xFFFF;
    }

    /**
     * Validates and translates the ring addresses (frontend virtual addresses), tells the driver not
     * to kick, and returns the queue ready to poll from {@code base}.
     *
     * @throws ViolationException if the size is not a power of two up to 32768, or a ring part is not
     *                            whole inside one region or not aligned as the spec requires.
     */
    static Virtqueue start(
        final int index, final int size, final long descAddress, final long availAddress, final long usedAddress,
        final int base, final GuestMemory memory, final long features, final EventFd call, final Events events)
    {
        if (!validSize(size))
        {
            throw new ViolationException(Violation.RING_SIZE, "queue " + index + " size " + size);
        }
        final long descLength = (long)size * DescriptorChain.DESCRIPTOR_LENGTH;
        final long availLength = RING_OFFSET + 2L * size + 2;
        final long usedLength = RING_OFFSET + (long)USED_ENTRY_LENGTH * size + 2;
        final Area desc = area(memory, index, "descriptor table", descAddress, descLength, 16);
        final Area avail = area(memory, index, "available ring", availAddress, availLength, 2);
        final Area used = area(memory, index, "used ring", usedAddress, usedLength, 4);
        used.memory.putShortRelease(used.offset, (short)VRING_USED_F_NO_NOTIFY);
        return new Virtqueue(index, size, desc, avail, used, base, memory, features, call, events);
    }

    static boolean validSize(final int size)
    {
        return size > 0 && size <= MAX_SIZE && Integer.bitCount(size) == 1;
    }

    private static Area area(
        final GuestMemory memory, final int queue, final String what, final long address, final long length,
        final int alignment)
    {
        final int region = memory.table().findUser(address, length);
        if (region < 0)
        {
            throw new ViolationException(Violation.RING_ADDRESS,
                "queue " + queue + " " + what + " at 0x" + Long.toHexString(address) + " (" + length + " bytes)");
        }
        // Mappings are page-aligned, so the offset's alignment is the host address's.
        final long offset = memory.table().userToMapping(region, address);
        if (0 != (offset & (alignment - 1)))
        {
            throw new ViolationException(Violation.RING_ADDRESS,
                "queue " + queue + " " + what + " at 0x" + Long.toHexString(address) + " is not " + alignment +
                "-byte aligned");
        }
        return new Area(memory.mapping(region), offset);
    }

    private record Area(MappedMemory memory, long offset)
    {
    }

    int index()
    {
        return index;
    }

    /** The offloads ({@link Offloads} bits) of frames this queue may hand its driver, as negotiated. */
    int guestOffloads()
    {
        return guestOffloads;
    }

    /** The next available entry to consume, which is also the used index published so far. */
    int nextAvail()
    {
        return nextAvail;
    }

    /**
     * Appends the frames the driver has made available to {@code burst}, while it has {@link FrameBurst#hasReceiveRoom()
     * room}: runs of chains that are one buffer each ({@link #gatherWhole}), and between them a chain laid out another
     * way, or found invalid, on its own ({@link #gather}).
     *
     * @return frames appended; on a violation, those taken before it.
     */
    int receive(final FrameBurst burst)
    {
        final int available = available();
        int taken = 0;
        while (taken < available && burst.hasReceiveRoom())
        {
            final int slot = nextAvail + taken;
            int run = gatherWhole(burst, available - taken, slot);
            boolean violated = false;
            if (run < RUN && taken + run < available && burst.hasReceiveRoom())
            {
                final int head = head(slot + run);
                final int length = gather(head, burst);
                violated = length < 0;
                if (!violated)
                {
                    burst.commit(length);
                    runHeads[run++] = head;
                }
            }
            returnRun(slot, run);
            taken += run;
            if (violated)
            {
                break;
            }
        }
        if (taken > 0)
        {
            publish(taken);
        }
        return taken;
    }

    /**
     * Appends the frames of up to {@link #RUN} chains from available entry {@code slot} on while each chain is one
     * buffer that holds header and frame whole, as nearly every driver's are; stops, reporting nothing, at the first
     * chain that is not so or whose header {@link #acceptHeader} refuses, which {@link #gather} then takes or
     * reports. Leaves the run's heads in {@code runHeads}.
     * <p>
     * Every chain of the run is read before the first frame is copied, and the copies come one after the other, as
     * {@link #deliverWhole} does for transmit: each frame is in lines the driver has just written, misses to its CPU,
     * and with nothing but copies between them more of those misses can be waited for at once. Measured against a
     * copy right after each chain's read: 1.34-1.40x the 64-byte frames in five rounds of the vhost-user loop, the
     * copies' share of the forwarding thread's time down from 41-42 % to 21-23 % (2026-12-07, benches/README.md).
     *
     * @return frames appended, each on one available entry.
     */
    private int gatherWhole(final FrameBurst burst, final int available, final int slot)
    {
        final int most = Math.min(Math.min(available, RUN), burst.capacity() - burst.size());
        final long largest = HEADER_LENGTH + (long)burst.frameCapacity();
        int run = 0;
        while (run < most)
        {
            final int head = head(slot + run);
            if (!chain.start(head) || !chain.last() || chain.bufferLength() < HEADER_LENGTH || chain.bufferLength() > largest)
            {
                break;
            }
            runHeads[run] = head;
            runLengths[run] = (int)chain.bufferLength();
            runMemories[run] = chain.bufferMemory();
            runOffsets[run] = chain.bufferOffset();
            run++;
        }
        final MutableDirectBuffer frames = burst.buffer();
        final int first = burst.size();
        for (int i = 0; i < run; i++)
        {
            runMemories[i].copyTo(runOffsets[i], frames, burst.netHeaderOffset(first + i), runLengths[i]);
        }
        int taken = 0;
        while (taken < run && burst.hasReceiveRoom() && acceptHeader(burst, burst.size()))
        {
            burst.commit(runLengths[taken++] - HEADER_LENGTH);
        }
        return taken;
    }

    /**
     * Writes the used entries of a run of chains {@link #receive} took, from available entry {@code slot} on, after
     * their frames were copied: they are stores to lines the driver reads, which would hold back the stores behind
     * them until their lines came (see {@link #deliverWhole}).
     */
    private void returnRun(final int slot, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            writeUsed(slot + i, runHeads[i], 0);
        }
    }

    /**
     * Copies the chain at {@code head} into the burst's next slot: its virtio-net header into the 12
     * bytes the slot keeps in front of the frame, the frame behind it, as one run whatever the chain's
     * layout. Returns the frame's length, or -1.
     */
    private int gather(final int head, final FrameBurst burst)
    {
        if (!chain.start(head))
        {
            return invalidChain();
        }
        final MutableDirectBuffer destination = burst.buffer();
        final int headerOffset = burst.netHeaderOffset(burst.size());
        int position = headerOffset;
        int room = HEADER_LENGTH + burst.frameCapacity();
        long total = 0;
        do
        {
            final long length = chain.bufferLength();
            total += length;
            if (total > HEADER_LENGTH + MAX_FRAME_LENGTH)
            {
                return violation(Violation.OVERSIZED_FRAME, total);
            }
            final int copied = (int)Math.min(length, room);
            if (copied > 0)
            {
                chain.bufferMemory().copyTo(chain.bufferOffset(), destination, position, copied);
                position += copied;
                room -= copied;
            }
        }
        while (chain.advance());
        if (null != chain.violation())
        {
            return invalidChain();
        }
        if (total < HEADER_LENGTH)
        {
            return violation(Violation.SHORT_FRAME, total);
        }
        if (!acceptHeader(burst, burst.size()))
        {
            return violation(Violation.NET_HEADER, destination.getShort(headerOffset) & 0xFFFF);
        }
        return (int)(total - HEADER_LENGTH);
    }

    /**
     * Makes the virtio-net header of frame {@code index}, as the driver wrote it, the pipeline's: all zero when no
     * offload was negotiated (nothing it says can be meant then), else with num_buffers 0. False if it asks for an
     * offload not negotiated, or has a flag a driver may not send.
     */
    private boolean acceptHeader(final FrameBurst burst, final int index)
    {
        if (0 == hostOffloads)
        {
            burst.clearNetHeader(index);
            return true;
        }
        final MutableDirectBuffer frames = burst.buffer();
        final int headerOffset = burst.netHeaderOffset(index);
        frames.putShort(headerOffset + NUM_BUFFERS_OFFSET, (short)0);
        return 0 == (frames.getByte(headerOffset) & ~VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM) &&
            Offloads.covers(hostOffloads, Offloads.required(frames, headerOffset));
    }

    /**
     * Writes {@code burst[indexes[0..count)]} into receive buffers, each behind a virtio-net header,
     * stopping at the first frame that does not fit in the buffers available, or that needs an offload
     * the driver did not negotiate (the pipeline resolves those first; one arrives only when the driver
     * renegotiated in between).
     *
     * @return frames written.
     */
    int transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        final int available = available();
        if (available < 0)
        {
            return 0;
        }
        int consumed = 0;
        int sent = 0;
        while (sent < count)
        {
            final int whole = deliverWhole(burst, indexes, sent, count, available - consumed, nextAvail + consumed);
            consumed += whole;
            sent += whole;
            if (sent == count)
            {
                break;
            }
            final int outcome = deliver(burst, indexes[sent], available - consumed, nextAvail + consumed);
            if (DELIVERED != outcome)
            {
                if (NO_ROOM == outcome)
                {
                    events.refused(count - sent);
                }
                break;
            }
            consumed += chains;
            sent++;
        }
        if (consumed > 0)
        {
            publish(consumed);
        }
        return sent;
    }

    /**
     * Writes {@code burst[indexes[from..count)]} while each frame's first chain is one buffer that holds header and
     * frame, as nearly every frame's is, up to {@link #RUN} frames; stops at the first frame that is not so, which
     * {@link #deliver} then writes or refuses.
     * <p>
     * Every chain of the run is read before the first frame is written, and every used entry is written after the
     * last frame: the copies' stores are to lines the driver last touched, each store waits for its line, and x86
     * makes stores visible in order, so a store to this thread's own fields behind them waits too, and with the store
     * buffer full so do the loads of the next chains. Here the stores to the driver's lines come last and together,
     * and their lines are fetched at once. Measured on the same track: writing such a frame in place with fewer stores
     * carried 1.12-1.27x the 64-byte frames of a scatter for all (2026-12-05), and this order 1.05-1.09x that
     * (2026-12-06; benches/README.md).
     *
     * @return frames written, each on one available entry.
     */
    private int deliverWhole(
        final FrameBurst burst, final int[] indexes, final int from, final int count, final int available, final int slot)
    {
        final MutableDirectBuffer frames = burst.buffer();
        final int most = Math.min(Math.min(count - from, available), RUN);
        int run = 0;
        while (run < most)
        {
            final int frame = indexes[from + run];
            if (!Offloads.covers(guestOffloads, Offloads.required(frames, burst.netHeaderOffset(frame))))
            {
                break;
            }
            final int length = Math.min(burst.frameLength(frame), burst.frameCapacity());
            final int head = head(slot + run);
            if (!chain.start(head) || !chain.writable() || chain.bufferLength() < HEADER_LENGTH + length)
            {
                break;
            }
            runHeads[run] = head;
            runLengths[run] = length;
            runMemories[run] = chain.bufferMemory();
            runOffsets[run] = chain.bufferOffset();
            run++;
        }
        for (int i = 0; i < run; i++)
        {
            writeWhole(runMemories[i], runOffsets[i], burst, indexes[from + i], runLengths[i]);
        }
        for (int i = 0; i < run; i++)
        {
            writeUsed(slot + i, runHeads[i], HEADER_LENGTH + runLengths[i]);
        }
        return run;
    }

    /** The header as the driver gets it, then the frame, into one buffer. */
    private void writeWhole(
        final MappedMemory memory, final long offset, final FrameBurst burst, final int frame, final int length)
    {
        final int netHeader = burst.netHeaderOffset(frame);
        memory.putLong(offset, headerStart(burst.buffer(), netHeader));
        memory.putInt(offset + 8, headerEnd(burst.buffer(), netHeader));
        memory.copyFrom(offset + HEADER_LENGTH, burst.buffer(), burst.frameOffset(frame), length);
    }

    /**
     * The first 8 bytes of the header as the driver gets it: the frame's own, as the pipeline holds it (flags, GSO
     * type and size, checksum start), with only the flags a driver may see; all zero for a driver that took no offload.
     */
    private long headerStart(final DirectBuffer frames, final int netHeader)
    {
        if (0 == guestOffloads)
        {
            return 0;
        }
        final long start = frames.getLong(netHeader);
        return start & ~0xFFL | start & GUEST_FLAGS;
    }

    /** Its last 4: the checksum offset (0 without offloads) and num_buffers 1. */
    private int headerEnd(final DirectBuffer frames, final int netHeader)
    {
        return 1 << 16 | (0 == guestOffloads ? 0 : frames.getShort(netHeader + 8) & 0xFFFF);
    }

    /**
     * Writes one frame from available entry {@code slot} on, one chain without MRG_RXBUF, as many as it needs with
     * it: a frame {@link #deliverWhole} did not take (its first buffer too small for it, a frame the driver cannot
     * take, an invalid chain or a read-only buffer, which this reports). Nothing is published here: a frame that does not fit
     * leaves the entries it touched available for the next one.
     */
    private int deliver(final FrameBurst burst, final int frame, final int available, final int slot)
    {
        if (available <= 0)
        {
            return NO_ROOM;
        }
        final int netHeader = burst.netHeaderOffset(frame);
        if (!Offloads.covers(guestOffloads, Offloads.required(burst.buffer(), netHeader)))
        {
            return UNSUPPORTED;
        }
        final int length = Math.min(burst.frameLength(frame), burst.frameCapacity());
        chains = 0;
        if (!startChain(slot) || DELIVERED != takeBuffer())
        {
            return INVALID;
        }
        header.putLong(0, headerStart(burst.buffer(), netHeader));
        header.putInt(8, headerEnd(burst.buffer(), netHeader));
        int outcome = scatter(header, 0, HEADER_LENGTH, true, available, slot);
        if (DELIVERED == outcome)
        {
            outcome = scatter(burst.buffer(), burst.frameOffset(frame), length, false, available, slot);
        }
        if (DELIVERED != outcome)
        {
            return outcome;
        }
        writeUsed(slot + chains - 1, chainHead, chainWritten);
        if (chains > 1)
        {
            numBuffersLow.putByte(numBuffersLowOffset, (byte)chains);
            numBuffersHigh.putByte(numBuffersHighOffset, (byte)(chains >>> 8));
        }
        return DELIVERED;
    }

    private int scatter(
        final DirectBuffer source, final int sourceIndex, final int length, final boolean isHeader,
        final int available, final int slot)
    {
        int index = sourceIndex;
        int remaining = length;
        while (remaining > 0)
        {
            if (0 == bufferRoom)
            {
                final int outcome = nextBuffer(available, slot);
                if (DELIVERED != outcome)
                {
                    return outcome;
                }
                continue;
            }
            final int n = (int)Math.min(remaining, bufferRoom);
            buffer.copyFrom(bufferOffset, source, index, n);
            if (isHeader)
            {
                noteNumBuffers(index, n);
            }
            bufferOffset += n;
            bufferRoom -= n;
            chainWritten += n;
            index += n;
            remaining -= n;
        }
        return DELIVERED;
    }

    /** Remembers where the two bytes of num_buffers went: the header may be split across buffers. */
    private void noteNumBuffers(final int headerIndex, final int n)
    {
        if (headerIndex <= NUM_BUFFERS_OFFSET && NUM_BUFFERS_OFFSET < headerIndex + n)
        {
            numBuffersLow = buffer;
            numBuffersLowOffset = bufferOffset + NUM_BUFFERS_OFFSET - headerIndex;
        }
        if (headerIndex <= NUM_BUFFERS_OFFSET + 1 && NUM_BUFFERS_OFFSET + 1 < headerIndex + n)
        {
            numBuffersHigh = buffer;
            numBuffersHighOffset = bufferOffset + NUM_BUFFERS_OFFSET + 1 - headerIndex;
        }
    }

    private int nextBuffer(final int available, final int slot)
    {
        if (chain.advance())
        {
            return takeBuffer();
        }
        if (null != chain.violation())
        {
            invalidChain();
            return INVALID;
        }
        if (!mergeable || chains == available)
        {
            return NO_ROOM;
        }
        writeUsed(slot + chains - 1, chainHead, chainWritten);
        return openChain(slot + chains) ? DELIVERED : INVALID;
    }

    private boolean openChain(final int slot)
    {
        return startChain(slot) && DELIVERED == takeBuffer();
    }

    private boolean startChain(final int slot)
    {
        chainHead = head(slot);
        chainWritten = 0;
        chains++;
        if (!chain.start(chainHead))
        {
            invalidChain();
            return false;
        }
        return true;
    }

    private int takeBuffer()
    {
        if (!chain.writable())
        {
            violation(Violation.READ_ONLY_BUFFER, chainHead);
            return INVALID;
        }
        buffer = chain.bufferMemory();
        bufferOffset = chain.bufferOffset();
        bufferRoom = chain.bufferLength();
        return DELIVERED;
    }

    /** Entries the driver has made available and this side not consumed yet, or -1 on a bad index. */
    private int available()
    {
        final int availIdx = avail.getShortAcquire(availOffset + IDX_OFFSET) & 0xFFFF;
        final int count = (availIdx - nextAvail) & 0xFFFF;
        if (count > size)
        {
            violation(Violation.AVAIL_INDEX, availIdx);
            return -1;
        }
        return count;
    }

    private int head(final int slot)
    {
        return avail.getShort(availOffset + RING_OFFSET + 2L * (slot & mask)) & 0xFFFF;
    }

    private void writeUsed(final int slot, final int head, final int length)
    {
        // id and len in one store: little-endian, id in the low half.
        used.putLong(usedOffset + RING_OFFSET + (long)USED_ENTRY_LENGTH * (slot & mask), (long)length << 32 | head & 0xFFFF_FFFFL);
    }

    private void publish(final int entries)
    {
        nextAvail = (nextAvail + entries) & 0xFFFF;
        used.putShortRelease(usedOffset + IDX_OFFSET, (short)nextAvail);
        if (null != call)
        {
            // The driver's NO_INTERRUPT must be read after the index is visible, or a driver that
            // clears it in between would sleep on a notification never sent.
            VarHandle.fullFence();
            if (0 == (avail.getShortAcquire(availOffset) & VRING_AVAIL_F_NO_INTERRUPT))
            {
                call.signal();
            }
        }
    }

    private int invalidChain()
    {
        return violation(chain.violation(), chain.violationDetail());
    }

    private int violation(final Violation violation, final long detail)
    {
        events.violation(violation, index, detail);
        return -1;
    }

    @Override
    public String toString()
    {
        return "Virtqueue{" + index + ", size=" + size + ", next=" + nextAvail + (mergeable ? ", mergeable" : "") + "}";
    }
}
