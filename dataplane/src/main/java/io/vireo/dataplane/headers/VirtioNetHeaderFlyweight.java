package io.vireo.dataplane.headers;

import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Flyweight over {@code struct virtio_net_hdr_v1} (virtio 1.0, section 5.1.6), the 12 bytes in front
 * of every frame exchanged with a vhost-user queue or a TAP opened with {@code IFF_VNET_HDR} and a
 * header size of 12 ({@code TUNSETVNETHDRSZ}). Unlike the packet headers its fields are
 * <b>little-endian</b>.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     flags     |   gso_type    |        hdr_len (le16)         |
 *  +---------------+---------------+-------------------------------+
 *  |        gso_size (le16)        |       csum_start (le16)       |
 *  +-------------------------------+-------------------------------+
 *  |       csum_offset (le16)      |      num_buffers (le16)       |
 *  +-------------------------------+-------------------------------+
 * </pre>
 * With {@link #FLAG_NEEDS_CSUM} the frame's checksum is partial: the field at
 * {@code csum_start + csum_offset} holds the folded pseudo-header sum, and
 * {@link Checksums#checksum(org.agrona.DirectBuffer, int, int)} from {@code csum_start} to the end
 * of the frame gives the value to store there. With a {@code gso_type} other than
 * {@link #GSO_NONE} the frame is a large segment to be cut into {@code gso_size} payloads, each
 * behind a copy of the first {@code hdr_len} bytes of headers.
 */
public final class VirtioNetHeaderFlyweight extends HeaderFlyweight
{
    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;
    public static final int NUM_BUFFERS_OFFSET = 10;
    public static final int LENGTH = 12;

    /** The checksum at csum_start + csum_offset is partial and must be completed. */
    public static final int FLAG_NEEDS_CSUM = 1;
    /** The checksum has been validated (receive side). */
    public static final int FLAG_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    /** ORed into gso_type: the TCP segment has CWR set, so only the first cut segment may keep it. */
    public static final int GSO_ECN = 0x80;

    @Override
    public VirtioNetHeaderFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        super.wrap(buffer, offset, length);
        return this;
    }

    /** @return true if the 12 bytes of header fit in the wrapped length. */
    @Override
    public boolean isValid()
    {
        return length >= LENGTH;
    }

    /**
     * Zero the header: no checksum offload, no segmentation, which is what a frame without offloads
     * carries.
     *
     * @return this flyweight.
     */
    public VirtioNetHeaderFlyweight clear()
    {
        buffer.putLong(offset, 0);
        buffer.putInt(offset + 8, 0);
        return this;
    }

    /** @return {@link #FLAG_NEEDS_CSUM} and {@link #FLAG_DATA_VALID} bits. */
    public int flags()
    {
        return readUnsignedByte(FLAGS_OFFSET);
    }

    public VirtioNetHeaderFlyweight flags(final int flags)
    {
        writeByte(FLAGS_OFFSET, flags);
        return this;
    }

    /** @return one of the {@code GSO_*} types, possibly ORed with {@link #GSO_ECN}. */
    public int gsoType()
    {
        return readUnsignedByte(GSO_TYPE_OFFSET);
    }

    public VirtioNetHeaderFlyweight gsoType(final int gsoType)
    {
        writeByte(GSO_TYPE_OFFSET, gsoType);
        return this;
    }

    /** @return bytes of headers to copy in front of every segment. */
    public int hdrLen()
    {
        return readLittleEndianShort(HDR_LEN_OFFSET);
    }

    public VirtioNetHeaderFlyweight hdrLen(final int hdrLen)
    {
        writeLittleEndianShort(HDR_LEN_OFFSET, hdrLen);
        return this;
    }

    /** @return bytes of payload per segment. */
    public int gsoSize()
    {
        return readLittleEndianShort(GSO_SIZE_OFFSET);
    }

    public VirtioNetHeaderFlyweight gsoSize(final int gsoSize)
    {
        writeLittleEndianShort(GSO_SIZE_OFFSET, gsoSize);
        return this;
    }

    /** @return where checksumming starts, counted from the start of the frame (after this header). */
    public int csumStart()
    {
        return readLittleEndianShort(CSUM_START_OFFSET);
    }

    public VirtioNetHeaderFlyweight csumStart(final int csumStart)
    {
        writeLittleEndianShort(CSUM_START_OFFSET, csumStart);
        return this;
    }

    /** @return where the checksum goes, counted from {@link #csumStart()}. */
    public int csumOffset()
    {
        return readLittleEndianShort(CSUM_OFFSET_OFFSET);
    }

    public VirtioNetHeaderFlyweight csumOffset(final int csumOffset)
    {
        writeLittleEndianShort(CSUM_OFFSET_OFFSET, csumOffset);
        return this;
    }

    /** @return descriptors the frame spans with mergeable receive buffers, else 0 or 1. */
    public int numBuffers()
    {
        return readLittleEndianShort(NUM_BUFFERS_OFFSET);
    }

    public VirtioNetHeaderFlyweight numBuffers(final int numBuffers)
    {
        writeLittleEndianShort(NUM_BUFFERS_OFFSET, numBuffers);
        return this;
    }

    /** @return index in the buffer of the Ethernet frame after this header. */
    public int payloadOffset()
    {
        return offset + LENGTH;
    }

    /** @return bytes of the Ethernet frame after this header. */
    public int payloadLength()
    {
        return length - LENGTH;
    }

    private int readLittleEndianShort(final int fieldOffset)
    {
        return buffer.getShort(offset + fieldOffset, LITTLE_ENDIAN) & 0xFFFF;
    }

    private void writeLittleEndianShort(final int fieldOffset, final int value)
    {
        buffer.putShort(offset + fieldOffset, (short)value, LITTLE_ENDIAN);
    }
}
