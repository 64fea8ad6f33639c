package io.vireo.flowtable.fdb;

import java.util.concurrent.atomic.AtomicLong;

import static io.vireo.flowtable.fdb.ForwardingTable.LEARNED;
import static io.vireo.flowtable.fdb.ForwardingTable.MOVED;
import static io.vireo.flowtable.fdb.ForwardingTable.PORT_LIMIT;
import static io.vireo.flowtable.fdb.ForwardingTable.REFRESHED;
import static io.vireo.flowtable.fdb.ForwardingTable.STATIC_ENTRY;
import static io.vireo.flowtable.fdb.ForwardingTable.TABLE_FULL;
import static io.vireo.flowtable.fdb.SlotArray.END;
import static io.vireo.flowtable.fdb.SlotArray.FOREVER;
import static io.vireo.flowtable.fdb.SlotArray.NOT_FOUND;
import static io.vireo.flowtable.fdb.SlotArray.ONCE;
import static io.vireo.flowtable.fdb.SlotArray.SPIN;
import static io.vireo.flowtable.fdb.SlotCodec.EMPTY;
import static io.vireo.flowtable.fdb.SlotCodec.LIVE;
import static io.vireo.flowtable.fdb.SlotCodec.LOW_32_MASK;
import static io.vireo.flowtable.fdb.SlotCodec.TOMBSTONE;
import static io.vireo.flowtable.fdb.SlotCodec.destination;
import static io.vireo.flowtable.fdb.SlotCodec.isStatic;
import static io.vireo.flowtable.fdb.SlotCodec.lastSeen;
import static io.vireo.flowtable.fdb.SlotCodec.stamp;
import static io.vireo.flowtable.fdb.SlotCodec.state;
import static io.vireo.flowtable.fdb.SlotCodec.vlan;

/**
 * Turns {@link ForwardingTable#learn} and {@link ForwardingTable#addStatic} into slot writes: refresh,
 * move or pin the entry a probe found, or insert a new one. Forwarding threads and the control thread
 * run this at once; nothing takes a lock.
 * <p>
 * A found entry is changed only if its {@link SlotCodec#stamp} is still the one the probe saw, so a
 * change always applies to the entry the probe matched. Inserts hold no lock across their probe, so
 * two threads may insert one key into two slots, and the control thread may free a slot under a
 * probe. After publishing, an insert therefore <em>settles</em>: it walks its key's probe sequence
 * again, waiting out BUSY slots. An EMPTY slot before its own means its entry may be unreachable: it
 * removes the entry and starts again. A duplicate is resolved by one rule both sides apply (a static
 * entry beats a dynamic one, else the slot nearer home wins); the loser is removed. Publishing and
 * the settle walk are release/acquire and volatile accesses, so of two racing inserts at least one
 * sees the other's entry. No entry moves from before the insert claims its slot until it has
 * settled ({@link MoveGate}), so the walk sees every entry where it is and the insert's own entry
 * stays where it was written. Nobody waits while owning a slot, so waiting for BUSY slots cannot
 * deadlock.
 */
final class Learner
{
    /** An outcome: the slot changed under the write; probe again. */
    private static final int RETRY = 0;
    private static final int NO_SLOT = -1;

    private static final SlotArray.Visitor<Learner> RELEARN = Learner::relearn;
    private static final SlotArray.Visitor<Learner> PIN = Learner::pin;
    private static final SlotArray.Visitor<MacLimits> DISCARD = Learner::discard;

    private final SlotArray slots;
    private final MacLimits limits;
    private final MoveGate gate;
    private final int capacity;
    private final AtomicLong tableFull = new AtomicLong();

    Learner(final SlotArray slots, final MacLimits limits, final MoveGate gate, final int capacity)
    {
        this.slots = slots;
        this.limits = limits;
        this.gate = gate;
        this.capacity = capacity;
    }

    /**
     * {@link ForwardingTable#learn} for a valid key whose home slot is known.
     */
    int learn(final int home, final long key, final int vlan, final int destination, final long time)
    {
        int outcome;
        do
        {
            final long found = slots.locate(home, key, vlan, SlotArray.STAMP, SPIN);
            outcome = NOT_FOUND == found ?
                insert(home, key, vlan, destination, false, time) :
                relearn(found, destination, time);
        }
        while (RETRY == outcome);

        if (TABLE_FULL == outcome)
        {
            tableFull.incrementAndGet();
        }
        return outcome;
    }

    /**
     * {@link ForwardingTable#addStatic} for a valid key whose home slot is known.
     *
     * @return false if the table is full.
     */
    boolean addStatic(final int home, final long key, final int vlan, final int destination)
    {
        int outcome;
        do
        {
            final long found = slots.locate(home, key, vlan, SlotArray.STAMP, FOREVER);
            outcome = NOT_FOUND == found ?
                insert(home, key, vlan, destination, true, 0) :
                pin(found, destination);
        }
        while (RETRY == outcome);

        return TABLE_FULL != outcome;
    }

    /**
     * Remove the entry at {@code index} if it still holds the key.
     */
    boolean discard(final int index, final long key, final int vlan)
    {
        return slots.read(index, limits, DISCARD, key, vlan, FOREVER) > 0;
    }

    /**
     * @return times {@link #learn} returned {@link ForwardingTable#TABLE_FULL}.
     */
    long tableFullCount()
    {
        return tableFull.get();
    }

    /**
     * The key was found: refresh it, move it, or leave a static entry alone.
     */
    private int relearn(final long found, final int destination, final long time)
    {
        return (int)Math.max(RETRY, slots.read(slotOf(found), this, RELEARN, time, stampAnd(found, destination), ONCE));
    }

    private static long relearn(
        final Learner self, final int index, final long control, final long key, final long value,
        final long time, final long stampAndDestination)
    {
        if (stamp(control) != (stampAndDestination & LOW_32_MASK))
        {
            return RETRY;
        }
        if (isStatic(value))
        {
            return STATIC_ENTRY;
        }
        final int destination = (int)(stampAndDestination >>> 32);
        if (destination(value) == destination)
        {
            return self.refresh(index, control, value, time) ? REFRESHED : RETRY;
        }
        return self.move(index, control, value, destination, time);
    }

    /**
     * Advance the last-seen time, never back. Within one 2<sup>32</sup> ms epoch (49.7 days) that is
     * a CAS of the control word; across epochs the value word changes too.
     */
    private boolean refresh(final int index, final long control, final long value, final long time)
    {
        if (time <= lastSeen(control, value))
        {
            return true;
        }
        if (SlotCodec.isSameEpoch(value, time))
        {
            return slots.refresh(index, control, time);
        }
        return slots.rewrite(index, control, SlotCodec.withTime(value, time), time);
    }

    private int move(final int index, final long control, final long value, final int destination, final long time)
    {
        final int tracked = limits.acquire(destination);
        if (DestinationLimits.LIMIT_REACHED == tracked)
        {
            return PORT_LIMIT;
        }

        final boolean counted = DestinationLimits.UNTRACKED != tracked;
        final long moved = SlotCodec.value(destination, vlan(value), false, counted, time);
        if (!slots.rewrite(index, control, moved, time))
        {
            limits.release(tracked);
            return RETRY;
        }

        limits.releaseCounted(value);
        if (DestinationLimits.UNTRACKED == tracked)
        {
            limits.countIfLimited(index, destination);
        }
        return MOVED;
    }

    /**
     * Make the entry found static with this destination.
     */
    private int pin(final long found, final int destination)
    {
        return (int)Math.max(RETRY, slots.read(slotOf(found), this, PIN, 0, stampAnd(found, destination), ONCE));
    }

    private static long pin(
        final Learner self, final int index, final long control, final long key, final long value,
        final long unused, final long stampAndDestination)
    {
        if (stamp(control) != (stampAndDestination & LOW_32_MASK))
        {
            return RETRY;
        }
        final int destination = (int)(stampAndDestination >>> 32);
        if (isStatic(value) && destination(value) == destination)
        {
            return STATIC_ENTRY;
        }

        final long lastSeen = lastSeen(control, value);
        final long pinned = SlotCodec.value(destination, vlan(value), true, false, lastSeen);
        if (!self.slots.rewrite(index, control, pinned, lastSeen))
        {
            return RETRY;
        }
        self.limits.releaseCounted(value);
        return STATIC_ENTRY;
    }

    private static long discard(
        final MacLimits limits, final int index, final long control, final long slotKey, final long value,
        final long key, final long vlan)
    {
        if (!SlotCodec.matches(slotKey, value, key, (int)vlan))
        {
            return 0;
        }
        return limits.remove(index, control, value) ? 1 : SlotArray.RETRY;
    }

    // Inserting.

    private int insert(
        final int home, final long key, final int vlan, final int destination, final boolean isStatic, final long time)
    {
        if (!reserveEntry())
        {
            return TABLE_FULL;
        }

        final int tracked = isStatic ? DestinationLimits.UNTRACKED : limits.acquire(destination);
        if (DestinationLimits.LIMIT_REACHED == tracked)
        {
            slots.size.decrementAndGet();
            return PORT_LIMIT;
        }

        gate.enterSettle();
        try
        {
            final int index = claimFree(home);
            if (NO_SLOT == index)
            {
                slots.size.decrementAndGet();
                limits.release(tracked);
                return TABLE_FULL;
            }

            final boolean counted = DestinationLimits.UNTRACKED != tracked;
            slots.put(index, key, SlotCodec.value(destination, vlan, isStatic, counted, time));
            slots.publish(index, LIVE, time);

            if (!settle(home, index, key, vlan, isStatic))
            {
                return RETRY;
            }
            if (!isStatic && DestinationLimits.UNTRACKED == tracked)
            {
                limits.countIfLimited(index, destination);
            }
            return LEARNED;
        }
        finally
        {
            gate.leaveSettle();
        }
    }

    private boolean reserveEntry()
    {
        while (true)
        {
            final int current = slots.size.get();
            if (current >= capacity)
            {
                return false;
            }
            if (slots.size.compareAndSet(current, current + 1))
            {
                return true;
            }
        }
    }

    /**
     * Own the first EMPTY or TOMBSTONE slot of a probe sequence.
     *
     * @return its index, or {@link #NO_SLOT} if none is within the probe limit.
     */
    private int claimFree(final int home)
    {
        int index = home;
        int probes = 0;
        while (probes < slots.probeLimit())
        {
            final long control = slots.control(index);
            final int state = state(control);
            if (EMPTY == state || TOMBSTONE == state)
            {
                if (slots.claim(index, control))
                {
                    if (TOMBSTONE == state)
                    {
                        slots.tombstones.decrementAndGet();
                    }
                    return index;
                }
                continue;
            }
            index = slots.next(index);
            probes++;
        }
        return NO_SLOT;
    }

    /**
     * After publishing at {@code index}, make sure the entry is reachable and the only one for its
     * key (see the class comment).
     *
     * @return false if this entry was removed and the caller must start again.
     */
    private boolean settle(final int home, final int index, final long key, final int vlan, final boolean isStatic)
    {
        final int own = slots.distance(home, index);
        int probe = home;
        for (int distance = 0; distance < slots.probeLimit(); distance++, probe = slots.next(probe))
        {
            if (distance == own)
            {
                continue;
            }

            final long match = slots.read(probe, null, SlotArray.DESTINATION, key, vlan, FOREVER);
            if (END == match)
            {
                if (distance < own)
                {
                    discard(index, key, vlan);
                    return false;
                }
                break;
            }
            if (match >= 0)
            {
                final boolean otherIsStatic = isStatic(match);
                if (otherIsStatic != isStatic ? otherIsStatic : distance < own)
                {
                    discard(index, key, vlan);
                    return false;
                }
                discard(probe, key, vlan);
            }
        }
        return true;
    }

    /**
     * @return what a found entry's writer needs: the stamp the probe saw, and the destination.
     */
    private static long stampAnd(final long found, final int destination)
    {
        return (found & LOW_32_MASK) | ((long)destination << 32);
    }

    private static int slotOf(final long found)
    {
        return (int)(found >>> 32);
    }
}
