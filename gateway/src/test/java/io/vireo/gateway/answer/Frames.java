package io.vireo.gateway.answer;

import io.vireo.dataplane.headers.Checksums;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Writes the frames the tests send a router, byte by byte rather than through the flyweights under
 * test, and checks checksums independently: IPv4 headers and ICMP messages sum to zero, ICMPv6
 * messages with their pseudo-header too.
 * <p>
 * The host 10.0.0.1 / fd00::1 / 02:00:00:00:00:01 talks to the router 10.0.0.254 / fd00::fe /
 * 02:00:00:00:00:fe, or through it to 10.1.0.9 / fd01::9.
 */
final class Frames
{
    static final long HOST_MAC = 0x0200_0000_0001L;
    static final long ROUTER_MAC = 0x0200_0000_00FEL;
    static final int HOST_IP = 0x0A00_0001;
    static final int ROUTER_IP = 0x0A00_00FE;
    static final int FAR_IP = 0x0A01_0009;
    static final long ULA_HIGH = 0xFD00_0000_0000_0000L;
    static final long FAR_HIGH = 0xFD01_0000_0000_0000L;
    static final long HOST_LOW = 1;
    static final long ROUTER_LOW = 0xFE;
    static final long FAR_LOW = 9;
    static final long ALL_NODES_HIGH = 0xFF02_0000_0000_0000L;

    private Frames()
    {
    }

    static void ethernet(final MutableDirectBuffer buffer, final int offset, final long destination, final long source, final int etherType)
    {
        putMac(buffer, offset, destination);
        putMac(buffer, offset + 6, source);
        buffer.putShort(offset + 12, (short)etherType, BIG_ENDIAN);
    }

    /** An ARP request from the host: who has {@code target}, tell 10.0.0.1. */
    static int arpRequest(final MutableDirectBuffer buffer, final int offset, final int target)
    {
        ethernet(buffer, offset, 0xFFFF_FFFF_FFFFL, HOST_MAC, 0x0806);
        final int arp = offset + 14;
        buffer.putShort(arp, (short)1, BIG_ENDIAN);
        buffer.putShort(arp + 2, (short)0x0800, BIG_ENDIAN);
        buffer.putByte(arp + 4, (byte)6);
        buffer.putByte(arp + 5, (byte)4);
        buffer.putShort(arp + 6, (short)1, BIG_ENDIAN);
        putMac(buffer, arp + 8, HOST_MAC);
        buffer.putInt(arp + 14, HOST_IP, BIG_ENDIAN);
        putMac(buffer, arp + 18, 0);
        buffer.putInt(arp + 24, target, BIG_ENDIAN);
        return 42;
    }

    /**
     * An Ethernet + IPv4 frame from the host's MAC to the router's, its payload filled with a counting
     * pattern; IHL 5 unless {@code optionWords} adds options (NOPs).
     *
     * @return the frame's length: the packet's, or 60 with padding if shorter.
     */
    static int ipv4(
        final MutableDirectBuffer buffer, final int offset, final int source, final int destination, final int protocol,
        final int payloadLength, final int flagsAndFragmentOffset, final int optionWords)
    {
        ethernet(buffer, offset, ROUTER_MAC, HOST_MAC, 0x0800);
        final int ip = offset + 14;
        final int headerLength = 20 + 4 * optionWords;
        final int totalLength = headerLength + payloadLength;
        buffer.putByte(ip, (byte)(0x40 | (headerLength / 4)));
        buffer.putByte(ip + 1, (byte)0x02);
        buffer.putShort(ip + 2, (short)totalLength, BIG_ENDIAN);
        buffer.putShort(ip + 4, (short)0x1234, BIG_ENDIAN);
        buffer.putShort(ip + 6, (short)flagsAndFragmentOffset, BIG_ENDIAN);
        buffer.putByte(ip + 8, (byte)1);
        buffer.putByte(ip + 9, (byte)protocol);
        buffer.putShort(ip + 10, (short)0);
        buffer.putInt(ip + 12, source, BIG_ENDIAN);
        buffer.putInt(ip + 16, destination, BIG_ENDIAN);
        buffer.setMemory(ip + 20, headerLength - 20, (byte)1);
        for (int i = 0; i < payloadLength; i++)
        {
            buffer.putByte(ip + headerLength + i, (byte)i);
        }
        ipv4Checksum(buffer, offset);
        return pad(buffer, offset, 14 + totalLength);
    }

    /** Recomputes the IPv4 header checksum of the frame at {@code offset}. */
    static void ipv4Checksum(final MutableDirectBuffer buffer, final int offset)
    {
        final int ip = offset + 14;
        buffer.putShort(ip + 10, (short)0);
        buffer.putShort(ip + 10, (short)Checksums.checksum(buffer, ip, (buffer.getByte(ip) & 0x0F) * 4), BIG_ENDIAN);
    }

    /** An ICMP message in an IPv4 frame from the host: type, code, 4 bytes (0x0fb40001) and {@code dataLength} bytes. */
    static int icmp(
        final MutableDirectBuffer buffer, final int offset, final int destination, final int type, final int code,
        final int dataLength, final int optionWords)
    {
        final int length = ipv4(buffer, offset, HOST_IP, destination, 1, 8 + dataLength, 0x4000, optionWords);
        final int icmp = offset + 14 + 20 + 4 * optionWords;
        buffer.putByte(icmp, (byte)type);
        buffer.putByte(icmp + 1, (byte)code);
        buffer.putShort(icmp + 2, (short)0);
        buffer.putInt(icmp + 4, 0x0FB4_0001, BIG_ENDIAN);
        buffer.putShort(icmp + 2, (short)Checksums.checksum(buffer, icmp, 8 + dataLength), BIG_ENDIAN);
        return length;
    }

    /**
     * An Ethernet + IPv6 frame from the host's MAC to the router's, its payload filled with a counting
     * pattern.
     */
    static int ipv6(
        final MutableDirectBuffer buffer, final int offset, final long sourceHigh, final long sourceLow,
        final long destinationHigh, final long destinationLow, final int nextHeader, final int hopLimit, final int payloadLength)
    {
        ethernet(buffer, offset, ROUTER_MAC, HOST_MAC, 0x86DD);
        final int ip = offset + 14;
        buffer.putInt(ip, 0x6000_0000 | (0x0A << 20) | 0x1_2345, BIG_ENDIAN);
        buffer.putShort(ip + 4, (short)payloadLength, BIG_ENDIAN);
        buffer.putByte(ip + 6, (byte)nextHeader);
        buffer.putByte(ip + 7, (byte)hopLimit);
        buffer.putLong(ip + 8, sourceHigh, BIG_ENDIAN);
        buffer.putLong(ip + 16, sourceLow, BIG_ENDIAN);
        buffer.putLong(ip + 24, destinationHigh, BIG_ENDIAN);
        buffer.putLong(ip + 32, destinationLow, BIG_ENDIAN);
        for (int i = 0; i < payloadLength; i++)
        {
            buffer.putByte(ip + 40 + i, (byte)i);
        }
        return pad(buffer, offset, 14 + 40 + payloadLength);
    }

    /** An ICMPv6 message (type, code, 4 bytes 0x0fb40001, data) in an IPv6 frame, its checksum right. */
    static int icmpv6(
        final MutableDirectBuffer buffer, final int offset, final long sourceHigh, final long sourceLow,
        final long destinationHigh, final long destinationLow, final int hopLimit, final int type, final int code, final int dataLength)
    {
        final int length = ipv6(buffer, offset, sourceHigh, sourceLow, destinationHigh, destinationLow, 58, hopLimit, 8 + dataLength);
        final int icmp = offset + 54;
        buffer.putByte(icmp, (byte)type);
        buffer.putByte(icmp + 1, (byte)code);
        buffer.putInt(icmp + 4, 0x0FB4_0001, BIG_ENDIAN);
        icmpv6Checksum(buffer, offset);
        return length;
    }

    /** A neighbour solicitation for {@code target}, with {@code options} (raw bytes) after it. */
    static int solicitation(
        final MutableDirectBuffer buffer, final int offset, final long sourceHigh, final long sourceLow,
        final long destinationHigh, final long destinationLow, final long targetHigh, final long targetLow, final byte[] options)
    {
        final int length = ipv6(buffer, offset, sourceHigh, sourceLow, destinationHigh, destinationLow, 58, 255, 24 + options.length);
        final int icmp = offset + 54;
        buffer.putByte(icmp, (byte)135);
        buffer.putByte(icmp + 1, (byte)0);
        buffer.putInt(icmp + 4, 0);
        buffer.putLong(icmp + 8, targetHigh, BIG_ENDIAN);
        buffer.putLong(icmp + 16, targetLow, BIG_ENDIAN);
        buffer.putBytes(icmp + 24, options);
        icmpv6Checksum(buffer, offset);
        return length;
    }

    /** Recomputes the checksum of the ICMPv6 message right after the IPv6 header of the frame at {@code offset}. */
    static void icmpv6Checksum(final MutableDirectBuffer buffer, final int offset)
    {
        final int icmp = offset + 54;
        buffer.putShort(icmp + 2, (short)0);
        buffer.putShort(icmp + 2, (short)Checksums.finish(icmpv6Sum(buffer, offset)), BIG_ENDIAN);
    }

    /** @return the IPv4 header's checksum over itself: 0 when it is right. */
    static int ipv4HeaderChecksum(final MutableDirectBuffer buffer, final int offset)
    {
        final int ip = offset + 14;
        return Checksums.checksum(buffer, ip, (buffer.getByte(ip) & 0x0F) * 4);
    }

    /** @return the ICMP message's checksum over itself, by the IPv4 total length: 0 when it is right. */
    static int icmpChecksum(final MutableDirectBuffer buffer, final int offset)
    {
        final int ip = offset + 14;
        final int headerLength = (buffer.getByte(ip) & 0x0F) * 4;
        return Checksums.checksum(buffer, ip + headerLength, (buffer.getShort(ip + 2, BIG_ENDIAN) & 0xFFFF) - headerLength);
    }

    /** @return the ICMPv6 message's checksum over itself and its pseudo-header: 0 when it is right. */
    static int icmpv6MessageChecksum(final MutableDirectBuffer buffer, final int offset)
    {
        return Checksums.finish(icmpv6Sum(buffer, offset));
    }

    private static long icmpv6Sum(final MutableDirectBuffer buffer, final int offset)
    {
        final int ip = offset + 14;
        final int payloadLength = buffer.getShort(ip + 4, BIG_ENDIAN) & 0xFFFF;
        long sum = 58 + payloadLength;
        for (int i = 8; i < 40; i += 2)
        {
            sum += buffer.getShort(ip + i, BIG_ENDIAN) & 0xFFFF;
        }
        return sum + Checksums.sum(buffer, ip + 40, payloadLength);
    }

    static void putMac(final MutableDirectBuffer buffer, final int index, final long mac)
    {
        for (int i = 0; i < 6; i++)
        {
            buffer.putByte(index + i, (byte)(mac >>> (40 - 8 * i)));
        }
    }

    static long mac(final MutableDirectBuffer buffer, final int index)
    {
        long mac = 0;
        for (int i = 0; i < 6; i++)
        {
            mac = (mac << 8) | (buffer.getByte(index + i) & 0xFF);
        }
        return mac;
    }

    private static int pad(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (length >= 60)
        {
            return length;
        }
        buffer.setMemory(offset + length, 60 - length, (byte)0);
        return 60;
    }
}
