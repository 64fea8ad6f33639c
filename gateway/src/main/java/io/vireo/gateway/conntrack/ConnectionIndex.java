package io.vireo.gateway.conntrack;

import io.vireo.gateway.AlignedMemory;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.gateway.conntrack.ConnectionEntries.LOW_32_MASK;
import static io.vireo.gateway.conntrack.ConnectionTable.MISS;

/**
 * The index of a {@link ConnectionTable}: tuple to (entry, direction), two keys per connection, in
 * off-heap buckets of one cache line. A tuple's 64-bit hash gives a tag and two candidate buckets: a
 * create puts the key in the first while that has room to spare, else in the emptier of the two
 * ({@link #freeSlot}), so a lookup that hits mostly reads one bucket and the fullest bucket stays
 * near the average. A bucket is eight 64-bit words, bit 0 the least significant:
 * <pre>
 *  offset  0                               31 32                               63
 *         +----------------------------------------------------------------------+
 *      0  |               Lock: 1 while a writer owns the bucket                 |
 *         +----------------------------------+-----------------------------------+
 *      8  |     (entry << 1 | dir) + 1       |       Tag: the hash's low 32      |  slot 0; 0 = empty
 *         +----------------------------------+-----------------------------------+
 *         |                                 ...                                  |
 *         +----------------------------------+-----------------------------------+
 *     56  |              Ref + 1             |                Tag                |  slot 6
 *         +----------------------------------+-----------------------------------+
 * </pre>
 * The index holds no tuples: a tag match is checked against the entry ({@link ConnectionEntries#match}),
 * which makes the index the same for any address family.
 * <p>
 * A slot is one 64-bit word, written whole, and a key never moves once written, so a lookup reads the
 * slots without the lock and without a retry: a key is either there or not. Writers (creates, the
 * control thread's removals) own a bucket by a CAS of its lock word and hold it for a few loads and
 * stores; a create owns the up to four buckets of its two tuples at once, taken in ascending order so
 * two creates never wait on each other in a cycle, which makes its check for both tuples and its
 * insert of both one atomic step.
 */
final class ConnectionIndex
{
    /** {@link #freeSlot}: neither bucket has a free slot. */
    static final int NO_SLOT = -1;

    private static final int BUCKET_LENGTH = 64;
    private static final int SLOTS = 7;

    /** Free slots a first bucket keeps before keys go to the emptier of their two. */
    private static final int SPARE = 3;
    private static final int SLOT_LENGTH = 8;
    private static final int FIRST_SLOT = 8;
    private static final int UNLOCKED = 0;
    private static final int LOCKED = 1;

    private final int bucketCount;
    private final ConnectionEntries entries;
    private final AlignedMemory memory;
    private final UnsafeBuffer buffer;
    private final long address;

    ConnectionIndex(final int bucketCount, final ConnectionEntries entries)
    {
        this.bucketCount = bucketCount;
        this.entries = entries;
        memory = new AlignedMemory(bucketCount * BUCKET_LENGTH);
        buffer = memory.buffer;
        address = memory.address;
    }

    long memoryBytes()
    {
        return (long)bucketCount * BUCKET_LENGTH;
    }

    void close()
    {
        memory.close();
    }

    // Hashing.

    static long hash(final long meta, final long addresses, final int ports)
    {
        long hash = addresses * 0x9E37_79B9_7F4A_7C15L ^ meta * 0xC2B2_AE3D_27D4_EB4FL ^
            (ports & LOW_32_MASK) * 0x1656_67B1_9E37_79F9L;
        hash ^= hash >>> 32;
        hash *= 0xD6E8_FEB8_6659_FD93L;
        return hash ^ (hash >>> 32);
    }

    int first(final long hash)
    {
        return (int)(((hash >>> 32) * bucketCount) >>> 32);
    }

    int second(final long hash)
    {
        return (int)((((hash * 0x9E37_79B9_7F4A_7C15L) >>> 32) * bucketCount) >>> 32);
    }

    // Reading, any thread, no lock.

    /**
     * @return the handle of the live connection with this tuple, or {@link ConnectionTable#MISS}.
     */
    long find(final long hash, final long meta, final long addresses, final int ports)
    {
        final long found = find(first(hash), hash, meta, addresses, ports);
        return MISS != found ? found : find(second(hash), hash, meta, addresses, ports);
    }

    private long find(final int bucket, final long hash, final long meta, final long addresses, final int ports)
    {
        final long slots = address + (long)bucket * BUCKET_LENGTH + FIRST_SLOT;
        final long tag = hash << 32;
        for (int i = 0; i < SLOTS; i++)
        {
            final long slot = UnsafeApi.getLongAcquire(null, slots + (long)i * SLOT_LENGTH);
            if ((slot & ~LOW_32_MASK) == tag && 0 != (int)slot)
            {
                final long handle = entries.match((int)slot - 1, meta, addresses, ports);
                if (MISS != handle)
                {
                    return handle;
                }
            }
        }
        return MISS;
    }

    /**
     * {@link ConnectionTable#touch}'s first pass for a key: the first word of its first bucket.
     */
    long touchFirst(final long hash)
    {
        return UnsafeApi.getLong(address + (long)first(hash) * BUCKET_LENGTH);
    }

    /**
     * {@link ConnectionTable#touch}'s second pass: the first word of each entry a slot of the key's
     * first bucket tags for it, or of its second bucket if none does.
     */
    long touchFound(final long hash)
    {
        final long slots = address + (long)first(hash) * BUCKET_LENGTH + FIRST_SLOT;
        final long tag = hash << 32;
        long loaded = 0;
        boolean tagged = false;
        for (int i = 0; i < SLOTS; i++)
        {
            final long slot = UnsafeApi.getLong(slots + (long)i * SLOT_LENGTH);
            if ((slot & ~LOW_32_MASK) == tag && 0 != (int)slot)
            {
                loaded ^= entries.touch((int)slot - 1);
                tagged = true;
            }
        }
        return tagged ? loaded : UnsafeApi.getLong(address + (long)second(hash) * BUCKET_LENGTH);
    }

    // Writing: creates and the control thread.

    /**
     * Own the distinct buckets among {@code a, b, c, d}, in ascending order.
     */
    void lockAll(final int a, final int b, final int c, final int d)
    {
        for (int bucket = least(a, b, c, d, -1); bucket >= 0; bucket = least(a, b, c, d, bucket))
        {
            lock(bucket);
        }
    }

    void unlockAll(final int a, final int b, final int c, final int d)
    {
        for (int bucket = least(a, b, c, d, -1); bucket >= 0; bucket = least(a, b, c, d, bucket))
        {
            buffer.putLongRelease(bucket * BUCKET_LENGTH, UNLOCKED);
        }
    }

    /**
     * A free slot for a key: in its first bucket while that has {@value #SPARE} free slots or more, so
     * that nearly every lookup that hits reads one bucket; else in the emptier of its two (the first
     * on a tie), which keeps the fullest bucket near the average. The caller owns both.
     *
     * @param taken a slot offset to count as used: the other tuple's, not yet written.
     * @return the slot's offset, or {@link #NO_SLOT} if both buckets are full.
     */
    int freeSlot(final long hash, final int taken)
    {
        final int first = first(hash);
        final int firstFree = freeCount(first, taken);
        final int second = firstFree >= SPARE ? first : second(hash);
        return firstFree(firstFree >= freeCount(second, taken) ? first : second, taken);
    }

    /**
     * Write a key into a free slot of an owned bucket.
     */
    void put(final int slot, final long hash, final int ref)
    {
        buffer.putLongRelease(slot, (hash << 32) | (ref + 1));
    }

    /**
     * Take a key out of whichever of its buckets holds it, owning that bucket meanwhile.
     */
    void remove(final long hash, final int ref)
    {
        if (!remove(first(hash), hash, ref))
        {
            remove(second(hash), hash, ref);
        }
    }

    private boolean remove(final int bucket, final long hash, final int ref)
    {
        final long value = (hash << 32) | (ref + 1);
        lock(bucket);
        boolean removed = false;
        for (int i = 0; i < SLOTS && !removed; i++)
        {
            final int slot = slotOffset(bucket, i);
            if (buffer.getLong(slot) == value)
            {
                buffer.putLongRelease(slot, 0);
                removed = true;
            }
        }
        buffer.putLongRelease(bucket * BUCKET_LENGTH, UNLOCKED);
        return removed;
    }

    private void lock(final int bucket)
    {
        final int offset = bucket * BUCKET_LENGTH;
        while (!buffer.compareAndSetLong(offset, UNLOCKED, LOCKED))
        {
            Thread.onSpinWait();
        }
    }

    private int firstFree(final int bucket, final int taken)
    {
        for (int i = 0; i < SLOTS; i++)
        {
            final int slot = slotOffset(bucket, i);
            if (slot != taken && 0 == buffer.getLong(slot))
            {
                return slot;
            }
        }
        return NO_SLOT;
    }

    private int freeCount(final int bucket, final int taken)
    {
        int free = 0;
        for (int i = 0; i < SLOTS; i++)
        {
            final int slot = slotOffset(bucket, i);
            free += slot != taken && 0 == buffer.getLong(slot) ? 1 : 0;
        }
        return free;
    }

    private static int slotOffset(final int bucket, final int index)
    {
        return bucket * BUCKET_LENGTH + FIRST_SLOT + index * SLOT_LENGTH;
    }

    /**
     * @return the least of {@code a, b, c, d} above {@code above}, or -1 if none is.
     */
    private static int least(final int a, final int b, final int c, final int d, final int above)
    {
        int least = Integer.MAX_VALUE;
        least = a > above && a < least ? a : least;
        least = b > above && b < least ? b : least;
        least = c > above && c < least ? c : least;
        least = d > above && d < least ? d : least;
        return Integer.MAX_VALUE == least ? -1 : least;
    }
}
