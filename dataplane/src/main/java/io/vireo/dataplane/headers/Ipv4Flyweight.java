package io.vireo.dataplane.headers;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over an IPv4 header (RFC 791). Addresses are {@code int}s, first octet most significant:
 * {@code 10.0.0.1} is {@code 0x0A00_0001}.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 *  +-------+-------+-----------+---+-+-+-+-------------------------+
 *  |         Identification        |R|D|M|      Fragment Offset    |
 *  +---------------+---------------+-+-+-+-------------------------+
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  +---------------+---------------+-------------------------------+
 *  |                       Source Address                          |
 *  +---------------------------------------------------------------+
 *  |                    Destination Address                        |
 *  +---------------------------------------------------------------+
 *  |                    Options (IHL > 5)                          |
 *  +---------------------------------------------------------------+
 * </pre>
 * Wrap with the bytes available after the link header: {@link #isValid()} checks that the header
 * and the whole datagram its Total Length claims fit in them. Trailing bytes beyond Total Length,
 * such as Ethernet padding, are allowed and are not part of {@link #payloadLength()}.
 * <p>
 * Setters do not touch the header checksum: finish with {@link #updateChecksum()}, or keep it right
 * with {@link #adjustChecksum(int, int)} when a single 16-bit word changed.
 */
public final class Ipv4Flyweight extends HeaderFlyweight
{
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int DSCP_ECN_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int HEADER_CHECKSUM_OFFSET = 10;
    public static final int SOURCE_ADDRESS_OFFSET = 12;
    public static final int DESTINATION_ADDRESS_OFFSET = 16;
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;

    public static final int VERSION = 4;
    /** Don't Fragment, in the 16-bit word of flags and fragment offset. */
    public static final int FLAG_DF = 0x4000;
    /** More Fragments, in the 16-bit word of flags and fragment offset. */
    public static final int FLAG_MF = 0x2000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    private static final int HEADER_CHECKSUM_LENGTH = 2;

    @Override
    public Ipv4Flyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        super.wrap(buffer, offset, length);
        return this;
    }

    /**
     * @return true if this is version 4 with a header of at least 20 bytes, and the datagram of Total
     * Length, at least as long as the header, fits in the wrapped length.
     */
    @Override
    public boolean isValid()
    {
        if (length < MIN_HEADER_LENGTH)
        {
            return false;
        }
        final int headerLength = headerLength();
        final int totalLength = totalLength();
        return version() == VERSION &&
            headerLength >= MIN_HEADER_LENGTH &&
            headerLength <= totalLength &&
            totalLength <= length;
    }

    public int version()
    {
        return readUnsignedByte(VERSION_IHL_OFFSET) >>> 4;
    }

    /** @return the IHL field: header length in 32-bit words. */
    public int ihl()
    {
        return readUnsignedByte(VERSION_IHL_OFFSET) & 0x0F;
    }

    /** @return header length in bytes, options included. */
    public int headerLength()
    {
        return ihl() * 4;
    }

    /**
     * Write version 4 and the IHL for a header length.
     *
     * @param headerLength bytes, a multiple of 4 from 20 to 60.
     * @return this flyweight.
     */
    public Ipv4Flyweight headerLength(final int headerLength)
    {
        writeByte(VERSION_IHL_OFFSET, (VERSION << 4) | (headerLength >>> 2));
        return this;
    }

    /** @return the Differentiated Services Code Point, the top 6 bits of the former TOS byte. */
    public int dscp()
    {
        return readUnsignedByte(DSCP_ECN_OFFSET) >>> 2;
    }

    public Ipv4Flyweight dscp(final int dscp)
    {
        writeByte(DSCP_ECN_OFFSET, ((dscp & 0x3F) << 2) | ecn());
        return this;
    }

    /** @return the Explicit Congestion Notification codepoint, the low 2 bits of the former TOS byte. */
    public int ecn()
    {
        return readUnsignedByte(DSCP_ECN_OFFSET) & 0x03;
    }

    public Ipv4Flyweight ecn(final int ecn)
    {
        writeByte(DSCP_ECN_OFFSET, (readUnsignedByte(DSCP_ECN_OFFSET) & ~0x03) | (ecn & 0x03));
        return this;
    }

    /** @return bytes of the whole datagram, header included. */
    public int totalLength()
    {
        return readUnsignedShort(TOTAL_LENGTH_OFFSET);
    }

    public Ipv4Flyweight totalLength(final int totalLength)
    {
        writeShort(TOTAL_LENGTH_OFFSET, totalLength);
        return this;
    }

    public int identification()
    {
        return readUnsignedShort(IDENTIFICATION_OFFSET);
    }

    public Ipv4Flyweight identification(final int identification)
    {
        writeShort(IDENTIFICATION_OFFSET, identification);
        return this;
    }

    /** @return the 16-bit word of flags ({@link #FLAG_DF}, {@link #FLAG_MF}) and fragment offset. */
    public int flagsAndFragmentOffset()
    {
        return readUnsignedShort(FLAGS_FRAGMENT_OFFSET_OFFSET);
    }

    /**
     * @param flagsAndFragmentOffset flags ORed with the fragment offset in 8-byte units.
     * @return this flyweight.
     */
    public Ipv4Flyweight flagsAndFragmentOffset(final int flagsAndFragmentOffset)
    {
        writeShort(FLAGS_FRAGMENT_OFFSET_OFFSET, flagsAndFragmentOffset);
        return this;
    }

    public boolean dontFragment()
    {
        return (flagsAndFragmentOffset() & FLAG_DF) != 0;
    }

    public boolean moreFragments()
    {
        return (flagsAndFragmentOffset() & FLAG_MF) != 0;
    }

    /** @return the fragment offset in 8-byte units, as on the wire. */
    public int fragmentOffset()
    {
        return flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK;
    }

    /** @return true for any fragment, first or not: transport ports are then not reliable flow keys. */
    public boolean isFragment()
    {
        return (flagsAndFragmentOffset() & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int ttl()
    {
        return readUnsignedByte(TTL_OFFSET);
    }

    public Ipv4Flyweight ttl(final int ttl)
    {
        writeByte(TTL_OFFSET, ttl);
        return this;
    }

    /** @return the upper-layer protocol, e.g. {@link UdpFlyweight#PROTOCOL}, {@link TcpFlyweight#PROTOCOL}. */
    public int protocol()
    {
        return readUnsignedByte(PROTOCOL_OFFSET);
    }

    public Ipv4Flyweight protocol(final int protocol)
    {
        writeByte(PROTOCOL_OFFSET, protocol);
        return this;
    }

    public int headerChecksum()
    {
        return readUnsignedShort(HEADER_CHECKSUM_OFFSET);
    }

    public Ipv4Flyweight headerChecksum(final int checksum)
    {
        writeShort(HEADER_CHECKSUM_OFFSET, checksum);
        return this;
    }

    public int sourceAddress()
    {
        return readInt(SOURCE_ADDRESS_OFFSET);
    }

    public Ipv4Flyweight sourceAddress(final int address)
    {
        writeInt(SOURCE_ADDRESS_OFFSET, address);
        return this;
    }

    public int destinationAddress()
    {
        return readInt(DESTINATION_ADDRESS_OFFSET);
    }

    public Ipv4Flyweight destinationAddress(final int address)
    {
        writeInt(DESTINATION_ADDRESS_OFFSET, address);
        return this;
    }

    /** @return index in the buffer of the first byte after the header and its options. */
    public int payloadOffset()
    {
        return offset + headerLength();
    }

    /** @return bytes of payload by Total Length, excluding any trailing padding. */
    public int payloadLength()
    {
        return totalLength() - headerLength();
    }

    /** @return the header checksum over the header and its options, the stored checksum taken as zero. */
    public int computeChecksum()
    {
        final int afterChecksum = HEADER_CHECKSUM_OFFSET + HEADER_CHECKSUM_LENGTH;
        return Checksums.finish(
            Checksums.sum(buffer, offset, HEADER_CHECKSUM_OFFSET) +
            Checksums.sum(buffer, offset + afterChecksum, headerLength() - afterChecksum));
    }

    /**
     * Store the result of {@link #computeChecksum()}.
     *
     * @return this flyweight.
     */
    public Ipv4Flyweight updateChecksum()
    {
        return headerChecksum(computeChecksum());
    }

    /**
     * Update the stored checksum incrementally (RFC 1624) for one 16-bit word of the header that
     * changed, e.g. Total Length or Identification when filling in an encapsulation template.
     *
     * @param oldWord the word's value before the change.
     * @param newWord the word's value after the change.
     * @return this flyweight.
     */
    public Ipv4Flyweight adjustChecksum(final int oldWord, final int newWord)
    {
        return headerChecksum(Checksums.adjust(headerChecksum(), oldWord, newWord));
    }

    /**
     * @param protocol         upper-layer protocol number.
     * @param upperLayerLength bytes of the upper-layer header and its payload.
     * @return the unfolded pseudo-header sum for this header's addresses, to pass to
     * {@link UdpFlyweight#computeChecksum(long)} or {@link TcpFlyweight#computeChecksum(long)}.
     */
    public long pseudoHeaderSum(final int protocol, final int upperLayerLength)
    {
        return Checksums.ipv4PseudoHeaderSum(sourceAddress(), destinationAddress(), protocol, upperLayerLength);
    }
}
