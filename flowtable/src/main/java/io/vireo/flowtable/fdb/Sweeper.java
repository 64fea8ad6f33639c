package io.vireo.flowtable.fdb;

import static io.vireo.flowtable.fdb.SlotArray.END;
import static io.vireo.flowtable.fdb.SlotArray.FOREVER;
import static io.vireo.flowtable.fdb.SlotArray.GAVE_UP;
import static io.vireo.flowtable.fdb.SlotArray.NO_MATCH;
import static io.vireo.flowtable.fdb.SlotArray.ONCE;
import static io.vireo.flowtable.fdb.SlotArray.RETRY;
import static io.vireo.flowtable.fdb.SlotCodec.EMPTY;
import static io.vireo.flowtable.fdb.SlotCodec.TOMBSTONE;
import static io.vireo.flowtable.fdb.SlotCodec.bridgeId;
import static io.vireo.flowtable.fdb.SlotCodec.destination;
import static io.vireo.flowtable.fdb.SlotCodec.isStatic;
import static io.vireo.flowtable.fdb.SlotCodec.lastSeen;
import static io.vireo.flowtable.fdb.SlotCodec.state;
import static io.vireo.flowtable.fdb.SlotCodec.vlan;

/**
 * The control thread's passes over the slots of a {@link ForwardingTable}: aging, flushes by bridge
 * or destination, iteration, and the backward-shift deletion that closes the gaps removal leaves.
 * <p>
 * Deletion leaves a TOMBSTONE, which {@link #compact} then closes: it owns the hole, looks ahead up
 * to the next EMPTY slot for the first entry whose home is at or before the hole, owns that entry's
 * slot, copies the entry into the hole and publishes it there, and goes on with the slot it left as
 * the next hole. The moved entry stays on its own probe sequence, nearer home, and is visible at
 * its new place before its old slot can change. A hole that nothing after it depends on becomes
 * EMPTY. A BUSY or changing slot in the look-ahead stops the shift and leaves a tombstone, and so
 * does an entry that must move while an insert is settling: entries move only through the
 * {@link MoveGate}, which keeps them still for a settling insert. Only this can turn a slot EMPTY, and it owns the hole before it looks ahead, so an insert racing with it is
 * either seen by the look-ahead (the hole stays) or, settling, meets the hole BUSY or EMPTY and
 * starts again. Tombstones that remain (blocked shifts, inserts that lost a race) are reused by
 * inserts, counted and closed by the next aging pass, so churn never fills the table with them.
 */
final class Sweeper
{
    /** {@link #removeAll}: any bridge or any destination. */
    static final int ANY = -1;

    private static final int SHIFT_END = 0;
    private static final int SHIFT_SKIP = 1;
    private static final int SHIFT_BLOCKED = 2;
    private static final int SHIFT_MOVED = 3;

    private static final SlotArray.Visitor<MacLimits> REMOVE_IF = Sweeper::removeIf;
    private static final SlotArray.Visitor<ForwardingTable.EntryConsumer> REPORT = Sweeper::report;

    private final SlotArray slots;
    private final MacLimits limits;
    private final MoveGate gate;
    private final SlotArray.Visitor<Void> shift = this::shift;
    private final SlotArray.Visitor<ForwardingTable.AgingPolicy> expire = this::expire;
    private int agingCursor;
    /** The aging pass under way: slots visited, and when its first slot was. */
    private int passVisited;
    private long passStart;
    /**
     * The earliest time at which an entry the pass under way kept expires: MAX_VALUE while it has kept none that
     * ages, 0 once it could not read a slot or entries were removed or moved (their slots may since hold entries
     * it did not see).
     */
    private long passEarliestExpiry = Long.MAX_VALUE;
    /** The start and the earliest expiry of the last whole pass; -1: none whole since entries were last moved. */
    private long lastPassStart = -1;
    private long lastPassEarliestExpiry;

    Sweeper(final SlotArray slots, final MacLimits limits, final MoveGate gate)
    {
        this.slots = slots;
        this.limits = limits;
        this.gate = gate;
        agingCursor = slots.slotCount() - 1;
    }

    /**
     * See {@link ForwardingTable#ageSlice}.
     */
    int ageSlice(final long nowMs, final ForwardingTable.AgingPolicy policy, final int maxSlots)
    {
        final long now = SlotCodec.time(nowMs);
        final int slotCount = slots.slotCount();
        int budget = maxSlots;
        int removed = 0;
        for (int visited = 0; budget > 0 && visited < slotCount; visited++)
        {
            final int index = agingCursor;
            agingCursor = 0 == index ? slotCount - 1 : index - 1;
            budget--;
            if (0 == passVisited)
            {
                passStart = now;
                passEarliestExpiry = Long.MAX_VALUE;
            }
            final long read = slots.read(index, policy, expire, now, 0, ONCE);
            final int lookedAhead = compact(index, budget);
            budget -= lookedAhead;
            if (read > 0 || GAVE_UP == read || lookedAhead > 0)
            {
                passEarliestExpiry = 0;   // removed, not read, or entries moved
            }
            removed += (int)Math.max(0, read);
            if (++passVisited == slotCount)
            {
                lastPassStart = passStart;
                lastPassEarliestExpiry = passEarliestExpiry;
                passVisited = 0;
            }
        }
        return removed;
    }

    /**
     * See {@link ForwardingTable#agingQuietUntil}.
     */
    long agingQuietUntil(final long shortestMaxAgeMs)
    {
        if (lastPassStart < 0)
        {
            return 0;
        }
        // An entry learned or refreshed since the pass started was learned after its start.
        final long learnedSince = shortestMaxAgeMs > 0 ? lastPassStart + shortestMaxAgeMs + 1 : Long.MAX_VALUE;
        return Math.min(lastPassEarliestExpiry, learnedSince);
    }

    /**
     * Entries were removed or moved outside the aging passes, or the aging policy changed: what the passes so far
     * saw no longer bounds when the next entry expires.
     */
    void forgetAgingPasses()
    {
        passEarliestExpiry = 0;
        lastPassStart = -1;
    }

    /**
     * Remove matching entries in one pass backwards, closing gaps as it goes. Starting just before
     * an EMPTY slot means every look-ahead covers slots this pass has finished with.
     *
     * @param bridgeId    a bridge, or {@link #ANY}.
     * @param destination a destination, or {@link #ANY}.
     * @return entries removed.
     */
    int removeAll(final int bridgeId, final int destination)
    {
        final int slotCount = slots.slotCount();
        int index = anEmptySlot();
        int removed = 0;
        for (int visited = 0; visited < slotCount; visited++)
        {
            index = 0 == index ? slotCount - 1 : index - 1;
            removed += (int)Math.max(0, slots.read(index, limits, REMOVE_IF, bridgeId, destination, FOREVER));
            compact(index, slots.probeLimit());
        }
        return removed;
    }

    /**
     * Report each entry of a bridge, a consistent snapshot of that entry.
     */
    void forEach(final int bridgeId, final ForwardingTable.EntryConsumer consumer)
    {
        for (int index = 0; index < slots.slotCount(); index++)
        {
            slots.read(index, consumer, REPORT, bridgeId, 0, FOREVER);
        }
    }

    /**
     * Backward-shift deletion, starting from the tombstone at {@code index} (see the class comment).
     * A hole with no entry to move into it up to the next EMPTY slot, or within the probe limit,
     * becomes EMPTY. A BUSY or changing slot in the way, or running out of look-ahead, leaves a
     * tombstone.
     *
     * @param maxLookAhead the most slots to look at after holes.
     * @return slots looked at after holes.
     */
    int compact(final int index, final int maxLookAhead)
    {
        final long control = slots.control(index);
        if (maxLookAhead <= 0 || TOMBSTONE != state(control) || !slots.claim(index, control))
        {
            return 0;
        }

        int hole = index;
        int fill = TOMBSTONE;
        int examined = 0;
        int probe = index;
        boolean moving = false;
        for (int distance = 1; examined < maxLookAhead; distance++)
        {
            if (distance == slots.probeLimit())
            {
                fill = EMPTY;
                break;
            }
            probe = slots.next(probe);
            examined++;
            final int shift = shift(probe, distance, moving);
            if (SHIFT_END == shift || SHIFT_BLOCKED == shift)
            {
                fill = SHIFT_END == shift ? EMPTY : TOMBSTONE;
                break;
            }
            if (SHIFT_MOVED == shift)
            {
                moving = true;
                slots.moveInto(hole, probe);
                hole = probe;
                distance = 0;
            }
        }

        slots.publish(hole, fill, 0);
        if (moving)
        {
            gate.endMoves();
        }
        if (EMPTY == fill)
        {
            slots.tombstones.decrementAndGet();
        }
        return examined;
    }

    private int anEmptySlot()
    {
        for (int index = 0; index < slots.slotCount(); index++)
        {
            if (EMPTY == state(slots.control(index)))
            {
                return index;
            }
        }
        return 0;
    }

    /**
     * Look at the slot {@code distance} after an owned hole; own it if its entry must move into the
     * hole. The first entry of a shift to move opens the {@link MoveGate}.
     *
     * @param moving true if this shift holds the gate open already.
     * @return {@link #SHIFT_END} for an EMPTY slot, {@link #SHIFT_BLOCKED} for a BUSY or changing
     * slot or a closed gate, {@link #SHIFT_MOVED} if the slot is now owned and its entry must move,
     * else {@link #SHIFT_SKIP}.
     */
    private int shift(final int index, final int distance, final boolean moving)
    {
        final long result = slots.read(index, null, shift, distance, moving ? 1 : 0, ONCE);
        if (END == result)
        {
            return SHIFT_END;
        }
        if (NO_MATCH == result)
        {
            return SHIFT_SKIP;
        }
        return GAVE_UP == result ? SHIFT_BLOCKED : (int)result;
    }

    private long shift(
        final Void unused, final int index, final long control, final long key, final long value,
        final long distance, final long moving)
    {
        if (slots.distance(slots.home(key, vlan(value)), index) < distance)
        {
            return SHIFT_SKIP;
        }
        if (0 == moving && !gate.beginMoves())
        {
            return SHIFT_BLOCKED;
        }
        if (slots.claim(index, control))
        {
            return SHIFT_MOVED;
        }
        if (0 == moving)
        {
            gate.endMoves();
        }
        return SHIFT_BLOCKED;
    }

    /**
     * @return 1 if the slot held a dynamic entry older than its bridge's maximum age and it was
     * removed, else 0. A slot that is BUSY or being refreshed is left for the next sweep.
     */
    private long expire(
        final ForwardingTable.AgingPolicy policy, final int index, final long control, final long key,
        final long value, final long now, final long unused)
    {
        if (isStatic(value))
        {
            return 0;
        }
        final long maxAgeMs = policy.maxAgeMs(bridgeId(key));
        if (maxAgeMs <= 0)
        {
            return 0;
        }
        final long expiresAt = lastSeen(control, value) + maxAgeMs + 1;
        if (now >= expiresAt && limits.remove(index, control, value))
        {
            return 1;
        }
        passEarliestExpiry = Math.min(passEarliestExpiry, expiresAt);
        return 0;
    }

    private static long removeIf(
        final MacLimits limits, final int index, final long control, final long key, final long value,
        final long bridgeId, final long destination)
    {
        if ((ANY != bridgeId && bridgeId(key) != bridgeId) || (ANY != destination && destination(value) != destination))
        {
            return 0;
        }
        return limits.remove(index, control, value) ? 1 : RETRY;
    }

    private static long report(
        final ForwardingTable.EntryConsumer consumer, final int index, final long control, final long key,
        final long value, final long bridgeId, final long unused)
    {
        if (bridgeId(key) == bridgeId)
        {
            consumer.accept(
                vlan(value), SlotCodec.mac(key), destination(value), lastSeen(control, value), isStatic(value));
        }
        return 0;
    }
}
