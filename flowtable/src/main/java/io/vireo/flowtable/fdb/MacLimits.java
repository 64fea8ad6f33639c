package io.vireo.flowtable.fdb;

import static io.vireo.flowtable.fdb.SlotArray.FOREVER;
import static io.vireo.flowtable.fdb.SlotArray.RETRY;
import static io.vireo.flowtable.fdb.SlotCodec.destination;
import static io.vireo.flowtable.fdb.SlotCodec.isCounted;
import static io.vireo.flowtable.fdb.SlotCodec.isStatic;
import static io.vireo.flowtable.fdb.SlotCodec.lastSeen;

/**
 * Port security for {@link ForwardingTable}: which entries count against their destination's MAC
 * limit. The limits themselves live in {@link DestinationLimits}, created with the first limit, so
 * a table that never had one pays a null check per insert.
 * <p>
 * An entry is counted at most once, marked by its C flag ({@link SlotCodec}). The flag is set by a
 * write that owns the slot, so the count is exactly-once whether the inserting thread or the
 * control thread's first-limit scan gets there first; whoever removes or moves a counted entry
 * releases its count.
 */
final class MacLimits
{
    private static final SlotArray.Visitor<MacLimits> COUNT = MacLimits::count;

    private final SlotArray slots;
    private volatile DestinationLimits limits;

    MacLimits(final SlotArray slots)
    {
        this.slots = slots;
    }

    /**
     * Set or change a destination's limit. The first limit for a destination counts its existing
     * dynamic entries in one pass over all slots. Control thread.
     *
     * @param maxMacs the limit, 0 for none.
     * @throws IllegalStateException if too many destinations have been given a limit.
     */
    void limit(final int destination, final int maxMacs)
    {
        DestinationLimits limits = this.limits;
        if (null == limits)
        {
            if (0 == maxMacs)
            {
                return;
            }
            limits = new DestinationLimits();
            this.limits = limits;
        }

        final int tracked = limits.find(destination);
        if (DestinationLimits.UNTRACKED != tracked)
        {
            limits.limit(tracked, maxMacs);
        }
        else if (0 != maxMacs)
        {
            limits.track(destination, maxMacs);
            for (int index = 0; index < slots.slotCount(); index++)
            {
                countIfLimited(index, destination);
            }
        }
    }

    /**
     * Lift a destination's limit, if it has one. Control thread.
     */
    void clear(final int destination)
    {
        final DestinationLimits limits = this.limits;
        final int tracked = null == limits ? DestinationLimits.UNTRACKED : limits.find(destination);
        if (DestinationLimits.UNTRACKED != tracked)
        {
            limits.limit(tracked, 0);
        }
    }

    /**
     * @return the entries counted against a destination, or -1 if it never had a limit.
     */
    int counted(final int destination)
    {
        final DestinationLimits limits = this.limits;
        final int tracked = null == limits ? DestinationLimits.UNTRACKED : limits.find(destination);
        return DestinationLimits.UNTRACKED == tracked ? -1 : limits.count(tracked);
    }

    /**
     * Count one more entry for a destination if it is under its limit.
     *
     * @return the destination's entry in {@link DestinationLimits} (count taken),
     * {@link DestinationLimits#UNTRACKED} or {@link DestinationLimits#LIMIT_REACHED}.
     */
    int acquire(final int destination)
    {
        final DestinationLimits limits = this.limits;
        return null == limits ? DestinationLimits.UNTRACKED : limits.acquire(destination);
    }

    /**
     * Give back a count {@link #acquire} took, if it took one.
     */
    void release(final int tracked)
    {
        if (tracked >= 0)
        {
            limits.release(tracked);
        }
    }

    /**
     * Give back the count of an entry that is gone or moved, if it was counted.
     *
     * @param value the entry's value word (its low 32 bits suffice).
     */
    void releaseCounted(final long value)
    {
        if (isCounted(value))
        {
            final DestinationLimits limits = this.limits;
            limits.release(limits.find(destination(value)));
        }
    }

    /**
     * Remove the entry at {@code index} if its control word is still {@code control}, and give back
     * its count.
     *
     * @param value the entry's value word (its low 32 bits suffice).
     * @return false if the slot changed.
     */
    boolean remove(final int index, final long control, final long value)
    {
        if (!slots.kill(index, control))
        {
            return false;
        }
        releaseCounted(value);
        return true;
    }

    /**
     * Count the entry at {@code index} against its destination's limit if it is a dynamic entry of
     * {@code destination}, the destination has a limit and the entry is not counted yet.
     */
    void countIfLimited(final int index, final int destination)
    {
        final DestinationLimits limits = this.limits;
        final int tracked = null == limits ? DestinationLimits.UNTRACKED : limits.find(destination);
        if (DestinationLimits.UNTRACKED != tracked)
        {
            slots.read(index, this, COUNT, destination, tracked, FOREVER);
        }
    }

    private static long count(
        final MacLimits self, final int index, final long control, final long key, final long value,
        final long destination, final long tracked)
    {
        if (isStatic(value) || isCounted(value) || destination(value) != destination)
        {
            return 0;
        }
        self.limits.add((int)tracked);
        if (self.slots.rewrite(index, control, SlotCodec.withCounted(value), lastSeen(control, value)))
        {
            return 0;
        }
        self.limits.release((int)tracked);
        return RETRY;
    }
}
