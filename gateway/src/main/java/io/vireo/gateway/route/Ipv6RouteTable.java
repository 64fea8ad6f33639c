package io.vireo.gateway.route;

import java.util.ArrayDeque;

/**
 * An IPv6 route table, longest-prefix match, off heap: every route in one open-addressing hash table
 * keyed by (prefix, length) ({@link Ipv6Slots}), and the lengths in use in a small array, longest
 * first. A lookup masks the address to each length in use, longest first, and probes the table until
 * one hits.
 *
 * <h2>Cost</h2>
 * A lookup costs one probe (mostly one cache line) per length in use that is longer than its answer,
 * plus one for the answer: with the 10 to 20 lengths a realistic table holds, an address under a /48
 * probes the lengths from /128 down to /48. That is more reads than a trie of fixed strides for the
 * worst address, but each is independent of the routes' count, updates are one slot, and the table
 * takes 64 bytes per route of capacity (32-byte slots, at most half full). A binary search over the
 * lengths with markers (Waldvogel) would take log2 of the lengths' count, at the price of markers whose
 * best-matching prefix every update near them must recompute; not worth it yet.
 *
 * <h2>Threads</h2>
 * Any number of forwarding threads may {@link #lookup} at once while one control thread calls the
 * other methods. Lookups take no lock, allocate nothing and throw nothing; each slot is read seqlock
 * style, so no lookup ever uses a torn entry. An update is one slot store (and, for a length coming
 * into or going out of use, a new lengths array published before the slot is killed or after it is
 * filled), so a lookup that races one update answers as before it or as after it. When removals have
 * left too many tombstones, the control thread rebuilds the hash table into new memory and publishes
 * it (copy on write); the old memory, never written again, is freed a second or more later, at a
 * later update or at {@link #close()}. {@link #close()} must be called only after every thread has
 * stopped using the table.
 */
public final class Ipv6RouteTable implements AutoCloseable
{
    /** {@link #lookup}: no route covers the address. */
    public static final int NO_ROUTE = -1;
    /** Largest next hop: the value word holds it in 32 bits. */
    public static final int MAX_NEXT_HOP = Integer.MAX_VALUE;
    /** Routes of a table made without a capacity: 4 MB of slots reserved, committed as written. */
    public static final int DEFAULT_CAPACITY = 65_536;
    /** Largest capacity. */
    public static final int MAX_CAPACITY = 1 << 24;

    private static final int MAX_LENGTH = 128;

    private final int capacity;
    private final int[] routesPerLength = new int[MAX_LENGTH + 1];
    private final ArrayDeque<Ipv6Slots> retired = new ArrayDeque<>();
    private final long quarantineNs;
    private volatile Ipv6Slots slots;
    private volatile byte[] lengths = new byte[0];
    private boolean closed;

    /**
     * A table of {@link #DEFAULT_CAPACITY} routes.
     */
    public Ipv6RouteTable()
    {
        this(DEFAULT_CAPACITY);
    }

    /**
     * @param capacity the most routes, 1..{@link #MAX_CAPACITY}.
     */
    public Ipv6RouteTable(final int capacity)
    {
        this(capacity, Ipv4RouteTable.QUARANTINE_NS);
    }

    Ipv6RouteTable(final int capacity, final long quarantineNs)
    {
        if (capacity < 1 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be 1.." + MAX_CAPACITY + ": " + capacity);
        }
        this.capacity = capacity;
        this.quarantineNs = quarantineNs;
        slots = new Ipv6Slots(Math.max(16, Integer.highestOneBit(capacity - 1) << 2));
    }

    /**
     * The next hop of the longest route covering an address. Forwarding path: no allocation, no lock,
     * no exception.
     *
     * @param high the address's high 64 bits (as {@code Ipv6Flyweight.destinationAddressHigh()}).
     * @param low  its low 64 bits.
     * @return the next hop, or {@link #NO_ROUTE}.
     */
    public int lookup(final long high, final long low)
    {
        final Ipv6Slots slots = this.slots;
        final byte[] lengths = this.lengths;
        for (final byte length : lengths)
        {
            final int bits = length & 0xFF;
            final int hop = slots.find(high & highMask(bits), low & lowMask(bits), bits);
            if (hop >= 0)
            {
                return hop;
            }
        }
        return NO_ROUTE;
    }

    /**
     * Add a route, or replace the next hop of the route with the same prefix and length. Control
     * thread only.
     *
     * @param high    the prefix's high 64 bits.
     * @param low     its low 64 bits; the bits beyond {@code length} zero.
     * @param length  0..128.
     * @param nextHop 0..{@link #MAX_NEXT_HOP}.
     * @throws IllegalArgumentException for a length or next hop out of range, or host bits set.
     * @throws IllegalStateException    if the table holds its capacity of routes; it is unchanged.
     */
    public void add(final long high, final long low, final int length, final int nextHop)
    {
        checkPrefix(high, low, length);
        if (nextHop < 0)
        {
            throw new IllegalArgumentException("next hop must be 0.." + MAX_NEXT_HOP + ": " + nextHop);
        }
        reclaim();

        final int index = slots.indexOf(high, low, length);
        if (Ipv6Slots.NOT_FOUND != index)
        {
            slots.replace(index, length, nextHop);
            return;
        }
        if (slots.live() >= capacity)
        {
            throw new IllegalStateException(
                "the table holds its capacity of " + capacity + " routes: cannot add " + format(high, low, length));
        }
        if (!slots.hasRoom())
        {
            rebuild();
        }
        slots.insert(high, low, length, nextHop);
        if (1 == ++routesPerLength[length])
        {
            publishLengths();
        }
    }

    /**
     * Remove a route. Control thread only.
     *
     * @return whether the route was there.
     * @throws IllegalArgumentException for a length out of range or host bits set.
     */
    public boolean remove(final long high, final long low, final int length)
    {
        checkPrefix(high, low, length);
        reclaim();

        final int index = slots.indexOf(high, low, length);
        if (Ipv6Slots.NOT_FOUND == index)
        {
            return false;
        }
        if (0 == --routesPerLength[length])
        {
            publishLengths();
        }
        slots.kill(index);
        return true;
    }

    /**
     * @return the number of routes. Control thread only.
     */
    public int size()
    {
        return slots.live();
    }

    /**
     * Give every route to {@code consumer}, in no particular order. Control thread only.
     */
    public void forEach(final Ipv6RouteConsumer consumer)
    {
        checkOpen();
        slots.forEach(consumer);
    }

    /**
     * @return bytes of the table's off-heap memory committed now, retired memory included.
     */
    long residentBytes()
    {
        long bytes = slots.residentBytes();
        for (final Ipv6Slots old : retired)
        {
            bytes += old.residentBytes();
        }
        return bytes;
    }

    /**
     * @return the lengths in use, as lookups probe them.
     */
    int lengthsInUse()
    {
        return lengths.length;
    }

    /**
     * Free the memory. Only once no thread uses the table.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            slots.close();
            while (!retired.isEmpty())
            {
                retired.poll().close();
            }
        }
    }

    private void rebuild()
    {
        final Ipv6Slots fresh = new Ipv6Slots(slots.slotCount());
        slots.forEach(fresh::insert);
        final Ipv6Slots old = slots;
        slots = fresh;
        old.retiredAtNs(System.nanoTime());
        retired.add(old);
    }

    /**
     * Free retired memory that no lookup has been able to reach for {@code quarantineNs}.
     */
    private void reclaim()
    {
        final long now = System.nanoTime();
        while (!retired.isEmpty() && now - retired.peek().retiredAtNs() >= quarantineNs)
        {
            retired.poll().close();
        }
    }

    private void publishLengths()
    {
        int count = 0;
        for (final int routes : routesPerLength)
        {
            count += routes > 0 ? 1 : 0;
        }
        final byte[] inUse = new byte[count];
        int next = 0;
        for (int length = MAX_LENGTH; length >= 0; length--)
        {
            if (routesPerLength[length] > 0)
            {
                inUse[next++] = (byte)length;
            }
        }
        lengths = inUse;
    }

    static long highMask(final int length)
    {
        return 0 == length ? 0 : length >= 64 ? -1L : -1L << (64 - length);
    }

    static long lowMask(final int length)
    {
        return length <= 64 ? 0 : -1L << (128 - length);
    }

    private void checkPrefix(final long high, final long low, final int length)
    {
        checkOpen();
        if (length < 0 || length > MAX_LENGTH)
        {
            throw new IllegalArgumentException("prefix length must be 0.." + MAX_LENGTH + ": " + length);
        }
        if ((high & ~highMask(length)) != 0 || (low & ~lowMask(length)) != 0)
        {
            throw new IllegalArgumentException("host bits set in " + format(high, low, length) + ": the prefix is " +
                format(high & highMask(length), low & lowMask(length), length));
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("the route table is closed");
        }
    }

    private static String format(final long high, final long low, final int length)
    {
        final StringBuilder text = new StringBuilder(48);
        for (int group = 0; group < 8; group++)
        {
            final long word = group < 4 ? high : low;
            text.append(group > 0 ? ":" : "").append(Long.toHexString((word >>> (48 - 16 * (group & 3))) & 0xFFFF));
        }
        return text.append('/').append(length).toString();
    }
}
