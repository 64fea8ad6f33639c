package io.vireo.dataplane.vhost;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Address translation and memory-table validation, with no memory behind them. */
class RegionTableTest
{
    // Two regions as QEMU sends them for a VM with RAM below and above the 4 GiB hole.
    private final RegionTable qemu = RegionTable.of(
        new long[]{0x0L, 0x1_0000_0000L},
        new long[]{0xC000_0000L, 0x4000_0000L},
        new long[]{0x7F00_0000_0000L, 0x7F00_C000_0000L},
        new long[]{0x0L, 0xC000_0000L});

    @Test
    void translatesGuestPhysicalAndUserAddressesPerRegion()
    {
        assertEquals(0, qemu.findGuest(0x1000, 64));
        assertEquals(0x1000, qemu.guestToMapping(0, 0x1000));
        assertEquals(1, qemu.findGuest(0x1_0000_2000L, 64));
        assertEquals(0xC000_2000L, qemu.guestToMapping(1, 0x1_0000_2000L));
        assertEquals(1, qemu.findUser(0x7F00_C000_0010L, 16));
        assertEquals(0xC000_0010L, qemu.userToMapping(1, 0x7F00_C000_0010L));
        assertEquals(0xC000_0000L + 0x4000_0000L, qemu.mappingLength(1));
    }

    @Test
    void rangesMustLieWholeInOneRegion()
    {
        assertEquals(0, qemu.findGuest(0xBFFF_FFC0L, 64), "ends exactly at the region's end");
        assertEquals(-1, qemu.findGuest(0xBFFF_FFC0L, 65), "one byte past it");
        assertEquals(-1, qemu.findGuest(0xC000_0000L, 1), "in the hole");
        assertEquals(-1, qemu.findGuest(0x1_4000_0000L, 0), "just past the last region");
        assertEquals(-1, qemu.findGuest(0x1_0000_0000L, 0x4000_0001L), "longer than the region");
        assertEquals(-1, qemu.findGuest(-1L, 2), "wraps around 2^64");
        assertEquals(-1, qemu.findGuest(0x1000, -1L), "length near 2^64");
        assertEquals(-1, qemu.findUser(0x1000, 16), "a guest address is not a user address");
        assertEquals(0, qemu.findGuest(0, 0), "an empty range at the start");
    }

    @Test
    void rejectsInsaneTables()
    {
        assertRejected(new long[]{}, new long[]{}, new long[]{}, new long[]{});
        assertRejected(new long[9], new long[9], new long[9], new long[9]);
        assertRejected(new long[]{0}, new long[]{0}, new long[]{0}, new long[]{0});
        assertRejected(new long[]{0}, new long[]{-4096}, new long[]{0}, new long[]{0});
        assertRejected(new long[]{0}, new long[]{4096}, new long[]{0}, new long[]{Long.MAX_VALUE - 100});
        assertRejected(new long[]{-4096}, new long[]{8192}, new long[]{0}, new long[]{0});
        assertRejected(new long[]{0}, new long[]{8192}, new long[]{-4096}, new long[]{0});
        assertRejected(new long[]{0, 4096}, new long[]{8192, 4096}, new long[]{0, 0x10000}, new long[]{0, 0});
        assertRejected(new long[]{0, 0x10000}, new long[]{8192, 4096}, new long[]{0x10000, 0x11000}, new long[]{0, 0});
    }

    private static void assertRejected(final long[] guest, final long[] size, final long[] user, final long[] offset)
    {
        final ViolationException thrown =
            assertThrows(ViolationException.class, () -> RegionTable.of(guest, size, user, offset));
        assertEquals(Violation.MEMORY_TABLE, thrown.violation());
    }

    @Test
    void acceptsAdjacentRegionsAndTheTopOfTheAddressSpace()
    {
        final RegionTable table = RegionTable.of(
            new long[]{0, 4096, -4096L}, new long[]{4096, 4096, 4096}, new long[]{0x10000, 0x11000, 0x20000},
            new long[]{0, 0, 0});

        assertEquals(1, table.findGuest(4096, 4096));
        assertEquals(2, table.findGuest(-1L, 1));
        assertTrue(table.toString().contains("guest=0x1000"));
    }
}
