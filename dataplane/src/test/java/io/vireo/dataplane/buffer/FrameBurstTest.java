package io.vireo.dataplane.buffer;

import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
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

    /** A GSO frame takes its headers on the wire once per segment: 64,000 bytes of payload in 1,448-byte segments. */
    @Test
    void theWireLengthOfAGsoFrameCountsEverySegmentsHeaders()
    {
        final FrameBurst burst = new FrameBurst(2, 131072, 128);
        burst.clearNextNetHeader();
        burst.commit(1514);
        assertEquals(1514, burst.wireLength(0), "a plain frame is its length");
        burst.clearNextNetHeader();
        final VirtioNetHeaderFlyweight header = new VirtioNetHeaderFlyweight()
            .wrap(burst.buffer(), burst.netHeaderOffset(1), VirtioNetHeaderFlyweight.LENGTH);
        header.gsoType(VirtioNetHeaderFlyweight.GSO_TCPV4 | VirtioNetHeaderFlyweight.GSO_ECN).hdrLen(66).gsoSize(1448);
        burst.commit(66 + 64_000);
        final long segments = (64_000 + 1447) / 1448;
        assertEquals(66 + 64_000 + (segments - 1) * 66, burst.wireLength(1));
    }
}
