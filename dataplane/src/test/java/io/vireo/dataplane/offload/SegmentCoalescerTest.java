package io.vireo.dataplane.offload;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Segments cut by {@link SoftwareOffload} from GSO frames built the way Linux builds them, coalesced
 * back: the merged frame must be the original GSO frame byte for byte, with the same virtio-net header.
 */
class SegmentCoalescerTest
{
    private static final int PEER = 3;

    private final SoftwareOffload offload = new SoftwareOffload();
    private static final int MTU = 1500;

    private final SegmentCoalescer coalescer = new SegmentCoalescer(MTU);
    private final FrameBurst burst = new FrameBurst(8, 131_072, 64);

    @Test
    void segmentsOfOneIpv4GsoFrameBecomeThatFrameAgain()
    {
        assertRoundTrip(GsoFrame.tcp4().payload(60_000, 7).gsoSize(1398).build());
    }

    @Test
    void segmentsOfOneIpv6GsoFrameBecomeThatFrameAgain()
    {
        assertRoundTrip(GsoFrame.tcp6().payload(30_000, 8).gsoSize(1428).build());
    }

    @Test
    void aFrameThatWouldPassTheIpLengthLimitEndsAndTheNextStarts()
    {
        final List<byte[]> segments = new ArrayList<>(segments(GsoFrame.tcp4().tcpFlags(0x10).payload(60_000, 1).gsoSize(1000).build()));
        segments.addAll(segments(GsoFrame.tcp4().tcpFlags(0x10).sequence(0x1000_0000 + 60_000).payload(10_000, 2).gsoSize(1000).build()));
        appendAll(segments);

        assertEquals(2, burst.size());
        final int packet = burst.frameLength(0) - 14;
        assertTrue(packet <= 65_535 && packet > 65_535 - 1000, "the first frame grows as close to 64 KB as segments allow: " + packet);
        assertEquals(70_000, payload(0) + payload(1));
    }

    @Test
    void aSegmentWithABadChecksumIsPassedOnAloneAndUnchanged()
    {
        final List<byte[]> segments = segments(GsoFrame.tcp4().payload(5_000, 3).gsoSize(1000).build());
        final byte[] damaged = segments.get(2).clone();
        damaged[damaged.length - 1] ^= 0x40;
        segments.set(2, damaged);
        appendAll(segments);

        assertEquals(3, burst.size(), "segments 0-1 merged, the damaged one alone, then 3-4 merged");
        assertArrayEquals(damaged, frame(1));
        assertEquals(0L, burst.buffer().getLong(burst.netHeaderOffset(1)), "no offload asked for the damaged segment");
    }

    @Test
    void aDamagedFirstSegmentIsNotHiddenByAMerge()
    {
        final List<byte[]> segments = segments(GsoFrame.tcp4().payload(3_000, 3).gsoSize(1000).build());
        final byte[] damaged = segments.get(0).clone();
        damaged[60] ^= 0x01;
        segments.set(0, damaged);
        appendAll(segments);

        assertEquals(2, burst.size());
        assertArrayEquals(damaged, frame(0));
    }

    @Test
    void aGapInTheSequenceStartsAFrame()
    {
        final List<byte[]> segments = segments(GsoFrame.tcp4().payload(4_000, 3).gsoSize(1000).build());
        segments.remove(1);
        appendAll(segments);

        assertEquals(2, burst.size());
        assertEquals(1000, payload(0));
        assertEquals(2000, payload(1));
    }

    @Test
    void anotherFlowOrAnotherPeerStartsAFrame()
    {
        final List<byte[]> segments = segments(GsoFrame.tcp4().payload(3_000, 3).gsoSize(1000).build());
        assertTrue(append(segments.get(0), PEER));
        assertTrue(append(segments.get(1), PEER + 1));
        final byte[] otherPort = segments.get(2).clone();
        otherPort[14 + 20 + 1] ^= 1;
        assertTrue(append(otherPort, PEER + 1));
        coalescer.finish(burst);

        assertEquals(3, burst.size());
        assertEquals(PEER + 1, burst.peer(2));
        for (int i = 0; i < 3; i++)
        {
            assertEquals(0L, burst.buffer().getLong(burst.netHeaderOffset(i)));
        }
    }

    @Test
    void pushEndsAFrameAndAShorterSegmentDoesToo()
    {
        final List<byte[]> first = segments(GsoFrame.tcp4().payload(2_500, 3).gsoSize(1000).build());
        final List<byte[]> second = segments(GsoFrame.tcp4().sequence(0x1000_0000 + 2_500).payload(2_000, 4).gsoSize(1000).build());
        appendAll(concat(first, second));

        assertEquals(2, burst.size(), "the first frame's last segment is short and has PSH");
        assertEquals(0x18, burst.buffer().getByte(burst.frameOffset(0) + 14 + 20 + 13), "PSH kept");
        assertEquals(2_500, payload(0));
        assertEquals(2_000, payload(1));
    }

    @Test
    void nonTcpFramesGoAloneAndUnchanged()
    {
        final List<byte[]> udp = segments(GsoFrame.udp4().payload(3_000, 3).gsoSize(1000).build());
        appendAll(udp);

        assertEquals(3, burst.size());
        for (int i = 0; i < 3; i++)
        {
            assertArrayEquals(udp.get(i), frame(i));
        }
    }

    @Test
    void aFullBurstRefusesAFrameThatNeedsASlotAndTakesOneThatJoins()
    {
        final FrameBurst small = new FrameBurst(1, 131_072, 64);
        final List<byte[]> segments = segments(GsoFrame.tcp4().payload(3_000, 3).gsoSize(1000).build());
        final List<byte[]> udp = segments(GsoFrame.udp4().payload(100, 3).gsoSize(1000).build());
        assertTrue(coalescer.append(new UnsafeBuffer(segments.get(0)), 0, segments.get(0).length, PEER, small));
        assertTrue(coalescer.append(new UnsafeBuffer(segments.get(1)), 0, segments.get(1).length, PEER, small));
        assertFalse(coalescer.append(new UnsafeBuffer(udp.get(0)), 0, udp.get(0).length, PEER, small));
        coalescer.finish(small);

        assertEquals(1, small.size());
        assertEquals(2_000, small.frameLength(0) - 66);
    }

    @Test
    void segmentsWithTheSendersOffloadedChecksumMergeAsVerifiedOnesDo()
    {
        final GsoFrame gso = GsoFrame.tcp4().payload(20_000, 5).gsoSize(1398).build();
        final List<byte[]> segments = segments(gso);
        segments.replaceAll(SegmentCoalescerTest::withOffloadedChecksum);
        appendAll(segments);

        assertEquals(1, burst.size());
        assertArrayEquals(gso.frame(), frame(0));
    }

    @Test
    void aLoneTcpOrUdpFrameWithAnOffloadedChecksumAsksItsReceiverToFillItIn()
    {
        final byte[] tcp = withOffloadedChecksum(segments(GsoFrame.tcp4().payload(100, 5).build()).get(0));
        final byte[] udp = withOffloadedChecksum(segments(GsoFrame.udp4().payload(100, 5).build()).get(0));
        final byte[] verified = segments(GsoFrame.tcp4().payload(100, 6).build()).get(0);
        assertTrue(append(tcp, PEER));
        assertTrue(append(udp, PEER));
        assertTrue(append(verified, PEER));
        coalescer.finish(burst);

        assertEquals(3, burst.size());
        assertArrayEquals(tcp, frame(0), "the frame itself is left alone");
        assertArrayEquals(udp, frame(1));
        assertNeedsChecksum(0, 34, 16);
        assertNeedsChecksum(1, 34, 6);
        assertEquals(0L, burst.buffer().getLong(burst.netHeaderOffset(2)), "a complete checksum asks for nothing");
    }

    @Test
    void aWholeGsoFrameHandedOverAsOneFrameBecomesAGsoFrameCutAtTheMtu()
    {
        final GsoFrame gso = GsoFrame.tcp4().payload(30_000, 9).gsoSize(1398).build();
        assertTrue(append(gso.frame(), PEER));
        final GsoFrame damaged = GsoFrame.tcp4().payload(30_000, 9).gsoSize(1398).noChecksumOffload().build();
        assertTrue(append(damaged.frame(), PEER));
        coalescer.finish(burst);

        assertEquals(2, burst.size());
        assertArrayEquals(gso.frame(), frame(0), "its checksum field holds the pseudo-header sum already");
        final VirtioNetHeaderFlyweight header =
            new VirtioNetHeaderFlyweight().wrap(burst.buffer(), burst.netHeaderOffset(0), FrameBurst.NET_HEADER_LENGTH);
        assertEquals(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, header.flags());
        assertEquals(VirtioNetHeaderFlyweight.GSO_TCPV4, header.gsoType());
        assertEquals(MTU - 20 - 32, header.gsoSize());
        assertEquals(14 + 20 + 32, header.hdrLen());
        assertEquals(34, header.csumStart());
        assertEquals(16, header.csumOffset());
        assertArrayEquals(damaged.frame(), frame(1));
        assertEquals(0L, burst.buffer().getLong(burst.netHeaderOffset(1)), "one whose checksum is wrong goes on as it came");
    }

    @Test
    void aWholeGsoFrameWithADamagedIpHeaderGoesOnAsItCame()
    {
        // Caught by VtepReceiverFuzzTest's checks of GSO frames: the TCP checksum does not cover the TTL,
        // and segmenting wrote a right IP header checksum over the damaged TTL into every segment.
        final byte[] damaged = GsoFrame.tcp4().payload(30_000, 9).gsoSize(1398).build().frame().clone();
        damaged[14 + 8] ^= 0x01;
        assertTrue(append(damaged, PEER));
        coalescer.finish(burst);

        assertEquals(1, burst.size());
        assertArrayEquals(damaged, frame(0));
        assertEquals(0L, burst.buffer().getLong(burst.netHeaderOffset(0)), "no offload asked for a damaged frame");
    }

    @Test
    void noMoreSegmentsMergeThanSoftwareSegmentationCuts()
    {
        final int max = SoftwareOffload.DEFAULT_MAX_SEGMENTS;
        final int first = 10 * (max - 24);
        final List<byte[]> segments =
            new ArrayList<>(segments(GsoFrame.tcp4().tcpFlags(0x10).payload(first, 1).gsoSize(10).build()));
        segments.addAll(segments(
            GsoFrame.tcp4().tcpFlags(0x10).sequence(0x1000_0000 + first).payload(500, 2).gsoSize(10).build()));
        appendAll(segments);

        assertEquals(2, burst.size(), "a frame of " + max + " segments, then one of the 26 left");
        assertEquals(10 * max, payload(0));
        final VirtioNetHeaderFlyweight header =
            new VirtioNetHeaderFlyweight().wrap(burst.buffer(), burst.netHeaderOffset(0), FrameBurst.NET_HEADER_LENGTH);
        assertEquals(max, offload.segment(burst.buffer(), burst.frameOffset(0), burst.frameLength(0), header,
            new CollectingSink()));
    }

    private void assertNeedsChecksum(final int index, final int start, final int offset)
    {
        final VirtioNetHeaderFlyweight header =
            new VirtioNetHeaderFlyweight().wrap(burst.buffer(), burst.netHeaderOffset(index), FrameBurst.NET_HEADER_LENGTH);
        assertEquals(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, header.flags());
        assertEquals(VirtioNetHeaderFlyweight.GSO_NONE, header.gsoType());
        assertEquals(start, header.csumStart());
        assertEquals(offset, header.csumOffset());
    }

    /** An IPv4 TCP or UDP frame as a sender that offloads its checksum leaves it: the pseudo-header sum in the field. */
    private static byte[] withOffloadedChecksum(final byte[] segment)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(segment.clone());
        final int protocol = frame.getByte(23);
        final int l4Length = segment.length - 34;
        final long pseudo = io.vireo.dataplane.headers.Checksums.ipv4PseudoHeaderSum(
            frame.getInt(26, java.nio.ByteOrder.BIG_ENDIAN), frame.getInt(30, java.nio.ByteOrder.BIG_ENDIAN), protocol, l4Length);
        frame.putShort(34 + (6 == protocol ? 16 : 6), (short)io.vireo.dataplane.headers.Checksums.fold(pseudo),
            java.nio.ByteOrder.BIG_ENDIAN);
        return frame.byteArray();
    }

    private void assertRoundTrip(final GsoFrame gso)
    {
        appendAll(segments(gso));

        assertEquals(1, burst.size());
        assertEquals(PEER, burst.peer(0));
        assertArrayEquals(gso.frame(), frame(0));
        final VirtioNetHeaderFlyweight expected = gso.netHeader();
        final VirtioNetHeaderFlyweight actual =
            new VirtioNetHeaderFlyweight().wrap(burst.buffer(), burst.netHeaderOffset(0), FrameBurst.NET_HEADER_LENGTH);
        assertEquals(expected.flags(), actual.flags());
        assertEquals(expected.gsoType(), actual.gsoType());
        assertEquals(expected.gsoSize(), actual.gsoSize());
        assertEquals(expected.csumStart(), actual.csumStart());
        assertEquals(expected.csumOffset(), actual.csumOffset());
        assertEquals(expected.csumStart() + 32, actual.hdrLen(), "headers up to the TCP options' end");
    }

    private List<byte[]> segments(final GsoFrame gso)
    {
        final CollectingSink sink = new CollectingSink();
        final int count = offload.segment(gso.buffer(), GsoFrame.OFFSET, gso.frame().length, gso.netHeader(), sink);
        assertTrue(count >= 1, "status " + count);
        return new ArrayList<>(sink.segments);
    }

    private void appendAll(final List<byte[]> segments)
    {
        for (final byte[] segment : segments)
        {
            assertTrue(append(segment, PEER));
        }
        coalescer.finish(burst);
    }

    private boolean append(final byte[] segment, final int peer)
    {
        final UnsafeBuffer source = new UnsafeBuffer(new byte[segment.length + 5]);
        source.putBytes(5, segment);
        return coalescer.append(source, 5, segment.length, peer, burst);
    }

    private byte[] frame(final int index)
    {
        final byte[] bytes = new byte[burst.frameLength(index)];
        burst.buffer().getBytes(burst.frameOffset(index), bytes);
        return bytes;
    }

    /** TCP payload bytes of frame {@code index}, for IPv4 with the builder's 12 bytes of TCP options. */
    private int payload(final int index)
    {
        return burst.frameLength(index) - 14 - 20 - 32;
    }

    private static List<byte[]> concat(final List<byte[]> a, final List<byte[]> b)
    {
        final List<byte[]> all = new ArrayList<>(a);
        all.addAll(b);
        return Arrays.asList(all.toArray(new byte[0][]));
    }
}
