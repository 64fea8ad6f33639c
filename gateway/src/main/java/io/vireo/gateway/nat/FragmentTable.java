package io.vireo.gateway.nat;

import io.vireo.gateway.AddressHash;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The IPv4 datagrams a router's NAT is seeing in fragments, as VPP's NAT44 "virtual reassembly": no
 * fragment is kept, only what the datagram's first fragment (offset 0, the one with the L4 header)
 * was translated to, so that the later fragments, which carry no ports, get the same addresses. Keyed
 * by the router (the connection zone) and the datagram's identity before translation: source,
 * destination, protocol, identification (RFC 791).
 * <p>
 * One per forwarding thread, off heap, fixed size: nothing here is shared, locked or allocated after
 * construction. It relies on the fragments of one datagram reaching the thread that saw its first
 * fragment: they come in by one port, and a multi-queue TAP's queue is picked by a hash of the
 * addresses alone for a fragment (the kernel's flow dissector stops at the IP header of a fragment,
 * first or not). A fragment that reaches another thread finds no entry there, waits, and is dropped:
 * never sent untranslated.
 * <p>
 * Open addressing over {@link #WINDOW}-slot windows; a slot is one 64-byte cache line:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                       Source address                          |  0
 *  +---------------------------------------------------------------+
 *  |                       Destination address                     |  4
 *  +---------------------------------------------------------------+
 *  |                       Zone (router id)                        |  8
 *  +---------------------------------------------------------------+
 *  |          Protocol << 24 | Identification (one int)            |  12
 *  +---------------------------------------------------------------+
 *  |                 Created, ms (the entry lives LIFETIME_MS)     |  16
 *  +---------------------------------------------------------------+
 *  |                       Translated source                       |  24
 *  +---------------------------------------------------------------+
 *  |                       Translated destination                  |  28
 *  +---------------+---------------+-------------------------------+
 *  |    State      |    Runs (n)   |  Datagram length (0: unknown) |  32
 *  +---------------+---------------+-------------------------------+
 *  |   Run 0 start (payload byte)  |        Run 0 end              |  36
 *  +-------------------------------+-------------------------------+
 *  |                          ... runs 1..6                        |  40..63
 *  +---------------------------------------------------------------+
 * </pre>
 * A run is a stretch of the datagram's payload ([start, end), bytes after the IP header) already sent
 * on; adjoining runs merge, so fragments in order keep one. They find what the kernel's reassembly
 * finds ({@code inet_frag_queue_insert}): a fragment wholly inside what was sent is a duplicate, one
 * that overlaps it in part, or contradicts the datagram's length, spoils the datagram (the kernel
 * would discard it whole); and once the runs cover the whole datagram the entry is freed at once.
 * <p>
 * Why {@link #LIFETIME_MS} is 2 s and not the kernel's 30 s ({@code ipfrag_time}): the fragments of a
 * datagram leave their sender back to back, so even a path that reorders them brings them within
 * milliseconds; and the table is fixed, so the lifetime is also how long a flood of bogus fragments
 * can keep new datagrams out. It is also short against the identification's wrap: a host sending
 * fewer than 32,768 fragmented datagrams a second to one destination does not reuse an
 * identification within it (RFC 4963).
 */
public final class FragmentTable
{
    /** How long an entry lives from its first fragment, ms. */
    public static final long LIFETIME_MS = 2_000;
    /** Slots a key may live in, from its home slot on. */
    public static final int WINDOW = 8;
    /** Stretches of a datagram tracked at once (holes + 1). */
    public static final int MAX_RUNS = 7;

    /** {@link #find}: no live entry. {@link #findOrInsert}: no room in the key's window. */
    public static final int MISS = -1;
    public static final int FULL = -2;

    /** State: a fragment came before the first one; nothing is known of the translation yet. */
    public static final int PENDING = 1;
    /** State: the first fragment went through; later ones get {@link #translatedSource}/{@link #translatedDestination}. */
    public static final int TRANSLATED = 2;
    /** State: the datagram is not going through (first fragment dropped or refused, overlap); drop what comes. */
    public static final int DROPPED = 3;

    /** {@link #accept}: the fragment goes on. */
    public static final int ACCEPTED = 0;
    /** {@link #accept}: it goes on and was the datagram's last missing piece; the entry is gone. */
    public static final int COMPLETE = 1;
    /** {@link #accept}: it repeats what was sent; drop it alone. */
    public static final int DUPLICATE = 2;
    /**
     * {@link #accept}: it overlaps what was sent in part, or contradicts the datagram's length; the datagram is
     * {@link #DROPPED}.
     */
    public static final int OVERLAP = 3;
    /** {@link #accept}: the datagram has more than {@link #MAX_RUNS} stretches; it is {@link #DROPPED}. */
    public static final int TOO_MANY_HOLES = 4;

    private static final int SLOT = 64;
    private static final int SOURCE = 0;
    private static final int DESTINATION = 4;
    private static final int ZONE = 8;
    private static final int PROTOCOL_AND_ID = 12;
    private static final int CREATED = 16;
    private static final int NEW_SOURCE = 24;
    private static final int NEW_DESTINATION = 28;
    private static final int STATE = 32;
    private static final int RUN_COUNT = 33;
    private static final int LENGTH = 34;
    private static final int RUNS = 36;
    private static final int EMPTY = 0;

    private final UnsafeBuffer slots;
    private final int mask;

    /**
     * @param capacity datagrams in fragments at once, rounded up to a power of two (at least {@link #WINDOW}); the
     *                 table has twice as many slots, so a window is seldom full before the table is.
     */
    public FragmentTable(final int capacity)
    {
        if (capacity < 1 || capacity > 1 << 20)
        {
            throw new IllegalArgumentException("fragment table capacity must be 1..1048576: " + capacity);
        }
        final int slotCount = Math.max(WINDOW, Integer.highestOneBit(capacity - 1) << 2);
        this.slots = new UnsafeBuffer(BufferUtil.allocateDirectAligned(slotCount * SLOT, 64));
        this.mask = slotCount - 1;
    }

    /**
     * The live entry of a datagram.
     *
     * @return its slot, or {@link #MISS}.
     */
    public int find(
        final int zone, final int source, final int destination, final int protocol, final int id, final long nowMs)
    {
        return probe(zone, source, destination, protocol << 24 | id, nowMs, false);
    }

    /**
     * The live entry of a datagram, or a new {@link #PENDING} one in the first free or expired slot of its window.
     *
     * @return its slot, or {@link #FULL}: live entries fill the window; they stay.
     */
    public int findOrInsert(
        final int zone, final int source, final int destination, final int protocol, final int id, final long nowMs)
    {
        return probe(zone, source, destination, protocol << 24 | id, nowMs, true);
    }

    public int state(final int slot)
    {
        return slots.getByte(slot * SLOT + STATE);
    }

    /** Records what the first fragment was translated to: the datagram is {@link #TRANSLATED}. */
    public void translated(final int slot, final int newSource, final int newDestination)
    {
        final int offset = slot * SLOT;
        slots.putInt(offset + NEW_SOURCE, newSource);
        slots.putInt(offset + NEW_DESTINATION, newDestination);
        slots.putByte(offset + STATE, (byte)TRANSLATED);
    }

    /** The datagram does not go through: the entry stays, {@link #DROPPED}, until it expires. */
    public void dropped(final int slot)
    {
        slots.putByte(slot * SLOT + STATE, (byte)DROPPED);
    }

    public int translatedSource(final int slot)
    {
        return slots.getInt(slot * SLOT + NEW_SOURCE);
    }

    public int translatedDestination(final int slot)
    {
        return slots.getInt(slot * SLOT + NEW_DESTINATION);
    }

    /**
     * Takes a fragment of the datagram's payload, [start, end), about to be sent on, as the class comment says.
     *
     * @param last the fragment is the datagram's last (more fragments not set): {@code end} is its length.
     * @return {@link #ACCEPTED}, {@link #COMPLETE}, {@link #DUPLICATE}, {@link #OVERLAP} or {@link #TOO_MANY_HOLES}.
     */
    public int accept(final int slot, final int start, final int end, final boolean last)
    {
        final int offset = slot * SLOT;
        final int length = slots.getShort(offset + LENGTH) & 0xFFFF;
        int count = slots.getByte(offset + RUN_COUNT);
        if (last ? 0 != length && length != end : 0 != length && end > length)
        {
            return spoil(offset, OVERLAP);
        }
        for (int i = 0; i < count; i++)
        {
            final int runStart = runStart(offset, i);
            final int runEnd = runEnd(offset, i);
            if (start >= runStart && end <= runEnd)
            {
                return DUPLICATE;
            }
            if ((start < runEnd && end > runStart) || (last && runEnd > end))
            {
                return spoil(offset, OVERLAP);
            }
        }
        if (last)
        {
            slots.putShort(offset + LENGTH, (short)end);
        }

        // Absorb the runs this one adjoins; each absorbed run leaves room for the merged one.
        int newStart = start;
        int newEnd = end;
        for (int i = 0; i < count; i++)
        {
            final int runStart = runStart(offset, i);
            final int runEnd = runEnd(offset, i);
            if (runEnd == newStart || runStart == newEnd)
            {
                newStart = Math.min(newStart, runStart);
                newEnd = Math.max(newEnd, runEnd);
                count--;
                slots.putInt(offset + RUNS + i * 4, slots.getInt(offset + RUNS + count * 4));
                i = -1;
            }
        }
        if (MAX_RUNS == count)
        {
            return spoil(offset, TOO_MANY_HOLES);
        }
        slots.putShort(offset + RUNS + count * 4, (short)newStart);
        slots.putShort(offset + RUNS + count * 4 + 2, (short)newEnd);
        slots.putByte(offset + RUN_COUNT, (byte)(count + 1));

        final int knownLength = slots.getShort(offset + LENGTH) & 0xFFFF;
        if (0 == count && 0 == newStart && 0 != knownLength && newEnd == knownLength)
        {
            remove(slot);
            return COMPLETE;
        }
        return ACCEPTED;
    }

    /** Frees the slot. */
    public void remove(final int slot)
    {
        slots.putByte(slot * SLOT + STATE, (byte)EMPTY);
    }

    /** Live entries, by a walk of the whole table: for tests and figures, not the forwarding path. */
    public int size(final long nowMs)
    {
        int size = 0;
        for (int slot = 0; slot <= mask; slot++)
        {
            if (isLive(slot * SLOT, nowMs))
            {
                size++;
            }
        }
        return size;
    }

    private int probe(
        final int zone, final int source, final int destination, final int protocolAndId, final long nowMs,
        final boolean insert)
    {
        final int home = home(zone, source, destination, protocolAndId);
        int free = -1;
        for (int i = 0; i < WINDOW; i++)
        {
            final int slot = (home + i) & mask;
            final int offset = slot * SLOT;
            if (!isLive(offset, nowMs))
            {
                free = free < 0 ? slot : free;
            }
            else if (slots.getInt(offset + SOURCE) == source && slots.getInt(offset + DESTINATION) == destination &&
                slots.getInt(offset + ZONE) == zone && slots.getInt(offset + PROTOCOL_AND_ID) == protocolAndId)
            {
                return slot;
            }
        }
        if (!insert)
        {
            return MISS;
        }
        if (free < 0)
        {
            return FULL;
        }
        final int offset = free * SLOT;
        slots.setMemory(offset, SLOT, (byte)0);
        slots.putInt(offset + SOURCE, source);
        slots.putInt(offset + DESTINATION, destination);
        slots.putInt(offset + ZONE, zone);
        slots.putInt(offset + PROTOCOL_AND_ID, protocolAndId);
        slots.putLong(offset + CREATED, nowMs);
        slots.putByte(offset + STATE, (byte)PENDING);
        return free;
    }

    private int spoil(final int offset, final int verdict)
    {
        slots.putByte(offset + STATE, (byte)DROPPED);
        return verdict;
    }

    private boolean isLive(final int offset, final long nowMs)
    {
        return EMPTY != slots.getByte(offset + STATE) && nowMs - slots.getLong(offset + CREATED) < LIFETIME_MS;
    }

    private int runStart(final int offset, final int run)
    {
        return slots.getShort(offset + RUNS + run * 4) & 0xFFFF;
    }

    private int runEnd(final int offset, final int run)
    {
        return slots.getShort(offset + RUNS + run * 4 + 2) & 0xFFFF;
    }

    private int home(final int zone, final int source, final int destination, final int protocolAndId)
    {
        return (int)AddressHash.of(zone, (long)source << 32 | (destination & 0xFFFF_FFFFL), protocolAndId) & mask;
    }
}
