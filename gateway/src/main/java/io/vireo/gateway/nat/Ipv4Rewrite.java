package io.vireo.gateway.nat;

import java.nio.ByteOrder;

import io.vireo.dataplane.headers.Checksums;
import org.agrona.MutableDirectBuffer;

/**
 * Rewrites an IPv4 packet's source or destination address and port in place, as network address
 * translation does, keeping every checksum right by incremental update (RFC 1624): the IP header's,
 * and the TCP or UDP checksum, which covers the addresses through its pseudo-header. The "port" of
 * an ICMP echo request or reply is its identifier, as conntrack has it.
 * <p>
 * A packet from an offloading port may carry a <em>partial</em> TCP or UDP checksum (virtio's
 * {@code NEEDS_CSUM}): its checksum field holds the folded pseudo-header sum, not complemented, and
 * whoever sends it on sums the segment into it. Such a field follows the address change the other
 * way round, and not the port change, which the final sum covers anyway. A UDP checksum of 0 means
 * none was computed and stays 0.
 * <pre>
 *  IPv4: ... | source address @12 | destination address @16 | options | L4 header @IHL*4
 *  TCP:  source port @0 | destination port @2 | ... | checksum @16
 *  UDP:  source port @0 | destination port @2 | length @4 | checksum @6
 *  ICMP: type @0 | code @1 | checksum @2 | identifier @4 (echo)
 * </pre>
 */
public final class Ipv4Rewrite
{
    public static final int PROTOCOL_ICMP = 1;
    public static final int PROTOCOL_TCP = 6;
    public static final int PROTOCOL_UDP = 17;

    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int SOURCE_ADDRESS = 12;
    private static final int DESTINATION_ADDRESS = 16;
    private static final int HEADER_CHECKSUM = 10;
    private static final int TCP_CHECKSUM = 16;
    private static final int UDP_CHECKSUM = 6;
    private static final int ICMP_CHECKSUM = 2;
    private static final int ICMP_IDENTIFIER = 4;

    private Ipv4Rewrite()
    {
    }

    /**
     * Gives the packet a new source address and port.
     *
     * @param ip              offset of the IPv4 header.
     * @param partialChecksum the TCP/UDP checksum field holds a partial (pseudo-header) sum.
     */
    public static void source(
        final MutableDirectBuffer buffer, final int ip, final boolean partialChecksum, final int address, final int port)
    {
        rewrite(buffer, ip, end(buffer, ip), partialChecksum, SOURCE_ADDRESS, 0, address, port);
    }

    /** Gives the packet a new destination address and port; as {@link #source}. */
    public static void destination(
        final MutableDirectBuffer buffer, final int ip, final boolean partialChecksum, final int address, final int port)
    {
        rewrite(buffer, ip, end(buffer, ip), partialChecksum, DESTINATION_ADDRESS, 2, address, port);
    }

    /**
     * {@link #source} for the packet an ICMP error quotes, which may end before its L4 checksum: a
     * checksum that does not lie wholly before {@code end} is left alone. The quote must hold the
     * first 8 bytes of the L4 header.
     */
    public static void quotedSource(
        final MutableDirectBuffer buffer, final int ip, final int end, final int address, final int port)
    {
        rewrite(buffer, ip, end, false, SOURCE_ADDRESS, 0, address, port);
    }

    /** {@link #destination} for a quoted packet; as {@link #quotedSource}. */
    public static void quotedDestination(
        final MutableDirectBuffer buffer, final int ip, final int end, final int address, final int port)
    {
        rewrite(buffer, ip, end, false, DESTINATION_ADDRESS, 2, address, port);
    }

    /**
     * Gives the packet new addresses and nothing else, the IP header checksum updated: the outer header
     * of an ICMP error (whose own checksum covers no pseudo-header).
     */
    public static void addresses(final MutableDirectBuffer buffer, final int ip, final int source, final int destination)
    {
        address(buffer, ip, SOURCE_ADDRESS, source);
        address(buffer, ip, DESTINATION_ADDRESS, destination);
    }

    /** The packet's source port (TCP, UDP) or echo identifier (ICMP). */
    public static int sourcePort(final MutableDirectBuffer buffer, final int ip)
    {
        return buffer.getShort(portOffset(buffer, ip, 0), NETWORK) & 0xFFFF;
    }

    /** The packet's destination port (TCP, UDP) or echo identifier (ICMP). */
    public static int destinationPort(final MutableDirectBuffer buffer, final int ip)
    {
        return buffer.getShort(portOffset(buffer, ip, 2), NETWORK) & 0xFFFF;
    }

    private static void rewrite(
        final MutableDirectBuffer buffer, final int ip, final int end, final boolean partialChecksum,
        final int addressOffset, final int portOffset, final int address, final int port)
    {
        final int protocol = buffer.getByte(ip + 9) & 0xFF;
        final int l4 = ip + (buffer.getByte(ip) & 0x0F) * 4;
        final int oldAddress = address(buffer, ip, addressOffset, address);

        final int checksumAt = switch (protocol)
        {
            case PROTOCOL_TCP -> l4 + TCP_CHECKSUM;
            case PROTOCOL_UDP -> l4 + UDP_CHECKSUM;
            case PROTOCOL_ICMP -> l4 + ICMP_CHECKSUM;
            default -> -1;
        };
        if (checksumAt < 0)
        {
            return;
        }
        int checksum = checksumAt + 2 <= end ? buffer.getShort(checksumAt, NETWORK) & 0xFFFF : -1;
        if (PROTOCOL_UDP == protocol && 0 == checksum && !partialChecksum)
        {
            checksum = -1;
        }
        final int portAt = PROTOCOL_ICMP == protocol ? l4 + ICMP_IDENTIFIER : l4 + portOffset;
        final int oldPort = buffer.getShort(portAt, NETWORK) & 0xFFFF;
        buffer.putShort(portAt, (short)port, NETWORK);
        if (checksum < 0)
        {
            return;
        }

        if (PROTOCOL_ICMP != protocol && oldAddress != address)
        {
            checksum = partialChecksum ?
                ~adjustAddress(~checksum & 0xFFFF, oldAddress, address) & 0xFFFF : adjustAddress(checksum, oldAddress, address);
        }
        if (!partialChecksum || PROTOCOL_ICMP == protocol)
        {
            checksum = Checksums.adjust(checksum, oldPort, port);
        }
        if (PROTOCOL_UDP == protocol && 0 == checksum && !partialChecksum)
        {
            checksum = 0xFFFF;
        }
        buffer.putShort(checksumAt, (short)checksum, NETWORK);
    }

    /** Writes one address of the IP header with its checksum updated; returns the address it replaced. */
    private static int address(final MutableDirectBuffer buffer, final int ip, final int addressOffset, final int address)
    {
        final int oldAddress = buffer.getInt(ip + addressOffset, NETWORK);
        if (oldAddress != address)
        {
            buffer.putInt(ip + addressOffset, address, NETWORK);
            final int headerChecksum = buffer.getShort(ip + HEADER_CHECKSUM, NETWORK) & 0xFFFF;
            buffer.putShort(ip + HEADER_CHECKSUM, (short)adjustAddress(headerChecksum, oldAddress, address), NETWORK);
        }
        return oldAddress;
    }

    private static int end(final MutableDirectBuffer buffer, final int ip)
    {
        return ip + (buffer.getShort(ip + 2, NETWORK) & 0xFFFF);
    }

    private static int adjustAddress(final int checksum, final int oldAddress, final int address)
    {
        return Checksums.adjust(Checksums.adjust(checksum, oldAddress >>> 16, address >>> 16), oldAddress & 0xFFFF, address & 0xFFFF);
    }

    private static int portOffset(final MutableDirectBuffer buffer, final int ip, final int portOffset)
    {
        final int l4 = ip + (buffer.getByte(ip) & 0x0F) * 4;
        return PROTOCOL_ICMP == (buffer.getByte(ip + 9) & 0xFF) ? l4 + ICMP_IDENTIFIER : l4 + portOffset;
    }
}
