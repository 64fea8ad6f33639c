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
    void portsStopReceivingAtAFullBurstOrOnceItHoldsFourGsoFramesWorth()
    {
        final FrameBurst small = new FrameBurst(32, 2048, 128);
        for (int i = 0; i < 32; i++)
        {
            assertTrue(small.hasReceiveRoom(), "room after " + i + " frames of 1514 bytes");
            small.commit(1514);
        }
        assertFalse(small.hasReceiveRoom(), "no slot left");

        final FrameBurst gso = new FrameBurst(32, 131_072, 128);
        gso.commit(65_000);
        gso.commit(65_000);
        gso.commit(65_000);
        assertTrue(gso.hasReceiveRoom(), "195,000 bytes in three frames");
        gso.commit(65_000);
        assertFalse(gso.hasReceiveRoom(), "260,000 bytes in four frames");
        assertFalse(gso.isFull(), "while slots are left for frames the stages append");
        gso.clear();
        assertTrue(gso.hasReceiveRoom(), "a cleared burst takes frames again");
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
