package io.vireo.dataplane.nativeio;

import org.agrona.DirectBuffer;

import static io.vireo.dataplane.nativeio.Netlink.ATTRIBUTE_HEADER_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.ATTRIBUTE_TYPE_MASK;
import static io.vireo.dataplane.nativeio.Netlink.ATTRIBUTE_TYPE_OFFSET;

/**
 * Walks the attributes ({@code struct rtattr}, see {@link Netlink}) in a range of a received message, checking
 * each length against the range ({@link NetlinkRecords}): an attribute that would reach past it, or a value of
 * the wrong size for its type, is a {@link NetlinkException#malformed} answer.
 */
final class NetlinkAttributes
{
    private final NetlinkRecords attributes = NetlinkRecords.attributes();

    NetlinkAttributes wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        attributes.wrap(buffer, offset, length);
        return this;
    }

    /** Moves to the next attribute. @return false when there is none. */
    boolean next()
    {
        return attributes.next();
    }

    /** The type without the nested and byte-order bits. */
    int type()
    {
        return attributes.buffer().getShort(attributes.offset() + ATTRIBUTE_TYPE_OFFSET) & ATTRIBUTE_TYPE_MASK;
    }

    int valueOffset()
    {
        return attributes.offset() + ATTRIBUTE_HEADER_LENGTH;
    }

    int valueLength()
    {
        return attributes.length() - ATTRIBUTE_HEADER_LENGTH;
    }

    int u32()
    {
        if (4 != valueLength())
        {
            throw NetlinkException.malformed("attribute " + type() + " has " + valueLength() + " bytes, a u32 takes 4");
        }
        return attributes.buffer().getInt(valueOffset());
    }

    byte[] bytes()
    {
        final byte[] value = new byte[valueLength()];
        attributes.buffer().getBytes(valueOffset(), value);
        return value;
    }

    /** The value up to its terminating NUL (or all of it, should there be none). */
    String string()
    {
        int stringLength = 0;
        while (stringLength < valueLength() && 0 != attributes.buffer().getByte(valueOffset() + stringLength))
        {
            stringLength++;
        }
        return attributes.buffer().getStringWithoutLengthUtf8(valueOffset(), stringLength);
    }
}
