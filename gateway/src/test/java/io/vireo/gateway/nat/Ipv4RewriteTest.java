package io.vireo.gateway.nat;

import java.nio.ByteOrder;
import java.util.SplittableRandom;

import io.vireo.dataplane.headers.Checksums;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every rewrite checked against checksums computed from scratch, over many random packets. */
class Ipv4RewriteTest
{
    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int IP = 14;

    private final SplittableRandom random = new SplittableRandom(3);

    @Test
    void tcpAndUdpWithFullChecksumsStayValid()
    {
        for (int round = 0; round < 2_000; round++)
        {
            final int protocol = round % 2 == 0 ? Ipv4Rewrite.PROTOCOL_TCP : Ipv4Rewrite.PROTOCOL_UDP;
            final UnsafeBuffer packet = packet(protocol, 20 + 4 * random.nextInt(3), random.nextInt(200));
            finishL4(packet, protocol);
            final int address = random.nextInt();
            final int port = random.nextInt(65_536);
            if (random.nextBoolean())
            {
                Ipv4Rewrite.source(packet, IP, false, address, port);
                assertEquals(address, packet.getInt(IP + 12, NETWORK));
                assertEquals(port, Ipv4Rewrite.sourcePort(packet, IP));
            }
            else
            {
                Ipv4Rewrite.destination(packet, IP, false, address, port);
                assertEquals(address, packet.getInt(IP + 16, NETWORK));
                assertEquals(port, Ipv4Rewrite.destinationPort(packet, IP));
            }
            assertEquals(0, Checksums.checksum(packet, IP, headerLength(packet)), "IP header checksum");
            assertEquals(0, Checksums.finish(pseudoHeader(packet, protocol) + Checksums.sum(packet, l4(packet), l4Length(packet))),
                "L4 checksum, round " + round);
        }
    }

    @Test
    void aPartialChecksumFollowsTheAddressesOnly()
    {
        for (int round = 0; round < 1_000; round++)
        {
            final int protocol = round % 2 == 0 ? Ipv4Rewrite.PROTOCOL_TCP : Ipv4Rewrite.PROTOCOL_UDP;
            final UnsafeBuffer packet = packet(protocol, 20, random.nextInt(100));
            final int checksumAt = l4(packet) + (Ipv4Rewrite.PROTOCOL_TCP == protocol ? 16 : 6);
            packet.putShort(checksumAt, (short)Checksums.fold(pseudoHeader(packet, protocol)), NETWORK);
            Ipv4Rewrite.source(packet, IP, true, random.nextInt(), random.nextInt(65_536));
            Ipv4Rewrite.destination(packet, IP, true, random.nextInt(), random.nextInt(65_536));
            assertEquals(Checksums.fold(pseudoHeader(packet, protocol)), packet.getShort(checksumAt, NETWORK) & 0xFFFF);
            assertEquals(0, Checksums.checksum(packet, IP, 20));
        }
    }

    @Test
    void aUdpDatagramWithoutChecksumKeepsNone()
    {
        final UnsafeBuffer packet = packet(Ipv4Rewrite.PROTOCOL_UDP, 20, 16);
        Ipv4Rewrite.source(packet, IP, false, 0x0A00_0001, 4000);
        assertEquals(0, packet.getShort(l4(packet) + 6));
        assertEquals(4000, Ipv4Rewrite.sourcePort(packet, IP));
    }

    @Test
    void anEchoRequestsIdentifierIsItsPort()
    {
        for (int round = 0; round < 500; round++)
        {
            final UnsafeBuffer packet = packet(Ipv4Rewrite.PROTOCOL_ICMP, 20, 8 + random.nextInt(56));
            packet.putByte(l4(packet), (byte)8);
            packet.putShort(l4(packet) + 2, (short)0, NETWORK);
            packet.putShort(l4(packet) + 2, (short)Checksums.checksum(packet, l4(packet), l4Length(packet)), NETWORK);
            final int identifier = random.nextInt(65_536);
            Ipv4Rewrite.source(packet, IP, false, random.nextInt(), identifier);
            assertEquals(identifier, Ipv4Rewrite.sourcePort(packet, IP));
            assertEquals(identifier, Ipv4Rewrite.destinationPort(packet, IP));
            assertEquals(0, Checksums.checksum(packet, l4(packet), l4Length(packet)));
            assertEquals(0, Checksums.checksum(packet, IP, 20));
        }
    }

    /** Ethernet, an IPv4 header of {@code headerLength} bytes with a valid checksum, an L4 header and payload, random. */
    private UnsafeBuffer packet(final int protocol, final int headerLength, final int payload)
    {
        final int l4Header = Ipv4Rewrite.PROTOCOL_TCP == protocol ? 20 : 8;
        final byte[] bytes = new byte[IP + headerLength + l4Header + payload];
        random.nextBytes(bytes);
        final UnsafeBuffer packet = new UnsafeBuffer(bytes);
        packet.putByte(IP, (byte)(0x40 | headerLength / 4));
        packet.putShort(IP + 2, (short)(bytes.length - IP), NETWORK);
        packet.putByte(IP + 9, (byte)protocol);
        packet.putShort(IP + 10, (short)0, NETWORK);
        packet.putShort(IP + 10, (short)Checksums.checksum(packet, IP, headerLength), NETWORK);
        if (Ipv4Rewrite.PROTOCOL_UDP == protocol)
        {
            packet.putShort(IP + headerLength + 4, (short)(l4Header + payload), NETWORK);
            packet.putShort(IP + headerLength + 6, (short)0, NETWORK);
        }
        return packet;
    }

    private static void finishL4(final UnsafeBuffer packet, final int protocol)
    {
        final int checksumAt = l4(packet) + (Ipv4Rewrite.PROTOCOL_TCP == protocol ? 16 : 6);
        packet.putShort(checksumAt, (short)0, NETWORK);
        final int checksum = Checksums.finish(pseudoHeader(packet, protocol) + Checksums.sum(packet, l4(packet), l4Length(packet)));
        packet.putShort(checksumAt, (short)(0 == checksum && Ipv4Rewrite.PROTOCOL_UDP == protocol ? 0xFFFF : checksum), NETWORK);
    }

    private static long pseudoHeader(final UnsafeBuffer packet, final int protocol)
    {
        return Checksums.ipv4PseudoHeaderSum(packet.getInt(IP + 12, NETWORK), packet.getInt(IP + 16, NETWORK), protocol,
            l4Length(packet));
    }

    private static int headerLength(final UnsafeBuffer packet)
    {
        return (packet.getByte(IP) & 0x0F) * 4;
    }

    private static int l4(final UnsafeBuffer packet)
    {
        return IP + headerLength(packet);
    }

    private static int l4Length(final UnsafeBuffer packet)
    {
        return packet.capacity() - l4(packet);
    }
}
