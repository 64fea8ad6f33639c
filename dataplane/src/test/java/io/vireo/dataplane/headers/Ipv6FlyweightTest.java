package io.vireo.dataplane.headers;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.CapturedFrames.IPV6_UDP;
import static io.vireo.dataplane.headers.TestBuffers.OFFSET;
import static io.vireo.dataplane.headers.TestBuffers.bytes;
import static io.vireo.dataplane.headers.TestBuffers.copy;
import static io.vireo.dataplane.headers.TestBuffers.frame;
import static io.vireo.dataplane.headers.TestBuffers.truncatedFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv6FlyweightTest
{
    private final EthernetFlyweight eth = new EthernetFlyweight();
    private final Ipv6Flyweight ip = new Ipv6Flyweight();

    @Test
    void readsCapturedHeader()
    {
        final UnsafeBuffer buffer = frame(IPV6_UDP);
        eth.wrap(buffer, OFFSET, 67);
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV6, eth.payloadEtherType());
        ip.wrap(buffer, eth.payloadOffset(), eth.payloadLength());

        assertTrue(ip.isValid());
        assertEquals(6, ip.version());
        assertEquals(0, ip.trafficClass());
        assertEquals(0xF0E8D, ip.flowLabel());
        assertEquals(13, ip.payloadLength());
        assertEquals(UdpFlyweight.PROTOCOL, ip.nextHeader());
        assertEquals(64, ip.hopLimit());
        assertEquals(0xFD00_0000_0000_0000L, ip.sourceAddressHigh());
        assertEquals(1L, ip.sourceAddressLow());
        assertEquals(0xFD00_0000_0000_0000L, ip.destinationAddressHigh());
        assertEquals(2L, ip.destinationAddressLow());
        assertEquals(OFFSET + 14 + 40, ip.payloadOffset());
    }

    @Test
    void writesFirstWordFieldsIndependently()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 40]);
        ip.wrap(buffer, OFFSET, 40).version(6).trafficClass(0xB8).flowLabel(0xFFFFF);

        assertArrayEquals(bytes("6b8fffff"), copy(buffer, OFFSET, 4));

        ip.flowLabel(0x12345).trafficClass(0x01);

        assertEquals(6, ip.version());
        assertEquals(0x01, ip.trafficClass());
        assertEquals(0x12345, ip.flowLabel());
        assertArrayEquals(bytes("60112345"), copy(buffer, OFFSET, 4));
    }

    @Test
    void writesAndReadsBackEveryField()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 40]);
        ip.wrap(buffer, OFFSET, 40)
            .version(6)
            .payloadLength(0)
            .nextHeader(58)
            .hopLimit(255)
            .sourceAddress(0xFE80_0000_0000_0000L, 0x0000_00FF_FE00_0011L)
            .destinationAddress(0xFF02_0000_0000_0000L, 0x0000_0001_FF00_0001L);

        assertTrue(ip.isValid());
        assertEquals(0, ip.payloadLength());
        assertEquals(58, ip.nextHeader());
        assertEquals(255, ip.hopLimit());
        assertEquals(0xFE80_0000_0000_0000L, ip.sourceAddressHigh());
        assertEquals(0x0000_00FF_FE00_0011L, ip.sourceAddressLow());
        assertEquals(0xFF02_0000_0000_0000L, ip.destinationAddressHigh());
        assertEquals(0x0000_0001_FF00_0001L, ip.destinationAddressLow());
        assertArrayEquals(
            bytes("6000000000003aff fe80000000000000000000fffe000011 ff0200000000000000000001ff000001"),
            copy(buffer, OFFSET, 40));
    }

    @Test
    void rejectsTruncatedHeader()
    {
        ip.wrap(truncatedFrame(IPV6_UDP, 14 + 39), OFFSET + 14, 39);

        assertFalse(ip.isValid());
    }

    @Test
    void rejectsPayloadLongerThanTheBytesPresent()
    {
        ip.wrap(truncatedFrame(IPV6_UDP, 14 + 52), OFFSET + 14, 52);

        assertFalse(ip.isValid());
    }

    @Test
    void rejectsOtherVersion()
    {
        final UnsafeBuffer buffer = frame(IPV6_UDP);
        ip.wrap(buffer, OFFSET + 14, 53).version(4);

        assertFalse(ip.isValid());
    }
}
