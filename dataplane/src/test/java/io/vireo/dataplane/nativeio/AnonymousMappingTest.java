package io.vireo.dataplane.nativeio;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link MappedMemory#mapAnonymous}: zero-filled, committed only where written, bounds checked.
 */
class AnonymousMappingTest
{
    private static final long MB = 1 << 20;

    @Test
    void isZeroAndCommitsOnlyThePagesWritten()
    {
        assumeTrue(Native.isAvailable(), Native::unavailableReason);
        try (MappedMemory memory = MappedMemory.mapAnonymous(64 * MB))
        {
            assertEquals(0, memory.residentBytes());
            memory.putLongRelease(8, 0x0102_0304_0506_0708L);
            memory.putShortRelease(32 * MB, (short)7);
            final long resident = memory.residentBytes();
            assertTrue(resident > 0 && resident <= 2 * 64 * 1024, "two pages written, resident " + resident);

            assertEquals(0x0102_0304_0506_0708L, memory.getLongAcquire(8));
            assertEquals(7, memory.getShort(32 * MB));
            assertEquals(0, memory.getLong(0));
            assertEquals(0, memory.getShortAcquire(63 * MB));
        }
    }

    @Test
    void checksBounds()
    {
        assumeTrue(Native.isAvailable(), Native::unavailableReason);
        try (MappedMemory memory = MappedMemory.mapAnonymous(4096))
        {
            assertThrows(IndexOutOfBoundsException.class, () -> memory.getLongAcquire(4090));
            assertThrows(IndexOutOfBoundsException.class, () -> memory.putLongRelease(-8, 1));
        }
        assertThrows(IllegalArgumentException.class, () -> MappedMemory.mapAnonymous(0));
    }
}
