package io.vireo.dataplane.nativeio;

import org.agrona.DirectBuffer;

import static io.vireo.dataplane.nativeio.Netlink.align;

/**
 * A walk over a range of records that each start with their own length, header included, the next one on a
 * 4-byte boundary: the messages of a datagram (a u32 length), the attributes of a message (a u16). Each length
 * is checked against what is left of the range before the record is taken: one that would reach past it is a
 * {@link NetlinkException#malformed} answer.
 */
final class NetlinkRecords
{
    private final String kind;
    private final int headerLength;
    private final boolean shortLength;
    private DirectBuffer buffer;
    private int end;
    private int offset;
    private int length;
    private int next;

    private NetlinkRecords(final String kind, final int headerLength, final boolean shortLength)
    {
        this.kind = kind;
        this.headerLength = headerLength;
        this.shortLength = shortLength;
    }

    /** The messages of a datagram: struct nlmsghdr, nlmsg_len a u32. */
    static NetlinkRecords messages()
    {
        return new NetlinkRecords("message", Netlink.HEADER_LENGTH, false);
    }

    /** The attributes of a message: struct rtattr, rta_len a u16. */
    static NetlinkRecords attributes()
    {
        return new NetlinkRecords("attribute", Netlink.ATTRIBUTE_HEADER_LENGTH, true);
    }

    void wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.end = offset + length;
        this.offset = offset;
        this.length = 0;
        this.next = offset;
    }

    /** Moves to the next record. @return false when there is none. */
    boolean next()
    {
        if (next >= end)
        {
            return false;
        }
        final int left = end - next;
        if (left < headerLength)
        {
            throw NetlinkException.malformed(left + " bytes after the last " + kind + ", less than a header");
        }
        final int recordLength = shortLength ? buffer.getShort(next) & 0xFFFF : buffer.getInt(next);
        if (recordLength < headerLength || recordLength > left)
        {
            throw NetlinkException.malformed(kind + " of " + recordLength + " bytes where " + left + " are left");
        }
        offset = next;
        length = recordLength;
        next = offset + align(recordLength);
        return true;
    }

    DirectBuffer buffer()
    {
        return buffer;
    }

    /** Where the record starts. */
    int offset()
    {
        return offset;
    }

    /** The record's length, header included, padding not. */
    int length()
    {
        return length;
    }
}
