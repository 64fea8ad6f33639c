package io.vireo.dataplane.offload;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.headers.UdpFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_ECN;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_NONE;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_TCPV4;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_TCPV6;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_UDP;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_UDP_L4;
import static io.vireo.dataplane.offload.GsoFrame.OFFSET;
import static io.vireo.dataplane.offload.SoftwareOffload.BAD_CHECKSUM_OFFSETS;
import static io.vireo.dataplane.offload.SoftwareOffload.BAD_GSO_SIZE;
import static io.vireo.dataplane.offload.SoftwareOffload.BAD_HDR_LEN;
import static io.vireo.dataplane.offload.SoftwareOffload.MALFORMED_HEADERS;
import static io.vireo.dataplane.offload.SoftwareOffload.TOO_MANY_SEGMENTS;
import static io.vireo.dataplane.offload.SoftwareOffload.UNSUPPORTED_GSO_TYPE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoftwareOffloadTest
{
    private static final int TCP_FIN = TcpFlyweight.FLAG_FIN;
    private static final int TCP_PSH = TcpFlyweight.FLAG_PSH;
    private static final int TCP_ACK = TcpFlyweight.FLAG_ACK;
    private static final int TCP_ECE = TcpFlyweight.FLAG_ECE;
    private static final int TCP_CWR = TcpFlyweight.FLAG_CWR;
    /** Ethernet 14 + IPv4 20 + TCP 20 with 12 bytes of timestamp option: the builder's default. */
    private static final int TCP4_HEADERS = 14 + 20 + 32;

    private final SoftwareOffload offload = new SoftwareOffload();
    private final CollectingSink sink = new CollectingSink();

    // ---- against the kernel ----

    @ParameterizedTest
    @ValueSource(strings = {"tcp4.txt", "tcp6.txt", "udp4.txt", "udp6.txt"})
    void cutsCapturedFramesExactlyAsTheKernelDid(final String name)
    {
        final GsoFrame.Captured captured = GsoFrame.captured(name);

        assertEquals(captured.kernelSegments().size(), segment(captured.gso()));
        for (int i = 0; i < captured.kernelSegments().size(); i++)
        {
            assertArrayEquals(captured.kernelSegments().get(i), sink.segments.get(i), name + " segment " + i);
        }
    }

    // ---- field by field ----

    @Test
    void cutsTcpOverIpv4()
    {
        final GsoFrame gso = GsoFrame.tcp4().payload(10_000, 3).gsoSize(1448).identification(0x1234)
            .sequence(0x1000_0000).tcpFlags(TCP_ACK | TCP_PSH).build();

        assertEquals(7, segment(gso));

        for (int i = 0; i < 7; i++)
        {
            final byte[] segment = sink.segments.get(i);
            final int payload = i < 6 ? 1448 : 10_000 - 6 * 1448;
            assertEquals(TCP4_HEADERS + payload, segment.length);
            assertArrayEquals(Arrays.copyOf(gso.frame(), 14), Arrays.copyOf(segment, 14), "MACs and EtherType");
            final Ipv4Flyweight ip = new Ipv4Flyweight().wrap(new UnsafeBuffer(segment), 14, segment.length - 14);
            assertTrue(ip.isValid());
            assertEquals(20 + 32 + payload, ip.totalLength());
            assertEquals(0x1234 + i, ip.identification());
            assertTrue(ip.dontFragment());
            assertEquals(64, ip.ttl());
            assertEquals(0x02, ip.ecn(), "ECT(0) kept");
            assertEquals(TcpFlyweight.PROTOCOL, ip.protocol());
            assertTrue(Reference.ipChecksumVerifies(segment), "IPv4 header checksum of segment " + i);
            final TcpFlyweight tcp = new TcpFlyweight().wrap(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
            assertEquals(40000, tcp.sourcePort());
            assertEquals(5201, tcp.destinationPort());
            assertEquals(0x1000_0000 + i * 1448, tcp.sequenceNumber());
            assertEquals(0x2000_0000, tcp.acknowledgmentNumber());
            assertEquals(32, tcp.headerLength());
            assertEquals(i < 6 ? TCP_ACK : TCP_ACK | TCP_PSH, tcp.flags(), "PSH on the last segment only");
            assertEquals(502, tcp.window());
            assertArrayEquals(Arrays.copyOfRange(gso.frame(), 54, 66), Arrays.copyOfRange(segment, 54, 66), "options");
            assertTrue(Reference.l4ChecksumVerifies(segment), "TCP checksum of segment " + i);
            final int from = TCP4_HEADERS + i * 1448;
            assertArrayEquals(Arrays.copyOfRange(gso.frame(), from, from + payload),
                Arrays.copyOfRange(segment, TCP4_HEADERS, segment.length), "payload of segment " + i);
        }
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void cutsTcpOverIpv6()
    {
        final GsoFrame gso = GsoFrame.tcp6().payload(5000, 7).gsoSize(1428).trafficClass(0xB9).build();

        assertEquals(4, segment(gso));

        for (int i = 0; i < 4; i++)
        {
            final byte[] segment = sink.segments.get(i);
            final int payload = i < 3 ? 1428 : 5000 - 3 * 1428;
            final Ipv6Flyweight ip = new Ipv6Flyweight().wrap(new UnsafeBuffer(segment), 14, segment.length - 14);
            assertTrue(ip.isValid());
            assertEquals(32 + payload, ip.payloadLength());
            assertEquals(14 + 40 + 32 + payload, segment.length);
            assertEquals(0xB9, ip.trafficClass());
            assertEquals(0x5_6789, ip.flowLabel());
            assertEquals(64, ip.hopLimit());
            final TcpFlyweight tcp = new TcpFlyweight().wrap(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
            assertEquals(0x1000_0000 + i * 1428, tcp.sequenceNumber());
            assertTrue(Reference.l4ChecksumVerifies(segment), "TCP checksum of segment " + i);
        }
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void cutsUdpOverIpv4()
    {
        final GsoFrame gso = GsoFrame.udp4().payload(5000, 5).gsoSize(1200).identification(0x0100).build();

        assertEquals(5, segment(gso));

        for (int i = 0; i < 5; i++)
        {
            final byte[] segment = sink.segments.get(i);
            final int payload = i < 4 ? 1200 : 200;
            final Ipv4Flyweight ip = new Ipv4Flyweight().wrap(new UnsafeBuffer(segment), 14, segment.length - 14);
            assertEquals(20 + 8 + payload, ip.totalLength());
            assertEquals(0x0100 + i, ip.identification());
            assertTrue(Reference.ipChecksumVerifies(segment));
            final UdpFlyweight udp = new UdpFlyweight().wrap(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
            assertEquals(8 + payload, udp.datagramLength());
            assertEquals(40000, udp.sourcePort());
            assertTrue(Reference.l4ChecksumVerifies(segment), "UDP checksum of segment " + i);
        }
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void cutsUdpOverIpv6()
    {
        final GsoFrame gso = GsoFrame.udp6().payload(3001, 9).gsoSize(1000).build();

        assertEquals(4, segment(gso));

        assertEquals(14 + 40 + 8 + 1, sink.segments.get(3).length, "one byte left for the last");
        for (final byte[] segment : sink.segments)
        {
            final Ipv6Flyweight ip = new Ipv6Flyweight().wrap(new UnsafeBuffer(segment), 14, segment.length - 14);
            assertTrue(ip.isValid());
            assertEquals(segment.length - 14 - 40, ip.payloadLength());
            final UdpFlyweight udp = new UdpFlyweight().wrap(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
            assertEquals(ip.payloadLength(), udp.datagramLength());
            assertTrue(Reference.l4ChecksumVerifies(segment));
        }
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void keepsCwrOnTheFirstSegmentAndFinAndPshOnTheLast()
    {
        final int all = TCP_CWR | TCP_ECE | TCP_ACK | TCP_PSH | TCP_FIN;
        final GsoFrame gso = GsoFrame.tcp4().ecn().tcpFlags(all).payload(4000, 1).gsoSize(1000).build();

        assertEquals(4, segment(gso));

        assertEquals(TCP_CWR | TCP_ECE | TCP_ACK, tcpFlags(sink.segments.get(0)));
        assertEquals(TCP_ECE | TCP_ACK, tcpFlags(sink.segments.get(1)));
        assertEquals(TCP_ECE | TCP_ACK, tcpFlags(sink.segments.get(2)));
        assertEquals(TCP_ECE | TCP_ACK | TCP_PSH | TCP_FIN, tcpFlags(sink.segments.get(3)), "the last is full and keeps FIN");
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void keepsVlanTags()
    {
        final GsoFrame tagged = GsoFrame.tcp4().vlan(0x8100, 0xA064).payload(3000, 1).build();
        final GsoFrame qinq = GsoFrame.udp6().vlan(0x88A8, 0x000A).vlan(0x8100, 0x0014).payload(3000, 1).gsoSize(1400).build();

        assertEquals(3, segment(tagged));
        for (final byte[] segment : sink.segments)
        {
            assertArrayEquals(Arrays.copyOf(tagged.frame(), 18), Arrays.copyOf(segment, 18));
        }
        assertSegmentsEqual(Reference.segment(tagged));

        sink.clear();
        assertEquals(3, segment(qinq));
        for (final byte[] segment : sink.segments)
        {
            assertArrayEquals(Arrays.copyOf(qinq.frame(), 22), Arrays.copyOf(segment, 22));
            assertTrue(Reference.l4ChecksumVerifies(segment));
        }
        assertSegmentsEqual(Reference.segment(qinq));
    }

    @Test
    void copiesIpAndTcpOptionsToEverySegment()
    {
        final String ipOptions = "94040000" + "01010100"; // router alert, NOPs, end of list
        // NOPs and timestamps, a SACK block, end of list and padding: 40 bytes, the most TCP allows
        final String tcpOptions = "0101080a00000001000000020101" + "050a0000000100000002" + "00".repeat(16);
        final GsoFrame gso = GsoFrame.tcp4().ipOptions(ipOptions).tcpOptions(tcpOptions).payload(3000, 1).build();
        final int headers = 14 + 28 + 60;

        assertEquals(3, segment(gso));

        for (final byte[] segment : sink.segments)
        {
            assertArrayEquals(Arrays.copyOfRange(gso.frame(), 34, 42), Arrays.copyOfRange(segment, 34, 42), "IP options");
            assertArrayEquals(Arrays.copyOfRange(gso.frame(), 62, headers), Arrays.copyOfRange(segment, 62, headers),
                "TCP options");
            assertTrue(Reference.ipChecksumVerifies(segment));
            assertTrue(Reference.l4ChecksumVerifies(segment));
        }
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void identificationAndSequenceNumbersWrapAround()
    {
        final GsoFrame gso = GsoFrame.tcp4().identification(0xFFFE).sequence(0xFFFF_FC00).payload(4000, 1).gsoSize(1000).build();

        assertEquals(4, segment(gso));

        final int[] ids = new int[4];
        final int[] sequences = new int[4];
        for (int i = 0; i < 4; i++)
        {
            final ByteBuffer segment = ByteBuffer.wrap(sink.segments.get(i));
            ids[i] = segment.getShort(14 + 4) & 0xFFFF;
            sequences[i] = segment.getInt(14 + 20 + 4);
        }
        assertArrayEquals(new int[] {0xFFFE, 0xFFFF, 0x0000, 0x0001}, ids);
        assertArrayEquals(new int[] {0xFFFF_FC00, 0xFFFF_FFE8, 976, 1976}, sequences, "+1000 each, modulo 2^32");
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void aPayloadOfWholeGsoSizesEndsWithAFullSegment()
    {
        final GsoFrame gso = GsoFrame.tcp6().payload(4 * 1428, 1).gsoSize(1428).build();

        assertEquals(4, segment(gso));

        for (final byte[] segment : sink.segments)
        {
            assertEquals(14 + 40 + 32 + 1428, segment.length);
        }
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void aFrameThatFitsInOneSegmentComesOutWhole()
    {
        final GsoFrame gso = GsoFrame.tcp4().payload(900, 1).gsoSize(1448).tcpFlags(TCP_ACK | TCP_PSH | TCP_FIN).build();

        assertEquals(1, segment(gso));

        assertEquals(gso.frame().length, sink.segments.get(0).length);
        assertEquals(TCP_ACK | TCP_PSH | TCP_FIN, tcpFlags(sink.segments.get(0)));
        assertTrue(Reference.l4ChecksumVerifies(sink.segments.get(0)));
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void aFrameWithoutPayloadComesOutAsOneSegment()
    {
        final GsoFrame gso = GsoFrame.tcp4().payload(0, 1).tcpFlags(TCP_ACK | TCP_FIN).build();

        assertEquals(1, segment(gso));

        assertEquals(TCP4_HEADERS, sink.segments.get(0).length);
        assertTrue(Reference.l4ChecksumVerifies(sink.segments.get(0)));
    }

    @Test
    void computesFullChecksumsWhenTheSenderLeftNoPartialOne()
    {
        final GsoFrame tcp = GsoFrame.tcp4().noChecksumOffload().payload(3000, 1).build();
        final GsoFrame udp = GsoFrame.udp6().noChecksumOffload().payload(3000, 1).build();

        assertEquals(3, segment(tcp));
        assertEquals(3, segment(udp));

        for (final byte[] segment : sink.segments)
        {
            assertTrue(Reference.l4ChecksumVerifies(segment));
        }
    }

    @Test
    void leavesEthernetPaddingOut()
    {
        final GsoFrame gso = GsoFrame.udp4().payload(2500, 1).gsoSize(1000).build();
        final GsoFrame padded = gso.withFrameLength(gso.frame().length + 20).withFrameByte(gso.frame().length, 0x55);

        assertEquals(3, segment(padded));

        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void segmentsStayValidUntilTheNextFrameAndLeaveTheHeadroomFree()
    {
        final SoftwareOffload withHeadroom = new SoftwareOffload(64, 50);
        final GsoFrame gso = GsoFrame.tcp4().payload(20_000, 1).build();

        assertEquals(14, withHeadroom.segment(gso.buffer(), OFFSET, gso.frame().length, gso.netHeader(), sink));

        int previousEnd = 0;
        for (int i = 0; i < 14; i++)
        {
            final int offset = sink.positions.get(i)[0];
            final int length = sink.positions.get(i)[1];
            assertTrue(offset - 50 >= previousEnd, "headroom in front of segment " + i);
            final byte[] now = new byte[length];
            sink.buffer.getBytes(offset, now);
            assertArrayEquals(sink.segments.get(i), now, "segment " + i + " still in place after the last one was made");
            previousEnd = offset + length;
        }
        assertSegmentsEqual(Reference.segment(gso));
    }

    @Test
    void matchesTheReferenceOnRandomFrames()
    {
        final Random random = new Random(42);
        for (int n = 0; n < 300; n++)
        {
            final GsoFrame gso = GsoFrame.random(random, 65_000);
            sink.clear();

            final int segments = segment(gso);

            final List<byte[]> expected = Reference.segment(gso);
            assertEquals(expected.size(), segments, "frame " + n);
            for (int i = 0; i < segments; i++)
            {
                assertArrayEquals(expected.get(i), sink.segments.get(i), "frame " + n + " segment " + i);
                assertTrue(Reference.l4ChecksumVerifies(sink.segments.get(i)));
                assertTrue(Reference.ipChecksumVerifies(sink.segments.get(i)));
            }
        }
    }

    @Test
    void headersOnlyGiveTheSameSegmentsGatheredWithTheirPayloadInTheFrame()
    {
        final Random random = new Random(43);
        for (int n = 0; n < 300; n++)
        {
            final GsoFrame gso = GsoFrame.random(random, 65_000);
            final UnsafeBuffer frame = gso.buffer();
            final List<byte[]> gathered = new ArrayList<>();
            final int segments = offload.segmentHeaders(frame, GsoFrame.OFFSET, gso.frame().length, gso.netHeader(),
                (headers, headersOffset, headersLength, payloadOffset, payloadLength) ->
                {
                    final byte[] packet = new byte[headersLength + payloadLength];
                    headers.getBytes(headersOffset, packet, 0, headersLength);
                    frame.getBytes(payloadOffset, packet, headersLength, payloadLength);
                    gathered.add(packet);
                });

            final List<byte[]> expected = Reference.segment(gso);
            assertEquals(expected.size(), segments, "frame " + n);
            for (int i = 0; i < segments; i++)
            {
                assertArrayEquals(expected.get(i), gathered.get(i), "frame " + n + " segment " + i);
            }
        }
    }

    // ---- hostile and unsupported frames: a status, never an exception, never a segment ----

    @Test
    void refusesEveryTruncation()
    {
        final GsoFrame gso = GsoFrame.tcp4().vlan(0x8100, 5).payload(3000, 1).build();
        for (int length = 0; length < gso.frame().length; length++)
        {
            final int status = segment(gso.withFrameLength(length));
            assertTrue(status == MALFORMED_HEADERS || status == BAD_HDR_LEN, "length " + length + ": " + status);
        }
        assertTrue(sink.segments.isEmpty());
    }

    @Test
    void refusesHdrLenBeyondTheFrame()
    {
        final GsoFrame gso = GsoFrame.tcp4().payload(3000, 1).build();
        final int length = gso.frame().length + 1;

        assertRefused(BAD_HDR_LEN, gso.withHeaderByte(2, length & 0xFF).withHeaderByte(3, length >>> 8));
    }

    @Test
    void refusesGsoSizeZero()
    {
        assertRefused(BAD_GSO_SIZE, GsoFrame.udp4().gsoSize(0).build());
    }

    @Test
    void refusesMoreSegmentsThanTheBound()
    {
        final GsoFrame tiny = GsoFrame.tcp4().payload(60_000, 1).gsoSize(1).build();
        assertRefused(TOO_MANY_SEGMENTS, tiny);

        final SoftwareOffload four = new SoftwareOffload(4, 0);
        final GsoFrame fourSegments = GsoFrame.tcp4().payload(4000, 1).gsoSize(1000).build();
        final GsoFrame fiveSegments = GsoFrame.tcp4().payload(4001, 1).gsoSize(1000).build();
        assertEquals(4, four.segment(fourSegments.buffer(), OFFSET, fourSegments.frame().length, fourSegments.netHeader(), sink));
        assertEquals(TOO_MANY_SEGMENTS,
            four.segment(fiveSegments.buffer(), OFFSET, fiveSegments.frame().length, fiveSegments.netHeader(), sink));
    }

    @Test
    void refusesChecksumOffsetsOffTheL4ChecksumField()
    {
        final GsoFrame gso = GsoFrame.tcp4().payload(3000, 1).build();

        assertRefused(BAD_CHECKSUM_OFFSETS, gso.withHeaderByte(6, 35), "csum_start off by one");
        assertRefused(BAD_CHECKSUM_OFFSETS, gso.withHeaderByte(8, 6), "csum_offset of UDP on TCP");
        assertRefused(BAD_CHECKSUM_OFFSETS, gso.withHeaderByte(6, 0xFF).withHeaderByte(7, 0xFF), "csum_start past the frame");
        assertRefused(BAD_CHECKSUM_OFFSETS, gso.withHeaderByte(8, 0xFF).withHeaderByte(9, 0xFF), "csum_offset past the frame");
    }

    @Test
    void refusesUnsupportedGsoTypes()
    {
        final GsoFrame udp = GsoFrame.udp4().build();
        assertRefused(UNSUPPORTED_GSO_TYPE, udp.withHeaderByte(1, GSO_UDP), "legacy UFO");
        assertRefused(UNSUPPORTED_GSO_TYPE, udp.withHeaderByte(1, GSO_NONE), "not a GSO frame");
        assertRefused(UNSUPPORTED_GSO_TYPE, udp.withHeaderByte(1, GSO_UDP_L4 | GSO_ECN), "ECN is for TCP");
        assertRefused(UNSUPPORTED_GSO_TYPE, udp.withHeaderByte(1, 2), "no such type");
        assertRefused(UNSUPPORTED_GSO_TYPE, udp.withHeaderByte(1, 0x7F), "no such type");
    }

    @Test
    void refusesHeadersThatDoNotMatchTheGsoType()
    {
        assertRefused(MALFORMED_HEADERS, GsoFrame.tcp6().build().withHeaderByte(1, GSO_TCPV4), "TCPV4 on IPv6");
        assertRefused(MALFORMED_HEADERS, GsoFrame.tcp4().build().withHeaderByte(1, GSO_TCPV6), "TCPV6 on IPv4");
        assertRefused(MALFORMED_HEADERS, GsoFrame.tcp4().build().withHeaderByte(1, GSO_UDP_L4), "UDP_L4 on TCP");
        assertRefused(MALFORMED_HEADERS, GsoFrame.udp4().build().withHeaderByte(1, GSO_TCPV4), "TCPV4 on UDP");
    }

    @Test
    void refusesMalformedHeaders()
    {
        final GsoFrame tcp4 = GsoFrame.tcp4().payload(3000, 1).build();
        final GsoFrame tcp6 = GsoFrame.tcp6().payload(3000, 1).build();

        assertRefused(MALFORMED_HEADERS, tcp4.withFrameByte(12, 0x08).withFrameByte(13, 0x06), "ARP EtherType");
        assertRefused(MALFORMED_HEADERS, tcp4.withFrameByte(14, 0x44), "IHL 4");
        assertRefused(MALFORMED_HEADERS, tcp4.withFrameByte(14, 0x65), "version 6 in an IPv4 EtherType");
        assertRefused(MALFORMED_HEADERS, tcp4.withFrameByte(16, 0xFF), "total length past the frame");
        assertRefused(MALFORMED_HEADERS, tcp4.withFrameByte(20, 0x60), "DF and MF: a fragment");
        assertRefused(MALFORMED_HEADERS, tcp4.withFrameByte(21, 0x01), "fragment offset 1");
        assertRefused(MALFORMED_HEADERS, tcp4.withFrameByte(14 + 20 + 12, 0x40), "TCP data offset 4");
        assertRefused(MALFORMED_HEADERS, tcp6.withFrameByte(14 + 6, 0), "IPv6 hop-by-hop extension header");
        assertRefused(MALFORMED_HEADERS, tcp6.withFrameByte(14 + 4, 0xFF), "IPv6 payload length past the frame");

        final GsoFrame tcpHeaderPastDatagram = GsoFrame.tcp4().payload(0, 1).build().withFrameByte(14 + 20 + 12, 0xF0);
        assertRefused(MALFORMED_HEADERS, tcpHeaderPastDatagram, "TCP data offset 15 in a 32-byte segment");
        final GsoFrame threeTags = GsoFrame.tcp4().vlan(0x88A8, 1).vlan(0x8100, 2).vlan(0x8100, 3).build();
        assertRefused(MALFORMED_HEADERS, threeTags, "three VLAN tags");
        final GsoFrame shortUdp = GsoFrame.udp4().payload(0, 1).build().withFrameByte(14 + 3, 20 + 7);
        assertRefused(MALFORMED_HEADERS, shortUdp, "7 bytes of UDP");
    }

    @Test
    void refusesAFrameOrHeaderOutsideItsBuffer()
    {
        final GsoFrame gso = GsoFrame.tcp4().payload(3000, 1).build();
        final UnsafeBuffer buffer = gso.buffer();
        final int length = gso.frame().length;

        assertEquals(MALFORMED_HEADERS, offload.segment(buffer, OFFSET, length + 1, gso.netHeader(), sink));
        assertEquals(MALFORMED_HEADERS, offload.segment(buffer, -1, length, gso.netHeader(), sink));
        assertEquals(MALFORMED_HEADERS, offload.segment(buffer, OFFSET, -1, gso.netHeader(), sink));
        assertEquals(MALFORMED_HEADERS, offload.segment(buffer, Integer.MAX_VALUE, length, gso.netHeader(), sink));
        final VirtioNetHeaderFlyweight shortHeader = new VirtioNetHeaderFlyweight().wrap(new UnsafeBuffer(gso.header()), 0, 11);
        assertEquals(MALFORMED_HEADERS, offload.segment(buffer, OFFSET, length, shortHeader, sink));
        assertTrue(sink.segments.isEmpty());
    }

    @Test
    void survivesRandomCorruption()
    {
        final Random random = new Random(7);
        int accepted = 0;
        for (int n = 0; n < 20_000; n++)
        {
            GsoFrame gso = GsoFrame.random(random, 6000);
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--)
            {
                final int index = random.nextInt(12 + 100);
                gso = index < 12 ? gso.withHeaderByte(index, random.nextInt(256)) :
                    gso.withFrameByte(Math.min(index - 12, gso.frame().length - 1), random.nextInt(256));
            }
            if (random.nextInt(4) == 0)
            {
                gso = gso.withFrameLength(random.nextInt(gso.frame().length + 1));
            }
            sink.clear();

            final int segments = segment(gso);

            assertTrue(segments >= SoftwareOffload.BAD_CHECKSUM_OFFSETS && segments != 0, "status " + segments);
            assertEquals(Math.max(segments, 0), sink.segments.size());
            for (final byte[] segment : sink.segments)
            {
                assertTrue(Reference.ipChecksumVerifies(segment) && Reference.l4ChecksumVerifies(segment), "frame " + n);
            }
            accepted += segments > 0 ? 1 : 0;
        }
        assertTrue(accepted > 1000, "some corruptions leave a frame that still parses: " + accepted);
    }

    // ---- checksum completion ----

    @Test
    void completesAPartialTcpChecksum()
    {
        final GsoFrame frame = GsoFrame.tcp4().payload(1001, 3).build().withHeaderByte(1, GSO_NONE);
        final UnsafeBuffer buffer = frame.buffer();
        final VirtioNetHeaderFlyweight header = frame.netHeader();

        assertTrue(offload.completeChecksum(buffer, OFFSET, frame.frame().length, header));

        final byte[] completed = Arrays.copyOfRange(buffer.byteArray(), OFFSET, OFFSET + frame.frame().length);
        assertTrue(Reference.l4ChecksumVerifies(completed));
        assertArrayEquals(Reference.segment(frame).get(0), completed, "only the checksum changed");
        assertEquals(0, header.flags() & FLAG_NEEDS_CSUM, "flag cleared");
    }

    @Test
    void completesAPartialUdpChecksumOverIpv6()
    {
        final GsoFrame frame = GsoFrame.udp6().vlan(0x8100, 7).payload(333, 3).build().withHeaderByte(1, GSO_NONE);
        final UnsafeBuffer buffer = frame.buffer();

        assertTrue(offload.completeChecksum(buffer, OFFSET, frame.frame().length, frame.netHeader()));

        final byte[] completed = Arrays.copyOfRange(buffer.byteArray(), OFFSET, OFFSET + frame.frame().length);
        assertTrue(Reference.l4ChecksumVerifies(completed));
    }

    @Test
    void storesAComputedZeroAsAllOnes()
    {
        final GsoFrame zeroEnd = GsoFrame.udp4().payload(100, 3).build()
            .withFrameByte(14 + 20 + 8 + 98, 0).withFrameByte(14 + 20 + 8 + 99, 0).withHeaderByte(1, GSO_NONE);
        final UnsafeBuffer first = zeroEnd.buffer();
        offload.completeChecksum(first, OFFSET, zeroEnd.frame().length, zeroEnd.netHeader());
        final int checksum = first.getShort(OFFSET + 14 + 20 + 6, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
        // The checksum as the last payload word makes the sum all ones, so the checksum itself 0.
        final GsoFrame sumsToZero =
            zeroEnd.withFrameByte(14 + 20 + 8 + 98, checksum >>> 8).withFrameByte(14 + 20 + 8 + 99, checksum);
        final UnsafeBuffer buffer = sumsToZero.buffer();

        assertTrue(offload.completeChecksum(buffer, OFFSET, sumsToZero.frame().length, sumsToZero.netHeader()));

        assertEquals(0xFFFF, buffer.getShort(OFFSET + 14 + 20 + 6, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF);
    }

    @Test
    void refusesChecksumOffsetsOutsideTheFrameAndTouchesNothing()
    {
        final GsoFrame frame = GsoFrame.udp4().payload(100, 3).build().withHeaderByte(1, GSO_NONE);
        final int length = frame.frame().length;
        final int fieldAtTheEnd = length - 2 - 34;

        assertCompletionRefused(frame.withHeaderByte(8, fieldAtTheEnd + 1));
        assertCompletionRefused(frame.withHeaderByte(6, 0xFF).withHeaderByte(7, 0xFF));
        assertCompletionRefused(frame.withHeaderByte(8, 0xFF).withHeaderByte(9, 0xFF));
        final UnsafeBuffer buffer = frame.buffer();
        assertFalse(offload.completeChecksum(buffer, OFFSET, length + 1, frame.netHeader()), "frame past the buffer");
        assertFalse(offload.completeChecksum(buffer, -1, length, frame.netHeader()), "frame before the buffer");

        final GsoFrame lastWord = frame.withHeaderByte(8, fieldAtTheEnd);
        assertTrue(offload.completeChecksum(lastWord.buffer(), OFFSET, length, lastWord.netHeader()),
            "the last two bytes are in");
    }

    @Test
    void leavesAFrameWithoutNeedsCsumAlone()
    {
        final GsoFrame frame = GsoFrame.udp4().payload(100, 3).build().withHeaderByte(0, 0).withHeaderByte(1, GSO_NONE);
        final UnsafeBuffer buffer = frame.buffer();

        assertTrue(offload.completeChecksum(buffer, OFFSET, frame.frame().length, frame.netHeader()));

        assertArrayEquals(frame.frame(), Arrays.copyOfRange(buffer.byteArray(), OFFSET, buffer.capacity()));
    }

    private void assertCompletionRefused(final GsoFrame frame)
    {
        final UnsafeBuffer buffer = frame.buffer();
        final VirtioNetHeaderFlyweight header = frame.netHeader();

        assertFalse(offload.completeChecksum(buffer, OFFSET, frame.frame().length, header));

        assertArrayEquals(frame.frame(), Arrays.copyOfRange(buffer.byteArray(), OFFSET, buffer.capacity()));
        assertEquals(FLAG_NEEDS_CSUM, header.flags());
    }

    // ---- helpers ----

    private int segment(final GsoFrame gso)
    {
        return offload.segment(gso.buffer(), OFFSET, gso.frame().length, gso.netHeader(), sink);
    }

    private void assertRefused(final int status, final GsoFrame gso)
    {
        assertRefused(status, gso, "");
    }

    private void assertRefused(final int status, final GsoFrame gso, final String what)
    {
        sink.clear();
        assertEquals(status, segment(gso), what);
        assertTrue(sink.segments.isEmpty(), what);
    }

    private void assertSegmentsEqual(final List<byte[]> expected)
    {
        assertEquals(expected.size(), sink.segments.size(), "segments");
        for (int i = 0; i < expected.size(); i++)
        {
            assertArrayEquals(expected.get(i), sink.segments.get(i), "segment " + i);
        }
    }

    private static int tcpFlags(final byte[] segment)
    {
        final Reference.Layout layout = Reference.Layout.of(segment);
        return segment[layout.l4Start() + 13] & 0xFF;
    }
}
