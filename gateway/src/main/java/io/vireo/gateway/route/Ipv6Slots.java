package io.vireo.gateway.route;

import java.lang.invoke.VarHandle;

import io.vireo.dataplane.nativeio.MappedMemory;

/**
 * The off-heap hash table of an {@link Ipv6RouteTable}: every route, keyed by (prefix, length), in
 * linear probing over a power-of-two count of 32-byte slots in anonymous memory.
 * <pre>
 *   0               8               16              24      28      32
 *   +---------------+---------------+---------------+-------+-------+
 *   |    control    |  prefix high  |  prefix low   |length |  hop  |
 *   +---------------+---------------+---------------+-------+-------+
 *   control: version (62 bits) | state (2 bits: EMPTY 0, LIVE 1, TOMBSTONE 2)
 *   value word (24..32, host order): length &lt;&lt; 32 | next hop
 * </pre>
 * One writer, the control thread; any number of readers, seqlock style: a reader loads the control
 * word with acquire ordering, loads key and value, {@code acquireFence}, loads the control word again
 * and uses the words only if it did not change. Removal stores a TOMBSTONE control word with the next
 * version (release). Filling a slot (EMPTY, or a TOMBSTONE being reused) stores key and value after a
 * {@code releaseFence}, so after the earlier TOMBSTONE store, then the LIVE control word with the next
 * version (release): a reader that loaded any word of the new entry sees the control word changed, so
 * it never uses a mix of two entries. A new next hop for a LIVE entry is one release store of the value
 * word, which a reader loads whole. A probe ends at an EMPTY slot; the table rebuilds itself (copy on
 * write, {@link Ipv6RouteTable}) before used slots pass 3/4.
 */
final class Ipv6Slots
{
    static final int NOT_FOUND = -1;

    private static final long EMPTY = 0;
    private static final long LIVE = 1;
    private static final long TOMBSTONE = 2;
    private static final long STATE_MASK = 3;
    private static final int SLOT_SHIFT = 5;
    private static final int HIGH_OFFSET = 8;
    private static final int LOW_OFFSET = 16;
    private static final int VALUE_OFFSET = 24;

    private final MappedMemory memory;
    private final int slotCount;
    private final int mask;
    private int live;
    private int tombstones;
    private long retiredAtNs;

    Ipv6Slots(final int slotCount)
    {
        this.slotCount = slotCount;
        mask = slotCount - 1;
        memory = MappedMemory.mapAnonymous((long)slotCount << SLOT_SHIFT);
    }

    int slotCount()
    {
        return slotCount;
    }

    int live()
    {
        return live;
    }

    /**
     * @return whether one more entry in an EMPTY slot keeps used slots within 3/4.
     */
    boolean hasRoom()
    {
        return (live + tombstones + 1) * 4L <= slotCount * 3L;
    }

    long retiredAtNs()
    {
        return retiredAtNs;
    }

    void retiredAtNs(final long nowNs)
    {
        retiredAtNs = nowNs;
    }

    long residentBytes()
    {
        return memory.residentBytes();
    }

    void close()
    {
        memory.close();
    }

    // Readers.

    /**
     * The next hop of exactly this prefix and length. Any thread; no allocation, lock or exception.
     *
     * @return the next hop, or {@link #NOT_FOUND}.
     */
    int find(final long high, final long low, final int length)
    {
        int index = home(high, low, length);
        for (int probes = 0; probes < slotCount; probes++)
        {
            final long slot = (long)index << SLOT_SHIFT;
            final long control = memory.getLongAcquire(slot);
            final long state = control & STATE_MASK;
            if (EMPTY == state)
            {
                return NOT_FOUND;
            }
            if (LIVE == state)
            {
                final long slotHigh = memory.getLong(slot + HIGH_OFFSET);
                final long slotLow = memory.getLong(slot + LOW_OFFSET);
                final long value = memory.getLong(slot + VALUE_OFFSET);
                VarHandle.acquireFence();
                if (memory.getLong(slot) != control)
                {
                    continue; // the writer changed the slot under us: read it again
                }
                if (slotHigh == high && slotLow == low && (int)(value >>> 32) == length)
                {
                    return (int)value;
                }
            }
            index = (index + 1) & mask;
        }
        return NOT_FOUND;
    }

    // The writer: nothing below races another writer, so it reads without seqlock checks.

    /**
     * @return the slot of this prefix and length, or {@link #NOT_FOUND}.
     */
    int indexOf(final long high, final long low, final int length)
    {
        int index = home(high, low, length);
        for (int probes = 0; probes < slotCount; probes++)
        {
            final long slot = (long)index << SLOT_SHIFT;
            final long state = memory.getLong(slot) & STATE_MASK;
            if (EMPTY == state)
            {
                break;
            }
            if (LIVE == state && matches(slot, high, low, length))
            {
                return index;
            }
            index = (index + 1) & mask;
        }
        return NOT_FOUND;
    }

    /**
     * A new next hop for the LIVE entry in slot {@code index}: one release store.
     */
    void replace(final int index, final int length, final int nextHop)
    {
        memory.putLongRelease(((long)index << SLOT_SHIFT) + VALUE_OFFSET, value(length, nextHop));
    }

    /**
     * Insert an entry that is not in the table, into the first TOMBSTONE or EMPTY slot of its probe.
     * The caller checks {@link #hasRoom()} first.
     */
    void insert(final long high, final long low, final int length, final int nextHop)
    {
        int index = home(high, low, length);
        long state;
        while (LIVE == (state = memory.getLong((long)index << SLOT_SHIFT) & STATE_MASK))
        {
            index = (index + 1) & mask;
        }
        if (TOMBSTONE == state)
        {
            tombstones--;
        }
        final long slot = (long)index << SLOT_SHIFT;
        final long control = memory.getLong(slot);
        VarHandle.releaseFence();
        memory.putLong(slot + HIGH_OFFSET, high);
        memory.putLong(slot + LOW_OFFSET, low);
        memory.putLong(slot + VALUE_OFFSET, value(length, nextHop));
        memory.putLongRelease(slot, nextVersion(control) | LIVE);
        live++;
    }

    /**
     * Remove the LIVE entry in slot {@code index}.
     */
    void kill(final int index)
    {
        final long slot = (long)index << SLOT_SHIFT;
        memory.putLongRelease(slot, nextVersion(memory.getLong(slot)) | TOMBSTONE);
        live--;
        tombstones++;
    }

    /**
     * Give every LIVE entry to {@code consumer}.
     */
    void forEach(final Ipv6RouteConsumer consumer)
    {
        for (int index = 0; index < slotCount; index++)
        {
            final long slot = (long)index << SLOT_SHIFT;
            if (LIVE == (memory.getLong(slot) & STATE_MASK))
            {
                final long value = memory.getLong(slot + VALUE_OFFSET);
                consumer.accept(
                    memory.getLong(slot + HIGH_OFFSET), memory.getLong(slot + LOW_OFFSET), (int)(value >>> 32),
                    (int)value);
            }
        }
    }

    private boolean matches(final long slot, final long high, final long low, final int length)
    {
        return memory.getLong(slot + HIGH_OFFSET) == high && memory.getLong(slot + LOW_OFFSET) == low &&
            (int)(memory.getLong(slot + VALUE_OFFSET) >>> 32) == length;
    }

    private int home(final long high, final long low, final int length)
    {
        long hash = high * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(low * 0xC2B2AE3D27D4EB4FL, 31) ^ length;
        hash = (hash ^ (hash >>> 29)) * 0xBF58476D1CE4E5B9L;
        return (int)(hash ^ (hash >>> 32)) & mask;
    }

    private static long value(final int length, final int nextHop)
    {
        return ((long)length << 32) | nextHop;
    }

    private static long nextVersion(final long control)
    {
        return ((control >>> 2) + 1) << 2;
    }
}
