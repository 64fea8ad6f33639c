package io.vireo.dataplane.headers;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.CapturedFrames.IPV6_UDP;
import static io.vireo.dataplane.headers.CapturedFrames.VXLAN_ICMP_ECHO;
import static io.vireo.dataplane.headers.TestBuffers.OFFSET;
import static io.vireo.dataplane.headers.TestBuffers.bytes;
import static io.vireo.dataplane.headers.TestBuffers.copy;
import static io.vireo.dataplane.headers.TestBuffers.frame;
import static io.vireo.dataplane.headers.TestBuffers.ipv4PseudoHeader;
import static io.vireo.dataplane.headers.TestBuffers.ipv6PseudoHeader;
import static io.vireo.dataplane.headers.TestBuffers.referenceChecksum;
import static io.vireo.dataplane.headers.TestBuffers.truncatedFrame;
import static java.nio.ByteOrder.BIG_ENDIAN;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UdpFlyweightTest
{
    private static final int IPV6_UDP_OFFSET = OFFSET + 14 + 40;

    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();

    @Test
    void readsCapturedDatagramOverIpv6()
    {
        final UnsafeBuffer buffer = frame(IPV6_UDP);
        ipv6.wrap(buffer, OFFSET + 14, 53);
        udp.wrap(buffer, ipv6.payloadOffset(), ipv6.payloadLength());

        assertTrue(udp.isValid());
        assertEquals(40000, udp.sourcePort());
        assertEquals(5353, udp.destinationPort());
        assertEquals(13, udp.datagramLength());
        assertEquals(0xFCD6, udp.checksum());
        assertEquals(IPV6_UDP_OFFSET + 8, udp.payloadOffset());
        assertEquals(5, udp.payloadLength());
        assertArrayEquals("vireo".getBytes(US_ASCII), copy(buffer, udp.payloadOffset(), 5));
    }

    @Test
    void computesCapturedChecksumOverIpv6()
    {
        final UnsafeBuffer buffer = frame(IPV6_UDP);
        ipv6.wrap(buffer, OFFSET + 14, 53);
        udp.wrap(buffer, ipv6.payloadOffset(), ipv6.payloadLength());

        final int computed = udp.computeChecksum(ipv6.pseudoHeaderSum(UdpFlyweight.PROTOCOL, udp.datagramLength()));

        assertEquals(0xFCD6, computed);
        final byte[] datagram = copy(buffer, IPV6_UDP_OFFSET, 13);
        datagram[UdpFlyweight.CHECKSUM_OFFSET] = 0;
        datagram[UdpFlyweight.CHECKSUM_OFFSET + 1] = 0;
        final byte[] pseudoHeader = ipv6PseudoHeader(
            copy(buffer, OFFSET + 14 + 8, 16), copy(buffer, OFFSET + 14 + 24, 16), UdpFlyweight.PROTOCOL, 13);
        assertEquals(referenceChecksum(pseudoHeader, datagram), computed);
    }

    @Test
    void computesCapturedChecksumOverIpv4()
    {
        final UnsafeBuffer buffer = frame(VXLAN_ICMP_ECHO);
        ipv4.wrap(buffer, OFFSET + 14, 86);
        udp.wrap(buffer, ipv4.payloadOffset(), ipv4.payloadLength());
        assertTrue(udp.isValid());
        assertEquals(0xBD0C, udp.checksum());

        udp.checksum(0).updateChecksum(ipv4.pseudoHeaderSum(UdpFlyweight.PROTOCOL, udp.datagramLength()));

        assertEquals(0xBD0C, udp.checksum());
        final byte[] pseudoHeader = ipv4PseudoHeader(
            copy(buffer, OFFSET + 14 + 12, 4), copy(buffer, OFFSET + 14 + 16, 4), UdpFlyweight.PROTOCOL, 66);
        assertEquals(0, referenceChecksum(pseudoHeader, copy(buffer, udp.offset(), 66)), "verifies as a whole");
    }

    @Test
    void sendsComputedZeroAsAllOnes()
    {
        final UnsafeBuffer buffer = frame(IPV6_UDP);
        ipv6.wrap(buffer, OFFSET + 14, 53);
        udp.wrap(buffer, ipv6.payloadOffset(), ipv6.payloadLength());
        final long pseudoHeaderSum = ipv6.pseudoHeaderSum(UdpFlyweight.PROTOCOL, 13);

        // Choose the first two payload bytes so the data sums to 0xFFFF and the checksum comes out 0.
        buffer.putShort(udp.payloadOffset(), (short)0);
        final int withZeroWord = udp.computeChecksum(pseudoHeaderSum);
        buffer.putShort(udp.payloadOffset(), (short)withZeroWord, BIG_ENDIAN);

        assertEquals(0xFFFF, udp.computeChecksum(pseudoHeaderSum));
    }

    @Test
    void writesAndReadsBackEveryField()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 8]);
        udp.wrap(buffer, OFFSET, 8)
            .sourcePort(65535)
            .destinationPort(VxlanFlyweight.UDP_PORT)
            .datagramLength(8)
            .checksum(UdpFlyweight.NO_CHECKSUM);

        assertTrue(udp.isValid());
        assertEquals(65535, udp.sourcePort());
        assertEquals(4789, udp.destinationPort());
        assertEquals(8, udp.datagramLength());
        assertEquals(0, udp.payloadLength());
        assertArrayEquals(bytes("ffff 12b5 0008 0000"), copy(buffer, OFFSET, 8));
    }

    @Test
    void rejectsTruncatedOrInconsistentDatagram()
    {
        udp.wrap(truncatedFrame(IPV6_UDP, 14 + 40 + 7), IPV6_UDP_OFFSET, 7);
        assertFalse(udp.isValid(), "truncated header");

        udp.wrap(truncatedFrame(IPV6_UDP, 14 + 40 + 12), IPV6_UDP_OFFSET, 12);
        assertFalse(udp.isValid(), "length beyond the bytes present");

        udp.wrap(frame(IPV6_UDP), IPV6_UDP_OFFSET, 13).datagramLength(7);
        assertFalse(udp.isValid(), "length shorter than the header");
    }
}
