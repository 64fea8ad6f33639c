package io.vireo.flowtable;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The forwarding database (FDB): (bridge id, VLAN, MAC) to destination id, last-seen time and a
 * static flag, in off-heap memory with no per-entry objects.
 *
 * <h2>Layout</h2>
 * Linear probing over {@link #slotCount()} = capacity + capacity / 3 slots of 24 bytes, so the
 * table is at most 75 % full and takes at most 32 bytes per entry of capacity (capacity &ge; 3).
 * A slot is three 64-bit words in native byte order; bit 0 is the least significant:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---+-----------------------------------------------------------+
 *  | St|                          Version                          |  control, bits 0-31
 *  +---+-----------------------------------------------------------+
 *  |                     Last seen, low 32 bits                    |  control, bits 32-63
 *  +---------------------------------------------------------------+
 *  |                        MAC, low 32 bits                       |  key, bits 0-31
 *  +-------------------------------+-------------------------------+
 *  |       MAC, high 16 bits       |           Bridge id           |  key, bits 32-63
 *  +-------------------------------+---------------------------+-+-+
 *  |                        Destination                        |S|C|  value, bits 0-31
 *  +-----------------------+-----------------------------------+-+-+
 *  |        VLAN id        |        Last seen, high 20 bits        |  value, bits 32-63
 *  +-----------------------+---------------------------------------+
 * </pre>
 * <ul>
 *   <li>St: the slot state. EMPTY (free; ends a probe; zeroed memory is all EMPTY), LIVE,
 *   TOMBSTONE (removed; probes go on past it; an insert may take it) or BUSY (a writer owns the
 *   slot).</li>
 *   <li>Version: 30 bits, incremented each time a writer releases the slot or removes its entry.</li>
 *   <li>S: a static entry. C: the entry is counted against its destination's MAC limit.</li>
 *   <li>Last seen: the caller's millisecond clock modulo 2<sup>52</sup>. The low half sits in the
 *   control word so that a refresh is one CAS.</li>
 * </ul>
 *
 * <h2>Concurrency</h2>
 * Any number of forwarding threads may {@link #lookup} and {@link #learn} at once while one control
 * thread calls the other methods. Nothing takes a lock.
 * <ul>
 *   <li><b>Writers</b> own a slot by a CAS of its control word to BUSY (version kept), write key and
 *   value, then store the control word with release ordering: new state, version + 1. A
 *   {@code releaseFence} after the CAS keeps the data stores after it. Refreshing the last-seen time
 *   is one CAS of the control word that keeps state and version; removing is one CAS from LIVE to
 *   TOMBSTONE with version + 1. Each CAS compares the whole control word, so it fails if anything
 *   in the slot changed since the writer read it, and the writer starts again.</li>
 *   <li><b>Readers</b> work seqlock style, like {@link java.util.concurrent.locks.StampedLock}: load
 *   the control word with acquire ordering, load key and value, {@code acquireFence}, load the
 *   control word again, and use the words only if state and version did not change. A reader that
 *   loaded any store of a later writer must, after its fence, also see that writer's earlier CAS,
 *   so a mix of two entries (a torn entry) always fails the check. A lookup that finds a slot BUSY
 *   spins a little, then passes over it: it may miss an entry that is being rewritten (the frame is
 *   flooded) but never returns a destination that was not stored for its key.</li>
 *   <li><b>Inserts</b> hold no lock across their probe, so two threads may insert one key into two
 *   slots, and the control thread may free a slot under a probe. After publishing, an insert
 *   therefore <em>settles</em>: it walks its key's probe sequence again, waiting out BUSY slots. An
 *   EMPTY slot before its own means its entry may be unreachable: it removes the entry and starts
 *   again. A duplicate is resolved by one rule both sides apply (a static entry beats a dynamic
 *   one, else the slot nearer home wins); the loser is removed. Publishing and the settle walk are
 *   release/acquire and volatile accesses, so of two racing inserts at least one sees the other's
 *   entry. Nobody waits while owning a slot, so waiting for BUSY slots cannot deadlock.</li>
 *   <li><b>Deletion</b> leaves a TOMBSTONE, which the control thread then closes by backward-shift
 *   deletion (in {@link #remove}, the flushes and {@link #ageSlice}): it owns the hole, looks ahead
 *   up to the next EMPTY slot for the first entry whose home is at or before the hole, owns that
 *   entry's slot, copies the entry into the hole and publishes it there, and goes on with the slot
 *   it left as the next hole. The moved entry stays on its own probe sequence, nearer home, and is
 *   visible at its new place before its old slot can change. A hole that nothing after it depends
 *   on becomes EMPTY. A BUSY or changing slot in the look-ahead stops the shift and leaves a
 *   tombstone. Only this can turn a slot EMPTY, and it owns the hole before it looks ahead, so an
 *   insert racing with it is either seen by the look-ahead (the hole stays) or, settling, meets the
 *   hole BUSY or EMPTY and starts again. Tombstones that remain (blocked shifts, inserts that lost a
 *   race) are reused by inserts, counted ({@link #tombstoneCount()}) and closed by the next aging
 *   pass, so churn never fills the table with them.</li>
 * </ul>
 * No entry lives more than {@value #MAX_PROBES} slots from its home slot, which bounds every probe.
 * The table never evicts: when it holds {@link #capacity()} entries {@link #learn} returns
 * {@link #TABLE_FULL} and counts it ({@link #tableFullCount()}); the caller floods.
 * <p>
 * Memory is freed by {@link #close()}, which must be called only after every thread has stopped
 * using the table.
 * <p>
 * Probes (lookups, and the reads learning and settling share with them) read slots by address,
 * with the same acquire, plain and volatile loads, but without the buffer's bounds check per access:
 * every slot index is below {@link #slotCount()} by construction, and the checks cost a cached
 * lookup half its time. After {@link #close()} probes find nothing.
 */
public final class ForwardingTable implements AutoCloseable
{
    /** {@link #lookup} found no entry. */
    public static final int MISS = -1;
    /** {@link #learn}: a new dynamic entry. */
    public static final int LEARNED = 1;
    /** {@link #learn}: the entry existed with the same destination; its last-seen time is updated. */
    public static final int REFRESHED = 2;
    /** {@link #learn}: the entry existed with another destination and now points at the new one. */
    public static final int MOVED = 3;
    /** {@link #learn}: no room for a new entry; nothing changed. */
    public static final int TABLE_FULL = 4;
    /** {@link #learn}: the destination holds its MAC limit already; nothing changed. */
    public static final int PORT_LIMIT = 5;
    /** {@link #learn}: the key has a static entry, which learning never changes. */
    public static final int STATIC_ENTRY = 6;
    /** {@link #learn}: an id out of range, or a group or all-zero source MAC; nothing changed. */
    public static final int INVALID = 7;

    /** Largest bridge id. */
    public static final int MAX_BRIDGE_ID = 0xFFFF;
    /** Largest VLAN id. */
    public static final int MAX_VLAN = 0xFFF;
    /** Largest destination id. */
    public static final int MAX_DESTINATION = (1 << 30) - 1;
    /** Largest capacity. */
    public static final int MAX_CAPACITY = 1 << 25;
    /** No entry lives further than this many slots from its home slot. */
    public static final int MAX_PROBES = 1024;

    private static final int KEY_OFFSET = 8;
    private static final int VALUE_OFFSET = 16;
    private static final int SLOT_LENGTH = 24;
    private static final int ALIGNMENT = 64;

    private static final int EMPTY = 0;
    private static final int LIVE = 1;
    private static final int TOMBSTONE = 2;
    private static final int BUSY = 3;
    private static final long STATE_MASK = 0b11;
    private static final long VERSION_UNIT = 0b100;
    private static final long VERSION_MASK = 0xFFFF_FFFCL;
    private static final long VERSION_STATE_MASK = 0xFFFF_FFFFL;

    private static final long MAC_MASK = 0xFFFF_FFFF_FFFFL;
    private static final int BRIDGE_SHIFT = 48;
    private static final long STATIC_FLAG = 1L << 30;
    private static final long COUNTED_FLAG = 1L << 31;
    private static final int VLAN_SHIFT = 32;
    private static final int TIME_HIGH_SHIFT = 44;
    private static final long LOW_32_MASK = 0xFFFF_FFFFL;
    private static final long TIME_MASK = (1L << 52) - 1;

    private static final int RETRY = 0;
    private static final long NOT_FOUND = -1;
    private static final long NO_MATCH = -1;
    private static final long END = -2;
    private static final int SHIFT_END = 0;
    private static final int SHIFT_SKIP = 1;
    private static final int SHIFT_BLOCKED = 2;
    private static final int SHIFT_MOVED = 3;
    private static final int NO_SLOT = -1;
    private static final int ANY = -1;
    private static final int SPIN_LIMIT = 64;

    private final int capacity;
    private final int slotCount;
    private final int probeLimit;
    private final ByteBuffer memory;
    private final UnsafeBuffer slots;
    private final long slotsAddress;
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicInteger tombstones = new AtomicInteger();
    private final AtomicLong tableFull = new AtomicLong();
    private volatile DestinationLimits limits;
    private int agingCursor;
    private boolean closed;

    /**
     * @param capacity the most entries the table holds, 1 to {@link #MAX_CAPACITY}.
     */
    public ForwardingTable(final int capacity)
    {
        if (capacity < 1 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be 1.." + MAX_CAPACITY + ": " + capacity);
        }

        this.capacity = capacity;
        slotCount = capacity + Math.max(1, capacity / 3);
        probeLimit = Math.min(slotCount, MAX_PROBES);
        memory = ByteBuffer.allocateDirect(slotCount * SLOT_LENGTH + ALIGNMENT);
        final int padding = (int)(-BufferUtil.address(memory) & (ALIGNMENT - 1));
        slots = new UnsafeBuffer(memory, padding, slotCount * SLOT_LENGTH);
        slotsAddress = slots.addressOffset();
        agingCursor = slotCount - 1;
    }

    /**
     * Find the destination for a key. Forwarding path: no allocation, no lock, no exception.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @param vlan     0..{@link #MAX_VLAN}.
     * @param mac      in the low 48 bits.
     * @return the destination id, or {@link #MISS} (also for arguments out of range).
     */
    public int lookup(final int bridgeId, final int vlan, final long mac)
    {
        if (!isValidKey(bridgeId, vlan, mac))
        {
            return MISS;
        }

        final long found = locate(key(bridgeId, mac), vlan, false);
        return NOT_FOUND == found ? MISS : destination(found);
    }

    /**
     * Look up a burst of keys: {@code destinations[i] = lookup(bridgeIds[i], vlans[i], macs[i])} for
     * each {@code i < count}. A first pass computes every key's home slot and reads its control word
     * (an EMPTY home slot already means a miss); a second pass probes. The loads of the first pass do
     * not depend on one another, so their cache misses overlap instead of following one after the
     * other, and the second pass mostly finds its slots in cache. Forwarding path: no allocation, no
     * lock, no exception.
     *
     * @param bridgeIds    0..{@link #MAX_BRIDGE_ID} per key.
     * @param vlans        0..{@link #MAX_VLAN} per key.
     * @param macs         per key, in the low 48 bits.
     * @param count        keys to look up, at most the length of each array.
     * @param destinations receives each key's destination id, or {@link #MISS}.
     */
    public void lookupBurst(
        final int[] bridgeIds, final int[] vlans, final long[] macs, final int count, final int[] destinations)
    {
        for (int i = 0; i < count; i++)
        {
            final int vlan = vlans[i];
            int home = MISS;
            if (!closed && isValidKey(bridgeIds[i], vlan, macs[i]))
            {
                home = home(key(bridgeIds[i], macs[i]), vlan);
                home = EMPTY == state(UnsafeApi.getLongAcquire(null, slotsAddress + offset(home))) ? MISS : home;
            }
            destinations[i] = home;
        }

        for (int i = 0; i < count; i++)
        {
            final int home = destinations[i];
            if (MISS != home)
            {
                final long found = locate(home, key(bridgeIds[i], macs[i]), vlans[i], false);
                destinations[i] = NOT_FOUND == found ? MISS : destination(found);
            }
        }
    }

    /** {@code outcomes[i] = learn(bridgeIds[i], vlans[i], macs[i], destinations[i], nowMs)} for each {@code i < count}. */
    public void learnBurst(
        final int[] bridgeIds, final int[] vlans, final long[] macs, final int[] destinations, final int count,
        final long nowMs, final int[] outcomes)
    {
        for (int i = 0; i < count; i++)
        {
            outcomes[i] = learn(bridgeIds[i], vlans[i], macs[i], destinations[i], nowMs);
        }
    }

    /**
     * Learn that a source MAC was seen behind a destination. Forwarding path: no allocation, no lock,
     * no exception.
     *
     * @param bridgeId    0..{@link #MAX_BRIDGE_ID}.
     * @param vlan        0..{@link #MAX_VLAN}.
     * @param mac         a unicast, non-zero MAC in the low 48 bits.
     * @param destination 0..{@link #MAX_DESTINATION}.
     * @param nowMs       the caller's clock.
     * @return {@link #LEARNED}, {@link #REFRESHED}, {@link #MOVED}, {@link #TABLE_FULL},
     * {@link #PORT_LIMIT}, {@link #STATIC_ENTRY} or {@link #INVALID}.
     */
    public int learn(final int bridgeId, final int vlan, final long mac, final int destination, final long nowMs)
    {
        if (!isValidKey(bridgeId, vlan, mac) || !isValidDestination(destination) ||
            MacAddress.isMulticast(mac) || MacAddress.isZero(mac))
        {
            return INVALID;
        }

        final long key = key(bridgeId, mac);
        final long time = nowMs & TIME_MASK;
        int outcome;
        do
        {
            final long found = locate(key, vlan, false);
            outcome = NOT_FOUND == found ?
                insert(key, vlan, destination, false, time) :
                relearn(slotOf(found), key, vlan, destination, time);
        }
        while (RETRY == outcome);

        if (TABLE_FULL == outcome)
        {
            tableFull.incrementAndGet();
        }
        return outcome;
    }

    /**
     * Add a static entry, or make an existing entry static with this destination. Static entries
     * never age, never move by learning and are never evicted. Control thread.
     *
     * @param bridgeId    0..{@link #MAX_BRIDGE_ID}.
     * @param vlan        0..{@link #MAX_VLAN}.
     * @param mac         in the low 48 bits; group addresses are allowed.
     * @param destination 0..{@link #MAX_DESTINATION}.
     * @return false if the table is full.
     */
    public boolean addStatic(final int bridgeId, final int vlan, final long mac, final int destination)
    {
        checkKey(bridgeId, vlan, mac);
        checkDestination(destination);

        final long key = key(bridgeId, mac);
        int outcome;
        do
        {
            final long found = locate(key, vlan, true);
            outcome = NOT_FOUND == found ?
                insert(key, vlan, destination, true, 0) :
                pin(slotOf(found), key, vlan, destination);
        }
        while (RETRY == outcome);

        return TABLE_FULL != outcome;
    }

    /**
     * Remove the entry for a key, static or dynamic. Control thread.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @param vlan     0..{@link #MAX_VLAN}.
     * @param mac      in the low 48 bits.
     * @return true if an entry was removed.
     */
    public boolean remove(final int bridgeId, final int vlan, final long mac)
    {
        checkKey(bridgeId, vlan, mac);

        final long key = key(bridgeId, mac);
        final long found = locate(key, vlan, true);
        if (NOT_FOUND == found)
        {
            return false;
        }

        final int index = slotOf(found);
        final boolean removed = discard(index, key, vlan);
        compact(index, probeLimit);
        return removed;
    }

    /**
     * Remove every entry, static and dynamic, that points at a destination, and clear its MAC limit:
     * the port is gone. One pass over all slots. Control thread; entries learned on the destination
     * while this runs may survive, so stop the port first.
     *
     * @param destination 0..{@link #MAX_DESTINATION}.
     * @return entries removed.
     */
    public int removeDestination(final int destination)
    {
        checkDestination(destination);

        final int removed = removeAll(ANY, destination);
        final DestinationLimits limits = this.limits;
        final int tracked = null == limits ? DestinationLimits.UNTRACKED : limits.find(destination);
        if (DestinationLimits.UNTRACKED != tracked)
        {
            limits.limit(tracked, 0);
        }
        return removed;
    }

    /**
     * Remove every entry of a bridge. One pass over all slots. Control thread.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @return entries removed.
     */
    public int removeBridge(final int bridgeId)
    {
        checkBridge(bridgeId);
        return removeAll(bridgeId, ANY);
    }

    /**
     * Port security: limit the dynamic entries pointing at a destination. Over the limit,
     * {@link #learn} returns {@link #PORT_LIMIT} and inserts nothing; entries already there stay.
     * Static entries do not count. The first limit for a destination counts its existing entries in
     * one pass over all slots. Control thread; at most {@value DestinationLimits#MAX_DESTINATIONS}
     * destinations can ever be given a limit.
     *
     * @param destination 0..{@link #MAX_DESTINATION}.
     * @param maxMacs     the limit, 0 for none.
     * @throws IllegalStateException if too many destinations have been given a limit.
     */
    public void destinationLimit(final int destination, final int maxMacs)
    {
        checkDestination(destination);
        if (maxMacs < 0)
        {
            throw new IllegalArgumentException("maxMacs must be >= 0: " + maxMacs);
        }

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
            for (int index = 0; index < slotCount; index++)
            {
                countIfLimited(index, destination);
            }
        }
    }

    /**
     * Incremental aging: remove the dynamic entries whose age is greater than
     * {@code policy.maxAgeMs(bridgeId)} (a maximum age &le; 0 means never) from the next slots,
     * going on (downwards, wrapping) from where the last call stopped, and close the gaps removal
     * leaves and any tombstones found there. Examines at most {@code maxSlots} slots, counting the
     * slots looked at while closing gaps, and visits each slot at most once per call. A whole sweep
     * visits {@link #slotCount()} slots: {@code slotCount() / maxSlots} calls, a few more when many
     * entries expire together. Control thread.
     *
     * @param nowMs    the caller's clock, as passed to {@link #learn}.
     * @param policy   maximum age per bridge.
     * @param maxSlots the most slots to examine; {@link Integer#MAX_VALUE} for one whole sweep.
     * @return entries removed.
     */
    public int ageSlice(final long nowMs, final AgingPolicy policy, final int maxSlots)
    {
        final long now = nowMs & TIME_MASK;
        int budget = maxSlots;
        int removed = 0;
        for (int visited = 0; budget > 0 && visited < slotCount; visited++)
        {
            final int index = agingCursor;
            agingCursor = 0 == index ? slotCount - 1 : index - 1;
            budget--;
            removed += expire(index, now, policy);
            budget -= compact(index, budget);
        }
        return removed;
    }

    /**
     * @return entries in the table, including inserts in progress.
     */
    public int size()
    {
        return size.get();
    }

    /**
     * Count the entries of one bridge: one pass over all slots. Control thread.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @return entries of the bridge.
     */
    public int size(final int bridgeId)
    {
        final int[] count = new int[1];
        forEach(bridgeId, (vlan, mac, destination, lastSeenMs, isStatic) -> count[0]++);
        return count[0];
    }

    /**
     * @return the most entries the table holds.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * @return slots in the table: what one whole {@link #ageSlice} sweep examines.
     */
    public int slotCount()
    {
        return slotCount;
    }

    /**
     * @return bytes of off-heap memory the slots take.
     */
    public long memoryBytes()
    {
        return (long)slotCount * SLOT_LENGTH;
    }

    /**
     * @return times {@link #learn} returned {@link #TABLE_FULL}.
     */
    public long tableFullCount()
    {
        return tableFull.get();
    }

    /**
     * @return slots holding a removed entry, waiting to be reused or freed.
     */
    public int tombstoneCount()
    {
        return tombstones.get();
    }

    /**
     * Report each entry of a bridge, as a consistent snapshot of that entry, while forwarding
     * threads keep learning. One pass over all slots. Control thread.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @param consumer receives each entry.
     */
    public void forEach(final int bridgeId, final EntryConsumer consumer)
    {
        checkBridge(bridgeId);
        for (int index = 0; index < slotCount; index++)
        {
            report(index, bridgeId, consumer);
        }
    }

    /**
     * Free the off-heap memory. Every thread must have stopped using the table.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            slots.wrap(new byte[0]);
            BufferUtil.free(memory);
        }
    }

    /**
     * Entries counted against a destination's MAC limit.
     *
     * @param destination a destination.
     * @return the count, or -1 if the destination never had a limit.
     */
    int limitedCount(final int destination)
    {
        final DestinationLimits limits = this.limits;
        final int tracked = null == limits ? DestinationLimits.UNTRACKED : limits.find(destination);
        return DestinationLimits.UNTRACKED == tracked ? -1 : limits.count(tracked);
    }

    /**
     * The longest a dynamic entry of each bridge may go unseen.
     */
    @FunctionalInterface
    public interface AgingPolicy
    {
        /**
         * @param bridgeId a bridge.
         * @return the maximum age in milliseconds; 0 or less never ages the bridge's entries.
         */
        long maxAgeMs(int bridgeId);
    }

    /**
     * Receives entries from {@link #forEach}.
     */
    @FunctionalInterface
    public interface EntryConsumer
    {
        /**
         * @param vlan        the entry's VLAN.
         * @param mac         the MAC in the low 48 bits.
         * @param destination the destination id.
         * @param lastSeenMs  when it was last learned (modulo 2<sup>52</sup>); 0 for a static entry
         *                    that never was dynamic.
         * @param isStatic    a static entry.
         */
        void accept(int vlan, long mac, int destination, long lastSeenMs, boolean isStatic);
    }

    // Probing.

    /**
     * Walk the key's probe sequence.
     *
     * @return the slot index in the high 32 bits and the value word's low 32 bits (destination and
     * flags) in the low 32 bits, or {@link #NOT_FOUND}.
     */
    private long locate(final long key, final int vlan, final boolean wait)
    {
        return locate(home(key, vlan), key, vlan, wait);
    }

    /**
     * {@link #locate(long, int, boolean)} from a home slot computed already.
     */
    private long locate(final int home, final long key, final int vlan, final boolean wait)
    {
        if (closed)
        {
            return NOT_FOUND;
        }

        int index = home;
        for (int probes = 0; probes < probeLimit; probes++)
        {
            final long match = match(offset(index), key, vlan, wait);
            if (match >= 0)
            {
                return ((long)index << 32) | match;
            }
            if (END == match)
            {
                break;
            }
            index = next(index);
        }
        return NOT_FOUND;
    }

    /**
     * Compare one slot with a key, seqlock style. A BUSY or changing slot is read again: for a
     * while, or until it settles if {@code wait}.
     *
     * @return the value word's low 32 bits if the slot holds the key, {@link #NO_MATCH}, or
     * {@link #END} for an EMPTY slot.
     */
    private long match(final int offset, final long key, final int vlan, final boolean wait)
    {
        final long address = slotsAddress + offset;
        for (int attempt = 0; ; attempt++)
        {
            final long control = UnsafeApi.getLongAcquire(null, address);
            final int state = state(control);
            if (EMPTY == state)
            {
                return END;
            }
            if (TOMBSTONE == state)
            {
                return NO_MATCH;
            }
            if (BUSY != state)
            {
                final long slotKey = UnsafeApi.getLong(address + KEY_OFFSET);
                final long value = UnsafeApi.getLong(address + VALUE_OFFSET);
                if (isStable(offset, control))
                {
                    return matches(slotKey, value, key, vlan) ? value & LOW_32_MASK : NO_MATCH;
                }
            }
            if (!wait && attempt >= SPIN_LIMIT)
            {
                return NO_MATCH;
            }
            pause(attempt);
        }
    }

    /**
     * The key was found at {@code index}: refresh it, move it, or leave a static entry alone.
     */
    private int relearn(final int index, final long key, final int vlan, final int destination, final long time)
    {
        final int offset = offset(index);
        final long control = slots.getLongAcquire(offset);
        final long slotKey = slots.getLong(offset + KEY_OFFSET);
        final long value = slots.getLong(offset + VALUE_OFFSET);
        if (!isStable(offset, control) || LIVE != state(control) || !matches(slotKey, value, key, vlan))
        {
            return RETRY;
        }
        if (isStatic(value))
        {
            return STATIC_ENTRY;
        }
        if (destination(value) == destination)
        {
            return refresh(offset, control, value, time) ? REFRESHED : RETRY;
        }
        return move(index, control, value, destination, time);
    }

    /**
     * Advance the last-seen time, never back. Within one 2<sup>32</sup> ms epoch (49.7 days) that is
     * a CAS of the control word; across epochs the value word changes too.
     */
    private boolean refresh(final int offset, final long control, final long value, final long time)
    {
        if (time <= lastSeen(control, value))
        {
            return true;
        }
        if ((value >>> TIME_HIGH_SHIFT) == (time >>> 32))
        {
            return slots.compareAndSetLong(offset, control, (time << 32) | (control & VERSION_STATE_MASK));
        }
        return rewrite(offset, control, withTime(value, time), time);
    }

    private int move(final int index, final long control, final long value, final int destination, final long time)
    {
        final int tracked = acquireLimit(destination);
        if (DestinationLimits.LIMIT_REACHED == tracked)
        {
            return PORT_LIMIT;
        }

        final long moved = value(destination, vlan(value), false, DestinationLimits.UNTRACKED != tracked, time);
        if (!rewrite(offset(index), control, moved, time))
        {
            releaseLimit(tracked);
            return RETRY;
        }

        releaseCounted(value);
        if (DestinationLimits.UNTRACKED == tracked)
        {
            countIfLimited(index, destination);
        }
        return MOVED;
    }

    /**
     * Make the entry at {@code index} static with this destination.
     */
    private int pin(final int index, final long key, final int vlan, final int destination)
    {
        final int offset = offset(index);
        final long control = slots.getLongAcquire(offset);
        final long slotKey = slots.getLong(offset + KEY_OFFSET);
        final long value = slots.getLong(offset + VALUE_OFFSET);
        if (!isStable(offset, control) || LIVE != state(control) || !matches(slotKey, value, key, vlan))
        {
            return RETRY;
        }
        if (isStatic(value) && destination(value) == destination)
        {
            return STATIC_ENTRY;
        }

        final long lastSeen = lastSeen(control, value);
        if (!rewrite(offset, control, value(destination, vlan, true, false, lastSeen), lastSeen))
        {
            return RETRY;
        }
        releaseCounted(value);
        return STATIC_ENTRY;
    }

    // Inserting.

    private int insert(final long key, final int vlan, final int destination, final boolean isStatic, final long time)
    {
        if (!reserveEntry())
        {
            return TABLE_FULL;
        }

        final int tracked = isStatic ? DestinationLimits.UNTRACKED : acquireLimit(destination);
        if (DestinationLimits.LIMIT_REACHED == tracked)
        {
            size.decrementAndGet();
            return PORT_LIMIT;
        }

        final int index = claimFree(home(key, vlan));
        if (NO_SLOT == index)
        {
            size.decrementAndGet();
            releaseLimit(tracked);
            return TABLE_FULL;
        }

        final int offset = offset(index);
        slots.putLong(offset + KEY_OFFSET, key);
        slots.putLong(offset + VALUE_OFFSET,
            value(destination, vlan, isStatic, DestinationLimits.UNTRACKED != tracked, time));
        publish(offset, LIVE, time);

        if (!settle(index, key, vlan, isStatic))
        {
            return RETRY;
        }
        if (!isStatic && DestinationLimits.UNTRACKED == tracked)
        {
            countIfLimited(index, destination);
        }
        return LEARNED;
    }

    private boolean reserveEntry()
    {
        while (true)
        {
            final int current = size.get();
            if (current >= capacity)
            {
                return false;
            }
            if (size.compareAndSet(current, current + 1))
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
        while (probes < probeLimit)
        {
            final int offset = offset(index);
            final long control = slots.getLongAcquire(offset);
            final int state = state(control);
            if (EMPTY == state || TOMBSTONE == state)
            {
                if (claim(offset, control))
                {
                    if (TOMBSTONE == state)
                    {
                        tombstones.decrementAndGet();
                    }
                    return index;
                }
                continue;
            }
            index = next(index);
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
    private boolean settle(final int index, final long key, final int vlan, final boolean isStatic)
    {
        final int home = home(key, vlan);
        final int own = distance(home, index);
        int probe = home;
        for (int distance = 0; distance < probeLimit; distance++, probe = next(probe))
        {
            if (distance == own)
            {
                continue;
            }

            final long match = match(offset(probe), key, vlan, true);
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

    // Writing slots.

    private boolean claim(final int offset, final long control)
    {
        if (!slots.compareAndSetLong(offset, control, (control & ~STATE_MASK) | BUSY))
        {
            return false;
        }
        VarHandle.releaseFence();
        return true;
    }

    /**
     * Release an owned slot: new state, next version, last-seen low bits.
     */
    private void publish(final int offset, final int state, final long time)
    {
        final long owned = slots.getLong(offset);
        slots.putLongRelease(offset, (time << 32) | ((owned + VERSION_UNIT) & VERSION_MASK) | state);
    }

    private boolean rewrite(final int offset, final long control, final long value, final long time)
    {
        if (!claim(offset, control))
        {
            return false;
        }
        slots.putLong(offset + VALUE_OFFSET, value);
        publish(offset, LIVE, time);
        return true;
    }

    /**
     * Remove the entry at {@code offset} if the control word is still {@code control}.
     */
    private boolean kill(final int offset, final long control, final long value)
    {
        final long tombstone = (control & ~VERSION_STATE_MASK) | ((control + VERSION_UNIT) & VERSION_MASK) | TOMBSTONE;
        if (!slots.compareAndSetLong(offset, control, tombstone))
        {
            return false;
        }
        size.decrementAndGet();
        tombstones.incrementAndGet();
        releaseCounted(value);
        return true;
    }

    /**
     * Remove the entry at {@code index} if it still holds the key.
     */
    private boolean discard(final int index, final long key, final int vlan)
    {
        final int offset = offset(index);
        for (int attempt = 0; ; attempt++)
        {
            final long control = slots.getLongAcquire(offset);
            final int state = state(control);
            if (BUSY != state)
            {
                if (LIVE != state)
                {
                    return false;
                }
                final long slotKey = slots.getLong(offset + KEY_OFFSET);
                final long value = slots.getLong(offset + VALUE_OFFSET);
                if (isStable(offset, control))
                {
                    if (!matches(slotKey, value, key, vlan))
                    {
                        return false;
                    }
                    if (kill(offset, control, value))
                    {
                        return true;
                    }
                }
            }
            pause(attempt);
        }
    }

    // Control thread: scans, aging, backward-shift deletion.

    /**
     * Remove matching entries in one pass backwards, closing gaps as it goes. Starting just before
     * an EMPTY slot means every look-ahead covers slots this pass has finished with.
     */
    private int removeAll(final int bridgeId, final int destination)
    {
        int index = anEmptySlot();
        int removed = 0;
        for (int visited = 0; visited < slotCount; visited++)
        {
            index = 0 == index ? slotCount - 1 : index - 1;
            removed += removeIf(index, bridgeId, destination);
            compact(index, probeLimit);
        }
        return removed;
    }

    private int anEmptySlot()
    {
        for (int index = 0; index < slotCount; index++)
        {
            if (EMPTY == state(slots.getLongAcquire(offset(index))))
            {
                return index;
            }
        }
        return 0;
    }

    private int removeIf(final int index, final int bridgeId, final int destination)
    {
        final int offset = offset(index);
        for (int attempt = 0; ; attempt++)
        {
            final long control = slots.getLongAcquire(offset);
            final int state = state(control);
            if (BUSY != state)
            {
                if (LIVE != state)
                {
                    return 0;
                }
                final long key = slots.getLong(offset + KEY_OFFSET);
                final long value = slots.getLong(offset + VALUE_OFFSET);
                if (isStable(offset, control))
                {
                    if ((ANY != bridgeId && bridgeId(key) != bridgeId) ||
                        (ANY != destination && destination(value) != destination))
                    {
                        return 0;
                    }
                    if (kill(offset, control, value))
                    {
                        return 1;
                    }
                }
            }
            pause(attempt);
        }
    }

    private void report(final int index, final int bridgeId, final EntryConsumer consumer)
    {
        final int offset = offset(index);
        for (int attempt = 0; ; attempt++)
        {
            final long control = slots.getLongAcquire(offset);
            final int state = state(control);
            if (BUSY != state)
            {
                if (LIVE != state)
                {
                    return;
                }
                final long key = slots.getLong(offset + KEY_OFFSET);
                final long value = slots.getLong(offset + VALUE_OFFSET);
                if (isStable(offset, control))
                {
                    if (bridgeId(key) == bridgeId)
                    {
                        consumer.accept(
                            vlan(value), key & MAC_MASK, destination(value), lastSeen(control, value), isStatic(value));
                    }
                    return;
                }
            }
            pause(attempt);
        }
    }

    /**
     * @return 1 if the slot held a dynamic entry older than its bridge's maximum age and it was
     * removed, else 0. A slot that is BUSY or being refreshed is left for the next sweep.
     */
    private int expire(final int index, final long now, final AgingPolicy policy)
    {
        final int offset = offset(index);
        final long control = slots.getLongAcquire(offset);
        if (LIVE != state(control))
        {
            return 0;
        }

        final long key = slots.getLong(offset + KEY_OFFSET);
        final long value = slots.getLong(offset + VALUE_OFFSET);
        if (!isStable(offset, control) || isStatic(value))
        {
            return 0;
        }

        final long maxAgeMs = policy.maxAgeMs(bridgeId(key));
        final boolean expired = maxAgeMs > 0 && now - lastSeen(control, value) > maxAgeMs;
        return expired && kill(offset, control, value) ? 1 : 0;
    }

    /**
     * Backward-shift deletion, starting from the tombstone at {@code index}. Own the hole, look
     * ahead for the first entry whose home is at or before the hole, move that entry into the hole
     * (it stays on its probe sequence, nearer home) and go on with the slot it left, still owned,
     * as the hole. A hole with no such entry up to the next EMPTY slot, or within the probe limit,
     * becomes EMPTY. A BUSY or changing slot in the way, or running out of look-ahead, leaves a
     * tombstone.
     *
     * @param maxLookAhead the most slots to look at after holes.
     * @return slots looked at after holes.
     */
    private int compact(final int index, final int maxLookAhead)
    {
        int holeOffset = offset(index);
        final long control = slots.getLongAcquire(holeOffset);
        if (maxLookAhead <= 0 || TOMBSTONE != state(control) || !claim(holeOffset, control))
        {
            return 0;
        }

        int fill = TOMBSTONE;
        int examined = 0;
        int probe = index;
        for (int distance = 1; examined < maxLookAhead; distance++)
        {
            if (distance == probeLimit)
            {
                fill = EMPTY;
                break;
            }
            probe = next(probe);
            examined++;
            final int shift = shift(probe, distance);
            if (SHIFT_END == shift || SHIFT_BLOCKED == shift)
            {
                fill = SHIFT_END == shift ? EMPTY : TOMBSTONE;
                break;
            }
            if (SHIFT_MOVED == shift)
            {
                moveInto(holeOffset, offset(probe));
                holeOffset = offset(probe);
                distance = 0;
            }
        }

        publish(holeOffset, fill, 0);
        if (EMPTY == fill)
        {
            tombstones.decrementAndGet();
        }
        return examined;
    }

    /**
     * Look at the slot {@code distance} after an owned hole; own it if its entry must move into the
     * hole.
     *
     * @return {@link #SHIFT_END} for an EMPTY slot, {@link #SHIFT_BLOCKED} for a BUSY or changing
     * slot, {@link #SHIFT_MOVED} if the slot is now owned and its entry must move, else
     * {@link #SHIFT_SKIP}.
     */
    private int shift(final int index, final int distance)
    {
        final int offset = offset(index);
        final long control = slots.getLongAcquire(offset);
        final int state = state(control);
        if (EMPTY == state)
        {
            return SHIFT_END;
        }
        if (TOMBSTONE == state)
        {
            return SHIFT_SKIP;
        }
        if (BUSY == state)
        {
            return SHIFT_BLOCKED;
        }

        final long key = slots.getLong(offset + KEY_OFFSET);
        final long value = slots.getLong(offset + VALUE_OFFSET);
        if (!isStable(offset, control))
        {
            return SHIFT_BLOCKED;
        }
        if (distance(home(key, vlan(value)), index) < distance)
        {
            return SHIFT_SKIP;
        }
        return claim(offset, control) ? SHIFT_MOVED : SHIFT_BLOCKED;
    }

    /**
     * Copy the entry of one owned slot into an owned hole and publish the hole. The source slot
     * stays owned: it is the next hole.
     */
    private void moveInto(final int holeOffset, final int fromOffset)
    {
        slots.putLong(holeOffset + KEY_OFFSET, slots.getLong(fromOffset + KEY_OFFSET));
        slots.putLong(holeOffset + VALUE_OFFSET, slots.getLong(fromOffset + VALUE_OFFSET));
        publish(holeOffset, LIVE, slots.getLong(fromOffset) >>> 32);
    }

    // Port security.

    private int acquireLimit(final int destination)
    {
        final DestinationLimits limits = this.limits;
        return null == limits ? DestinationLimits.UNTRACKED : limits.acquire(destination);
    }

    private void releaseLimit(final int tracked)
    {
        if (tracked >= 0)
        {
            limits.release(tracked);
        }
    }

    private void releaseCounted(final long value)
    {
        if (0 != (value & COUNTED_FLAG))
        {
            final DestinationLimits limits = this.limits;
            limits.release(limits.find(destination(value)));
        }
    }

    /**
     * Count the entry at {@code index} against its destination's limit if it is a dynamic entry of
     * {@code destination}, the destination has a limit and the entry is not counted yet. Setting the
     * flag while owning the slot makes the count exactly-once whether the inserting thread or the
     * control thread's first-limit scan gets there first.
     */
    private void countIfLimited(final int index, final int destination)
    {
        final DestinationLimits limits = this.limits;
        final int tracked = null == limits ? DestinationLimits.UNTRACKED : limits.find(destination);
        if (DestinationLimits.UNTRACKED == tracked)
        {
            return;
        }

        final int offset = offset(index);
        for (int attempt = 0; ; attempt++)
        {
            final long control = slots.getLongAcquire(offset);
            final int state = state(control);
            if (BUSY != state)
            {
                if (LIVE != state)
                {
                    return;
                }
                final long value = slots.getLong(offset + VALUE_OFFSET);
                if (isStable(offset, control))
                {
                    if (isStatic(value) || 0 != (value & COUNTED_FLAG) || destination(value) != destination)
                    {
                        return;
                    }
                    limits.add(tracked);
                    if (rewrite(offset, control, value | COUNTED_FLAG, lastSeen(control, value)))
                    {
                        return;
                    }
                    limits.release(tracked);
                }
            }
            pause(attempt);
        }
    }

    // Encoding.

    private boolean isStable(final int offset, final long control)
    {
        VarHandle.acquireFence();
        return ((UnsafeApi.getLongVolatile(null, slotsAddress + offset) ^ control) & VERSION_STATE_MASK) == 0;
    }

    private int home(final long key, final int vlan)
    {
        long hash = key * 0x9E3779B97F4A7C15L + vlan;
        hash = (hash ^ (hash >>> 32)) * 0xD6E8FEB86659FD93L;
        return (int)(((hash >>> 32) * slotCount) >>> 32);
    }

    private int next(final int index)
    {
        return index + 1 == slotCount ? 0 : index + 1;
    }

    private int distance(final int from, final int to)
    {
        return to >= from ? to - from : to - from + slotCount;
    }

    private static int offset(final int index)
    {
        return index * SLOT_LENGTH;
    }

    private static void pause(final int attempt)
    {
        if (attempt < SPIN_LIMIT)
        {
            Thread.onSpinWait();
        }
        else
        {
            Thread.yield();
        }
    }

    private static int state(final long control)
    {
        return (int)(control & STATE_MASK);
    }

    private static long lastSeen(final long control, final long value)
    {
        return ((value >>> TIME_HIGH_SHIFT) << 32) | (control >>> 32);
    }

    private static long key(final int bridgeId, final long mac)
    {
        return ((long)bridgeId << BRIDGE_SHIFT) | mac;
    }

    private static int bridgeId(final long key)
    {
        return (int)(key >>> BRIDGE_SHIFT);
    }

    private static long value(
        final int destination, final int vlan, final boolean isStatic, final boolean counted, final long time)
    {
        return ((time >>> 32) << TIME_HIGH_SHIFT) | ((long)vlan << VLAN_SHIFT) |
            (counted ? COUNTED_FLAG : 0) | (isStatic ? STATIC_FLAG : 0) | destination;
    }

    private static long withTime(final long value, final long time)
    {
        return ((time >>> 32) << TIME_HIGH_SHIFT) | (value & ((1L << TIME_HIGH_SHIFT) - 1));
    }

    private static boolean matches(final long slotKey, final long value, final long key, final int vlan)
    {
        return slotKey == key && vlan(value) == vlan;
    }

    private static int destination(final long value)
    {
        return (int)(value & MAX_DESTINATION);
    }

    private static int vlan(final long value)
    {
        return (int)(value >>> VLAN_SHIFT) & MAX_VLAN;
    }

    private static boolean isStatic(final long value)
    {
        return 0 != (value & STATIC_FLAG);
    }

    private static int slotOf(final long found)
    {
        return (int)(found >>> 32);
    }

    private static boolean isValidKey(final int bridgeId, final int vlan, final long mac)
    {
        return (bridgeId & ~MAX_BRIDGE_ID) == 0 && (vlan & ~MAX_VLAN) == 0 && (mac & ~MAC_MASK) == 0;
    }

    private static boolean isValidDestination(final int destination)
    {
        return (destination & ~MAX_DESTINATION) == 0;
    }

    private static void checkKey(final int bridgeId, final int vlan, final long mac)
    {
        checkBridge(bridgeId);
        if ((vlan & ~MAX_VLAN) != 0)
        {
            throw new IllegalArgumentException("VLAN must be 0.." + MAX_VLAN + ": " + vlan);
        }
        if ((mac & ~MAC_MASK) != 0)
        {
            throw new IllegalArgumentException("not a 48-bit MAC address: 0x" + Long.toHexString(mac));
        }
    }

    private static void checkBridge(final int bridgeId)
    {
        if ((bridgeId & ~MAX_BRIDGE_ID) != 0)
        {
            throw new IllegalArgumentException("bridge id must be 0.." + MAX_BRIDGE_ID + ": " + bridgeId);
        }
    }

    private static void checkDestination(final int destination)
    {
        if (!isValidDestination(destination))
        {
            throw new IllegalArgumentException("destination must be 0.." + MAX_DESTINATION + ": " + destination);
        }
    }
}
