package io.vireo.flowtable.flowcache;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * Exact-match flow cache in front of the FDB and policy, like Open vSwitch's EMC: a
 * {@link FlowKey} to the action the pipeline resolved for it, valid while the bridge's
 * {@link Generations generation} is the one the action was computed under.
 * <p>
 * <b>One instance per forwarding thread</b>, used only by that thread: nothing here is thread-safe
 * and nothing needs to be. The only shared state it reads is {@link Generations}.
 *
 * <h2>Layout</h2>
 * 2-way set-associative: the key's hash picks a set of two adjacent entries, so a lookup reads one
 * line of metadata and, if a signature matches, one line of key. Off-heap, cache-line aligned, in
 * two regions: {@code capacity} keys of {@link FlowKey#LENGTH} bytes (entry {@code i} at
 * {@code i * 64}), then {@code capacity} metadata records of 16 bytes (entry {@code i} at
 * {@code capacity * 64 + i * 16}), native byte order; 80 bytes per entry, 640 KiB for the default
 * capacity:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |              Generation (-1 for an empty entry)               |  0
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   Signature (low 32 bits of hash)             |  8
 *  +---------------------------------------------------------------+
 *  |                             Action                            | 12
 *  +---------------------------------------------------------------+
 * </pre>
 * A set's two records share a cache line. The set index comes from the hash's high bits and the
 * signature from its low bits, so the signature filters keys that share a set; the full 64-byte key
 * is compared before a hit, so a hash collision can never return another flow's action.
 * <p>
 * The cache reads and writes its own memory by address, with no bounds check per access (checks
 * cost more than the rest of a hit): every address comes from a set index masked to the table's
 * size, so it is in range by construction. A key is checked once, as a whole, against the capacity
 * of the buffer its flyweight wraps (a key wrapped outside its buffer is a programming error and
 * throws {@link IndexOutOfBoundsException}).
 *
 * <h2>Replacement</h2>
 * {@link #insert} overwrites the entry holding the same key if there is one; otherwise it fills an
 * empty or stale way, else evicts the way used less recently (one byte per set remembers the way
 * last hit or filled). A busy flow that hit since the last insert into its set is never the one
 * evicted, so one-packet flows through its set do not push it out as they would in a direct-mapped
 * cache.
 *
 * <h2>Generations</h2>
 * Read the generation with {@link Generations#current} <em>before</em> consulting the FDB and
 * policy, and pass that value to {@link #insert}; see {@link Generations} for why that order makes
 * a change racing with the computation leave the new entry stale rather than wrong.
 */
public final class FlowCache implements AutoCloseable
{
    /** {@link #lookup}: no valid entry for the key. No action may use this value. */
    public static final int MISS = Integer.MIN_VALUE;
    /** A capacity that fits the working set of a busy port, as OVS's EMC. */
    public static final int DEFAULT_CAPACITY = 8192;
    /** Largest capacity. */
    public static final int MAX_CAPACITY = 1 << 24;

    private static final int WAYS = 2;
    private static final int META_LENGTH = 16;
    private static final int GENERATION_OFFSET = 0;
    private static final int SIGNATURE_OFFSET = 8;
    private static final int ACTION_OFFSET = 12;
    private static final int ALIGNMENT = 64;
    private static final long EMPTY = -1;

    private final Generations generations;
    private final int capacity;
    private final int setMask;
    private final ByteBuffer memory;
    private final long keysAddress;
    private final long metaAddress;
    private final byte[] recentWay;
    private long hits;
    private long misses;
    private boolean closed;

    /**
     * @param capacity    entries, a power of two from 2 to {@link #MAX_CAPACITY}.
     * @param generations the switch's generation numbers.
     */
    public FlowCache(final int capacity, final Generations generations)
    {
        if (capacity < WAYS || capacity > MAX_CAPACITY || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException(
                "capacity must be a power of two from " + WAYS + " to " + MAX_CAPACITY + ": " + capacity);
        }

        this.generations = generations;
        this.capacity = capacity;
        final int sets = capacity / WAYS;
        setMask = sets - 1;
        recentWay = new byte[sets];
        memory = ByteBuffer.allocateDirect(capacity * (FlowKey.LENGTH + META_LENGTH) + ALIGNMENT);
        final long address = BufferUtil.address(memory);
        keysAddress = address + (-address & (ALIGNMENT - 1));
        metaAddress = keysAddress + (long)capacity * FlowKey.LENGTH;
        for (int entry = 0; entry < capacity; entry++)
        {
            UnsafeApi.putLong(meta(entry) + GENERATION_OFFSET, EMPTY);
        }
    }

    /**
     * Find the action cached for a key. Forwarding path: no allocation, no lock, no exception.
     *
     * @param key the frame's key.
     * @return the action, or {@link #MISS} if the key has no entry or its entry was computed under
     * an older generation of the key's bridge (or the cache is closed).
     */
    public int lookup(final FlowKey key)
    {
        final MutableDirectBuffer buffer = key.buffer();
        final byte[] array = buffer.byteArray();
        final long base = address(key, buffer);
        if (closed)
        {
            return MISS;
        }

        final long w0 = UnsafeApi.getLong(array, base);
        final long w1 = UnsafeApi.getLong(array, base + 8);
        final long w2 = UnsafeApi.getLong(array, base + 16);
        final long w3 = UnsafeApi.getLong(array, base + 24);
        final long w4 = UnsafeApi.getLong(array, base + 32);
        final long w5 = UnsafeApi.getLong(array, base + 40);
        final long w6 = UnsafeApi.getLong(array, base + 48);
        final long w7 = UnsafeApi.getLong(array, base + 56);
        final long hash = hash(w0, w1, w2, w3, w4, w5, w6, w7);
        final int set = set(hash);
        final int signature = (int)hash;
        final long generation = generations.current(key.bridgeId());

        for (int way = 0; way < WAYS; way++)
        {
            final int entry = set * WAYS + way;
            final long meta = meta(entry);
            if (UnsafeApi.getInt(meta + SIGNATURE_OFFSET) == signature &&
                UnsafeApi.getLong(meta + GENERATION_OFFSET) == generation &&
                keyEquals(entry, w0, w1, w2, w3, w4, w5, w6, w7))
            {
                recentWay[set] = (byte)way;
                hits++;
                return UnsafeApi.getInt(meta + ACTION_OFFSET);
            }
        }

        misses++;
        return MISS;
    }

    /**
     * Cache an action for a key, replacing the key's old entry or another entry of its set.
     * Forwarding path: no allocation, no lock, no exception.
     *
     * @param key        the frame's key.
     * @param action     any value but {@link #MISS}; the cache only stores and returns it.
     * @param generation {@link Generations#current} for the key's bridge, read before the action
     *                   was computed.
     */
    public void insert(final FlowKey key, final int action, final long generation)
    {
        final MutableDirectBuffer buffer = key.buffer();
        final byte[] array = buffer.byteArray();
        final long base = address(key, buffer);
        if (closed)
        {
            return;
        }

        final long w0 = UnsafeApi.getLong(array, base);
        final long w1 = UnsafeApi.getLong(array, base + 8);
        final long w2 = UnsafeApi.getLong(array, base + 16);
        final long w3 = UnsafeApi.getLong(array, base + 24);
        final long w4 = UnsafeApi.getLong(array, base + 32);
        final long w5 = UnsafeApi.getLong(array, base + 40);
        final long w6 = UnsafeApi.getLong(array, base + 48);
        final long w7 = UnsafeApi.getLong(array, base + 56);
        final long hash = hash(w0, w1, w2, w3, w4, w5, w6, w7);
        final int set = set(hash);
        final int signature = (int)hash;

        final int way = wayFor(set, signature, w0, w1, w2, w3, w4, w5, w6, w7);
        final int entry = set * WAYS + way;
        final long keyAddress = keysAddress + (long)entry * FlowKey.LENGTH;
        UnsafeApi.putLong(keyAddress, w0);
        UnsafeApi.putLong(keyAddress + 8, w1);
        UnsafeApi.putLong(keyAddress + 16, w2);
        UnsafeApi.putLong(keyAddress + 24, w3);
        UnsafeApi.putLong(keyAddress + 32, w4);
        UnsafeApi.putLong(keyAddress + 40, w5);
        UnsafeApi.putLong(keyAddress + 48, w6);
        UnsafeApi.putLong(keyAddress + 56, w7);
        final long meta = meta(entry);
        UnsafeApi.putLong(meta + GENERATION_OFFSET, generation);
        UnsafeApi.putInt(meta + SIGNATURE_OFFSET, signature);
        UnsafeApi.putInt(meta + ACTION_OFFSET, action);
        recentWay[set] = (byte)way;
    }

    /**
     * @return lookups that returned an action. The owning thread reads it to publish a counter.
     */
    public long hits()
    {
        return hits;
    }

    /**
     * @return lookups that returned {@link #MISS}, stale entries included.
     */
    public long misses()
    {
        return misses;
    }

    /**
     * @return entries the cache holds.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * @return bytes of off-heap memory the entries take.
     */
    public long memoryBytes()
    {
        return (long)capacity * (FlowKey.LENGTH + META_LENGTH);
    }

    /**
     * Free the off-heap memory. Owning thread; later lookups miss and inserts do nothing.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            BufferUtil.free(memory);
        }
    }

    /**
     * @return the set a key maps to, for tests that need keys sharing a set.
     */
    int setOf(final FlowKey key)
    {
        return set(hash(key.word(0), key.word(1), key.word(2), key.word(3),
            key.word(4), key.word(5), key.word(6), key.word(7)));
    }

    /**
     * The one bounds check of a key read: the flyweight's 64 bytes must lie inside its buffer.
     *
     * @return the address of the key's first byte, relative to {@code buffer.byteArray()}.
     */
    private static long address(final FlowKey key, final MutableDirectBuffer buffer)
    {
        buffer.boundsCheck(key.offset(), FlowKey.LENGTH);
        return buffer.addressOffset() + key.offset();
    }

    /**
     * The way an insert writes: the one holding the key, else an empty or stale one, else the one
     * used less recently.
     */
    private int wayFor(
        final int set, final int signature,
        final long w0, final long w1, final long w2, final long w3,
        final long w4, final long w5, final long w6, final long w7)
    {
        for (int way = 0; way < WAYS; way++)
        {
            final int entry = set * WAYS + way;
            if (UnsafeApi.getInt(meta(entry) + SIGNATURE_OFFSET) == signature &&
                keyEquals(entry, w0, w1, w2, w3, w4, w5, w6, w7))
            {
                return way;
            }
        }
        for (int way = 0; way < WAYS; way++)
        {
            final int entry = set * WAYS + way;
            final long generation = UnsafeApi.getLong(meta(entry) + GENERATION_OFFSET);
            if (EMPTY == generation || generation != generations.current(bridgeIdOf(entry)))
            {
                return way;
            }
        }
        return WAYS - 1 - recentWay[set];
    }

    private int set(final long hash)
    {
        return (int)(hash >>> 32) & setMask;
    }

    private long meta(final int entry)
    {
        return metaAddress + (long)entry * META_LENGTH;
    }

    private int bridgeIdOf(final int entry)
    {
        return UnsafeApi.getShort(keysAddress + (long)entry * FlowKey.LENGTH + FlowKey.BRIDGE_ID_OFFSET) & 0xFFFF;
    }

    private boolean keyEquals(
        final int entry,
        final long w0, final long w1, final long w2, final long w3,
        final long w4, final long w5, final long w6, final long w7)
    {
        final long address = keysAddress + (long)entry * FlowKey.LENGTH;
        return UnsafeApi.getLong(address) == w0 &&
            UnsafeApi.getLong(address + 8) == w1 &&
            UnsafeApi.getLong(address + 16) == w2 &&
            UnsafeApi.getLong(address + 24) == w3 &&
            UnsafeApi.getLong(address + 32) == w4 &&
            UnsafeApi.getLong(address + 40) == w5 &&
            UnsafeApi.getLong(address + 48) == w6 &&
            UnsafeApi.getLong(address + 56) == w7;
    }

    /**
     * Eight independent multiplies the CPU runs in parallel, summed, then one more round so every
     * input bit reaches the high bits that pick the set.
     */
    private static long hash(
        final long w0, final long w1, final long w2, final long w3,
        final long w4, final long w5, final long w6, final long w7)
    {
        long hash = w0 * 0xDA14_0CC9_9837_071DL + w1 * 0xC050_6A98_9C27_DB6BL +
            w2 * 0x5280_1C7F_CE8A_B0E7L + w3 * 0x4A9D_62B4_C70D_A263L +
            w4 * 0x68D7_146D_155A_577BL + w5 * 0x0F0F_C553_4FC4_C9B5L +
            w6 * 0x5F25_1DFA_C1AD_BBB9L + w7 * 0x0498_B775_F94F_4873L;
        hash ^= hash >>> 32;
        return hash * 0x6EED_A61C_8962_8F19L;
    }
}
