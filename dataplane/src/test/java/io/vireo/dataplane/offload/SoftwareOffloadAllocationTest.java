package io.vireo.dataplane.offload;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hot path allocates nothing: a 64 KB GSO frame segmented over and over, the thread's allocated bytes read around it. */
class SoftwareOffloadAllocationTest
{
    private static final int WARM_UP = 20_000;
    private static final int MEASURED = 20_000;

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
        final ThreadMXBean threads = (ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();

        for (int i = 0; i < WARM_UP; i++)
        {
            offload.segment(tcpFrame, 0, tcp.frame().length, tcpHeader, sink);
            offload.segment(udpFrame, 0, udp.frame().length, udpHeader, sink);
        }
        sink.segments = 0;
        sink.bytes = 0;
        threads.getThreadAllocatedBytes(threadId);
        final long before = threads.getThreadAllocatedBytes(threadId);
        for (int i = 0; i < MEASURED; i++)
        {
            offload.segment(tcpFrame, 0, tcp.frame().length, tcpHeader, sink);
            offload.segment(udpFrame, 0, udp.frame().length, udpHeader, sink);
        }
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertEquals(0, allocated, "bytes allocated over " + MEASURED + " x 2 frames");
        final long tcpSegments = (0xFFFF - 20 - 32 + 1447) / 1448;
        final long udpSegments = (0xFFFF - 8 + 1399) / 1400;
        assertEquals(MEASURED * (tcpSegments + udpSegments), sink.segments);
        final int headers = 66; // 14 + 20 + 32 for TCP over IPv4, 18 + 40 + 8 for UDP over IPv6 and a VLAN
        final long bytesPerRound =
            tcp.frame().length + (tcpSegments - 1) * headers + udp.frame().length + (udpSegments - 1) * headers;
        assertEquals(MEASURED * bytesPerRound, sink.bytes, "every segment carries its own copy of the headers");
    }

    private static UnsafeBuffer offHeap(final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(BitUtil.align(bytes.length, 64), 64));
        buffer.putBytes(0, bytes);
        return new UnsafeBuffer(buffer, 0, bytes.length);
    }
}
