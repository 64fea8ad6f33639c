package io.vireo.gateway.conntrack;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

import io.vireo.gateway.AlignedMemory;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.gateway.conntrack.ConnectionTable.MISS;

/**
 * The connections of a {@link ConnectionTable}: one 64-byte entry (a cache line) each, off heap, with
 * a lock-free free list. An entry is eight 64-bit words, bit 0 the least significant:
 * <pre>
 *  offset  0                               31 32                               63
 *         +----------------------------------------------------------------------+
 *      0  |          Version: odd while a create writes; generation * 2          |
 *         +----------------------------------------------------------------------+
 *      8  |         State word: state, flags, expiry (ConnectionStates)          |
 *         +----------------------------------+----------+----------+-------------+
 *     16  |               Zone               | Protocol | Family 4 |      0      |  meta
 *         +----------------------------------+----------+----------+-------------+
 *     24  |         Original source          |        Original destination       |  addresses, direction 0
 *         +----------------------------------+-----------------------------------+
 *     32  |           Reply source           |         Reply destination         |  addresses, direction 1
 *         +----------------+-----------------+-----------------+-----------------+
 *     40  |   Orig dport   |   Orig sport    |   Reply dport   |   Reply sport   |  ports
 *         +----------------+-----------------+-----------------+-----------------+
 *     48  |                  Created at: ms, the caller's clock                  |
 *         +----------------------------------+-----------------------------------+
 *     56  |    Free-list next: entry + 1     |  Label: the creator's, 0 for none  |
 *         +----------------------------------+-----------------------------------+
 * </pre>
 * Each word is one {@code long}, the first field in its low bits (a direction's ports are
 * {@code sport << 16 | dport}), so a tuple compares as two longs and an int whatever the byte order.
 * An IPv6 entry would hold 2 x 36 bytes of tuples: a second array of 128-byte entries behind the same
 * index, told apart by the family, with this protocol unchanged.
 *
 * <h2>Concurrency</h2>
 * <ul>
 *   <li>The tuples (bytes 16 to 55) and the label are written only by the thread that took the entry off the free list,
 *   between two increments of the version: odd while it writes, even once published. The version
 *   therefore counts the entry's connections: its generation is {@code version / 2}. Readers of the
 *   tuples (lookups, the stage's translated-tuple reads) read seqlock style against the version; a
 *   mismatch means the entry now holds another connection, never to be waited for.</li>
 *   <li>The state word is changed by CAS only ({@link ConnectionTable#seen} and the control thread's
 *   removal), and only while its state is not NONE; a create stores it once, to make the connection
 *   live, after indexing it.</li>
 *   <li>Only the control thread removes: it makes the state NONE by CAS, takes the entry out of the
 *   index, then frees it. An entry the index refers to is therefore never on the free list.</li>
 * </ul>
 * {@code flowtable}'s {@code SlotArray} read loop is not reused: it is package-private there, reads a
 * 24-byte slot of three words into a visitor, and retries a slot that changes; an entry here is read
 * field by field under one version, and a change means another connection, never a retry.
 * <p>
 * A handle is {@code generation (31 bits) << 32 | entry << 1 | direction}: a stale handle fails every
 * check once its entry was taken for another connection (after 2<sup>31</sup> reuses of one entry while
 * a thread holds a handle, it would not: far beyond any real hold). Reads of the hot path go by
 * address without bounds checks; nothing may read after {@link #close}.
 */
final class ConnectionEntries
{
    /** {@link #allocate}: the free list is empty. */
    static final int NO_ENTRY = -1;
    /** {@link #stateOf}: the handle's connection is gone. */
    static final long STALE = -1;

    /** Direction 0's addresses; direction 1's follow. */
    static final int ADDRESSES_OFFSET = 24;
    /** Both directions' ports: direction 0's in the low half. */
    static final int PORTS_OFFSET = 40;
    /** The word whose high half is the label. */
    static final int LABEL_WORD_OFFSET = 56;
    static final long LOW_32_MASK = 0xFFFF_FFFFL;

    private static final int ENTRY_LENGTH = 64;
    private static final int VERSION_OFFSET = 0;
    private static final int STATE_OFFSET = 8;
    private static final int META_OFFSET = 16;
    private static final int CREATED_OFFSET = 48;
    private static final int NEXT_OFFSET = 56;
    private static final int LABEL_OFFSET = 60;
    private static final int IPV4 = 4;
    private static final int GENERATION_MASK = 0x7FFF_FFFF;

    private final int capacity;
    private final AlignedMemory memory;
    private final UnsafeBuffer buffer;
    private final long address;
    /** Free-list head: an ABA tag in the high 32 bits, entry + 1 in the low 32 (0: empty). */
    private final AtomicLong free = new AtomicLong();

    ConnectionEntries(final int capacity)
    {
        this.capacity = capacity;
        memory = new AlignedMemory(capacity * ENTRY_LENGTH);
        buffer = memory.buffer;
        address = memory.address;
        for (int entry = 0; entry < capacity - 1; entry++)
        {
            buffer.putInt(offset(entry) + NEXT_OFFSET, entry + 2);
        }
        free.set(1);
    }

    int capacity()
    {
        return capacity;
    }

    long memoryBytes()
    {
        return (long)capacity * ENTRY_LENGTH;
    }

    void close()
    {
        memory.close();
    }

    // Free list.

    /**
     * Take an entry off the free list. The next-link read may race with the entry's reuse; the tag in
     * the head makes the CAS fail then.
     *
     * @return the entry, or {@link #NO_ENTRY}.
     */
    int allocate()
    {
        while (true)
        {
            final long head = free.get();
            final int top = (int)head;
            if (0 == top)
            {
                return NO_ENTRY;
            }
            final int next = buffer.getIntVolatile(offset(top - 1) + NEXT_OFFSET);
            if (free.compareAndSet(head, nextTag(head) | (next & LOW_32_MASK)))
            {
                return top - 1;
            }
        }
    }

    void free(final int entry)
    {
        while (true)
        {
            final long head = free.get();
            buffer.putInt(offset(entry) + NEXT_OFFSET, (int)head);
            if (free.compareAndSet(head, nextTag(head) | (entry + 1)))
            {
                return;
            }
        }
    }

    // Writing.

    /**
     * Write an allocated entry's tuples and publish them: version odd, fields, version even. The state
     * word stays NONE until {@link #activate}.
     *
     * @return the entry's new generation.
     */
    int write(
        final int entry, final long meta, final long original, final long reply, final long ports, final int label,
        final long nowMs)
    {
        final int offset = offset(entry);
        final long version = buffer.getLong(offset + VERSION_OFFSET) + 1;
        buffer.putLongVolatile(offset + VERSION_OFFSET, version);
        VarHandle.releaseFence();
        buffer.putLong(offset + META_OFFSET, meta);
        buffer.putLong(offset + ADDRESSES_OFFSET, original);
        buffer.putLong(offset + ADDRESSES_OFFSET + 8, reply);
        buffer.putLong(offset + PORTS_OFFSET, ports);
        buffer.putLong(offset + CREATED_OFFSET, nowMs);
        buffer.putInt(offset + LABEL_OFFSET, label);
        buffer.putLongRelease(offset + VERSION_OFFSET, version + 1);
        return generationOf(version + 1);
    }

    /**
     * Make an indexed entry a live connection. Its state word is NONE, which nobody else writes.
     */
    void activate(final int entry, final long state)
    {
        buffer.putLongRelease(offset(entry) + STATE_OFFSET, state);
    }

    boolean compareAndSetState(final int entry, final long expected, final long update)
    {
        return buffer.compareAndSetLong(offset(entry) + STATE_OFFSET, expected, update);
    }

    // Reading, any thread.

    /**
     * Whether the entry a slot refers to is a live connection with this tuple in this direction: one
     * seqlock read, never waiting. An entry being rewritten or rewritten meanwhile holds another
     * connection by now.
     *
     * @param ref entry << 1 | direction.
     * @return the handle, or {@link ConnectionTable#MISS}.
     */
    long match(final int ref, final long meta, final long addresses, final int ports)
    {
        final long base = address + offset(ref >>> 1);
        final int direction = ref & 1;
        final long version = UnsafeApi.getLongAcquire(null, base);
        final long state = UnsafeApi.getLong(base + STATE_OFFSET);
        final long entryMeta = UnsafeApi.getLong(base + META_OFFSET);
        final long entryAddresses = UnsafeApi.getLong(base + ADDRESSES_OFFSET + 8L * direction);
        final long entryPorts = UnsafeApi.getLong(base + PORTS_OFFSET);
        VarHandle.acquireFence();
        if (UnsafeApi.getLongVolatile(null, base) != version || 0 != (version & 1) ||
            !ConnectionStates.isLive(state) || entryMeta != meta || entryAddresses != addresses ||
            (int)(entryPorts >>> (32 * direction)) != ports)
        {
            return MISS;
        }
        return ((long)generationOf(version) << 32) | ref;
    }

    /**
     * The first word of the entry a key refers to: {@link ConnectionTable#touch}'s load, no bounds check.
     */
    long touch(final int ref)
    {
        return UnsafeApi.getLong(address + offset(ref >>> 1));
    }

    /**
     * @return the state word of the handle's connection, or {@link #STALE} if it is gone.
     */
    long stateOf(final long handle)
    {
        final long base = address + offset(entry(handle));
        final long version = UnsafeApi.getLongAcquire(null, base);
        final long state = UnsafeApi.getLong(base + STATE_OFFSET);
        VarHandle.acquireFence();
        if (UnsafeApi.getLongVolatile(null, base) != version || generationOf(version) != generation(handle) ||
            0 != (version & 1) || !ConnectionStates.isLive(state))
        {
            return STALE;
        }
        return state;
    }

    /**
     * One word of the handle's connection's tuples, or 0 if the entry holds another connection by now
     * (then {@link #stateOf} says {@link #STALE} from then on).
     */
    long word(final long handle, final int fieldOffset)
    {
        final long base = address + offset(entry(handle));
        final long word = UnsafeApi.getLong(base + fieldOffset);
        VarHandle.acquireFence();
        final long version = UnsafeApi.getLongVolatile(null, base);
        return 0 == (version & 1) && generationOf(version) == generation(handle) ? word : 0;
    }

    // Reading, control thread: it alone removes, so a live entry's tuples hold still while it reads.

    long state(final int entry)
    {
        return buffer.getLongVolatile(offset(entry) + STATE_OFFSET);
    }

    long metaOf(final int entry)
    {
        return buffer.getLong(offset(entry) + META_OFFSET);
    }

    long addressesOf(final int entry, final int direction)
    {
        return buffer.getLong(offset(entry) + ADDRESSES_OFFSET + 8 * direction);
    }

    int portsOf(final int entry, final int direction)
    {
        return (int)(buffer.getLong(offset(entry) + PORTS_OFFSET) >>> (32 * direction));
    }

    long createdMs(final int entry)
    {
        return buffer.getLong(offset(entry) + CREATED_OFFSET);
    }

    int labelOf(final int entry)
    {
        return buffer.getInt(offset(entry) + LABEL_OFFSET);
    }

    // Handles and words.

    static long handle(final int generation, final int entry, final int direction)
    {
        return ((long)generation << 32) | ((long)entry << 1) | direction;
    }

    static int entry(final long handle)
    {
        return (int)handle >>> 1;
    }

    static int direction(final long handle)
    {
        return (int)handle & 1;
    }

    static long meta(final int zone, final int protocol)
    {
        return (zone & LOW_32_MASK) | ((long)(protocol & 0xFF) << 32) | ((long)IPV4 << 40);
    }

    static long addresses(final int source, final int destination)
    {
        return (source & LOW_32_MASK) | ((long)destination << 32);
    }

    static int ports(final int sourcePort, final int destinationPort)
    {
        return (sourcePort << 16) | (destinationPort & 0xFFFF);
    }

    static long portPair(final int original, final int reply)
    {
        return (original & LOW_32_MASK) | ((long)reply << 32);
    }

    static int generation(final long handle)
    {
        return (int)(handle >>> 32);
    }

    private static int generationOf(final long version)
    {
        return (int)(version >>> 1) & GENERATION_MASK;
    }

    private static long nextTag(final long head)
    {
        return ((head >>> 32) + 1) << 32;
    }

    private static int offset(final int entry)
    {
        return entry * ENTRY_LENGTH;
    }
}
