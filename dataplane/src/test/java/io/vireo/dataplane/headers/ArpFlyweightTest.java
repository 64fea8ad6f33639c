package io.vireo.dataplane.headers;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.CapturedFrames.ARP_REQUEST;
import static io.vireo.dataplane.headers.TestBuffers.OFFSET;
import static io.vireo.dataplane.headers.TestBuffers.bytes;
import static io.vireo.dataplane.headers.TestBuffers.copy;
import static io.vireo.dataplane.headers.TestBuffers.frame;
import static io.vireo.dataplane.headers.TestBuffers.truncatedFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArpFlyweightTest
{
    private final EthernetFlyweight eth = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    @Test
    void readsCapturedRequest()
    {
        final UnsafeBuffer buffer = frame(ARP_REQUEST);
        eth.wrap(buffer, OFFSET, 42);
        arp.wrap(buffer, eth.payloadOffset(), eth.payloadLength());

        assertTrue(arp.isValid());
        assertEquals(ArpFlyweight.HARDWARE_TYPE_ETHERNET, arp.hardwareType());
        assertEquals(ArpFlyweight.PROTOCOL_TYPE_IPV4, arp.protocolType());
        assertEquals(6, arp.hardwareLength());
        assertEquals(4, arp.protocolLength());
        assertEquals(ArpFlyweight.OPERATION_REQUEST, arp.operation());
        assertEquals(0x0200_0000_0001L, arp.senderHardwareAddress());
        assertEquals(0x0A00_0001, arp.senderProtocolAddress());
        assertEquals(0L, arp.targetHardwareAddress());
        assertEquals(0x0A00_0009, arp.targetProtocolAddress());
    }

    @Test
    void turnsRequestIntoReplyInPlace()
    {
        final UnsafeBuffer buffer = frame(ARP_REQUEST);
        arp.wrap(buffer, OFFSET + 14, 28);
        final long requesterMac = arp.senderHardwareAddress();
        final int requesterIp = arp.senderProtocolAddress();
        final int wantedIp = arp.targetProtocolAddress();

        arp.operation(ArpFlyweight.OPERATION_REPLY)
            .senderHardwareAddress(0x0200_0000_0009L)
            .senderProtocolAddress(wantedIp)
            .targetHardwareAddress(requesterMac)
            .targetProtocolAddress(requesterIp);

        assertArrayEquals(
            bytes("0001 0800 06 04 0002 020000000009 0a000009 020000000001 0a000001"),
            copy(buffer, OFFSET + 14, 28));
    }

    @Test
    void writesEthernetIpv4Constants()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 28]);
        arp.wrap(buffer, OFFSET, 28);
        assertFalse(arp.isValid());

        arp.ethernetIpv4();

        assertTrue(arp.isValid());
        assertArrayEquals(bytes("0001 0800 06 04"), copy(buffer, OFFSET, 6));
    }

    @Test
    void rejectsTruncatedPacket()
    {
        arp.wrap(truncatedFrame(ARP_REQUEST, 14 + 27), OFFSET + 14, 27);

        assertFalse(arp.isValid());
    }

    @Test
    void rejectsOtherHardwareOrProtocol()
    {
        final UnsafeBuffer buffer = frame(ARP_REQUEST);
        arp.wrap(buffer, OFFSET + 14, 28);

        buffer.putByte(OFFSET + 14 + ArpFlyweight.HARDWARE_TYPE_OFFSET + 1, (byte)6);
        assertFalse(arp.isValid());

        arp.ethernetIpv4();
        buffer.putByte(OFFSET + 14 + ArpFlyweight.PROTOCOL_LENGTH_OFFSET, (byte)16);
        assertFalse(arp.isValid());
    }
}
