package io.vireo.dataplane.headers;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.CapturedFrames.TCP_SYN;
import static io.vireo.dataplane.headers.TestBuffers.OFFSET;
import static io.vireo.dataplane.headers.TestBuffers.bytes;
import static io.vireo.dataplane.headers.TestBuffers.copy;
import static io.vireo.dataplane.headers.TestBuffers.frame;
import static io.vireo.dataplane.headers.TestBuffers.ipv4PseudoHeader;
import static io.vireo.dataplane.headers.TestBuffers.ipv6PseudoHeader;
import static io.vireo.dataplane.headers.TestBuffers.referenceChecksum;
import static io.vireo.dataplane.headers.TestBuffers.truncatedFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpFlyweightTest
{
    private static final int TCP_OFFSET = OFFSET + 14 + 20;

    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();

    @Test
    void readsCapturedSyn()
    {
        final UnsafeBuffer buffer = frame(TCP_SYN);
        ipv4.wrap(buffer, OFFSET + 14, 60);
        assertEquals(TcpFlyweight.PROTOCOL, ipv4.protocol());
        tcp.wrap(buffer, ipv4.payloadOffset(), ipv4.payloadLength());

        assertTrue(tcp.isValid());
        assertEquals(52032, tcp.sourcePort());
        assertEquals(8080, tcp.destinationPort());
        assertEquals(0x50FF_1885, tcp.sequenceNumber());
        assertEquals(0, tcp.acknowledgmentNumber());
        assertEquals(10, tcp.dataOffset());
        assertEquals(40, tcp.headerLength());
        assertEquals(TcpFlyweight.FLAG_SYN, tcp.flags());
        assertEquals(64240, tcp.window());
        assertEquals(0xAAFD, tcp.checksum());
        assertEquals(0, tcp.urgentPointer());
        assertEquals(TCP_OFFSET + 40, tcp.payloadOffset());
        assertEquals(0, tcp.payloadLength());
    }

    @Test
    void computesCapturedChecksum()
    {
        final UnsafeBuffer buffer = frame(TCP_SYN);
        ipv4.wrap(buffer, OFFSET + 14, 60);
        tcp.wrap(buffer, ipv4.payloadOffset(), ipv4.payloadLength());

        final int computed = tcp.computeChecksum(ipv4.pseudoHeaderSum(TcpFlyweight.PROTOCOL, tcp.length()));

        assertEquals(0xAAFD, computed);
        final byte[] segment = copy(buffer, TCP_OFFSET, 40);
        segment[TcpFlyweight.CHECKSUM_OFFSET] = 0;
        segment[TcpFlyweight.CHECKSUM_OFFSET + 1] = 0;
        final byte[] pseudoHeader = ipv4PseudoHeader(
            copy(buffer, OFFSET + 14 + 12, 4), copy(buffer, OFFSET + 14 + 16, 4), TcpFlyweight.PROTOCOL, 40);
        assertEquals(referenceChecksum(pseudoHeader, segment), computed);
    }

    @Test
    void updateChecksumRestoresCapturedValue()
    {
        final UnsafeBuffer buffer = frame(TCP_SYN);
        ipv4.wrap(buffer, OFFSET + 14, 60);
        tcp.wrap(buffer, TCP_OFFSET, 40).checksum(0x1234);

        tcp.updateChecksum(ipv4.pseudoHeaderSum(TcpFlyweight.PROTOCOL, 40));

        assertEquals(0xAAFD, tcp.checksum());
    }

    @Test
    void computesChecksumOverIpv6WithOddPayload()
    {
        // The captured SYN's segment with 3 bytes of payload, moved behind an IPv6 header.
        final String frame =
            "60000000 002b 06 40 fd000000000000000000000000000001 fd000000000000000000000000000002" +
            "cb40 1f90 50ff1885 00000000 a002 faf0 0000 0000" +
            "020405b4 0402080a 8ddfabd7 00000000 0103030a" +
            "616263";
        final UnsafeBuffer buffer = frame(frame);
        ipv6.wrap(buffer, OFFSET, 83);
        assertTrue(ipv6.isValid());
        tcp.wrap(buffer, ipv6.payloadOffset(), ipv6.payloadLength());

        tcp.updateChecksum(ipv6.pseudoHeaderSum(TcpFlyweight.PROTOCOL, tcp.length()));

        assertEquals(3, tcp.payloadLength());
        final byte[] pseudoHeader = ipv6PseudoHeader(
            copy(buffer, OFFSET + 8, 16), copy(buffer, OFFSET + 24, 16), TcpFlyweight.PROTOCOL, 43);
        assertEquals(0, referenceChecksum(pseudoHeader, copy(buffer, OFFSET + 40, 43)), "verifies as a whole");
    }

    @Test
    void writesAndReadsBackEveryField()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 20]);
        tcp.wrap(buffer, OFFSET, 20)
            .sourcePort(443)
            .destinationPort(65535)
            .sequenceNumber(0xF000_0001)
            .acknowledgmentNumber(0x8000_0000)
            .dataOffset(5)
            .flags(TcpFlyweight.FLAG_ACK | TcpFlyweight.FLAG_PSH | TcpFlyweight.FLAG_CWR)
            .window(1024)
            .checksum(0xFFFF)
            .urgentPointer(7);

        assertTrue(tcp.isValid());
        assertEquals(443, tcp.sourcePort());
        assertEquals(65535, tcp.destinationPort());
        assertEquals(0xF000_0001, tcp.sequenceNumber());
        assertEquals(0x8000_0000, tcp.acknowledgmentNumber());
        assertEquals(5, tcp.dataOffset());
        assertEquals(0x98, tcp.flags());
        assertEquals(1024, tcp.window());
        assertEquals(0xFFFF, tcp.checksum());
        assertEquals(7, tcp.urgentPointer());
        assertArrayEquals(bytes("01bb ffff f0000001 80000000 50 98 0400 ffff 0007"), copy(buffer, OFFSET, 20));
    }

    @Test
    void dataOffsetKeepsReservedBits()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[20]);
        buffer.putByte(TcpFlyweight.DATA_OFFSET_OFFSET, (byte)0x01);

        tcp.wrap(buffer, 0, 20).dataOffset(15);

        assertEquals(15, tcp.dataOffset());
        assertEquals((byte)0xF1, buffer.getByte(TcpFlyweight.DATA_OFFSET_OFFSET));
    }

    @Test
    void rejectsTruncatedOrInconsistentHeader()
    {
        tcp.wrap(truncatedFrame(TCP_SYN, 14 + 20 + 19), TCP_OFFSET, 19);
        assertFalse(tcp.isValid(), "shorter than the fixed header");

        tcp.wrap(truncatedFrame(TCP_SYN, 14 + 20 + 39), TCP_OFFSET, 39);
        assertFalse(tcp.isValid(), "options cut off");

        tcp.wrap(frame(TCP_SYN), TCP_OFFSET, 40).dataOffset(4);
        assertFalse(tcp.isValid(), "data offset below 5");
    }
}
