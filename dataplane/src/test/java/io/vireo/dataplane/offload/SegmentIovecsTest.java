package io.vireo.dataplane.offload;

import java.util.List;
import java.util.Random;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentIovecsTest
{
    private static final int HEADROOM = 8;
    private static final int MAX_FRAME = 70_000;

    private final SoftwareOffload offload = new SoftwareOffload(SoftwareOffload.DEFAULT_MAX_SEGMENTS, HEADROOM);
    private final SegmentIovecs segments = new SegmentIovecs(offload, SoftwareOffload.DEFAULT_MAX_SEGMENTS);
    /** Native memory: the addresses handed out are a sender's iovecs. */
    private final UnsafeBuffer frames = new UnsafeBuffer(BufferUtil.allocateDirectAligned(GsoFrame.OFFSET + MAX_FRAME, 64));

    @Test
    void eachSegmentIsItsHeadersInTheScratchAndItsPayloadWhereItLiesInTheFrame()
    {
        final Random random = new Random(44);
        for (int n = 0; n < 200; n++)
        {
            final GsoFrame gso = GsoFrame.random(random, 65_000);
            frames.putBytes(GsoFrame.OFFSET, gso.frame());

            final int status = segments.cut(frames, GsoFrame.OFFSET, gso.frame().length, gso.netHeader());

            final List<byte[]> expected = Reference.segment(gso);
            assertEquals(expected.size(), status, "frame " + n);
            assertEquals(status, segments.count(), "frame " + n);
            final long frameStart = frames.addressOffset() + GsoFrame.OFFSET;
            for (int i = 0; i < status; i++)
            {
                final long payload = segments.payloadAddress(i);
                assertTrue(payload >= frameStart && payload + segments.payloadLength(i) <= frameStart + gso.frame().length,
                    "frame " + n + " segment " + i + ": payload outside the frame");
                // The headroom is the sender's: what it writes there leaves the headers as they were.
                new UnsafeBuffer(segments.headerAddress(i), HEADROOM).setMemory(0, HEADROOM, (byte)0xAA);
            }
            for (int i = 0; i < status; i++)
            {
                assertArrayEquals(expected.get(i), gathered(i), "frame " + n + " segment " + i);
            }
        }
    }

    @Test
    void aFrameThatCannotBeCutLeavesNoSegmentsOfTheFrameBefore()
    {
        final GsoFrame good = GsoFrame.tcp4().payload(3000, 1).build();
        frames.putBytes(GsoFrame.OFFSET, good.frame());
        assertTrue(segments.cut(frames, GsoFrame.OFFSET, good.frame().length, good.netHeader()) > 1);

        final GsoFrame truncated = good.withFrameLength(40);
        frames.putBytes(GsoFrame.OFFSET, truncated.frame());
        assertTrue(segments.cut(frames, GsoFrame.OFFSET, truncated.frame().length, truncated.netHeader()) < 0);
        assertEquals(0, segments.count());
    }

    /** Segment {@code i} as a sender's two iovecs put it on the wire, without the headroom. */
    private byte[] gathered(final int i)
    {
        final int headersLength = segments.headerLength(i) - HEADROOM;
        final byte[] packet = new byte[headersLength + segments.payloadLength(i)];
        new UnsafeBuffer(segments.headerAddress(i) + HEADROOM, headersLength).getBytes(0, packet, 0, headersLength);
        new UnsafeBuffer(segments.payloadAddress(i), segments.payloadLength(i))
            .getBytes(0, packet, headersLength, segments.payloadLength(i));
        return packet;
    }
}
