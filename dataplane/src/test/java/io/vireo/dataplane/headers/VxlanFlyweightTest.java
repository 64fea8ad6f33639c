package io.vireo.dataplane.headers;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.CapturedFrames.VXLAN_ICMP_ECHO;
import static io.vireo.dataplane.headers.TestBuffers.OFFSET;
import static io.vireo.dataplane.headers.TestBuffers.bytes;
import static io.vireo.dataplane.headers.TestBuffers.copy;
import static io.vireo.dataplane.headers.TestBuffers.frame;
import static io.vireo.dataplane.headers.TestBuffers.truncatedFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VxlanFlyweightTest
{
    private static final int VXLAN_OFFSET = OFFSET + 14 + 20 + 8;

    private final EthernetFlyweight eth = new EthernetFlyweight();
    private final Ipv4Flyweight ip = new Ipv4Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final VxlanFlyweight vxlan = new VxlanFlyweight();

    @Test
    void parsesCapturedEncapsulatedFrameDownToTheInnerHeaders()
    {
        final UnsafeBuffer buffer = frame(VXLAN_ICMP_ECHO);
        assertTrue(eth.wrap(buffer, OFFSET, 100).isValid());
        assertTrue(ip.wrap(buffer, eth.payloadOffset(), eth.payloadLength()).isValid());
        assertEquals(UdpFlyweight.PROTOCOL, ip.protocol());
        assertTrue(udp.wrap(buffer, ip.payloadOffset(), ip.payloadLength()).isValid());
        assertEquals(VxlanFlyweight.UDP_PORT, udp.destinationPort());
        vxlan.wrap(buffer, udp.payloadOffset(), udp.payloadLength());

        assertTrue(vxlan.isValid());
        assertEquals(VXLAN_OFFSET, vxlan.offset());
        assertEquals(VxlanFlyweight.FLAG_VNI_VALID, vxlan.flags());
        assertEquals(0, vxlan.reserved1());
        assertEquals(42, vxlan.vni());
        assertEquals(0, vxlan.reserved2());
        assertEquals(50, vxlan.payloadLength());

        eth.wrap(buffer, vxlan.payloadOffset(), vxlan.payloadLength());
        assertTrue(eth.isValid());
        assertEquals(0x0200_0000_0012L, eth.destination());
        assertEquals(0x0200_0000_0011L, eth.source());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, eth.payloadEtherType());

        ip.wrap(buffer, eth.payloadOffset(), eth.payloadLength());
        assertTrue(ip.isValid());
        assertEquals(0xC0A8_2A01, ip.sourceAddress());
        assertEquals(0xC0A8_2A02, ip.destinationAddress());
        assertEquals(ip.headerChecksum(), ip.computeChecksum());
    }

    @Test
    void writesHeaderAsVtepSendsIt()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 8]);
        buffer.setMemory(0, buffer.capacity(), (byte)0xFF);

        vxlan.wrap(buffer, OFFSET, 8).header(0xABCDEF);

        assertTrue(vxlan.isValid());
        assertEquals(0xABCDEF, vxlan.vni());
        assertArrayEquals(bytes("08000000 abcdef00"), copy(buffer, OFFSET, 8));
    }

    @Test
    void writesFieldsIndependently()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 8]);
        vxlan.wrap(buffer, OFFSET, 8)
            .flags(0x88)
            .reserved1(0x123456)
            .reserved2(0x5A)
            .vni(VxlanFlyweight.MAX_VNI);

        assertEquals(0x88, vxlan.flags());
        assertEquals(0x123456, vxlan.reserved1());
        assertEquals(VxlanFlyweight.MAX_VNI, vxlan.vni());
        assertEquals(0x5A, vxlan.reserved2());
        assertArrayEquals(bytes("88123456 ffffff5a"), copy(buffer, OFFSET, 8));

        vxlan.vni(1).reserved1(0).flags(VxlanFlyweight.FLAG_VNI_VALID);
        assertArrayEquals(bytes("08000000 0000015a"), copy(buffer, OFFSET, 8));
    }

    @Test
    void rejectsTruncatedHeader()
    {
        vxlan.wrap(truncatedFrame(VXLAN_ICMP_ECHO, VXLAN_OFFSET - OFFSET + 7), VXLAN_OFFSET, 7);

        assertFalse(vxlan.isValid());
    }

    @Test
    void rejectsHeaderWithoutTheIFlag()
    {
        final UnsafeBuffer buffer = frame(VXLAN_ICMP_ECHO);
        vxlan.wrap(buffer, VXLAN_OFFSET, 58).flags(0);

        assertFalse(vxlan.isValid());
    }
}
