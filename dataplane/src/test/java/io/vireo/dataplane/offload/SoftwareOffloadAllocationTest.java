package io.vireo.dataplane.offload;

import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.testkit.Allocations;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hot path allocates nothing: a 64 KB GSO frame segmented over and over, in {@link Allocations} windows. */
class SoftwareOffloadAllocationTest
{
    private static final int ROUNDS_PER_WINDOW = 20_000 / Allocations.WINDOWS;

    /** Counts what it is given, allocating nothing. */
    private static final class CountingSink implements SegmentSink
    {
        long segments;
        long bytes;

        @Override
        public void onSegment(final MutableDirectBuffer buffer, final int offset, final int length)
        {
            segments++;
            bytes += length;
        }
    }

    @Test
    void segmentingA64KbFrameAllocatesNothing()
    {
        final GsoFrame tcp = GsoFrame.tcp4().payload(0xFFFF - 20 - 32, 1).gsoSize(1448).build();
        final GsoFrame udp = GsoFrame.udp6().vlan(0x8100, 100).payload(0xFFFF - 8, 1).gsoSize(1400).build();
        final UnsafeBuffer tcpFrame = offHeap(tcp.frame());
        final UnsafeBuffer udpFrame = offHeap(udp.frame());
        final VirtioNetHeaderFlyweight tcpHeader = new VirtioNetHeaderFlyweight().wrap(offHeap(tcp.header()), 0, 12);
        final VirtioNetHeaderFlyweight udpHeader = new VirtioNetHeaderFlyweight().wrap(offHeap(udp.header()), 0, 12);
        final SoftwareOffload offload = new SoftwareOffload();
        final CountingSink sink = new CountingSink();
        final long[] rounds = {0};

        Allocations.assertAllocatesNothing(ROUNDS_PER_WINDOW + " x 2 frames", () ->
        {
            for (int i = 0; i < ROUNDS_PER_WINDOW; i++)
            {
                offload.segment(tcpFrame, 0, tcp.frame().length, tcpHeader, sink);
                offload.segment(udpFrame, 0, udp.frame().length, udpHeader, sink);
            }
            rounds[0] += ROUNDS_PER_WINDOW;
            return sink.segments;
        });

        final long tcpSegments = (0xFFFF - 20 - 32 + 1447) / 1448;
        final long udpSegments = (0xFFFF - 8 + 1399) / 1400;
        assertEquals(rounds[0] * (tcpSegments + udpSegments), sink.segments);
        final int headers = 66; // 14 + 20 + 32 for TCP over IPv4, 18 + 40 + 8 for UDP over IPv6 and a VLAN
        final long bytesPerRound =
            tcp.frame().length + (tcpSegments - 1) * headers + udp.frame().length + (udpSegments - 1) * headers;
        assertEquals(rounds[0] * bytesPerRound, sink.bytes, "every segment carries its own copy of the headers");
    }

    private static UnsafeBuffer offHeap(final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(BitUtil.align(bytes.length, 64), 64));
        buffer.putBytes(0, bytes);
        return new UnsafeBuffer(buffer, 0, bytes.length);
    }
}
