package io.vireo.flowtable.fdb;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.flowtable.fdb.SlotCodec.BUSY;
import static io.vireo.flowtable.fdb.SlotCodec.EMPTY;
import static io.vireo.flowtable.fdb.SlotCodec.KEY_OFFSET;
import static io.vireo.flowtable.fdb.SlotCodec.LIVE;
import static io.vireo.flowtable.fdb.SlotCodec.SLOT_LENGTH;
import static io.vireo.flowtable.fdb.SlotCodec.TOMBSTONE;
import static io.vireo.flowtable.fdb.SlotCodec.VALUE_OFFSET;
import static io.vireo.flowtable.fdb.SlotCodec.stamp;
import static io.vireo.flowtable.fdb.SlotCodec.state;

/**
 * The slots of a {@link ForwardingTable} in off-heap memory, the one seqlock read loop
 * ({@link #read}) every reader goes through, and the writes of the slot protocol. Slot layout:
 * {@link SlotCodec}.
 * <ul>
 *   <li><b>Writers</b> own a slot by a CAS of its control word to BUSY (version kept, {@link #claim}),
 *   write key and value, then store the control word with release ordering: new state, version + 1
 *   ({@link #publish}). A {@code releaseFence} after the CAS keeps the data stores after it.
 *   Refreshing the last-seen time is one CAS of the control word that keeps state and version
 *   ({@link #refresh}); removing is one CAS from LIVE to TOMBSTONE with version + 1 ({@link #kill}).
 *   Each CAS compares the whole control word, so it fails if anything in the slot changed since the
 *   writer read it, and the writer starts again.</li>
 *   <li><b>Readers</b> work seqlock style, like {@link java.util.concurrent.locks.StampedLock}: load
 *   the control word with acquire ordering, load key and value, {@code acquireFence}, load the
 *   control word again, and use the words only if state and version did not change. A reader that
 *   loaded any store of a later writer must, after its fence, also see that writer's earlier CAS, so
 *   a mix of two entries (a torn entry) always fails the check.</li>
 * </ul>
 * Reads go by address, without the buffer's bounds check per access: every slot index is below
 * {@link #slotCount} by construction, and the checks cost a cached lookup half its time. Callers
 * must not read after {@link #close}; the few reads that are not part of a stable read
 * ({@link #control}) keep the bounds check, so a write after close fails instead of touching freed
 * memory.
 */
final class SlotArray
{
    /** {@link #read}: the slot is EMPTY. A probe ends here. */
    static final long END = -2;
    /** {@link #read}: the slot is a TOMBSTONE, or the visitor found nothing for it. A probe goes on. */
    static final long NO_MATCH = -1;
    /** {@link #read}: the slot stayed BUSY or kept changing for longer than the caller's patience. */
    static final long GAVE_UP = -3;
    /** A visitor's answer: the read was consistent but the slot changed before it could act; read again. */
    static final long RETRY = -4;
    /** {@link #locate}: no slot matched. */
    static final long NOT_FOUND = -1;

    /** Patience: one read; a BUSY or changing slot gives {@link #GAVE_UP}. */
    static final int ONCE = 0;
    /** Patience: a forwarding thread's probe, which passes over a slot that stays BUSY. */
    static final int SPIN = 64;
    /** Patience: wait until the slot can be read; nobody waits while owning a slot, so this ends. */
    static final int FOREVER = Integer.MAX_VALUE;

    private static final int ALIGNMENT = 64;
    /** How far past a slot's start {@link #touch} reads: to the end of the slot after it. */
    private static final int TOUCH_REACH = 2 * SLOT_LENGTH;
    private static final long KEEP = 0x5DEE_CE66_D1CE_F00DL;

    /**
     * Receives a consistent read of a LIVE slot from {@link #read}. The forwarding path's visitors are
     * constants ({@code static final}), so that the JIT, once it has inlined {@link #read} into a
     * caller, calls the one visitor that caller passes directly; what they act on comes in
     * {@code context} and the two arguments.
     *
     * @param <T> what the visitor acts on.
     */
    @FunctionalInterface
    interface Visitor<T>
    {
        /**
         * @param context what the caller passed.
         * @param index   the slot.
         * @param control its control word.
         * @param key     its key word.
         * @param value   its value word.
         * @param a       the caller's first argument.
         * @param b       the caller's second argument.
         * @return a result &ge; 0, {@link #NO_MATCH}, or {@link #RETRY} to read the slot again.
         */
        long visit(T context, int index, long control, long key, long value, long a, long b);
    }

    /**
     * A probe for the key {@code a} and VLAN {@code b}: the value word's low 32 bits (destination and
     * flags) of the slot holding them.
     */
    static final Visitor<Void> DESTINATION = (unused, index, control, slotKey, value, key, vlan) ->
        SlotCodec.matches(slotKey, value, key, (int)vlan) ? value & SlotCodec.LOW_32_MASK : NO_MATCH;
    /**
     * A probe for the key {@code a} and VLAN {@code b}: the {@link SlotCodec#stamp} of the slot holding
     * them, so that a writer can tell whether the entry it found is still there.
     */
    static final Visitor<Void> STAMP = (unused, index, control, slotKey, value, key, vlan) ->
        SlotCodec.matches(slotKey, value, key, (int)vlan) ? stamp(control) : NO_MATCH;

    final AtomicInteger size = new AtomicInteger();
    final AtomicInteger tombstones = new AtomicInteger();
    private final int slotCount;
    private final int probeLimit;
    private final ByteBuffer memory;
    private final UnsafeBuffer buffer;
    private final long address;
    private boolean closed;

    SlotArray(final int slotCount, final int probeLimit)
    {
        this.slotCount = slotCount;
        this.probeLimit = probeLimit;
        memory = ByteBuffer.allocateDirect(slotCount * SLOT_LENGTH + ALIGNMENT + TOUCH_REACH);
        final int padding = (int)(-BufferUtil.address(memory) & (ALIGNMENT - 1));
        buffer = new UnsafeBuffer(memory, padding, slotCount * SLOT_LENGTH);
        address = buffer.addressOffset();
    }

    int slotCount()
    {
        return slotCount;
    }

    int probeLimit()
    {
        return probeLimit;
    }

    boolean isClosed()
    {
        return closed;
    }

    void close()
    {
        if (!closed)
        {
            closed = true;
            buffer.wrap(new byte[0]);
            BufferUtil.free(memory);
        }
    }

    // Reading.

    /**
     * The seqlock read loop: read slot {@code index} until one read is consistent, then give it to
     * the visitor if the slot is LIVE. A BUSY or changing slot, or a visitor's {@link #RETRY}, is read
     * again after a pause, at most {@code patience} times.
     *
     * @return the visitor's result, {@link #END} for an EMPTY slot, {@link #NO_MATCH} for a
     * TOMBSTONE, or {@link #GAVE_UP}.
     */
    <T> long read(
        final int index, final T context, final Visitor<T> visitor, final long a, final long b, final int patience)
    {
        final long slot = address + offset(index);
        for (int attempt = 0; ; attempt++)
        {
            final long control = UnsafeApi.getLongAcquire(null, slot);
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
                final long key = UnsafeApi.getLong(slot + KEY_OFFSET);
                final long value = UnsafeApi.getLong(slot + VALUE_OFFSET);
                VarHandle.acquireFence();
                if (stamp(UnsafeApi.getLongVolatile(null, slot) ^ control) == 0)
                {
                    final long result = visitor.visit(context, index, control, key, value, a, b);
                    if (RETRY != result)
                    {
                        return result;
                    }
                }
            }
            if (attempt >= patience)
            {
                return GAVE_UP;
            }
            pause(attempt);
        }
    }

    /**
     * Walk a key's probe sequence from its home slot, reading each slot with a probe visitor
     * ({@link #DESTINATION} or {@link #STAMP}) until one holds the key. Finds nothing once the table
     * is closed.
     *
     * @return the slot index in the high 32 bits and the visitor's result (at most 32 bits) in the
     * low 32 bits, or {@link #NOT_FOUND}.
     */
    long locate(final int home, final long key, final int vlan, final Visitor<Void> visitor, final int patience)
    {
        if (closed)
        {
            return NOT_FOUND;
        }

        int index = home;
        for (int probes = 0; probes < probeLimit; probes++)
        {
            final long result = read(index, null, visitor, key, vlan, patience);
            if (result >= 0)
            {
                return ((long)index << 32) | result;
            }
            if (END == result)
            {
                break;
            }
            index = next(index);
        }
        return NOT_FOUND;
    }

    /**
     * A burst's first pass for a probe that starts at slot {@code index}: load the first word of the
     * slot and the last word of the slot after it, which brings in the one or two cache lines that
     * hold both slots (a slot is 24 bytes, so two of them straddle a line boundary five times in
     * eight). In a table that is not near full, a hit is mostly in its home slot or the next one, so
     * the probe that follows mostly finds its slots in cache. These loads do not depend on one another,
     * so a burst's cache misses overlap. No bounds check (the memory has room for the slot after the
     * last one), so not after {@link #close}.
     *
     * @return the words, XORed: pass the XOR of a burst's touches to {@link #keep}.
     */
    long touch(final int index)
    {
        final long slot = address + offset(index);
        return UnsafeApi.getLong(slot) ^ UnsafeApi.getLong(slot + TOUCH_REACH - Long.BYTES);
    }

    /**
     * Keep a burst's {@link #touch} loads: the JIT drops a load whose value nothing uses, and a load it
     * drops brings no cache line in. Whatever the words are, this costs a compare; in the unlikely
     * case that they XOR to this one value, a spin-wait hint as well.
     *
     * @param touched the XOR of what {@link #touch} returned.
     */
    static void keep(final long touched)
    {
        if (KEEP == touched)
        {
            Thread.onSpinWait();
        }
    }

    /**
     * @return the control word, acquire ordering, bounds checked.
     */
    long control(final int index)
    {
        return buffer.getLongAcquire(offset(index));
    }

    // Writing.

    /**
     * Own a slot whose control word is still {@code control}.
     */
    boolean claim(final int index, final long control)
    {
        if (!buffer.compareAndSetLong(offset(index), control, SlotCodec.busy(control)))
        {
            return false;
        }
        VarHandle.releaseFence();
        return true;
    }

    /**
     * Release an owned slot: new state, next version, last-seen low bits.
     */
    void publish(final int index, final int state, final long time)
    {
        final int offset = offset(index);
        buffer.putLongRelease(offset, SlotCodec.released(buffer.getLong(offset), state, time));
    }

    /**
     * Write key and value into an owned slot.
     */
    void put(final int index, final long key, final long value)
    {
        final int offset = offset(index);
        buffer.putLong(offset + KEY_OFFSET, key);
        buffer.putLong(offset + VALUE_OFFSET, value);
    }

    /**
     * Replace the value of the LIVE entry whose control word is still {@code control}.
     */
    boolean rewrite(final int index, final long control, final long value, final long time)
    {
        if (!claim(index, control))
        {
            return false;
        }
        buffer.putLong(offset(index) + VALUE_OFFSET, value);
        publish(index, LIVE, time);
        return true;
    }

    /**
     * Store a new last-seen time whose high bits the value word holds already: one CAS.
     */
    boolean refresh(final int index, final long control, final long time)
    {
        return buffer.compareAndSetLong(offset(index), control, SlotCodec.refreshed(control, time));
    }

    /**
     * Remove the entry if the control word is still {@code control}; the caller releases what the
     * entry counted against its destination's limit.
     */
    boolean kill(final int index, final long control)
    {
        if (!buffer.compareAndSetLong(offset(index), control, SlotCodec.tombstone(control)))
        {
            return false;
        }
        size.decrementAndGet();
        tombstones.incrementAndGet();
        return true;
    }

    /**
     * Copy the entry of one owned slot into an owned hole and publish the hole. The source slot
     * stays owned.
     */
    void moveInto(final int hole, final int from)
    {
        final int fromOffset = offset(from);
        put(hole, buffer.getLong(fromOffset + KEY_OFFSET), buffer.getLong(fromOffset + VALUE_OFFSET));
        publish(hole, LIVE, buffer.getLong(fromOffset) >>> 32);
    }

    // Addressing.

    int home(final long key, final int vlan)
    {
        long hash = key * 0x9E3779B97F4A7C15L + vlan;
        hash = (hash ^ (hash >>> 32)) * 0xD6E8FEB86659FD93L;
        return (int)(((hash >>> 32) * slotCount) >>> 32);
    }

    int next(final int index)
    {
        return index + 1 == slotCount ? 0 : index + 1;
    }

    int distance(final int from, final int to)
    {
        return to >= from ? to - from : to - from + slotCount;
    }

    static void pause(final int attempt)
    {
        if (attempt < SPIN)
        {
            Thread.onSpinWait();
        }
        else
        {
            Thread.yield();
        }
    }

    private static int offset(final int index)
    {
        return index * SLOT_LENGTH;
    }
}
