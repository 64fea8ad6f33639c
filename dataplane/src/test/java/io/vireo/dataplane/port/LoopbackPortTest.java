package io.vireo.dataplane.port;

import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoopbackPortTest
{
    @Test
    void injectedFramesAreReceivedAndTransmittedFramesDrained()
    {
        final LoopbackPort port = new LoopbackPort("lp0", 1 << 12);
        final FrameBurst burst = new FrameBurst(2, 2048, 64);
        final byte[] first = {1, 2, 3};
        final byte[] second = {4, 5, 6, 7};
        final byte[] third = {8};
        port.inject(first);
        port.inject(second);
        port.inject(third);

        assertEquals(2, port.receive(burst), "no more than the burst holds");
        assertEquals(4, burst.frameLength(1));
        assertEquals(5, burst.buffer().getByte(burst.frameOffset(1) + 1));

        assertEquals(2, port.transmit(burst, new int[] {1, 0}, 2));
        final List<byte[]> out = new ArrayList<>();
        port.drainTransmitted((type, buffer, index, length) ->
        {
            final byte[] frame = new byte[length];
            buffer.getBytes(index, frame);
            out.add(frame);
        });
        assertArrayEquals(second, out.get(0));
        assertArrayEquals(first, out.get(1));

        burst.clear();
        assertEquals(1, port.receive(burst));
    }

    @Test
    void aFullRingRefusesAndTransmitStopsAtTheFirstRefusal()
    {
        final LoopbackPort port = new LoopbackPort("lp0", 1 << 12);
        final byte[] frame = new byte[500];
        int injected = 0;
        while (port.inject(frame))
        {
            injected++;
        }
        assertEquals(8, injected, "4 KiB hold eight 500-byte frames with their 8-byte headers");

        final FrameBurst burst = new FrameBurst(8, 2048, 64);
        port.receive(burst);
        final int sent = port.transmit(burst, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 0}, 9);
        assertTrue(sent > 0 && sent < 9, "the transmit ring fills up: " + sent);
        assertEquals(sent, port.drainTransmitted((type, buffer, index, length) -> assertEquals(500, length)),
            "exactly the frames reported sent were queued");
        assertThrows(IllegalArgumentException.class, () -> port.inject(new byte[513]), "longer than an eighth");
    }
}
