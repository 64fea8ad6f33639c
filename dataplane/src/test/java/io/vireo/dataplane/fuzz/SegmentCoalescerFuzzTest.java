package io.vireo.dataplane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.offload.SegmentCoalescer;
import io.vireo.dataplane.offload.SoftwareOffload;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receive-side coalescing (what a VXLAN port does with the inner frames it decapsulates) over arbitrary
 * frames, given as records {@code [length, 2 bytes][frame]}: every frame is taken until the burst is full,
 * no frame comes out longer than its slot or than what went in, and software offload accepts every frame
 * that comes out: a merged GSO frame segments, any other has its checksum completed.
 */
class SegmentCoalescerFuzzTest
{
    private static final int MTU = 1500;
    private static final int SLOT_SIZE = 1 << 17;
    private static final int HEADROOM = 64;
    private static final int RECORD_HEADER_LENGTH = 2;

    private final SegmentCoalescer coalescer = new SegmentCoalescer(MTU);
    private final FrameBurst burst = new FrameBurst(8, SLOT_SIZE, HEADROOM);
    private final SoftwareOffload offload = new SoftwareOffload();
    private final VirtioNetHeaderFlyweight netHeader = new VirtioNetHeaderFlyweight();

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void coalescedFramesStayInTheirSlotsAndSegmentAgain(final byte[] input)
    {
        burst.clear();
        int appended = 0;
        for (int position = 0; position + RECORD_HEADER_LENGTH <= input.length; )
        {
            final int length = Math.min(Math.min((input[position] & 0xFF) << 8 | input[position + 1] & 0xFF,
                input.length - position - RECORD_HEADER_LENGTH), burst.frameCapacity());
            final UnsafeBuffer frame = new UnsafeBuffer(input, position + RECORD_HEADER_LENGTH, length);
            position += RECORD_HEADER_LENGTH + length;
            if (!coalescer.append(frame, 0, length, FrameBurst.NO_PEER, burst))
            {
                assertTrue(burst.isFull(), "a frame is refused only when the burst is full");
                break;
            }
            appended += length;
        }
        coalescer.finish(burst);

        int total = 0;
        for (int index = 0; index < burst.size(); index++)
        {
            final int length = burst.frameLength(index);
            assertTrue(length >= 0 && length <= burst.frameCapacity(), "a frame inside its slot");
            total += length;
            netHeader.wrap(burst.buffer(), burst.netHeaderOffset(index), VirtioNetHeaderFlyweight.LENGTH);
            final boolean accepted = netHeader.gsoType() == VirtioNetHeaderFlyweight.GSO_NONE ?
                offload.completeChecksum(burst.buffer(), burst.frameOffset(index), length, netHeader) :
                offload.segment(burst.buffer(), burst.frameOffset(index), length, netHeader, (buffer, offset, segment) ->
                {
                }) > 0;
            assertTrue(accepted, () -> "software offload accepts what coalescing made: a frame of " + length +
                " bytes, gso type " + netHeader.gsoType() + " size " + netHeader.gsoSize());
        }
        assertTrue(total <= appended, "merging only drops repeated headers");
    }
}
