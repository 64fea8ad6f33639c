package io.vireo.dataplane.headers;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over an Ethernet II header with up to two VLAN tags: one 802.1Q tag, or an outer
 * 802.1ad (or 802.1Q) tag and an inner 802.1Q tag for QinQ.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination MAC Address                    |
 *  +                               +-------------------------------+
 *  |                               |                               |
 *  +-------------------------------+                               +
 *  |                      Source MAC Address                       |
 *  +-------------------------------+-------------------------------+
 *  |           EtherType           |  payload of an untagged frame
 *  +-------------------------------+-------------------------------+
 *
 *  A tagged frame has, from offset 12, one or two tags before the payload EtherType:
 *  +-------------------------------+-----+-+-----------------------+
 *  |    TPID 0x8100 or 0x88A8      | PCP |D|        VLAN ID        |  outer tag
 *  +-------------------------------+-----+-+-----------------------+
 *  |    TPID 0x8100 (QinQ only)    | PCP |D|        VLAN ID        |  inner tag
 *  +-------------------------------+-----+-+-----------------------+
 *  |      payload EtherType        |  payload
 *  +-------------------------------+--------------
 * </pre>
 * MAC addresses are {@code long}s holding the 48 bits in the low bits, first octet most significant:
 * {@code 02:00:00:00:00:01} is {@code 0x0200_0000_0001L}.
 * <p>
 * Wrap with the frame's length. {@link #isValid()} is false when the frame is shorter than its
 * header including the tags its TPIDs announce. The tag-aware methods ({@link #vlanTagCount()},
 * {@link #vlanId()}, {@link #innerVlanId()}, {@link #payloadEtherType()}, {@link #headerLength()},
 * {@link #payloadOffset()}, {@link #payloadLength()}) never read past the length; on an invalid
 * frame they return 0 for VLAN ids and EtherType and -1 for counts, offsets and lengths. They read
 * the tags afresh on each call, so they stay right after the frame is rewritten.
 */
public final class EthernetFlyweight extends HeaderFlyweight
{
    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    /** TCI of the outer VLAN tag, when there is one. */
    public static final int VLAN_TCI_OFFSET = 14;
    /** TCI of the inner VLAN tag, when there are two. */
    public static final int INNER_VLAN_TCI_OFFSET = 18;

    public static final int MAC_LENGTH = 6;
    public static final int ETHER_TYPE_LENGTH = 2;
    public static final int HEADER_LENGTH = 14;
    public static final int VLAN_TAG_LENGTH = 4;
    public static final int MAX_VLAN_TAGS = 2;

    public static final int ETHER_TYPE_IPV4 = 0x0800;
    public static final int ETHER_TYPE_ARP = 0x0806;
    public static final int ETHER_TYPE_IPV6 = 0x86DD;
    public static final int ETHER_TYPE_VLAN = 0x8100;
    public static final int ETHER_TYPE_QINQ = 0x88A8;

    public static final int VLAN_ID_MASK = 0x0FFF;

    private static final int INVALID = -1;
    private static final long MAC_MASK = 0xFFFF_FFFF_FFFFL;

    @Override
    public EthernetFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        super.wrap(buffer, offset, length);
        return this;
    }

    /** @return true if the frame holds its header and all the VLAN tags it announces. */
    @Override
    public boolean isValid()
    {
        return vlanTagCount() != INVALID;
    }


    /** One 8-byte read, the destination and the source's first two octets: the header is 14 bytes. */
    public long destination()
    {
        return readLong(DESTINATION_OFFSET) >>> 16;
    }

    public EthernetFlyweight destination(final long mac)
    {
        writeMac(DESTINATION_OFFSET, mac);
        return this;
    }

    /** One 8-byte read, the destination's last two octets and the source. */
    public long source()
    {
        return readLong(SOURCE_OFFSET - 2) & MAC_MASK;
    }

    public EthernetFlyweight source(final long mac)
    {
        writeMac(SOURCE_OFFSET, mac);
        return this;
    }

    /** @return the EtherType right after the MAC addresses: a TPID if the frame is tagged. */
    public int etherType()
    {
        return readUnsignedShort(ETHER_TYPE_OFFSET);
    }

    public EthernetFlyweight etherType(final int etherType)
    {
        writeShort(ETHER_TYPE_OFFSET, etherType);
        return this;
    }

    /**
     * @return 0, 1 or 2 VLAN tags, or -1 if the frame is too short for its header and tags. A third
     * tag is not counted: it shows as a {@link #payloadEtherType()} of 0x8100.
     */
    public int vlanTagCount()
    {
        if (length < HEADER_LENGTH)
        {
            return INVALID;
        }
        if (!isVlanTpid(readUnsignedShort(ETHER_TYPE_OFFSET)))
        {
            return 0;
        }
        if (length < HEADER_LENGTH + VLAN_TAG_LENGTH)
        {
            return INVALID;
        }
        if (!isVlanTpid(readUnsignedShort(ETHER_TYPE_OFFSET + VLAN_TAG_LENGTH)))
        {
            return 1;
        }
        return length < HEADER_LENGTH + MAX_VLAN_TAGS * VLAN_TAG_LENGTH ? INVALID : MAX_VLAN_TAGS;
    }

    /** @return VLAN id of the outer tag (the S-VLAN of a QinQ frame), 0 if untagged or invalid. */
    public int vlanId()
    {
        return vlanTagCount() >= 1 ? taggedVlanId() : 0;
    }

    /**
     * @return VLAN id of the outer tag of a frame {@link #vlanTagCount()} found tagged, read without checking again
     * (for a caller that has the count already).
     */
    public int taggedVlanId()
    {
        return readUnsignedShort(VLAN_TCI_OFFSET) & VLAN_ID_MASK;
    }

    /**
     * Rewrite the VLAN id of the outer tag, keeping its priority and DEI bits. The frame must have a
     * tag: check {@link #vlanTagCount()} first.
     *
     * @param vlanId new VLAN id, 0 to 4095.
     * @return this flyweight.
     */
    public EthernetFlyweight vlanId(final int vlanId)
    {
        writeShort(VLAN_TCI_OFFSET, (readUnsignedShort(VLAN_TCI_OFFSET) & ~VLAN_ID_MASK) | (vlanId & VLAN_ID_MASK));
        return this;
    }

    /** @return VLAN id of the inner tag (the C-VLAN of a QinQ frame), 0 without two tags or invalid. */
    public int innerVlanId()
    {
        return vlanTagCount() == MAX_VLAN_TAGS ? readUnsignedShort(INNER_VLAN_TCI_OFFSET) & VLAN_ID_MASK : 0;
    }

    /** @return EtherType of the payload after any VLAN tags, 0 if the frame is invalid. */
    public int payloadEtherType()
    {
        final int tags = vlanTagCount();
        return tags == INVALID ? 0 : readUnsignedShort(ETHER_TYPE_OFFSET + tags * VLAN_TAG_LENGTH);
    }

    /** @return bytes of the header including VLAN tags, -1 if the frame is invalid. */
    public int headerLength()
    {
        final int tags = vlanTagCount();
        return tags == INVALID ? INVALID : HEADER_LENGTH + tags * VLAN_TAG_LENGTH;
    }

    /** @return index in the buffer of the payload after any VLAN tags, -1 if the frame is invalid. */
    public int payloadOffset()
    {
        final int headerLength = headerLength();
        return headerLength == INVALID ? INVALID : offset + headerLength;
    }

    /** @return bytes after the header and VLAN tags, -1 if the frame is invalid. */
    public int payloadLength()
    {
        final int headerLength = headerLength();
        return headerLength == INVALID ? INVALID : length - headerLength;
    }

    private static boolean isVlanTpid(final int etherType)
    {
        return etherType == ETHER_TYPE_VLAN || etherType == ETHER_TYPE_QINQ;
    }
}
