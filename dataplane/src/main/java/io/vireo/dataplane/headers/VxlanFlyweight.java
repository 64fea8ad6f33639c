package io.vireo.dataplane.headers;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over a VXLAN header (RFC 7348), carried in UDP to port {@link #UDP_PORT} and followed by
 * the inner Ethernet frame.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|R|R|I|R|R|R|                   Reserved                    |
 *  +-+-+-+-+-+-+-+-+-----------------------------------------------+
 *  |            VXLAN Network Identifier (VNI)     |   Reserved    |
 *  +-----------------------------------------------+---------------+
 * </pre>
 * The I flag must be set for the VNI to be valid; the R bits and reserved fields are sent as zero
 * and ignored on receipt.
 */
public final class VxlanFlyweight extends HeaderFlyweight
{
    public static final int FLAGS_OFFSET = 0;
    /** The 24 reserved bits after the flags. */
    public static final int RESERVED1_OFFSET = 1;
    public static final int VNI_OFFSET = 4;
    /** The 8 reserved bits after the VNI. */
    public static final int RESERVED2_OFFSET = 7;
    public static final int LENGTH = 8;

    /** The I flag: the VNI is valid. */
    public static final int FLAG_VNI_VALID = 0x08;
    /** IANA-assigned UDP destination port. */
    public static final int UDP_PORT = 4789;
    public static final int MAX_VNI = 0xFF_FFFF;

    private static final int LOW_24_BITS = 0xFF_FFFF;

    @Override
    public VxlanFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        super.wrap(buffer, offset, length);
        return this;
    }

    /** @return true if the header fits in the wrapped length and has the I flag set. */
    @Override
    public boolean isValid()
    {
        return length >= LENGTH && (flags() & FLAG_VNI_VALID) != 0;
    }

    public int flags()
    {
        return readUnsignedByte(FLAGS_OFFSET);
    }

    public VxlanFlyweight flags(final int flags)
    {
        writeByte(FLAGS_OFFSET, flags);
        return this;
    }

    /** @return the 24 bits between the flags and the VNI. */
    public int reserved1()
    {
        return readInt(FLAGS_OFFSET) & LOW_24_BITS;
    }

    public VxlanFlyweight reserved1(final int reserved)
    {
        writeInt(FLAGS_OFFSET, (readInt(FLAGS_OFFSET) & ~LOW_24_BITS) | (reserved & LOW_24_BITS));
        return this;
    }

    /** @return the 24-bit VXLAN Network Identifier. */
    public int vni()
    {
        return readInt(VNI_OFFSET) >>> 8;
    }

    public VxlanFlyweight vni(final int vni)
    {
        writeInt(VNI_OFFSET, (vni << 8) | reserved2());
        return this;
    }

    /** @return the 8 bits after the VNI. */
    public int reserved2()
    {
        return readUnsignedByte(RESERVED2_OFFSET);
    }

    public VxlanFlyweight reserved2(final int reserved)
    {
        writeByte(RESERVED2_OFFSET, reserved);
        return this;
    }

    /**
     * Write a header as a VTEP sends it: the I flag, the VNI and zero in every reserved bit.
     *
     * @param vni the VXLAN Network Identifier, 0 to {@link #MAX_VNI}.
     * @return this flyweight.
     */
    public VxlanFlyweight header(final int vni)
    {
        writeInt(FLAGS_OFFSET, FLAG_VNI_VALID << 24);
        writeInt(VNI_OFFSET, vni << 8);
        return this;
    }

    /** @return index in the buffer of the inner Ethernet frame. */
    public int payloadOffset()
    {
        return offset + LENGTH;
    }

    /** @return bytes of the inner Ethernet frame. */
    public int payloadLength()
    {
        return length - LENGTH;
    }
}
