package io.vireo.dataplane.nativeio;

import java.nio.charset.StandardCharsets;

import org.agrona.MutableDirectBuffer;

import static io.vireo.dataplane.nativeio.Netlink.ATTRIBUTE_HEADER_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.ATTRIBUTE_TYPE_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.FLAGS_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.HEADER_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.IFADDRMSG_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.IFA_FAMILY_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFA_INDEX_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFA_PREFIX_LENGTH_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFINFOMSG_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.IFI_CHANGE_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFI_FAMILY_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFI_FLAGS_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFI_INDEX_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.LENGTH_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.RTMSG_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.RTM_DST_LENGTH_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.RTM_FAMILY_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.RTM_PROTOCOL_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.RTM_SCOPE_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.RTM_TABLE_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.RTM_TYPE_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.SEQUENCE_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.TYPE_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.align;

/**
 * Writes one netlink request at the start of a buffer: {@link #begin} the header, one fixed structure
 * ({@link #ifinfomsg}, {@link #ifaddrmsg} or {@link #rtmsg}), attributes, then {@link #finish} sets the
 * length. Layouts: {@link Netlink}. Every byte of the message is written, padding included, so a buffer
 * used before needs no clearing.
 */
final class NetlinkWriter
{
    /** rta_len is a u16 that counts the attribute's header too. */
    private static final int MAX_VALUE_LENGTH = 0xFFFF - ATTRIBUTE_HEADER_LENGTH;

    private final MutableDirectBuffer buffer;
    private int length;

    NetlinkWriter(final MutableDirectBuffer buffer)
    {
        this.buffer = buffer;
    }

    NetlinkWriter begin(final int type, final int flags, final int sequence)
    {
        buffer.setMemory(0, HEADER_LENGTH, (byte)0);
        buffer.putShort(TYPE_OFFSET, (short)type);
        buffer.putShort(FLAGS_OFFSET, (short)flags);
        buffer.putInt(SEQUENCE_OFFSET, sequence);
        length = HEADER_LENGTH;
        return this;
    }

    /** @param change the {@code IFF_*} bits of {@code flags} the kernel is to apply; the others stay as they are. */
    NetlinkWriter ifinfomsg(final int family, final int index, final int flags, final int change)
    {
        final int at = reserve(IFINFOMSG_LENGTH);
        buffer.putByte(at + IFI_FAMILY_OFFSET, (byte)family);
        buffer.putInt(at + IFI_INDEX_OFFSET, index);
        buffer.putInt(at + IFI_FLAGS_OFFSET, flags);
        buffer.putInt(at + IFI_CHANGE_OFFSET, change);
        return this;
    }

    /** Flags and scope 0, as {@code ip addr add} sends them: the kernel picks the scope from the address. */
    NetlinkWriter ifaddrmsg(final int family, final int prefixLength, final int index)
    {
        final int at = reserve(IFADDRMSG_LENGTH);
        buffer.putByte(at + IFA_FAMILY_OFFSET, (byte)family);
        buffer.putByte(at + IFA_PREFIX_LENGTH_OFFSET, (byte)prefixLength);
        buffer.putInt(at + IFA_INDEX_OFFSET, index);
        return this;
    }

    /** Source length, TOS and rtm_flags 0. */
    NetlinkWriter rtmsg(
        final int family, final int destinationLength, final int table, final int protocol, final int scope, final int type)
    {
        final int at = reserve(RTMSG_LENGTH);
        buffer.putByte(at + RTM_FAMILY_OFFSET, (byte)family);
        buffer.putByte(at + RTM_DST_LENGTH_OFFSET, (byte)destinationLength);
        buffer.putByte(at + RTM_TABLE_OFFSET, (byte)table);
        buffer.putByte(at + RTM_PROTOCOL_OFFSET, (byte)protocol);
        buffer.putByte(at + RTM_SCOPE_OFFSET, (byte)scope);
        buffer.putByte(at + RTM_TYPE_OFFSET, (byte)type);
        return this;
    }

    NetlinkWriter attribute(final int type, final byte[] value)
    {
        final int at = attributeHeader(type, value.length);
        buffer.putBytes(at, value);
        return this;
    }

    /** A u32 attribute. */
    NetlinkWriter attribute(final int type, final int value)
    {
        buffer.putInt(attributeHeader(type, 4), value);
        return this;
    }

    /** A string attribute, NUL-terminated as the kernel expects. */
    NetlinkWriter attribute(final int type, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        final int at = attributeHeader(type, bytes.length + 1);
        buffer.putBytes(at, bytes);
        buffer.putByte(at + bytes.length, (byte)0);
        return this;
    }

    /** Writes the message's length into its header. @return the message's length. */
    int finish()
    {
        buffer.putInt(LENGTH_OFFSET, length);
        return length;
    }

    /** Writes an attribute header and zeroes the padding after a value of {@code valueLength}. @return where the value goes. */
    private int attributeHeader(final int type, final int valueLength)
    {
        if (valueLength > MAX_VALUE_LENGTH)
        {
            throw new IllegalArgumentException("a netlink attribute holds at most " + MAX_VALUE_LENGTH + " bytes");
        }
        final int at = reserve(ATTRIBUTE_HEADER_LENGTH + valueLength);
        buffer.putShort(at, (short)(ATTRIBUTE_HEADER_LENGTH + valueLength));
        buffer.putShort(at + ATTRIBUTE_TYPE_OFFSET, (short)type);
        return at + ATTRIBUTE_HEADER_LENGTH;
    }

    /** Takes {@code size} bytes, padded to 4, zeroed. @return where they start. */
    private int reserve(final int size)
    {
        final int at = length;
        final int padded = align(size);
        buffer.setMemory(at, padded, (byte)0);
        length = at + padded;
        return at;
    }
}
