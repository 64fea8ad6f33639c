package io.vireo.dataplane.headers;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over the fixed IPv6 header (RFC 8200). Each address is two {@code long}s: the high one
 * holds bytes 0 to 7, the low one bytes 8 to 15, so {@code fd00::1} is high
 * {@code 0xFD00_0000_0000_0000L}, low {@code 1L}.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Traffic Class |              Flow Label               |
 *  +-------+---------------+-------+---------------+---------------+
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  +-------------------------------+---------------+---------------+
 *  |                                                               |
 *  +                                                               +
 *  |                                                               |
 *  +                        Source Address                         +
 *  |                                                               |
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                                                               |
 *  +                                                               +
 *  |                                                               |
 *  +                      Destination Address                      +
 *  |                                                               |
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 * Extension headers are not parsed: {@link #nextHeader()} names the first header after this one,
 * and {@link #payloadOffset()} is where it starts. {@link #isValid()} checks that the header and the
 * Payload Length it claims fit in the wrapped length.
 */
public final class Ipv6Flyweight extends HeaderFlyweight
{
    public static final int VERSION_CLASS_LABEL_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_ADDRESS_OFFSET = 8;
    public static final int DESTINATION_ADDRESS_OFFSET = 24;
    public static final int ADDRESS_LENGTH = 16;
    public static final int HEADER_LENGTH = 40;

    public static final int VERSION = 6;
    public static final int FLOW_LABEL_MASK = 0xF_FFFF;

    private static final int VERSION_SHIFT = 28;
    private static final int TRAFFIC_CLASS_SHIFT = 20;
    private static final int TRAFFIC_CLASS_MASK = 0xFF << TRAFFIC_CLASS_SHIFT;
    private static final int VERSION_MASK = 0xF << VERSION_SHIFT;

    @Override
    public Ipv6Flyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        super.wrap(buffer, offset, length);
        return this;
    }

    /** @return true if this is version 6 and the header and its payload fit in the wrapped length. */
    @Override
    public boolean isValid()
    {
        return length >= HEADER_LENGTH && version() == VERSION && HEADER_LENGTH + payloadLength() <= length;
    }

    public int version()
    {
        return firstWord() >>> VERSION_SHIFT;
    }

    public Ipv6Flyweight version(final int version)
    {
        writeInt(VERSION_CLASS_LABEL_OFFSET, (firstWord() & ~VERSION_MASK) | ((version & 0xF) << VERSION_SHIFT));
        return this;
    }

    /** @return the traffic class byte: DSCP in the top 6 bits, ECN in the low 2. */
    public int trafficClass()
    {
        return (firstWord() & TRAFFIC_CLASS_MASK) >>> TRAFFIC_CLASS_SHIFT;
    }

    public Ipv6Flyweight trafficClass(final int trafficClass)
    {
        final int classBits = (trafficClass << TRAFFIC_CLASS_SHIFT) & TRAFFIC_CLASS_MASK;
        writeInt(VERSION_CLASS_LABEL_OFFSET, (firstWord() & ~TRAFFIC_CLASS_MASK) | classBits);
        return this;
    }

    /** @return the 20-bit flow label. */
    public int flowLabel()
    {
        return firstWord() & FLOW_LABEL_MASK;
    }

    public Ipv6Flyweight flowLabel(final int flowLabel)
    {
        writeInt(VERSION_CLASS_LABEL_OFFSET, (firstWord() & ~FLOW_LABEL_MASK) | (flowLabel & FLOW_LABEL_MASK));
        return this;
    }

    /** @return bytes after the fixed header, extension headers included. */
    public int payloadLength()
    {
        return readUnsignedShort(PAYLOAD_LENGTH_OFFSET);
    }

    public Ipv6Flyweight payloadLength(final int payloadLength)
    {
        writeShort(PAYLOAD_LENGTH_OFFSET, payloadLength);
        return this;
    }

    /** @return the protocol number of the next header: an extension header or the upper layer. */
    public int nextHeader()
    {
        return readUnsignedByte(NEXT_HEADER_OFFSET);
    }

    public Ipv6Flyweight nextHeader(final int nextHeader)
    {
        writeByte(NEXT_HEADER_OFFSET, nextHeader);
        return this;
    }

    public int hopLimit()
    {
        return readUnsignedByte(HOP_LIMIT_OFFSET);
    }

    public Ipv6Flyweight hopLimit(final int hopLimit)
    {
        writeByte(HOP_LIMIT_OFFSET, hopLimit);
        return this;
    }

    /** @return bytes 0 to 7 of the source address. */
    public long sourceAddressHigh()
    {
        return readLong(SOURCE_ADDRESS_OFFSET);
    }

    /** @return bytes 8 to 15 of the source address. */
    public long sourceAddressLow()
    {
        return readLong(SOURCE_ADDRESS_OFFSET + 8);
    }

    public Ipv6Flyweight sourceAddress(final long high, final long low)
    {
        writeLong(SOURCE_ADDRESS_OFFSET, high);
        writeLong(SOURCE_ADDRESS_OFFSET + 8, low);
        return this;
    }

    /** @return bytes 0 to 7 of the destination address. */
    public long destinationAddressHigh()
    {
        return readLong(DESTINATION_ADDRESS_OFFSET);
    }

    /** @return bytes 8 to 15 of the destination address. */
    public long destinationAddressLow()
    {
        return readLong(DESTINATION_ADDRESS_OFFSET + 8);
    }

    public Ipv6Flyweight destinationAddress(final long high, final long low)
    {
        writeLong(DESTINATION_ADDRESS_OFFSET, high);
        writeLong(DESTINATION_ADDRESS_OFFSET + 8, low);
        return this;
    }

    /** @return index in the buffer of the first byte after the fixed header. */
    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    /**
     * @param nextHeader       upper-layer protocol number (not that of an extension header).
     * @param upperLayerLength bytes of the upper-layer header and its payload.
     * @return the unfolded pseudo-header sum for this header's addresses, to pass to
     * {@link UdpFlyweight#computeChecksum(long)} or {@link TcpFlyweight#computeChecksum(long)}.
     */
    public long pseudoHeaderSum(final int nextHeader, final int upperLayerLength)
    {
        return Checksums.ipv6PseudoHeaderSum(
            sourceAddressHigh(),
            sourceAddressLow(),
            destinationAddressHigh(),
            destinationAddressLow(),
            nextHeader,
            upperLayerLength);
    }

    private int firstWord()
    {
        return readInt(VERSION_CLASS_LABEL_OFFSET);
    }
}
