package io.vireo.dataplane.headers;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.vireo.dataplane.headers.CapturedFrames.ICMP_ECHO;
import static io.vireo.dataplane.headers.CapturedFrames.TCP_SYN;
import static io.vireo.dataplane.headers.CapturedFrames.VIRTIO_UDP_GSO_HEADERS;
import static io.vireo.dataplane.headers.CapturedFrames.VXLAN_ICMP_ECHO;
import static io.vireo.dataplane.headers.TestBuffers.OFFSET;
import static io.vireo.dataplane.headers.TestBuffers.bytes;
import static io.vireo.dataplane.headers.TestBuffers.copy;
import static io.vireo.dataplane.headers.TestBuffers.frame;
import static io.vireo.dataplane.headers.TestBuffers.referenceChecksum;
import static io.vireo.dataplane.headers.TestBuffers.truncatedFrame;
import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4FlyweightTest
{
    private static final int IP_OFFSET = OFFSET + EthernetFlyweight.HEADER_LENGTH;

    private final Ipv4Flyweight ip = new Ipv4Flyweight();

    @Test
    void readsCapturedIcmpEchoHeader()
    {
        final UnsafeBuffer buffer = frame(ICMP_ECHO);
        ip.wrap(buffer, IP_OFFSET, 36);

        assertTrue(ip.isValid());
        assertEquals(4, ip.version());
        assertEquals(5, ip.ihl());
        assertEquals(20, ip.headerLength());
        assertEquals(0, ip.dscp());
        assertEquals(0, ip.ecn());
        assertEquals(36, ip.totalLength());
        assertEquals(0xF69C, ip.identification());
        assertTrue(ip.dontFragment());
        assertFalse(ip.moreFragments());
        assertEquals(0, ip.fragmentOffset());
        assertFalse(ip.isFragment());
        assertEquals(64, ip.ttl());
        assertEquals(1, ip.protocol());
        assertEquals(0x303A, ip.headerChecksum());
        assertEquals(0x0A00_0001, ip.sourceAddress());
        assertEquals(0x0A00_0002, ip.destinationAddress());
        assertEquals(IP_OFFSET + 20, ip.payloadOffset());
        assertEquals(16, ip.payloadLength());
    }

    @Test
    void computesCapturedChecksums()
    {
        assertCapturedChecksum(ICMP_ECHO, IP_OFFSET, 0x303A);
        assertCapturedChecksum(TCP_SYN, IP_OFFSET, 0x4939);
        assertCapturedChecksum(VXLAN_ICMP_ECHO, IP_OFFSET, 0xB56B);
        assertCapturedChecksum(VXLAN_ICMP_ECHO, IP_OFFSET + 20 + 8 + 8 + 14, 0xF6CC);
    }

    @Test
    void updateChecksumRestoresCapturedValue()
    {
        final UnsafeBuffer buffer = frame(TCP_SYN);
        ip.wrap(buffer, IP_OFFSET, 60).headerChecksum(0xBEEF);

        ip.updateChecksum();

        assertEquals(0x4939, ip.headerChecksum());
    }

    @Test
    void leavesEthernetPaddingOutOfThePayload()
    {
        // Short frames go on the wire padded to 60 bytes: the IP header sees 46 bytes, not 36.
        final byte[] padded = new byte[60];
        System.arraycopy(bytes(ICMP_ECHO), 0, padded, 0, 50);
        ip.wrap(frame(padded), IP_OFFSET, 46);

        assertTrue(ip.isValid());
        assertEquals(16, ip.payloadLength());
    }

    @Test
    void handlesOptions()
    {
        // Router Alert (RFC 2113), as IGMP carries it: IHL 6.
        final UnsafeBuffer buffer = frame("46c0 0020 0000 4000 0102 0000 0a000001 e0000016 94040000 2200ddff 00000000");
        ip.wrap(buffer, OFFSET, 32);

        ip.updateChecksum();

        assertTrue(ip.isValid());
        assertEquals(6, ip.ihl());
        assertEquals(24, ip.headerLength());
        assertEquals(48, ip.dscp());
        assertEquals(OFFSET + 24, ip.payloadOffset());
        assertEquals(8, ip.payloadLength());
        assertEquals(referenceChecksumWithFieldZeroed(buffer, OFFSET, 24), ip.headerChecksum());
    }

    @Test
    void writesAndReadsBackEveryField()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 20]);
        ip.wrap(buffer, OFFSET, 20)
            .headerLength(20)
            .dscp(46)
            .ecn(3)
            .totalLength(20)
            .identification(0xFEDC)
            .flagsAndFragmentOffset(Ipv4Flyweight.FLAG_MF | 0x1ABC)
            .ttl(255)
            .protocol(UdpFlyweight.PROTOCOL)
            .sourceAddress(0xC0A8_2A01)
            .destinationAddress(0xFFFF_FFFF)
            .updateChecksum();

        assertTrue(ip.isValid());
        assertEquals(4, ip.version());
        assertEquals(46, ip.dscp());
        assertEquals(3, ip.ecn());
        assertEquals(0xFEDC, ip.identification());
        assertFalse(ip.dontFragment());
        assertTrue(ip.moreFragments());
        assertEquals(0x1ABC, ip.fragmentOffset());
        assertTrue(ip.isFragment());
        assertEquals(255, ip.ttl());
        assertEquals(17, ip.protocol());
        assertEquals(0xC0A8_2A01, ip.sourceAddress());
        assertEquals(0xFFFF_FFFF, ip.destinationAddress());
        assertEquals(referenceChecksumWithFieldZeroed(buffer, OFFSET, 20), ip.headerChecksum());

        ip.ecn(1).dscp(10);
        assertEquals(10, ip.dscp());
        assertEquals(1, ip.ecn());
    }

    @Test
    void recognisesLastFragment()
    {
        ip.wrap(new UnsafeBuffer(new byte[20]), 0, 20).flagsAndFragmentOffset(185);

        assertTrue(ip.isFragment());
        assertFalse(ip.moreFragments());
    }

    @Test
    void incrementalUpdateMatchesRecomputationOnEncapsulationTemplate()
    {
        // Fill a VXLAN outer header in as an encapsulator would: new length and identification.
        final UnsafeBuffer buffer = frame(VXLAN_ICMP_ECHO);
        ip.wrap(buffer, IP_OFFSET, 100);

        final int oldLength = ip.totalLength();
        ip.totalLength(1450).adjustChecksum(oldLength, 1450);
        final int oldId = ip.identification();
        ip.identification(0x0001).adjustChecksum(oldId, 0x0001);

        assertEquals(ip.computeChecksum(), ip.headerChecksum());
    }

    @Test
    void incrementalUpdateMatchesRecomputationForAnyWord()
    {
        final Random random = new Random(20240611L);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[20]);
        ip.wrap(buffer, 0, 20);

        for (int i = 0; i < 10_000; i++)
        {
            for (int word = 0; word < 20; word += 4)
            {
                buffer.putInt(word, random.nextInt());
            }
            ip.headerLength(20).updateChecksum();

            final int wordOffset = 2 * random.nextInt(10);
            if (wordOffset == Ipv4Flyweight.HEADER_CHECKSUM_OFFSET)
            {
                continue;
            }
            final int oldWord = buffer.getShort(wordOffset, BIG_ENDIAN) & 0xFFFF;
            final int anyWord = i % 10 == 0 ? 0 : random.nextInt(0x10000);
            // Keep version and IHL so the recomputation covers the same 20 bytes.
            final int newWord = wordOffset == 0 ? 0x4500 | (anyWord & 0xFF) : anyWord;
            buffer.putShort(wordOffset, (short)newWord, BIG_ENDIAN);
            ip.adjustChecksum(oldWord, newWord);

            assertEquals(ip.computeChecksum(), ip.headerChecksum(), "word at " + wordOffset);
        }
    }

    @Test
    void rejectsTruncatedHeader()
    {
        ip.wrap(truncatedFrame(ICMP_ECHO, 14 + 19), IP_OFFSET, 19);

        assertFalse(ip.isValid());
    }

    @Test
    void rejectsDatagramLongerThanTheBytesPresent()
    {
        // Headers of a 3028-byte GSO datagram, cut after the UDP header.
        ip.wrap(frame(VIRTIO_UDP_GSO_HEADERS), OFFSET + 12 + 14, 28);

        assertEquals(3028, ip.totalLength());
        assertFalse(ip.isValid());
    }

    @Test
    void rejectsInconsistentHeaders()
    {
        final UnsafeBuffer buffer = frame(ICMP_ECHO);
        ip.wrap(buffer, IP_OFFSET, 36);

        buffer.putByte(IP_OFFSET, (byte)0x65);
        assertFalse(ip.isValid(), "version 6");

        ip.headerLength(16);
        assertFalse(ip.isValid(), "IHL 4");

        ip.headerLength(60);
        assertFalse(ip.isValid(), "header longer than total length");

        ip.headerLength(20).totalLength(19);
        assertFalse(ip.isValid(), "total length shorter than header");

        ip.totalLength(36);
        assertTrue(ip.isValid());
    }

    private void assertCapturedChecksum(final String hex, final int ipOffset, final int captured)
    {
        final UnsafeBuffer buffer = frame(hex);
        ip.wrap(buffer, ipOffset, buffer.capacity() - ipOffset);

        assertTrue(ip.isValid());
        assertEquals(captured, ip.headerChecksum());
        assertEquals(captured, ip.computeChecksum());
        assertEquals(captured, referenceChecksumWithFieldZeroed(buffer, ipOffset, ip.headerLength()));
        assertEquals(0, referenceChecksum(copy(buffer, ipOffset, ip.headerLength())), "verifies as a whole");
    }

    private static int referenceChecksumWithFieldZeroed(final UnsafeBuffer buffer, final int index, final int length)
    {
        final byte[] header = copy(buffer, index, length);
        header[Ipv4Flyweight.HEADER_CHECKSUM_OFFSET] = 0;
        header[Ipv4Flyweight.HEADER_CHECKSUM_OFFSET + 1] = 0;
        return referenceChecksum(header);
    }
}
