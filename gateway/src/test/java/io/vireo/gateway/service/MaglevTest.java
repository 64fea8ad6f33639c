package io.vireo.gateway.service;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Maglev's promises (NSDI 2016, 3.4): every backend owns about M / N entries, the table does not depend
 * on the order the backends come in, and removing one of N backends moves only the entries it owned.
 */
class MaglevTest
{
    private static final int M = Maglev.DEFAULT_TABLE_SIZE;

    @Test
    void everyBackendOwnsAnEqualShareOfTheTable()
    {
        final long[] keys = keys(100);
        final int[] owned = new int[keys.length];
        for (final int backend : Maglev.build(keys, M))
        {
            owned[backend]++;
        }
        final int least = Arrays.stream(owned).min().orElseThrow();
        final int most = Arrays.stream(owned).max().orElseThrow();
        // The paper's bound: no backend more than one entry above another per round of turns.
        assertTrue(most - least <= 1, "shares from " + least + " to " + most);
    }

    @Test
    void theTableDoesNotDependOnTheOrderOfTheBackends()
    {
        final long[] keys = keys(37);
        final long[] reversed = new long[keys.length];
        for (int i = 0; i < keys.length; i++)
        {
            reversed[keys.length - 1 - i] = keys[i];
        }
        final int[] table = Maglev.build(keys, M);
        final int[] other = Maglev.build(reversed, M);
        final long[] owners = new long[M];
        final long[] otherOwners = new long[M];
        for (int entry = 0; entry < M; entry++)
        {
            owners[entry] = keys[table[entry]];
            otherOwners[entry] = reversed[other[entry]];
        }
        assertArrayEquals(owners, otherOwners);
    }

    @Test
    void removingOneOfNBackendsMovesAboutOneNthOfTheEntries()
    {
        for (final int count : new int[] {10, 100, 1000})
        {
            final long[] keys = keys(count);
            final long[] fewer = Arrays.copyOf(keys, count - 1);
            final int[] before = Maglev.build(keys, M);
            final int[] after = Maglev.build(fewer, M);
            int moved = 0;
            int ownedByRemoved = 0;
            for (int entry = 0; entry < M; entry++)
            {
                if (before[entry] == count - 1)
                {
                    ownedByRemoved++;
                }
                else if (keys[before[entry]] != fewer[after[entry]])
                {
                    moved++;
                }
            }
            final double share = (double)(moved + ownedByRemoved) / M;
            // The removed backend's entries must move; the paper measures others' churn as small.
            assertTrue(share < 2.0 / count + 0.01, count + " backends: " + share + " of entries moved");
            assertTrue(ownedByRemoved >= M / count - 1, "the removed backend owned " + ownedByRemoved);
        }
    }

    @Test
    void anEmptyTableMissesAndBadSizesAreRefused()
    {
        assertTrue(Arrays.stream(Maglev.build(new long[0], 7)).allMatch(entry -> Maglev.NO_BACKEND == entry));
        assertThrows(IllegalArgumentException.class, () -> Maglev.build(keys(3), 8));
        assertThrows(IllegalArgumentException.class, () -> Maglev.build(keys(7), 7));
        assertEquals(7, Maglev.build(keys(3), 7).length);
    }

    private static long[] keys(final int count)
    {
        final long[] keys = new long[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = ServiceView.backendKey(0x0A00_0000 + i, 8080);
        }
        return keys;
    }
}
