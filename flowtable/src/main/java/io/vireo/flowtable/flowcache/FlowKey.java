package io.vireo.flowtable.flowcache;

import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.flowtable.policy.PolicyTable;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Flyweight over the 64-byte key of a frame: the fields {@link FlowCache} matches exactly and
 * {@link PolicyTable} classifies on. The forwarding path fills one per frame from the parsed
 * headers: {@link #reset()}, then a setter per field present in the frame. Fields a frame lacks
 * stay zero, so a key never carries a value over from the frame before.
 * <p>
 * Each field sits at its own naturally aligned offset, in native byte order (it is a memory
 * format, never sent on a wire); reserved bytes are zero:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                          Ingress port                         |  0
 *  +-------------------------------+-------------------------------+
 *  |           Bridge id           |              VLAN             |  4
 *  +-------------------------------+-------------------------------+
 *  |                Destination MAC, low 32 bits                   |  8
 *  +-------------------------------+-------------------------------+
 *  |   Destination MAC, high 16    |           EtherType           | 12
 *  +-------------------------------+-------------------------------+
 *  |                   Source MAC, low 32 bits                     | 16
 *  +-------------------------------+---------------+---------------+
 *  |      Source MAC, high 16      |  IP protocol  |    reserved   | 20
 *  +-------------------------------+---------------+---------------+
 *  |         L4 source port        |     L4 destination port       | 24
 *  +-------------------------------+-------------------------------+
 *  |                            reserved                           | 28
 *  +---------------------------------------------------------------+
 *  |                Source address, high 64 bits                   | 32
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                Source address, low 64 bits                    | 40
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |              Destination address, high 64 bits                | 48
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |              Destination address, low 64 bits                 | 56
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 * <ul>
 *   <li>EtherType: the one after any VLAN tags. It says how to read the addresses:
 *   {@link #ETHERTYPE_IPV4}, {@link #ETHERTYPE_IPV6}, or anything else for a frame without IP (the
 *   address, protocol and port fields then stay zero).</li>
 *   <li>Addresses: an IPv6 address is two {@code long}s, the high one holding bytes 0 to 7, as
 *   {@code Ipv6Flyweight} reads them. An IPv4 address is the {@code int} {@code Ipv4Flyweight}
 *   reads ({@code 10.0.0.1} is {@code 0x0A00_0001}) in the low 32 bits of the low word.</li>
 *   <li>Ports: TCP, UDP and SCTP only; zero for other protocols and for fragments that carry no
 *   L4 header.</li>
 * </ul>
 * A key is read as eight {@code long}s by {@link FlowCache}, so the whole 64 bytes, reserved ones
 * included, are the exact-match key.
 */
public final class FlowKey
{
    /** Bytes in a key. */
    public static final int LENGTH = 64;

    public static final int INGRESS_PORT_OFFSET = 0;
    public static final int BRIDGE_ID_OFFSET = 4;
    public static final int VLAN_OFFSET = 6;
    public static final int DESTINATION_MAC_OFFSET = 8;
    public static final int ETHERTYPE_OFFSET = 14;
    public static final int SOURCE_MAC_OFFSET = 16;
    public static final int PROTOCOL_OFFSET = 22;
    public static final int SOURCE_PORT_OFFSET = 24;
    public static final int DESTINATION_PORT_OFFSET = 26;
    public static final int SOURCE_ADDRESS_OFFSET = 32;
    public static final int DESTINATION_ADDRESS_OFFSET = 48;

    /** EtherType of IPv4. */
    public static final int ETHERTYPE_IPV4 = 0x0800;
    /** EtherType of IPv6. */
    public static final int ETHERTYPE_IPV6 = 0x86DD;

    private static final int MAC_HIGH_OFFSET = 4;
    private static final int ADDRESS_LOW_OFFSET = 8;
    private static final long LOW_32_MASK = 0xFFFF_FFFFL;
    private static final int LOW_16_MASK = 0xFFFF;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * A key over 64 bytes of its own, zeroed.
     */
    public FlowKey()
    {
        wrap(new UnsafeBuffer(new byte[LENGTH]), 0);
    }

    /**
     * Point this flyweight at a key, e.g. one slot of a per-burst scratch buffer.
     *
     * @param buffer holding the key.
     * @param offset of its first byte; {@link #LENGTH} bytes from there are the key.
     * @return this.
     */
    public FlowKey wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * @return the buffer the key is in.
     */
    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return the offset of the key in {@link #buffer()}.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * Zero every field: the start of filling a key for a new frame.
     *
     * @return this.
     */
    public FlowKey reset()
    {
        for (int word = 0; word < LENGTH; word += Long.BYTES)
        {
            buffer.putLong(offset + word, 0);
        }
        return this;
    }

    /**
     * @param port the destination id of the port the frame came in on.
     * @return this.
     */
    public FlowKey ingressPort(final int port)
    {
        buffer.putInt(offset + INGRESS_PORT_OFFSET, port);
        return this;
    }

    public int ingressPort()
    {
        return buffer.getInt(offset + INGRESS_PORT_OFFSET);
    }

    /**
     * @param bridgeId 0..{@link ForwardingTable#MAX_BRIDGE_ID}; higher bits are dropped.
     * @return this.
     */
    public FlowKey bridgeId(final int bridgeId)
    {
        buffer.putShort(offset + BRIDGE_ID_OFFSET, (short)bridgeId);
        return this;
    }

    public int bridgeId()
    {
        return buffer.getShort(offset + BRIDGE_ID_OFFSET) & LOW_16_MASK;
    }

    /**
     * @param vlan 0..{@link ForwardingTable#MAX_VLAN}; 0 for an untagged frame.
     * @return this.
     */
    public FlowKey vlan(final int vlan)
    {
        buffer.putShort(offset + VLAN_OFFSET, (short)vlan);
        return this;
    }

    public int vlan()
    {
        return buffer.getShort(offset + VLAN_OFFSET) & LOW_16_MASK;
    }

    /**
     * @param mac in the low 48 bits, as {@link MacAddress#read} returns it.
     * @return this.
     */
    public FlowKey destinationMac(final long mac)
    {
        putMac(DESTINATION_MAC_OFFSET, mac);
        return this;
    }

    public long destinationMac()
    {
        return getMac(DESTINATION_MAC_OFFSET);
    }

    /**
     * @param mac in the low 48 bits, as {@link MacAddress#read} returns it.
     * @return this.
     */
    public FlowKey sourceMac(final long mac)
    {
        putMac(SOURCE_MAC_OFFSET, mac);
        return this;
    }

    public long sourceMac()
    {
        return getMac(SOURCE_MAC_OFFSET);
    }

    /**
     * @param etherType the EtherType after any VLAN tags.
     * @return this.
     */
    public FlowKey etherType(final int etherType)
    {
        buffer.putShort(offset + ETHERTYPE_OFFSET, (short)etherType);
        return this;
    }

    public int etherType()
    {
        return buffer.getShort(offset + ETHERTYPE_OFFSET) & LOW_16_MASK;
    }

    /**
     * @param protocol the IPv4 protocol or IPv6 next header, 0..255.
     * @return this.
     */
    public FlowKey protocol(final int protocol)
    {
        buffer.putByte(offset + PROTOCOL_OFFSET, (byte)protocol);
        return this;
    }

    public int protocol()
    {
        return buffer.getByte(offset + PROTOCOL_OFFSET) & 0xFF;
    }

    /**
     * @param port TCP, UDP or SCTP source port, 0..65535.
     * @return this.
     */
    public FlowKey sourcePort(final int port)
    {
        buffer.putShort(offset + SOURCE_PORT_OFFSET, (short)port);
        return this;
    }

    public int sourcePort()
    {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET) & LOW_16_MASK;
    }

    /**
     * @param port TCP, UDP or SCTP destination port, 0..65535.
     * @return this.
     */
    public FlowKey destinationPort(final int port)
    {
        buffer.putShort(offset + DESTINATION_PORT_OFFSET, (short)port);
        return this;
    }

    public int destinationPort()
    {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET) & LOW_16_MASK;
    }

    /**
     * @param address IPv4 source address, {@code 10.0.0.1} as {@code 0x0A00_0001}.
     * @return this.
     */
    public FlowKey ipv4Source(final int address)
    {
        putAddress(SOURCE_ADDRESS_OFFSET, 0, address & LOW_32_MASK);
        return this;
    }

    /**
     * @param address IPv4 destination address, {@code 10.0.0.1} as {@code 0x0A00_0001}.
     * @return this.
     */
    public FlowKey ipv4Destination(final int address)
    {
        putAddress(DESTINATION_ADDRESS_OFFSET, 0, address & LOW_32_MASK);
        return this;
    }

    /**
     * @param high bytes 0 to 7 of the IPv6 source address.
     * @param low  bytes 8 to 15.
     * @return this.
     */
    public FlowKey ipv6Source(final long high, final long low)
    {
        putAddress(SOURCE_ADDRESS_OFFSET, high, low);
        return this;
    }

    /**
     * @param high bytes 0 to 7 of the IPv6 destination address.
     * @param low  bytes 8 to 15.
     * @return this.
     */
    public FlowKey ipv6Destination(final long high, final long low)
    {
        putAddress(DESTINATION_ADDRESS_OFFSET, high, low);
        return this;
    }

    /**
     * @return high 64 bits of the source address; 0 for IPv4.
     */
    public long sourceAddressHigh()
    {
        return buffer.getLong(offset + SOURCE_ADDRESS_OFFSET);
    }

    /**
     * @return low 64 bits of the source address; the IPv4 address in the low 32 bits.
     */
    public long sourceAddressLow()
    {
        return buffer.getLong(offset + SOURCE_ADDRESS_OFFSET + ADDRESS_LOW_OFFSET);
    }

    /**
     * @return high 64 bits of the destination address; 0 for IPv4.
     */
    public long destinationAddressHigh()
    {
        return buffer.getLong(offset + DESTINATION_ADDRESS_OFFSET);
    }

    /**
     * @return low 64 bits of the destination address; the IPv4 address in the low 32 bits.
     */
    public long destinationAddressLow()
    {
        return buffer.getLong(offset + DESTINATION_ADDRESS_OFFSET + ADDRESS_LOW_OFFSET);
    }

    /**
     * Read the key as eight {@code long}s.
     *
     * @param index 0..7.
     * @return bytes {@code index * 8} to {@code index * 8 + 7}, native byte order.
     */
    long word(final int index)
    {
        return buffer.getLong(offset + index * Long.BYTES);
    }

    /**
     * @return the fields in text, for logs and test failures.
     */
    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder()
            .append("FlowKey{port=").append(ingressPort())
            .append(", bridge=").append(bridgeId())
            .append(", vlan=").append(vlan())
            .append(", dst=").append(MacAddress.format(destinationMac()))
            .append(", src=").append(MacAddress.format(sourceMac()))
            .append(", etherType=0x").append(Integer.toHexString(etherType()));
        final int etherType = etherType();
        if (ETHERTYPE_IPV4 == etherType || ETHERTYPE_IPV6 == etherType)
        {
            final boolean v4 = ETHERTYPE_IPV4 == etherType;
            text.append(", ").append(address(v4, sourceAddressHigh(), sourceAddressLow()))
                .append(" > ").append(address(v4, destinationAddressHigh(), destinationAddressLow()))
                .append(", protocol=").append(protocol())
                .append(", ports=").append(sourcePort()).append('>').append(destinationPort());
        }
        return text.append('}').toString();
    }

    private static String address(final boolean v4, final long high, final long low)
    {
        return v4 ? IpPrefix.formatIpv4((int)low) : IpPrefix.formatIpv6(high, low);
    }

    private void putMac(final int fieldOffset, final long mac)
    {
        buffer.putInt(offset + fieldOffset, (int)mac);
        buffer.putShort(offset + fieldOffset + MAC_HIGH_OFFSET, (short)(mac >>> 32));
    }

    private long getMac(final int fieldOffset)
    {
        final long high = buffer.getShort(offset + fieldOffset + MAC_HIGH_OFFSET) & 0xFFFFL;
        return (high << 32) | (buffer.getInt(offset + fieldOffset) & LOW_32_MASK);
    }

    private void putAddress(final int fieldOffset, final long high, final long low)
    {
        buffer.putLong(offset + fieldOffset, high);
        buffer.putLong(offset + fieldOffset + ADDRESS_LOW_OFFSET, low);
    }
}
