package io.vireo.dataplane.buffer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameBurstTest
{
    @Test
    void framesSitAfterTheHeadroomOfTheirSlots()
    {
        final FrameBurst burst = new FrameBurst(4, 2048, 128);
        assertEquals(1920, burst.frameCapacity());
        assertEquals(128, burst.nextFrameOffset());
        assertEquals(0, burst.buffer().addressOffset() % 64, "slots are cache-line aligned");

        burst.commit(60);
        burst.commit(1514);
        assertEquals(2, burst.size());
        assertEquals(2048 + 128, burst.frameOffset(1));
        assertEquals(burst.buffer().addressOffset() + 2048 + 128, burst.frameAddress(1));
        assertEquals(1514, burst.frameLength(1));
        assertEquals(2 * 2048 + 128, burst.nextFrameOffset());

        burst.commit(1);
        burst.commit(1);
        assertTrue(burst.isFull());
        burst.clear();
        assertFalse(burst.isFull());
        assertEquals(0, burst.size());
    }

    @Test
    void refusesAGeometryThatCannotWork()
    {
        assertThrows(IllegalArgumentException.class, () -> new FrameBurst(0, 2048, 128));
        assertThrows(IllegalArgumentException.class, () -> new FrameBurst(4, 3000, 128));
        assertThrows(IllegalArgumentException.class, () -> new FrameBurst(4, 2048, 2048));
    }
}
