package io.vireo.dataplane.vhost;

import io.vireo.dataplane.nativeio.MappedMemory;

/**
 * A cursor over one descriptor chain of a split virtqueue, reused for every chain of its queue (no
 * allocation). Each descriptor is read once and validated before its buffer is offered: index
 * inside its table, buffer inside one region of guest memory, chain no longer than its table (which
 * is how a loop shows), indirect tables only where the spec and the negotiated features allow.
 * <pre>
 * descriptor table entry (16 bytes, little-endian), the ring's table or an indirect one:
 *  0               8               12      14      16
 * +---------------+---------------+-------+-------+
 * |     addr      |      len      | flags | next  |
 * +---------------+---------------+-------+-------+
 *   u64 guest       u32             u16     u16
 *   physical                        NEXT 1, WRITE 2, INDIRECT 4
 * </pre>
 * An indirect descriptor must be the whole chain in the ring's table (no NEXT, not after another
 * descriptor), as Linux and DPDK drivers build them; its table holds 1 to ring-size entries.
 */
final class DescriptorChain
{
    static final int DESCRIPTOR_LENGTH = 16;
    static final int F_NEXT = 1;
    static final int F_WRITE = 2;
    static final int F_INDIRECT = 4;

    private final GuestMemory memory;
    private final MappedMemory ring;
    private final long ringOffset;
    private final int ringSize;
    private final boolean indirectAllowed;

    private MappedMemory table;
    private long tableOffset;
    private int tableSize;
    private boolean indirect;
    private int visited;
    private boolean hasNext;
    private int next;

    private MappedMemory bufferMemory;
    private long bufferOffset;
    private long bufferLength;
    private boolean writable;

    private Violation violation;
    private long violationDetail;

    /**
     * @param ring       mapping holding the ring's descriptor table.
     * @param ringOffset offset of the table in {@code ring}, validated for {@code ringSize} entries.
     */
    DescriptorChain(
        final GuestMemory memory, final MappedMemory ring, final long ringOffset, final int ringSize,
        final boolean indirectAllowed)
    {
        this.memory = memory;
        this.ring = ring;
        this.ringOffset = ringOffset;
        this.ringSize = ringSize;
        this.indirectAllowed = indirectAllowed;
        this.table = ring;
        this.tableOffset = ringOffset;
        this.tableSize = ringSize;
    }

    /**
     * Positions on the first buffer of the chain starting at descriptor {@code head}.
     *
     * @return false if the chain is invalid; {@link #violation()} says why.
     */
    boolean start(final int head)
    {
        // Fields are written only when they change: the fewer stores a frame makes, the faster (see
        // Virtqueue's deliver).
        if (indirect)
        {
            table = ring;
            tableOffset = ringOffset;
            tableSize = ringSize;
            indirect = false;
        }
        if (null != violation)
        {
            violation = null;
        }
        visited = 0;
        return load(head);
    }

    /**
     * Moves to the next buffer.
     *
     * @return false at the end of the chain ({@link #violation()} null) or on an invalid descriptor.
     */
    boolean advance()
    {
        return hasNext && load(next);
    }

    private boolean load(final int index)
    {
        if (index < 0 || index >= tableSize)
        {
            return fail(Violation.DESCRIPTOR_INDEX, index);
        }
        if (++visited > tableSize)
        {
            return fail(Violation.CHAIN_LOOP, index);
        }
        final long entry = tableOffset + (long)index * DESCRIPTOR_LENGTH;
        final long address = table.getLong(entry);
        final long length = table.getInt(entry + 8) & 0xFFFF_FFFFL;
        final int flags = table.getShort(entry + 12);
        if ((flags & F_INDIRECT) != 0)
        {
            return enterIndirect(address, length, flags);
        }
        final int region = memory.findGuest(address, length);
        if (region < 0)
        {
            return fail(Violation.OUT_OF_MEMORY, address);
        }
        final MappedMemory mapping = memory.mapping(region);
        if (mapping != bufferMemory)
        {
            bufferMemory = mapping;
        }
        bufferOffset = memory.guestToMapping(region, address);
        bufferLength = length;
        writable = (flags & F_WRITE) != 0;
        hasNext = (flags & F_NEXT) != 0;
        next = table.getShort(entry + 14) & 0xFFFF;
        return true;
    }

    private boolean enterIndirect(final long address, final long length, final int flags)
    {
        if (!indirectAllowed)
        {
            return fail(Violation.INDIRECT_NOT_NEGOTIATED, address);
        }
        if (indirect || visited != 1 || (flags & F_NEXT) != 0)
        {
            return fail(Violation.INDIRECT_MISPLACED, address);
        }
        if (0 == length || 0 != length % DESCRIPTOR_LENGTH || length / DESCRIPTOR_LENGTH > ringSize)
        {
            return fail(Violation.INDIRECT_LENGTH, length);
        }
        final int region = memory.findGuest(address, length);
        if (region < 0)
        {
            return fail(Violation.OUT_OF_MEMORY, address);
        }
        table = memory.mapping(region);
        tableOffset = memory.guestToMapping(region, address);
        tableSize = (int)(length / DESCRIPTOR_LENGTH);
        indirect = true;
        visited = 0;
        return load(0);
    }

    private boolean fail(final Violation violation, final long detail)
    {
        this.violation = violation;
        this.violationDetail = detail;
        hasNext = false;
        return false;
    }

    MappedMemory bufferMemory()
    {
        return bufferMemory;
    }

    long bufferOffset()
    {
        return bufferOffset;
    }

    /** Bytes of the current buffer, up to 2^32 - 1. */
    long bufferLength()
    {
        return bufferLength;
    }

    /** True if the current buffer is the chain's last. */
    boolean last()
    {
        return !hasNext;
    }

    /** True if the driver marked the current buffer device-writable. */
    boolean writable()
    {
        return writable;
    }

    /** Why the last {@link #start} or {@link #advance} returned false, or null if the chain just ended. */
    Violation violation()
    {
        return violation;
    }

    /** The offending index, address or length. */
    long violationDetail()
    {
        return violationDetail;
    }
}
