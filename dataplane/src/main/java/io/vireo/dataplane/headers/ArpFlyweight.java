package io.vireo.dataplane.headers;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over an ARP packet for IPv4 over Ethernet (RFC 826), the payload of an Ethernet frame of
 * EtherType 0x0806. IPv4 addresses are {@code int}s, first octet most significant; MAC addresses are
 * {@code long}s as in {@link EthernetFlyweight}.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Hardware Type (1)        |     Protocol Type (0x0800)    |
 *  +---------------+---------------+-------------------------------+
 *  | HW Length (6) | Proto Len (4) |          Operation            |
 *  +---------------+---------------+-------------------------------+
 *  |                   Sender Hardware Address                     |
 *  +                               +-------------------------------+
 *  |                               |    Sender Protocol Address    |
 *  +-------------------------------+-------------------------------+
 *  |    Sender Protocol Address    |                               |
 *  +-------------------------------+                               +
 *  |                   Target Hardware Address                     |
 *  +---------------------------------------------------------------+
 *  |                   Target Protocol Address                     |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ArpFlyweight extends HeaderFlyweight
{
    public static final int HARDWARE_TYPE_OFFSET = 0;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int SENDER_HARDWARE_ADDRESS_OFFSET = 8;
    public static final int SENDER_PROTOCOL_ADDRESS_OFFSET = 14;
    public static final int TARGET_HARDWARE_ADDRESS_OFFSET = 18;
    public static final int TARGET_PROTOCOL_ADDRESS_OFFSET = 24;
    public static final int LENGTH = 28;

    public static final int HARDWARE_TYPE_ETHERNET = 1;
    public static final int PROTOCOL_TYPE_IPV4 = EthernetFlyweight.ETHER_TYPE_IPV4;
    public static final int HARDWARE_LENGTH_ETHERNET = EthernetFlyweight.MAC_LENGTH;
    public static final int PROTOCOL_LENGTH_IPV4 = 4;
    public static final int OPERATION_REQUEST = 1;
    public static final int OPERATION_REPLY = 2;

    @Override
    public ArpFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        super.wrap(buffer, offset, length);
        return this;
    }

    /** @return true if the packet is whole and is ARP for IPv4 over Ethernet. */
    @Override
    public boolean isValid()
    {
        return length >= LENGTH &&
            hardwareType() == HARDWARE_TYPE_ETHERNET &&
            protocolType() == PROTOCOL_TYPE_IPV4 &&
            hardwareLength() == HARDWARE_LENGTH_ETHERNET &&
            protocolLength() == PROTOCOL_LENGTH_IPV4;
    }

    /**
     * Write the fixed fields of IPv4 over Ethernet: hardware and protocol types and lengths.
     *
     * @return this flyweight.
     */
    public ArpFlyweight ethernetIpv4()
    {
        writeShort(HARDWARE_TYPE_OFFSET, HARDWARE_TYPE_ETHERNET);
        writeShort(PROTOCOL_TYPE_OFFSET, PROTOCOL_TYPE_IPV4);
        writeByte(HARDWARE_LENGTH_OFFSET, HARDWARE_LENGTH_ETHERNET);
        writeByte(PROTOCOL_LENGTH_OFFSET, PROTOCOL_LENGTH_IPV4);
        return this;
    }

    public int hardwareType()
    {
        return readUnsignedShort(HARDWARE_TYPE_OFFSET);
    }

    public int protocolType()
    {
        return readUnsignedShort(PROTOCOL_TYPE_OFFSET);
    }

    public int hardwareLength()
    {
        return readUnsignedByte(HARDWARE_LENGTH_OFFSET);
    }

    public int protocolLength()
    {
        return readUnsignedByte(PROTOCOL_LENGTH_OFFSET);
    }

    /** @return {@link #OPERATION_REQUEST} or {@link #OPERATION_REPLY} (or another registered code). */
    public int operation()
    {
        return readUnsignedShort(OPERATION_OFFSET);
    }

    public ArpFlyweight operation(final int operation)
    {
        writeShort(OPERATION_OFFSET, operation);
        return this;
    }

    public long senderHardwareAddress()
    {
        return readMac(SENDER_HARDWARE_ADDRESS_OFFSET);
    }

    public ArpFlyweight senderHardwareAddress(final long mac)
    {
        writeMac(SENDER_HARDWARE_ADDRESS_OFFSET, mac);
        return this;
    }

    public int senderProtocolAddress()
    {
        return readInt(SENDER_PROTOCOL_ADDRESS_OFFSET);
    }

    public ArpFlyweight senderProtocolAddress(final int address)
    {
        writeInt(SENDER_PROTOCOL_ADDRESS_OFFSET, address);
        return this;
    }

    public long targetHardwareAddress()
    {
        return readMac(TARGET_HARDWARE_ADDRESS_OFFSET);
    }

    public ArpFlyweight targetHardwareAddress(final long mac)
    {
        writeMac(TARGET_HARDWARE_ADDRESS_OFFSET, mac);
        return this;
    }

    public int targetProtocolAddress()
    {
        return readInt(TARGET_PROTOCOL_ADDRESS_OFFSET);
    }

    public ArpFlyweight targetProtocolAddress(final int address)
    {
        writeInt(TARGET_PROTOCOL_ADDRESS_OFFSET, address);
        return this;
    }
}
