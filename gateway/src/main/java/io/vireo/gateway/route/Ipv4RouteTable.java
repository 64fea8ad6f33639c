package io.vireo.gateway.route;

import java.util.concurrent.TimeUnit;

import io.vireo.dataplane.nativeio.MappedMemory;

import static io.vireo.gateway.route.PrefixTrie.NIL;

/**
 * An IPv4 route table, longest-prefix match, off heap: DIR-24-8 as DPDK's {@code rte_lpm}, so a
 * lookup is one memory read, or two for an address under a route longer than /24.
 *
 * <h2>Layout</h2>
 * <pre>
 *   address:  | top 24 bits: first-level index          | low 8 bits |
 *
 *   first level, 2^24 entries of 16 bits (32 MB reserved, committed as written):
 *    15  14                                           0
 *   +---+----------------------------------------------+
 *   | 0 | next hop + 1 of the longest route &lt;= /24,      |   0: none, take the default route
 *   |   | or 0                                         |
 *   +---+----------------------------------------------+
 *   | 1 | group index, 0..32767                        |   a route longer than /24 is in this /24
 *   +---+----------------------------------------------+
 *
 *   group (256 entries of 16 bits, one per low byte): next hop + 1 of the longest route covering
 *   that address (of any length 1..32), or 0: take the default route.
 * </pre>
 * The default route (/0) lives in a field, not in the first level: a table with a default route and a
 * few prefixes commits a few pages, not 32 MB. Memory is anonymous (MAP_NORESERVE), so untouched
 * ranges cost nothing: an empty table or one with only a default route commits no page, a /8 commits
 * 128 KB, a /24 one 4 KB page; 100,000 prefixes spread over the address space commit the whole first
 * level (32 MB) plus 512 bytes per group in use.
 *
 * <h2>Updates</h2>
 * The control thread keeps the routes in a binary trie on heap ({@link PrefixTrie}). Adding or
 * removing a prefix of length {@code n <= 24} recomputes its own range only (2^(24 - n) first-level
 * entries, keeping what more specific routes inside it decide); a longer prefix recomputes its /24's
 * entry and group. Only entries whose value changes are stored, each with one 16-bit release store,
 * so a lookup that races an update reads either the old or the new value of its entry: the old or
 * the new answer. A new group is filled completely before the release store of the first-level entry
 * that points at it; a group that is no longer pointed at is quarantined before reuse
 * ({@link GroupPool}).
 *
 * <h2>Threads</h2>
 * Any number of forwarding threads may {@link #lookup} at once while one control thread calls the
 * other methods. Lookups take no lock, allocate nothing and throw nothing. {@link #close()} frees the
 * memory and must be called only after every thread has stopped using the table.
 */
public final class Ipv4RouteTable implements AutoCloseable
{
    /** {@link #lookup}: no route covers the address. */
    public static final int NO_ROUTE = -1;
    /** Largest next hop: the 15 low bits of an entry hold next hop + 1. */
    public static final int MAX_NEXT_HOP = 0x7FFE;
    /** Most second-level groups: a first-level entry has 15 bits of group index. */
    public static final int MAX_GROUPS = 1 << 15;
    /** Groups of a table made without a count: 4 MB reserved, 512 bytes committed per group in use. */
    public static final int DEFAULT_GROUPS = 8192;

    static final long QUARANTINE_NS = TimeUnit.SECONDS.toNanos(1);

    private static final int FIRST_LEVEL_ENTRIES = 1 << 24;
    private static final int FIRST_LEVEL_DEPTH = 24;
    private static final int GROUP_FLAG = 0x8000;
    private static final int GROUP_INDEX_MASK = 0x7FFF;
    private static final int GROUP_SHIFT = 9;
    private static final int ENTRY_SHIFT = 1;

    private final MappedMemory firstLevel;
    private final MappedMemory groups;
    private final GroupPool pool;
    private final PrefixTrie routes = new PrefixTrie();
    private volatile int defaultNextHop = NO_ROUTE;
    private boolean closed;

    /**
     * A table with {@link #DEFAULT_GROUPS} second-level groups.
     */
    public Ipv4RouteTable()
    {
        this(DEFAULT_GROUPS);
    }

    /**
     * @param maxGroups second-level groups, 1..{@link #MAX_GROUPS}: how many /24s may hold routes
     *                  longer than /24 at once.
     */
    public Ipv4RouteTable(final int maxGroups)
    {
        this(maxGroups, QUARANTINE_NS);
    }

    Ipv4RouteTable(final int maxGroups, final long quarantineNs)
    {
        if (maxGroups < 1 || maxGroups > MAX_GROUPS)
        {
            throw new IllegalArgumentException("maxGroups must be 1.." + MAX_GROUPS + ": " + maxGroups);
        }
        firstLevel = MappedMemory.mapAnonymous((long)FIRST_LEVEL_ENTRIES << ENTRY_SHIFT);
        try
        {
            groups = MappedMemory.mapAnonymous((long)maxGroups << GROUP_SHIFT);
        }
        catch (final RuntimeException ex)
        {
            firstLevel.close();
            throw ex;
        }
        pool = new GroupPool(maxGroups, quarantineNs);
    }

    /**
     * The next hop of the longest route covering {@code address}. Forwarding path: no allocation, no
     * lock, no exception.
     *
     * @param address big-endian valued: 10.0.0.1 is {@code 0x0A000001}.
     * @return the next hop, or {@link #NO_ROUTE}.
     */
    public int lookup(final int address)
    {
        int entry = firstLevel.getShortAcquire((long)(address >>> 8) << ENTRY_SHIFT) & 0xFFFF;
        if (entry >= GROUP_FLAG)
        {
            entry = groups.getShort(groupOffset(entry & GROUP_INDEX_MASK, address & 0xFF)) & 0xFFFF;
        }
        return 0 == entry ? defaultNextHop : entry - 1;
    }

    /**
     * Add a route, or replace the next hop of the route with the same prefix and length. Control
     * thread only.
     *
     * @param prefix  big-endian valued, the bits beyond {@code length} zero.
     * @param length  0..32.
     * @param nextHop 0..{@link #MAX_NEXT_HOP}.
     * @throws IllegalArgumentException for a length or next hop out of range, or host bits set.
     * @throws IllegalStateException    if the route needs a second-level group and all are in use;
     *                                  the table is unchanged.
     */
    public void add(final int prefix, final int length, final int nextHop)
    {
        checkPrefix(prefix, length);
        if (nextHop < 0 || nextHop > MAX_NEXT_HOP)
        {
            throw new IllegalArgumentException("next hop must be 0.." + MAX_NEXT_HOP + ": " + nextHop);
        }
        if (length > FIRST_LEVEL_DEPTH && !isGroup(entry(prefix >>> 8)) && !pool.canTake())
        {
            throw new IllegalStateException("all " + pool.inUse() + " second-level groups are in use: " +
                "cannot add " + Ipv4Prefixes.format(prefix, length) + ", make the table with more groups");
        }

        routes.put(prefix, length, nextHop + 1);
        if (0 == length)
        {
            defaultNextHop = nextHop;
        }
        else
        {
            rewrite(prefix, length);
        }
    }

    /**
     * Remove a route. Control thread only.
     *
     * @param prefix big-endian valued, the bits beyond {@code length} zero.
     * @param length 0..32.
     * @return whether the route was there.
     * @throws IllegalArgumentException for a length out of range or host bits set.
     */
    public boolean remove(final int prefix, final int length)
    {
        checkPrefix(prefix, length);
        if (!routes.remove(prefix, length))
        {
            return false;
        }
        if (0 == length)
        {
            defaultNextHop = NO_ROUTE;
        }
        else
        {
            rewrite(prefix, length);
        }
        return true;
    }

    /**
     * @return the number of routes. Control thread only.
     */
    public int size()
    {
        return routes.size();
    }

    /**
     * Give every route to {@code consumer}, in prefix order, a shorter prefix before the longer ones
     * it covers. Control thread only.
     */
    public void forEach(final RouteConsumer consumer)
    {
        routes.forEach(consumer);
    }

    /**
     * @return second-level groups in use.
     */
    int groupsInUse()
    {
        return pool.inUse();
    }

    /**
     * @return bytes of the table's off-heap memory committed now.
     */
    long residentBytes()
    {
        return firstLevel.residentBytes() + groups.residentBytes();
    }

    /**
     * Free the memory. Only once no thread uses the table; after it, every method but this one throws
     * {@link IllegalStateException} or worse.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            firstLevel.close();
            groups.close();
        }
    }

    // Rewriting a range from the trie.

    private void rewrite(final int prefix, final int length)
    {
        final int depth = Math.min(length, FIRST_LEVEL_DEPTH);
        final int rangePrefix = prefix & mask(depth);
        writeFirstLevel(routes.node(rangePrefix, depth), depth, rangePrefix, routes.coveringHop(rangePrefix, depth));
    }

    /**
     * Write the first-level entries of {@code prefix/depth} (depth 1..24) from the trie node of that
     * prefix, given the encoded next hop of the longest shorter route covering it.
     */
    private void writeFirstLevel(final int node, final int depth, final int prefix, final int coveringHop)
    {
        final int hop = 0 != routes.hop(node) ? routes.hop(node) : coveringHop;
        if (FIRST_LEVEL_DEPTH == depth)
        {
            writeSlash24(prefix >>> 8, node, hop);
        }
        else if (NIL == node || !routes.hasChildren(node))
        {
            final int first = prefix >>> 8;
            final int end = first + (1 << (FIRST_LEVEL_DEPTH - depth));
            for (int index = first; index < end; index++)
            {
                setPlain(index, hop);
            }
        }
        else
        {
            writeFirstLevel(routes.child(node, 0), depth + 1, prefix, hop);
            writeFirstLevel(routes.child(node, 1), depth + 1, prefix | (1 << (31 - depth)), hop);
        }
    }

    private void writeSlash24(final int index, final int node, final int hop)
    {
        if (NIL == node || !routes.hasChildren(node))
        {
            setPlain(index, hop);
            return;
        }
        final int entry = entry(index);
        if (isGroup(entry))
        {
            writeGroup(entry & GROUP_INDEX_MASK, node, FIRST_LEVEL_DEPTH, 0, hop);
        }
        else
        {
            final int group = pool.take();
            writeGroup(group, node, FIRST_LEVEL_DEPTH, 0, hop);
            firstLevel.putShortRelease(firstOffset(index), (short)(GROUP_FLAG | group));
        }
    }

    /**
     * Write the entries of a group for the subtree of {@code node} at {@code depth} (24..32), whose
     * first entry in the group is {@code low}.
     */
    private void writeGroup(final int group, final int node, final int depth, final int low, final int coveringHop)
    {
        final int hop = 0 != routes.hop(node) ? routes.hop(node) : coveringHop;
        if (NIL == node || !routes.hasChildren(node))
        {
            final int end = low + (1 << (32 - depth));
            for (int entry = low; entry < end; entry++)
            {
                final long offset = groupOffset(group, entry);
                if ((groups.getShort(offset) & 0xFFFF) != hop)
                {
                    groups.putShortRelease(offset, (short)hop);
                }
            }
        }
        else
        {
            writeGroup(group, routes.child(node, 0), depth + 1, low, hop);
            writeGroup(group, routes.child(node, 1), depth + 1, low | (1 << (31 - depth)), hop);
        }
    }

    /**
     * Store a next hop (encoded) into a first-level entry if it holds something else; a group it
     * pointed at goes to quarantine. Storing only changes keeps untouched pages uncommitted.
     */
    private void setPlain(final int index, final int hop)
    {
        final int entry = entry(index);
        if (entry != hop)
        {
            firstLevel.putShortRelease(firstOffset(index), (short)hop);
            if (isGroup(entry))
            {
                pool.retire(entry & GROUP_INDEX_MASK);
            }
        }
    }

    private int entry(final int index)
    {
        if (closed)
        {
            throw new IllegalStateException("the route table is closed");
        }
        return firstLevel.getShort(firstOffset(index)) & 0xFFFF;
    }

    private static boolean isGroup(final int entry)
    {
        return entry >= GROUP_FLAG;
    }

    private static long firstOffset(final int index)
    {
        return (long)index << ENTRY_SHIFT;
    }

    private static long groupOffset(final int group, final int low)
    {
        return ((long)group << GROUP_SHIFT) | ((long)low << ENTRY_SHIFT);
    }

    private static int mask(final int length)
    {
        return 0 == length ? 0 : -1 << (32 - length);
    }

    private void checkPrefix(final int prefix, final int length)
    {
        if (closed)
        {
            throw new IllegalStateException("the route table is closed");
        }
        if (length < 0 || length > 32)
        {
            throw new IllegalArgumentException("prefix length must be 0..32: " + length);
        }
        if ((prefix & ~mask(length)) != 0)
        {
            throw new IllegalArgumentException(
                "host bits set in " + Ipv4Prefixes.format(prefix, length) + ": the prefix is " +
                Ipv4Prefixes.format(prefix & mask(length), length));
        }
    }
}
