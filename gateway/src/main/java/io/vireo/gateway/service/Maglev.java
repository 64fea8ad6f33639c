package io.vireo.gateway.service;

import java.util.Arrays;

/**
 * Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
 * Balancer", NSDI 2016, section 3.4): a lookup table of a prime size M in which every backend owns about
 * M / N entries, filled so that removing one of N backends moves only the entries it owned (about 1/N
 * of flows) and every table built from the same backends is the same, whatever order they were given
 * in (they are sorted by key first) and whichever gateway builds it.
 * <p>
 * Each backend has a permutation of the entries, {@code (offset + j * skip) mod M} with offset and
 * skip from two hashes of its key; the backends take turns, each claiming the next entry of its
 * permutation that is still free, until the table is full.
 */
public final class Maglev
{
    /** The table size unless a larger one is asked for: a prime, about 65 entries per backend at 1,000 backends. */
    public static final int DEFAULT_TABLE_SIZE = 65_537;
    /** The table of {@link #build} when there is no backend: every lookup misses. */
    public static final int NO_BACKEND = -1;

    private static final long OFFSET_SEED = 0x5851_F42D_4C95_7F2DL;
    private static final long SKIP_SEED = 0x1405_7B7E_F767_814FL;

    private Maglev()
    {
    }

    /**
     * @param keys      one key per backend (address and port, say), distinct.
     * @param tableSize a prime larger than the number of backends.
     * @return the table: for each entry the index into {@code keys} of the backend that owns it; all
     * {@link #NO_BACKEND} if there is no key.
     */
    public static int[] build(final long[] keys, final int tableSize)
    {
        if (tableSize < 2 || !isPrime(tableSize))
        {
            throw new IllegalArgumentException("the table size must be a prime: " + tableSize);
        }
        if (keys.length >= tableSize)
        {
            throw new IllegalArgumentException(keys.length + " backends need a table larger than " + tableSize);
        }
        final int[] table = new int[tableSize];
        Arrays.fill(table, NO_BACKEND);
        final int count = keys.length;
        if (0 == count)
        {
            return table;
        }
        // Turns go in key order, so the table does not depend on the order the keys came in.
        final Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(keys[a], keys[b]));
        final long[] offsets = new long[count];
        final long[] skips = new long[count];
        final long[] next = new long[count];
        for (int turn = 0; turn < count; turn++)
        {
            final long key = keys[order[turn]];
            offsets[turn] = Long.remainderUnsigned(mix(key ^ OFFSET_SEED), tableSize);
            skips[turn] = Long.remainderUnsigned(mix(key ^ SKIP_SEED), tableSize - 1) + 1;
        }
        int filled = 0;
        while (true)
        {
            for (int turn = 0; turn < count; turn++)
            {
                int entry = (int)((offsets[turn] + next[turn] * skips[turn]) % tableSize);
                while (NO_BACKEND != table[entry])
                {
                    next[turn]++;
                    entry = (int)((offsets[turn] + next[turn] * skips[turn]) % tableSize);
                }
                table[entry] = order[turn];
                next[turn]++;
                if (++filled == tableSize)
                {
                    return table;
                }
            }
        }
    }

    /** A 64-bit finaliser (Stafford's variant 13 of MurmurHash3's): every input bit moves every output bit. */
    public static long mix(final long value)
    {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    static boolean isPrime(final int n)
    {
        if (n < 2)
        {
            return false;
        }
        for (int d = 2; (long)d * d <= n; d++)
        {
            if (0 == n % d)
            {
                return false;
            }
        }
        return true;
    }
}
