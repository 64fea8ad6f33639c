package io.vireo.dataplane.nativeio;

import org.agrona.DirectBuffer;

import static io.vireo.dataplane.nativeio.Netlink.ATTRIBUTE_HEADER_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.ATTRIBUTE_TYPE_MASK;
import static io.vireo.dataplane.nativeio.Netlink.align;

/**
 * Walks the attributes ({@code struct rtattr}, see {@link Netlink}) in a range of a received message, checking
 * each length against the range: an attribute that would reach past it, or a value of the wrong size for
 * its type, is a {@link NetlinkException#malformed} answer.
 */
final class NetlinkAttributes
{
    private DirectBuffer buffer;
    private int end;
    private int offset;
    private int length;
    private int next;

    NetlinkAttributes wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.end = offset + length;
        this.offset = offset;
        this.length = 0;
        this.next = offset;
        return this;
    }

    /** Moves to the next attribute. @return false when there is none. */
    boolean next()
    {
        if (next >= end)
        {
            return false;
        }
        final int left = end - next;
        if (left < ATTRIBUTE_HEADER_LENGTH)
        {
            throw NetlinkException.malformed(left + " bytes after the last attribute, less than a header");
        }
        final int attributeLength = buffer.getShort(next) & 0xFFFF;
        if (attributeLength < ATTRIBUTE_HEADER_LENGTH || attributeLength > left)
        {
            throw NetlinkException.malformed("an attribute of " + attributeLength + " bytes where " + left + " are left");
        }
        offset = next;
        length = attributeLength;
        next = offset + align(attributeLength);
        return true;
    }

    /** The type without the nested and byte-order bits. */
    int type()
    {
        return buffer.getShort(offset + 2) & ATTRIBUTE_TYPE_MASK;
    }

    int valueOffset()
    {
        return offset + ATTRIBUTE_HEADER_LENGTH;
    }

    int valueLength()
    {
        return length - ATTRIBUTE_HEADER_LENGTH;
    }

    int u32()
    {
        if (4 != valueLength())
        {
            throw NetlinkException.malformed("attribute " + type() + " has " + valueLength() + " bytes, a u32 takes 4");
        }
        return buffer.getInt(valueOffset());
    }

    byte[] bytes()
    {
        final byte[] value = new byte[valueLength()];
        buffer.getBytes(valueOffset(), value);
        return value;
    }

    /** The value up to its terminating NUL (or all of it, should there be none). */
    String string()
    {
        int stringLength = 0;
        while (stringLength < valueLength() && 0 != buffer.getByte(valueOffset() + stringLength))
        {
            stringLength++;
        }
        return buffer.getStringWithoutLengthUtf8(valueOffset(), stringLength);
    }
}
