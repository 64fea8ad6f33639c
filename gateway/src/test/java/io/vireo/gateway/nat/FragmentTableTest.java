package io.vireo.gateway.nat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FragmentTable}: entries by datagram, found until they expire; a full window refuses new datagrams
 * and keeps its entries; the stretches sent find duplicates, overlaps and contradicting lengths as the
 * kernel's reassembly does, and free the entry once the datagram is whole.
 */
class FragmentTableTest
{
    private static final int ZONE = 7;
    private static final int A = 0x0A01_0002;
    private static final int X = 0xC000_0202;
    private static final int UDP = 17;

    private final FragmentTable table = new FragmentTable(64);

    @Test
    void anEntryIsFoundByItsWholeKeyUntilItExpires()
    {
        assertEquals(FragmentTable.MISS, table.find(ZONE, A, X, UDP, 1, 0));
        final int slot = table.findOrInsert(ZONE, A, X, UDP, 1, 0);
        assertTrue(slot >= 0);
        assertEquals(FragmentTable.PENDING, table.state(slot));
        assertEquals(slot, table.find(ZONE, A, X, UDP, 1, 10));
        assertEquals(FragmentTable.MISS, table.find(ZONE, A, X, UDP, 2, 10), "another identification");
        assertEquals(FragmentTable.MISS, table.find(ZONE, X, A, UDP, 1, 10), "the other way");
        assertEquals(FragmentTable.MISS, table.find(ZONE, A, X, 6, 1, 10), "another protocol");
        assertEquals(FragmentTable.MISS, table.find(ZONE + 1, A, X, UDP, 1, 10), "another router");

        table.translated(slot, 0xC000_0201, X);
        assertEquals(FragmentTable.TRANSLATED, table.state(slot));
        assertEquals(0xC000_0201, table.translatedSource(slot));
        assertEquals(X, table.translatedDestination(slot));
        assertEquals(1, table.size(10));

        assertEquals(slot, table.find(ZONE, A, X, UDP, 1, FragmentTable.LIFETIME_MS - 1));
        assertEquals(FragmentTable.MISS, table.find(ZONE, A, X, UDP, 1, FragmentTable.LIFETIME_MS), "expired");
        assertEquals(0, table.size(FragmentTable.LIFETIME_MS));
    }

    @Test
    void aFullTableRefusesNewDatagramsKeepsItsEntriesAndTakesNewOnesOnceTheyExpire()
    {
        final FragmentTable small = new FragmentTable(1);
        int inserted = 0;
        for (int id = 0; id < 1_000; id++)
        {
            if (small.findOrInsert(ZONE, A, X, UDP, id, 0) >= 0)
            {
                inserted++;
            }
        }
        assertEquals(FragmentTable.WINDOW, inserted, "one window of slots");
        assertEquals(FragmentTable.FULL, small.findOrInsert(ZONE, A, X, UDP, 5_000, 1));
        for (int id = 0; id < FragmentTable.WINDOW; id++)
        {
            assertNotEquals(FragmentTable.MISS, small.find(ZONE, A, X, UDP, id, 1), "entry " + id + " stays");
        }
        assertTrue(small.findOrInsert(ZONE, A, X, UDP, 5_000, FragmentTable.LIFETIME_MS) >= 0, "room again once they expire");
    }

    @Test
    void fragmentsInAnyOrderMakeTheDatagramWholeAndFreeTheEntry()
    {
        final int slot = table.findOrInsert(ZONE, A, X, UDP, 1, 0);
        table.translated(slot, A, X);
        assertEquals(FragmentTable.ACCEPTED, table.accept(slot, 0, 1480, false));
        assertEquals(FragmentTable.ACCEPTED, table.accept(slot, 2960, 4008, true));
        assertEquals(FragmentTable.COMPLETE, table.accept(slot, 1480, 2960, false), "the hole filled");
        assertEquals(FragmentTable.MISS, table.find(ZONE, A, X, UDP, 1, 1), "freed at once");
    }

    @Test
    void duplicatesAreRefusedAloneOverlapsAndContradictingLengthsSpoilTheDatagram()
    {
        final int slot = table.findOrInsert(ZONE, A, X, UDP, 1, 0);
        table.translated(slot, A, X);
        assertEquals(FragmentTable.ACCEPTED, table.accept(slot, 0, 1480, false));
        assertEquals(FragmentTable.DUPLICATE, table.accept(slot, 8, 16, false));
        assertEquals(FragmentTable.TRANSLATED, table.state(slot), "a duplicate spoils nothing");
        assertEquals(FragmentTable.OVERLAP, table.accept(slot, 1472, 2952, false));
        assertEquals(FragmentTable.DROPPED, table.state(slot));

        final int other = table.findOrInsert(ZONE, A, X, UDP, 2, 0);
        table.translated(other, A, X);
        assertEquals(FragmentTable.ACCEPTED, table.accept(other, 1480, 2000, true));
        assertEquals(FragmentTable.OVERLAP, table.accept(other, 0, 2960, false), "past the datagram's end");
        assertEquals(FragmentTable.DROPPED, table.state(other));

        final int third = table.findOrInsert(ZONE, A, X, UDP, 3, 0);
        table.translated(third, A, X);
        assertEquals(FragmentTable.ACCEPTED, table.accept(third, 1480, 2960, false));
        assertEquals(FragmentTable.OVERLAP, table.accept(third, 0, 1000, true), "a last fragment before what was sent");
    }

    @Test
    void aDatagramWithTooManyHolesIsDropped()
    {
        final int slot = table.findOrInsert(ZONE, A, X, UDP, 1, 0);
        table.translated(slot, A, X);
        for (int run = 0; run < FragmentTable.MAX_RUNS; run++)
        {
            assertEquals(FragmentTable.ACCEPTED, table.accept(slot, run * 16, run * 16 + 8, false));
        }
        assertEquals(FragmentTable.ACCEPTED, table.accept(slot, 8, 16, false), "fills a hole: one run fewer");
        assertEquals(FragmentTable.ACCEPTED, table.accept(slot, 200, 208, false));
        assertEquals(FragmentTable.TOO_MANY_HOLES, table.accept(slot, 300, 308, false));
        assertEquals(FragmentTable.DROPPED, table.state(slot));
    }
}
