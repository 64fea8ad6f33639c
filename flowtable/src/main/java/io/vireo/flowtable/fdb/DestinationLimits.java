package io.vireo.flowtable.fdb;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Port security for {@link ForwardingTable}: the MAC limit of each destination that was ever given
 * one, and how many dynamic entries point at it. Destinations that never had a limit are not
 * tracked and cost nothing.
 * <p>
 * Open addressing over a heap-backed buffer; 16-byte entries:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 destination + 1 (0 = free slot)               |
 *  +---------------------------------------------------------------+
 *  |                     limit (0 = unlimited)                     |
 *  +---------------------------------------------------------------+
 *  |              count of dynamic entries counted here            |
 *  +---------------------------------------------------------------+
 *  |                            unused                             |
 *  +---------------------------------------------------------------+
 * </pre>
 * Only the control thread adds entries, writing limit and count before the key with release
 * ordering, and never removes them, so a forwarding thread that sees a key sees its entry whole and
 * an entry's offset never changes. Counts move by CAS and atomic add from any thread.
 */
final class DestinationLimits
{
    /** {@link #find} and {@link #acquire}: the destination has no entry. */
    static final int UNTRACKED = -1;
    /** {@link #acquire}: the destination already holds its limit. */
    static final int LIMIT_REACHED = -2;
    /** How many destinations may ever be given a limit. */
    static final int MAX_DESTINATIONS = 4096;

    private static final int KEY_OFFSET = 0;
    private static final int LIMIT_OFFSET = 4;
    private static final int COUNT_OFFSET = 8;
    private static final int ENTRY_LENGTH = 16;
    private static final int SLOT_BITS = 13;
    private static final int SLOT_MASK = (1 << SLOT_BITS) - 1;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[(SLOT_MASK + 1) * ENTRY_LENGTH]);
    private int tracked;

    /**
     * @param destination to look for.
     * @return the offset of its entry, or {@link #UNTRACKED}.
     */
    int find(final int destination)
    {
        final int key = destination + 1;
        for (int index = slot(destination); ; index = (index + 1) & SLOT_MASK)
        {
            final int slotKey = buffer.getIntAcquire(index * ENTRY_LENGTH + KEY_OFFSET);
            if (key == slotKey)
            {
                return index * ENTRY_LENGTH;
            }
            if (0 == slotKey)
            {
                return UNTRACKED;
            }
        }
    }

    /**
     * Start tracking a destination. Control thread only; the destination must not be tracked yet.
     *
     * @param destination to track.
     * @param limit       its MAC limit, 0 for none.
     * @return the offset of its entry.
     * @throws IllegalStateException if {@link #MAX_DESTINATIONS} are tracked already.
     */
    int track(final int destination, final int limit)
    {
        if (MAX_DESTINATIONS == tracked)
        {
            throw new IllegalStateException("at most " + MAX_DESTINATIONS + " destinations can have a MAC limit");
        }

        int index = slot(destination);
        while (0 != buffer.getInt(index * ENTRY_LENGTH + KEY_OFFSET))
        {
            index = (index + 1) & SLOT_MASK;
        }
        final int offset = index * ENTRY_LENGTH;
        buffer.putInt(offset + LIMIT_OFFSET, limit);
        buffer.putInt(offset + COUNT_OFFSET, 0);
        buffer.putIntRelease(offset + KEY_OFFSET, destination + 1);
        tracked++;
        return offset;
    }

    /**
     * Count one more entry for a destination if it is under its limit.
     *
     * @param destination gaining an entry.
     * @return the offset of its entry (count taken), {@link #UNTRACKED} (nothing counted) or
     * {@link #LIMIT_REACHED} (nothing counted).
     */
    int acquire(final int destination)
    {
        final int offset = find(destination);
        if (UNTRACKED == offset)
        {
            return UNTRACKED;
        }

        while (true)
        {
            final int limit = buffer.getIntVolatile(offset + LIMIT_OFFSET);
            final int count = buffer.getIntVolatile(offset + COUNT_OFFSET);
            if (0 != limit && count >= limit)
            {
                return LIMIT_REACHED;
            }
            if (buffer.compareAndSetInt(offset + COUNT_OFFSET, count, count + 1))
            {
                return offset;
            }
        }
    }

    /**
     * Count one more entry regardless of the limit: an entry that exists already.
     *
     * @param offset of the destination's entry.
     */
    void add(final int offset)
    {
        buffer.getAndAddInt(offset + COUNT_OFFSET, 1);
    }

    /**
     * Count one entry less.
     *
     * @param offset of the destination's entry.
     */
    void release(final int offset)
    {
        buffer.getAndAddInt(offset + COUNT_OFFSET, -1);
    }

    /**
     * @param offset of the destination's entry.
     * @param limit  the new limit, 0 for none.
     */
    void limit(final int offset, final int limit)
    {
        buffer.putIntVolatile(offset + LIMIT_OFFSET, limit);
    }

    /**
     * @param offset of the destination's entry.
     * @return entries counted for it.
     */
    int count(final int offset)
    {
        return buffer.getIntVolatile(offset + COUNT_OFFSET);
    }

    private static int slot(final int destination)
    {
        return (destination * 0x9E3779B9) >>> (Integer.SIZE - SLOT_BITS);
    }
}
