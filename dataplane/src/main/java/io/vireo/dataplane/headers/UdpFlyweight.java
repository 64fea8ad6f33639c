package io.vireo.dataplane.headers;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over a UDP header (RFC 768).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |        Destination Port       |
 *  +-------------------------------+-------------------------------+
 *  |            Length             |            Checksum           |
 *  +-------------------------------+-------------------------------+
 * </pre>
 * Wrap with the IP payload length. The checksum covers a pseudo-header taken from the IP header
 * ({@link Ipv4Flyweight#pseudoHeaderSum(int, int)}, {@link Ipv6Flyweight#pseudoHeaderSum(int, int)})
 * and the {@link #datagramLength()} bytes of the datagram. Over IPv4 a checksum of 0 means none was
 * sent.
 */
public final class UdpFlyweight extends HeaderFlyweight
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    /** IP protocol number of UDP. */
    public static final int PROTOCOL = 17;
    /** Checksum field value meaning no checksum (IPv4 only). */
    public static final int NO_CHECKSUM = 0;

    private static final int CHECKSUM_LENGTH = 2;

    @Override
    public UdpFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        super.wrap(buffer, offset, length);
        return this;
    }

    /** @return true if the header fits and its Length covers the header and fits in the wrapped length. */
    @Override
    public boolean isValid()
    {
        if (length < HEADER_LENGTH)
        {
            return false;
        }
        final int datagramLength = datagramLength();
        return datagramLength >= HEADER_LENGTH && datagramLength <= length;
    }

    public int sourcePort()
    {
        return readUnsignedShort(SOURCE_PORT_OFFSET);
    }

    public UdpFlyweight sourcePort(final int port)
    {
        writeShort(SOURCE_PORT_OFFSET, port);
        return this;
    }

    public int destinationPort()
    {
        return readUnsignedShort(DESTINATION_PORT_OFFSET);
    }

    public UdpFlyweight destinationPort(final int port)
    {
        writeShort(DESTINATION_PORT_OFFSET, port);
        return this;
    }

    /** @return the Length field: bytes of header and payload. */
    public int datagramLength()
    {
        return readUnsignedShort(LENGTH_OFFSET);
    }

    public UdpFlyweight datagramLength(final int datagramLength)
    {
        writeShort(LENGTH_OFFSET, datagramLength);
        return this;
    }

    public int checksum()
    {
        return readUnsignedShort(CHECKSUM_OFFSET);
    }

    public UdpFlyweight checksum(final int checksum)
    {
        writeShort(CHECKSUM_OFFSET, checksum);
        return this;
    }

    /** @return index in the buffer of the first payload byte. */
    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    /** @return bytes of payload by the Length field. */
    public int payloadLength()
    {
        return datagramLength() - HEADER_LENGTH;
    }

    /**
     * @param pseudoHeaderSum the IP pseudo-header sum for protocol {@link #PROTOCOL} and length
     *                        {@link #datagramLength()}.
     * @return the checksum over pseudo-header and datagram, the stored checksum taken as zero. A
     * computed 0 is returned as 0xFFFF, since 0 on the wire means no checksum.
     */
    public int computeChecksum(final long pseudoHeaderSum)
    {
        final int afterChecksum = CHECKSUM_OFFSET + CHECKSUM_LENGTH;
        final int checksum = Checksums.finish(
            pseudoHeaderSum +
            Checksums.sum(buffer, offset, CHECKSUM_OFFSET) +
            Checksums.sum(buffer, offset + afterChecksum, datagramLength() - afterChecksum));
        return checksum == NO_CHECKSUM ? 0xFFFF : checksum;
    }

    /**
     * Store the result of {@link #computeChecksum(long)}.
     *
     * @param pseudoHeaderSum as for {@link #computeChecksum(long)}.
     * @return this flyweight.
     */
    public UdpFlyweight updateChecksum(final long pseudoHeaderSum)
    {
        return checksum(computeChecksum(pseudoHeaderSum));
    }
}
