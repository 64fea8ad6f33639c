package io.vireo.dataplane.icmp;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PacketTooBigTest
{
    private static final int NET_HEADER = 0;
    private static final int FRAME = 16;
    private static final int OUT = 32;
    private static final byte[] SENDER_MAC = {0x02, 0, 0, 0, 0, 0x0A};
    private static final byte[] RECEIVER_MAC = {0x02, 0, 0, 0, 0, 0x0B};

    private final PacketTooBig tooBig = new PacketTooBig();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[70_000]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[4096]);

    @Test
    void anIpv4PacketWithDfGetsFragmentationNeededFromItsDestination()
    {
        final int length = ipv4Tcp(1500, Ipv4Flyweight.FLAG_DF);
        assertEquals(1486, tooBig.packetSize(buffer, NET_HEADER, FRAME, length));

        final int reply = tooBig.reply(buffer, FRAME, length, 1450, out, OUT);

        assertEquals(14 + 20 + 8 + 20 + 8, reply);
        assertMacs(out, OUT);
        final Ipv4Flyweight ip = new Ipv4Flyweight().wrap(out, OUT + 14, reply - 14);
        assertEquals(true, ip.isValid());
        assertEquals(0, Checksums.checksum(out, OUT + 14, 20), "IP header checksum");
        assertEquals(1, ip.protocol());
        assertEquals(0x0A00_0002, ip.sourceAddress(), "from the packet's destination");
        assertEquals(0x0A00_0001, ip.destinationAddress(), "to its sender");
        final int icmp = OUT + 14 + 20;
        assertEquals(3, out.getByte(icmp));
        assertEquals(4, out.getByte(icmp + 1));
        assertEquals(1450, Short.toUnsignedInt(Short.reverseBytes(out.getShort(icmp + 6))), "next-hop MTU");
        assertEquals(0, Checksums.checksum(out, icmp, 8 + 28), "ICMP checksum");
        for (int i = 0; i < 28; i++)
        {
            assertEquals(buffer.getByte(FRAME + 14 + i), out.getByte(icmp + 8 + i), "quotes the IP header and 8 bytes, byte " + i);
        }
    }

    @Test
    void aGsoFrameIsMeasuredBySegmentNotByItsLength()
    {
        final int length = ipv4Tcp(30_000, Ipv4Flyweight.FLAG_DF);
        final VirtioNetHeaderFlyweight header = new VirtioNetHeaderFlyweight().wrap(buffer, NET_HEADER, 12);
        header.gsoType(VirtioNetHeaderFlyweight.GSO_TCPV4).gsoSize(1448).csumStart(34).flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM);
        assertEquals(20 + 20 + 1448, tooBig.packetSize(buffer, NET_HEADER, FRAME, length));
        header.gsoSize(1398);
        assertEquals(1438, tooBig.packetSize(buffer, NET_HEADER, FRAME, length));
        header.gsoType(VirtioNetHeaderFlyweight.GSO_UDP_L4).gsoSize(1400);
        assertEquals(20 + 8 + 1400, tooBig.packetSize(buffer, NET_HEADER, FRAME, length));
    }

    @Test
    void anIpv6PacketGetsPacketTooBigWithAValidChecksum()
    {
        final int length = ipv6Udp(1500);
        assertEquals(1486, tooBig.packetSize(buffer, NET_HEADER, FRAME, length));

        final int reply = tooBig.reply(buffer, FRAME, length, 1450, out, OUT);

        assertEquals(14 + 1280, reply, "as much of the original as fits in the minimum MTU");
        assertMacs(out, OUT);
        final Ipv6Flyweight ip = new Ipv6Flyweight().wrap(out, OUT + 14, reply - 14);
        assertEquals(58, ip.nextHeader());
        assertEquals(1280 - 40, ip.payloadLength());
        assertEquals(0xFD00_0000_0000_0000L, ip.sourceAddressHigh());
        assertEquals(2, ip.sourceAddressLow(), "from the packet's destination");
        assertEquals(1, ip.destinationAddressLow(), "to its sender");
        final int icmp = OUT + 14 + 40;
        assertEquals(2, out.getByte(icmp));
        assertEquals(1450, Integer.reverseBytes(out.getInt(icmp + 4)));
        final long sum = ip.pseudoHeaderSum(58, 1240) + Checksums.sum(out, icmp, 1240);
        assertEquals(0, Checksums.finish(sum), "ICMPv6 checksum over the pseudo-header");
    }

    @Test
    void noAnswerWhereNoneIsDue()
    {
        assertEquals(0, tooBig.reply(buffer, FRAME, ipv4Tcp(1500, 0), 1450, out, OUT), "IPv4 without DF");
        final int icmpError = ipv4Tcp(1500, Ipv4Flyweight.FLAG_DF);
        buffer.putByte(FRAME + 14 + 9, (byte)1);
        buffer.putByte(FRAME + 14 + 20, (byte)3);
        assertEquals(0, tooBig.reply(buffer, FRAME, icmpError, 1450, out, OUT), "an ICMP error");
        buffer.putByte(FRAME + 14 + 20, (byte)8);
        assertEquals(70, tooBig.reply(buffer, FRAME, icmpError, 1450, out, OUT), "an echo request is answered");
        final int shortPacket = ipv4Tcp(60, Ipv4Flyweight.FLAG_DF);
        new Ipv4Flyweight().wrap(buffer, FRAME + 14, shortPacket - 14).totalLength(24).updateChecksum();
        assertEquals(14 + 28 + 24, tooBig.reply(buffer, FRAME, shortPacket, 20, out, OUT), "quotes the packet, not the padding");
        final int toGroup = ipv4Tcp(1500, Ipv4Flyweight.FLAG_DF);
        buffer.putByte(FRAME, (byte)0x01);
        assertEquals(0, tooBig.reply(buffer, FRAME, toGroup, 1450, out, OUT), "a frame to a group MAC");
        final int fromGroup = ipv6Udp(1500);
        buffer.putByte(FRAME + 14 + 8, (byte)0xFF);
        assertEquals(0, tooBig.reply(buffer, FRAME, fromGroup, 1450, out, OUT), "a group source");
        final int icmpv6Error = ipv6Udp(1500);
        buffer.putByte(FRAME + 14 + 6, (byte)58);
        buffer.putByte(FRAME + 14 + 40, (byte)1);
        assertEquals(0, tooBig.reply(buffer, FRAME, icmpv6Error, 1450, out, OUT), "an ICMPv6 error");
        final int redirect = ipv6Udp(1500);
        buffer.putByte(FRAME + 14 + 6, (byte)58);
        buffer.putByte(FRAME + 14 + 40, (byte)137);
        assertEquals(0, tooBig.reply(buffer, FRAME, redirect, 1450, out, OUT), "an ICMPv6 redirect");
        final int fromLoopback = ipv4Tcp(1500, Ipv4Flyweight.FLAG_DF);
        new Ipv4Flyweight().wrap(buffer, FRAME + 14, fromLoopback - 14).sourceAddress(0x7F00_0001).updateChecksum();
        assertEquals(0, tooBig.reply(buffer, FRAME, fromLoopback, 1450, out, OUT), "from loopback");
        final int toMulticast = ipv4Tcp(1500, Ipv4Flyweight.FLAG_DF);
        new Ipv4Flyweight().wrap(buffer, FRAME + 14, toMulticast - 14).destinationAddress(0xE000_0005).updateChecksum();
        assertEquals(0, tooBig.reply(buffer, FRAME, toMulticast, 1450, out, OUT), "to an IPv4 multicast address");
        buffer.putShort(FRAME + 12, Short.reverseBytes((short)0x0806));
        assertEquals(-1, tooBig.packetSize(buffer, NET_HEADER, FRAME, 60), "not IP");
        assertEquals(0, tooBig.reply(buffer, FRAME, 60, 1450, out, OUT), "not IP");
        assertEquals(0, tooBig.reply(buffer, FRAME, 10, 1450, out, OUT), "a runt");
    }

    /** An Ethernet + IPv4 (10.0.0.1 to 10.0.0.2, TCP) frame of {@code length} bytes. */
    private int ipv4Tcp(final int length, final int flags)
    {
        buffer.setMemory(0, FRAME + length, (byte)0x5A);
        buffer.putLong(NET_HEADER, 0);
        buffer.putInt(NET_HEADER + 8, 0);
        ethernet(0x0800);
        final Ipv4Flyweight ip = new Ipv4Flyweight().wrap(buffer, FRAME + 14, length - 14);
        buffer.putByte(FRAME + 14, (byte)0x45);
        ip.dscp(0).ecn(0).totalLength(length - 14).identification(7).flagsAndFragmentOffset(flags).ttl(64).protocol(6)
            .sourceAddress(0x0A00_0001).destinationAddress(0x0A00_0002).headerChecksum(0).updateChecksum();
        buffer.putByte(FRAME + 14 + 20 + 12, (byte)0x50);
        return length;
    }

    /** An Ethernet + IPv6 (fd00::1 to fd00::2, UDP) frame of {@code length} bytes. */
    private int ipv6Udp(final int length)
    {
        buffer.setMemory(0, FRAME + length, (byte)0x5A);
        buffer.putLong(NET_HEADER, 0);
        buffer.putInt(NET_HEADER + 8, 0);
        ethernet(0x86DD);
        new Ipv6Flyweight().wrap(buffer, FRAME + 14, length - 14).version(6).trafficClass(0).flowLabel(0)
            .payloadLength(length - 14 - 40).nextHeader(17).hopLimit(64)
            .sourceAddress(0xFD00_0000_0000_0000L, 1).destinationAddress(0xFD00_0000_0000_0000L, 2);
        return length;
    }

    private void ethernet(final int etherType)
    {
        buffer.putBytes(FRAME, RECEIVER_MAC);
        buffer.putBytes(FRAME + 6, SENDER_MAC);
        buffer.putShort(FRAME + 12, Short.reverseBytes((short)etherType));
    }

    private static void assertMacs(final UnsafeBuffer frame, final int offset)
    {
        for (int i = 0; i < 6; i++)
        {
            assertEquals(SENDER_MAC[i], frame.getByte(offset + i), "to the sender's MAC");
            assertEquals(RECEIVER_MAC[i], frame.getByte(offset + 6 + i), "from the destination's MAC");
        }
    }
}
