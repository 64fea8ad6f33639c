package io.vireo.dataplane.headers;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over a TCP header (RFC 9293). Sequence and acknowledgment numbers are unsigned 32-bit
 * values held in {@code int}s; compare them with modular arithmetic.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-------------------------------+-------------------------------+
 *  |                        Sequence Number                        |
 *  +---------------------------------------------------------------+
 *  |                    Acknowledgment Number                      |
 *  +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 *  |  Data |       |C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *  |       |       |R|E|G|K|H|T|N|N|                               |
 *  +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 *  |           Checksum            |         Urgent Pointer        |
 *  +-------------------------------+-------------------------------+
 *  |                    Options (Data Offset > 5)                  |
 *  +---------------------------------------------------------------+
 * </pre>
 * Wrap with the exact segment length, which the IP header gives
 * ({@link Ipv4Flyweight#payloadLength()}, {@link Ipv6Flyweight#payloadLength()}) and which must not
 * include link padding: the checksum covers the pseudo-header and all {@link #length()} bytes.
 */
public final class TcpFlyweight extends HeaderFlyweight
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQUENCE_NUMBER_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_NUMBER_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;

    /** IP protocol number of TCP. */
    public static final int PROTOCOL = 6;

    public static final int FLAG_FIN = 0x01;
    public static final int FLAG_SYN = 0x02;
    public static final int FLAG_RST = 0x04;
    public static final int FLAG_PSH = 0x08;
    public static final int FLAG_ACK = 0x10;
    public static final int FLAG_URG = 0x20;
    public static final int FLAG_ECE = 0x40;
    public static final int FLAG_CWR = 0x80;

    private static final int CHECKSUM_LENGTH = 2;

    @Override
    public TcpFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        super.wrap(buffer, offset, length);
        return this;
    }

    /** @return true if the header, options included, fits in the wrapped length. */
    @Override
    public boolean isValid()
    {
        if (length < MIN_HEADER_LENGTH)
        {
            return false;
        }
        final int headerLength = headerLength();
        return headerLength >= MIN_HEADER_LENGTH && headerLength <= length;
    }

    public int sourcePort()
    {
        return readUnsignedShort(SOURCE_PORT_OFFSET);
    }

    public TcpFlyweight sourcePort(final int port)
    {
        writeShort(SOURCE_PORT_OFFSET, port);
        return this;
    }

    public int destinationPort()
    {
        return readUnsignedShort(DESTINATION_PORT_OFFSET);
    }

    public TcpFlyweight destinationPort(final int port)
    {
        writeShort(DESTINATION_PORT_OFFSET, port);
        return this;
    }

    public int sequenceNumber()
    {
        return readInt(SEQUENCE_NUMBER_OFFSET);
    }

    public TcpFlyweight sequenceNumber(final int sequenceNumber)
    {
        writeInt(SEQUENCE_NUMBER_OFFSET, sequenceNumber);
        return this;
    }

    public int acknowledgmentNumber()
    {
        return readInt(ACKNOWLEDGMENT_NUMBER_OFFSET);
    }

    public TcpFlyweight acknowledgmentNumber(final int acknowledgmentNumber)
    {
        writeInt(ACKNOWLEDGMENT_NUMBER_OFFSET, acknowledgmentNumber);
        return this;
    }

    /** @return the Data Offset field: header length in 32-bit words. */
    public int dataOffset()
    {
        return readUnsignedByte(DATA_OFFSET_OFFSET) >>> 4;
    }

    /**
     * @param dataOffset header length in 32-bit words, 5 to 15; the reserved bits are kept.
     * @return this flyweight.
     */
    public TcpFlyweight dataOffset(final int dataOffset)
    {
        writeByte(DATA_OFFSET_OFFSET, (dataOffset << 4) | (readUnsignedByte(DATA_OFFSET_OFFSET) & 0x0F));
        return this;
    }

    /** @return header length in bytes, options included. */
    public int headerLength()
    {
        return dataOffset() * 4;
    }

    /** @return the flags byte: {@link #FLAG_FIN} to {@link #FLAG_CWR}. */
    public int flags()
    {
        return readUnsignedByte(FLAGS_OFFSET);
    }

    public TcpFlyweight flags(final int flags)
    {
        writeByte(FLAGS_OFFSET, flags);
        return this;
    }

    public int window()
    {
        return readUnsignedShort(WINDOW_OFFSET);
    }

    public TcpFlyweight window(final int window)
    {
        writeShort(WINDOW_OFFSET, window);
        return this;
    }

    public int checksum()
    {
        return readUnsignedShort(CHECKSUM_OFFSET);
    }

    public TcpFlyweight checksum(final int checksum)
    {
        writeShort(CHECKSUM_OFFSET, checksum);
        return this;
    }

    public int urgentPointer()
    {
        return readUnsignedShort(URGENT_POINTER_OFFSET);
    }

    public TcpFlyweight urgentPointer(final int urgentPointer)
    {
        writeShort(URGENT_POINTER_OFFSET, urgentPointer);
        return this;
    }

    /** @return index in the buffer of the first payload byte, after any options. */
    public int payloadOffset()
    {
        return offset + headerLength();
    }

    /** @return bytes of payload: the wrapped segment length less the header. */
    public int payloadLength()
    {
        return length - headerLength();
    }

    /**
     * @param pseudoHeaderSum the IP pseudo-header sum for protocol {@link #PROTOCOL} and length
     *                        {@link #length()}.
     * @return the checksum over pseudo-header and segment, the stored checksum taken as zero.
     */
    public int computeChecksum(final long pseudoHeaderSum)
    {
        final int afterChecksum = CHECKSUM_OFFSET + CHECKSUM_LENGTH;
        return Checksums.finish(
            pseudoHeaderSum +
            Checksums.sum(buffer, offset, CHECKSUM_OFFSET) +
            Checksums.sum(buffer, offset + afterChecksum, length - afterChecksum));
    }

    /**
     * Store the result of {@link #computeChecksum(long)}.
     *
     * @param pseudoHeaderSum as for {@link #computeChecksum(long)}.
     * @return this flyweight.
     */
    public TcpFlyweight updateChecksum(final long pseudoHeaderSum)
    {
        return checksum(computeChecksum(pseudoHeaderSum));
    }
}
