package io.vireo.flowtable.fdb;

import io.vireo.flowtable.MacAddress;

import static io.vireo.flowtable.fdb.SlotArray.FOREVER;
import static io.vireo.flowtable.fdb.SlotArray.NOT_FOUND;
import static io.vireo.flowtable.fdb.SlotArray.SPIN;
import static io.vireo.flowtable.fdb.SlotCodec.destination;
import static io.vireo.flowtable.fdb.SlotCodec.key;

/**
 * The forwarding database (FDB): (bridge id, VLAN, MAC) to destination id, last-seen time and a
 * static flag, in off-heap memory with no per-entry objects.
 *
 * <h2>Layout</h2>
 * Linear probing over {@link #slotCount()} = capacity + capacity / 3 slots of 24 bytes, so the
 * table is at most 75 % full and takes at most 32 bytes per entry of capacity (capacity &ge; 3).
 * A slot is three 64-bit words: a control word (state, version, low half of the last-seen time), the
 * key (bridge id, MAC) and the value (destination, VLAN, flags, high half of the time); the layout
 * is drawn in {@link SlotCodec}.
 *
 * <h2>Concurrency</h2>
 * Any number of forwarding threads may {@link #lookup}, {@link #lookupBurst}, {@link #learn} and
 * {@link #learnBurst} at once while one control thread calls the other methods. Nothing takes a lock.
 * <ul>
 *   <li>Writers own a slot by a CAS of its control word, write, and publish the control word with
 *   release ordering and a new version; readers read seqlock style and use a read only if the
 *   control word did not change under it, so nobody ever sees a torn entry ({@link SlotArray}).</li>
 *   <li>A lookup that finds a slot BUSY spins a little, then passes over it: it may miss an entry
 *   that is being rewritten (the frame is flooded) but never returns a destination that was not
 *   stored for its key.</li>
 *   <li>Inserts take no lock across their probe and <em>settle</em> afterwards, so racing inserts of
 *   one key leave one entry ({@link Learner}).</li>
 *   <li>Deletion leaves a tombstone, which the control thread then closes by backward-shift deletion
 *   (in {@link #remove}, the flushes and {@link #ageSlice}); tombstones that remain are reused by
 *   inserts, counted ({@link #tombstoneCount()}) and closed by the next aging pass
 *   ({@link Sweeper}).</li>
 * </ul>
 * No entry lives more than {@value #MAX_PROBES} slots from its home slot, which bounds every probe.
 * The table never evicts: when it holds {@link #capacity()} entries {@link #learn} returns
 * {@link #TABLE_FULL} and counts it ({@link #tableFullCount()}); the caller floods.
 * <p>
 * Memory is freed by {@link #close()}, which must be called only after every thread has stopped
 * using the table. After it, lookups find nothing and the control thread's scans throw
 * {@link IllegalStateException}.
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

    /**
     * A bridge id that tells {@link #lookupBurst} and {@link #learnBurst} to skip a key, e.g. a frame
     * an earlier stage dropped: its result is {@link #MISS} or {@link #INVALID}, nothing changes and
     * no slot of the key is read. Any negative bridge id does the same.
     */
    public static final int SKIP = -1;

    /** Largest bridge id. */
    public static final int MAX_BRIDGE_ID = SlotCodec.BRIDGE_MASK;
    /** Largest VLAN id. */
    public static final int MAX_VLAN = SlotCodec.VLAN_MASK;
    /** Largest destination id. */
    public static final int MAX_DESTINATION = SlotCodec.DESTINATION_MASK;
    /** Largest capacity. */
    public static final int MAX_CAPACITY = 1 << 25;
    /** No entry lives further than this many slots from its home slot. */
    public static final int MAX_PROBES = 1024;

    /**
     * Slots up to this many bytes fit in the L2 cache of current x86 cores (256 KB or more), where
     * loading a burst's lines ahead only adds work: with 1,000 entries (32-50 KB of slots) it cost about 2 ns a
     * key in {@code FdbBenchmark.lookupHitBurst}.
     */
    private static final long CACHED_BYTES = 256 * 1024;
    /** Not an outcome: {@link #learnBurst} cannot answer a key repeated in a run without learning it again. */
    private static final int LEARN_AGAIN = 0;

    private final int capacity;
    private final SlotArray slots;
    private final MacLimits limits;
    private final Learner learner;
    private final Sweeper sweeper;
    private final boolean loadsAhead;

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
        final int slotCount = capacity + Math.max(1, capacity / 3);
        slots = new SlotArray(slotCount, Math.min(slotCount, MAX_PROBES));
        limits = new MacLimits(slots);
        final MoveGate gate = new MoveGate();
        learner = new Learner(slots, limits, gate, capacity);
        sweeper = new Sweeper(slots, limits, gate);
        loadsAhead = memoryBytes() > CACHED_BYTES;
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

        final long key = key(bridgeId, mac);
        final long found = slots.locate(slots.home(key, vlan), key, vlan, SlotArray.DESTINATION, SPIN);
        return NOT_FOUND == found ? MISS : destination(found);
    }

    /**
     * Look up a burst of keys: {@code destinations[i] = lookup(bridgeIds[i], vlans[i], macs[i])} for
     * each {@code i < count}; a key whose bridge id is {@link #SKIP} (or any negative id) gives
     * {@link #MISS} and costs no cache miss. A first pass computes every key's home slot and, in a
     * table too large for a core's cache, loads the cache lines a probe from there mostly reads; a
     * second pass probes. The loads of the first pass do not depend on one another, so their cache
     * misses overlap instead of following one after the other, and the second pass mostly finds its
     * slots in cache. A key equal to the one before it takes that one's answer without a probe: frames of one
     * flow come in runs. Forwarding path: no allocation, no lock, no exception.
     *
     * @param bridgeIds    0..{@link #MAX_BRIDGE_ID} per key, or {@link #SKIP}.
     * @param vlans        0..{@link #MAX_VLAN} per key.
     * @param macs         per key, in the low 48 bits.
     * @param count        keys to look up, at most the length of each array.
     * @param destinations receives each key's destination id, or {@link #MISS}; entries from
     *                     {@code count} on are left alone.
     */
    public void lookupBurst(
        final int[] bridgeIds, final int[] vlans, final long[] macs, final int count, final int[] destinations)
    {
        touchHomes(bridgeIds, vlans, macs, count, destinations);
        // The key before, in locals: frames of one flow come in runs, and a run reads the table once. Its start
        // values are a skipped key's, whose answer is MISS.
        int lastBridgeId = SKIP;
        int lastVlan = 0;
        long lastMac = 0;
        int lastDestination = MISS;
        for (int i = 0; i < count; i++)
        {
            final int bridgeId = bridgeIds[i];
            final int vlan = vlans[i];
            final long mac = macs[i];
            if (mac != lastMac || bridgeId != lastBridgeId || vlan != lastVlan)
            {
                lastDestination = MISS;
                if (isValidKey(bridgeId, vlan, mac))
                {
                    final long key = key(bridgeId, mac);
                    final long found = slots.locate(destinations[i], key, vlan, SlotArray.DESTINATION, SPIN);
                    lastDestination = NOT_FOUND == found ? MISS : destination(found);
                }
                lastBridgeId = bridgeId;
                lastVlan = vlan;
                lastMac = mac;
            }
            destinations[i] = lastDestination;
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
        if (!isLearnable(bridgeId, vlan, mac, destination))
        {
            return INVALID;
        }

        final long key = key(bridgeId, mac);
        return learner.learn(slots.home(key, vlan), key, vlan, destination, SlotCodec.time(nowMs));
    }

    /**
     * Learn a burst of sources: {@code outcomes[i] = learn(bridgeIds[i], vlans[i], macs[i],
     * destinations[i], nowMs)} for each {@code i < count}, in that order, so a key that comes twice
     * in a burst is learned, then refreshed, as by two calls (a run of one key on one destination is learned once
     * and its other keys answered as those calls would answer: the table is read once). A key whose bridge id is
     * {@link #SKIP} (or any negative id) gives {@link #INVALID}, changes nothing and costs no cache miss.
     * <p>
     * A first pass computes every key's home slot and, in a table too large for a core's cache, loads
     * the cache lines a probe from there mostly reads; the loads do not depend on one another, so
     * their cache misses overlap. The second pass learns each key from its home slot, mostly in
     * cache, exactly as {@link #learn} does: a known source on its known destination is read once
     * more and, if {@code nowMs} is not later than its last-seen time, nothing is written; otherwise
     * one CAS of the control word stores the time. Concurrent learners and the control thread are
     * safe as with {@link #learn}. Forwarding path: no allocation, no lock, no exception.
     *
     * @param bridgeIds    0..{@link #MAX_BRIDGE_ID} per key, or {@link #SKIP}.
     * @param vlans        0..{@link #MAX_VLAN} per key.
     * @param macs         per key, a unicast, non-zero MAC in the low 48 bits.
     * @param destinations per key, 0..{@link #MAX_DESTINATION}.
     * @param count        keys to learn, at most the length of each array.
     * @param nowMs        the caller's clock, one reading for the burst.
     * @param outcomes     receives each key's outcome, as {@link #learn} returns it; entries from
     *                     {@code count} on are left alone.
     */
    public void learnBurst(
        final int[] bridgeIds, final int[] vlans, final long[] macs, final int[] destinations, final int count,
        final long nowMs, final int[] outcomes)
    {
        touchHomes(bridgeIds, vlans, macs, count, outcomes);
        final long time = SlotCodec.time(nowMs);
        // The key before and its outcome, in locals; the start values learn the first key whatever it is.
        int lastBridgeId = SKIP;
        int lastVlan = 0;
        long lastMac = 0;
        int lastDestination = 0;
        int lastOutcome = LEARN_AGAIN;
        for (int i = 0; i < count; i++)
        {
            final int bridgeId = bridgeIds[i];
            final int vlan = vlans[i];
            final long mac = macs[i];
            final int destination = destinations[i];
            final int again = mac == lastMac && bridgeId == lastBridgeId && vlan == lastVlan &&
                destination == lastDestination ? againOutcome(lastOutcome) : LEARN_AGAIN;
            if (LEARN_AGAIN != again)
            {
                lastOutcome = again;
            }
            else
            {
                lastOutcome = isLearnable(bridgeId, vlan, mac, destination) ?
                    learner.learn(outcomes[i], key(bridgeId, mac), vlan, destination, time) : INVALID;
                lastBridgeId = bridgeId;
                lastVlan = vlan;
                lastMac = mac;
                lastDestination = destination;
            }
            outcomes[i] = lastOutcome;
        }
    }

    /**
     * What {@link #learn} answers for a key learned on the same destination at the same time just before, where
     * that is sure without reading the table: a source known on its destination is refreshed with no write, a
     * static entry or an invalid key stays so. {@link #LEARN_AGAIN} where it must be learned again: a full table or a
     * port at its limit counts every refusal.
     */
    private static int againOutcome(final int previous)
    {
        return switch (previous)
        {
            case LEARNED, REFRESHED, MOVED -> REFRESHED;
            case STATIC_ENTRY, INVALID -> previous;
            default -> LEARN_AGAIN;
        };
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
        return learner.addStatic(slots.home(key, vlan), key, vlan, destination);
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
        final long found = slots.locate(slots.home(key, vlan), key, vlan, SlotArray.DESTINATION, FOREVER);
        if (NOT_FOUND == found)
        {
            return false;
        }

        final int index = (int)(found >>> 32);
        final boolean removed = learner.discard(index, key, vlan);
        sweeper.compact(index, slots.probeLimit());
        sweeper.forgetAgingPasses();
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

        final int removed = sweeper.removeAll(Sweeper.ANY, destination);
        sweeper.forgetAgingPasses();
        limits.clear(destination);
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
        final int removed = sweeper.removeAll(bridgeId, Sweeper.ANY);
        sweeper.forgetAgingPasses();
        return removed;
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

        ensureOpen();
        limits.limit(destination, maxMacs);
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
        ensureOpen();
        return sweeper.ageSlice(nowMs, policy, maxSlots);
    }

    /**
     * Until when {@link #ageSlice} would find nothing to remove, by what its last whole pass over the slots saw:
     * the earliest time an entry that pass kept expires, under the policy it was given, and no later than the
     * pass's start plus {@code shortestMaxAgeMs}, for the entries learned since. 0 until a whole pass that
     * neither removed nor moved an entry nor met a slot it could not read, since the table was created or last
     * changed by {@link #remove}, a flush or {@link #agingPolicyChanged}. A caller may skip {@link #ageSlice}
     * until then: an idle switch then reads none of its slots for most of an aging time. Control thread.
     *
     * @param shortestMaxAgeMs the shortest maximum age of the policy; 0 or less if no bridge's entries age.
     * @return a time of the caller's clock, as passed to {@link #ageSlice} (modulo 2<sup>52</sup>, as the
     * table stores times); {@link Long#MAX_VALUE} if nothing can expire.
     */
    public long agingQuietUntil(final long shortestMaxAgeMs)
    {
        return sweeper.agingQuietUntil(shortestMaxAgeMs);
    }

    /**
     * The aging policy changed: {@link #agingQuietUntil} is 0 until the next whole pass. Control thread.
     */
    public void agingPolicyChanged()
    {
        sweeper.forgetAgingPasses();
    }

    /**
     * @return entries in the table, including inserts in progress.
     */
    public int size()
    {
        return slots.size.get();
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
        return slots.slotCount();
    }

    /**
     * @return true if the burst calls load a burst's cache lines ahead of their probes: the slots are larger than a
     * core's cache.
     */
    public boolean loadsAhead()
    {
        return loadsAhead;
    }

    /**
     * @return bytes of off-heap memory the slots take.
     */
    public long memoryBytes()
    {
        return (long)slots.slotCount() * SlotCodec.SLOT_LENGTH;
    }

    /**
     * @return times {@link #learn} returned {@link #TABLE_FULL}.
     */
    public long tableFullCount()
    {
        return learner.tableFullCount();
    }

    /**
     * @return slots holding a removed entry, waiting to be reused or freed.
     */
    public int tombstoneCount()
    {
        return slots.tombstones.get();
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
        ensureOpen();
        sweeper.forEach(bridgeId, consumer);
    }

    /**
     * Free the off-heap memory. Every thread must have stopped using the table.
     */
    public void close()
    {
        slots.close();
    }

    /**
     * Entries counted against a destination's MAC limit.
     *
     * @param destination a destination.
     * @return the count, or -1 if the destination never had a limit.
     */
    int limitedCount(final int destination)
    {
        return limits.counted(destination);
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

    /**
     * A burst's first pass: each key's home slot (a key equal to the one before it is not hashed again), then, in
     * a table larger than {@link #CACHED_BYTES}, the cache lines its probe mostly reads loaded now
     * ({@link SlotArray#touch}), so that the cache misses of the burst's keys overlap. The homes are
     * computed in a loop of their own: the loop of touches is then a few instructions per key, so the
     * CPU's reorder window can hold the loads of many keys, not of the few whose hashing fits in it
     * beside them. Nothing is checked here, to keep the loops short: a key that is not valid gets a
     * home slot like any other (home slots are in range whatever the key) and the second pass does
     * not probe it; a skipped key gets slot 0, so it costs no cache miss.
     *
     * @param homes receives each key's home slot.
     */
    private void touchHomes(
        final int[] bridgeIds, final int[] vlans, final long[] macs, final int count, final int[] homes)
    {
        int lastBridgeId = SKIP;
        int lastVlan = 0;
        long lastMac = 0;
        int lastHome = 0;
        for (int i = 0; i < count; i++)
        {
            final int bridgeId = bridgeIds[i];
            final int vlan = vlans[i];
            final long mac = macs[i];
            if (mac != lastMac || bridgeId != lastBridgeId || vlan != lastVlan)
            {
                lastHome = bridgeId < 0 ? 0 : slots.home(key(bridgeId, mac), vlan);
                lastBridgeId = bridgeId;
                lastVlan = vlan;
                lastMac = mac;
            }
            homes[i] = lastHome;
        }
        if (loadsAhead && !slots.isClosed())
        {
            long touched = 0;
            for (int i = 0; i < count; i++)
            {
                touched ^= slots.touch(homes[i]);
            }
            SlotArray.keep(touched);
        }
    }

    private void ensureOpen()
    {
        if (slots.isClosed())
        {
            throw new IllegalStateException("the forwarding table is closed");
        }
    }

    private static boolean isValidKey(final int bridgeId, final int vlan, final long mac)
    {
        return (bridgeId & ~MAX_BRIDGE_ID) == 0 && (vlan & ~MAX_VLAN) == 0 && (mac & ~SlotCodec.MAC_MASK) == 0;
    }

    private static boolean isLearnable(final int bridgeId, final int vlan, final long mac, final int destination)
    {
        return isValidKey(bridgeId, vlan, mac) && isValidDestination(destination) &&
            !MacAddress.isMulticast(mac) && !MacAddress.isZero(mac);
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
        if ((mac & ~SlotCodec.MAC_MASK) != 0)
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
