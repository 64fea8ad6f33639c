package io.vireo.dataplane.nativeio;

import org.agrona.DirectBuffer;

import static io.vireo.dataplane.nativeio.Netlink.FLAGS_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.HEADER_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.LENGTH_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.NLMSGERR_ATTR_MSG;
import static io.vireo.dataplane.nativeio.Netlink.NLMSGERR_ERROR_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.NLMSGERR_REQUEST_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.NLM_F_ACK_TLVS;
import static io.vireo.dataplane.nativeio.Netlink.NLM_F_CAPPED;
import static io.vireo.dataplane.nativeio.Netlink.SEQUENCE_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.TYPE_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.align;

/**
 * Walks the messages of one datagram the kernel sent (layouts: {@link Netlink}). Every length is checked
 * against what was received before anything is read ({@link NetlinkRecords}): a message or a structure that
 * would reach past the datagram is a {@link NetlinkException#malformed} answer, never a read of stale bytes.
 */
final class NetlinkReader
{
    private final NetlinkRecords messages = NetlinkRecords.messages();
    private final NetlinkAttributes errorAttributes = new NetlinkAttributes();

    /** Reads the {@code length} bytes received at the start of {@code buffer}. */
    NetlinkReader wrap(final DirectBuffer buffer, final int length)
    {
        messages.wrap(buffer, 0, length);
        return this;
    }

    /** Moves to the next message. @return false when there is none. */
    boolean next()
    {
        return messages.next();
    }

    DirectBuffer buffer()
    {
        return messages.buffer();
    }

    int type()
    {
        return buffer().getShort(messages.offset() + TYPE_OFFSET) & 0xFFFF;
    }

    int flags()
    {
        return buffer().getShort(messages.offset() + FLAGS_OFFSET) & 0xFFFF;
    }

    int sequence()
    {
        return buffer().getInt(messages.offset() + SEQUENCE_OFFSET);
    }

    int payloadLength()
    {
        return messages.length() - HEADER_LENGTH;
    }

    /**
     * Where the payload starts, after checking it holds a fixed structure of {@code size} bytes.
     *
     * @param what the structure, for the message if it does not fit.
     */
    int payloadOffset(final int size, final String what)
    {
        if (payloadLength() < size)
        {
            throw NetlinkException.malformed("message type " + type() + " has " + payloadLength() +
                " bytes of payload, " + what + " takes " + size);
        }
        return messages.offset() + HEADER_LENGTH;
    }

    /** The i32 of an NLMSG_ERROR (0: an acknowledgement; else minus the errno) or an NLMSG_DONE (0, or minus an errno). */
    int error()
    {
        return buffer().getInt(payloadOffset(4, "the error code") + NLMSGERR_ERROR_OFFSET);
    }

    /** The kernel's explanation of an NLMSG_ERROR (NLMSGERR_ATTR_MSG), or null when it gave none. */
    String errorText()
    {
        if (0 == (flags() & NLM_F_ACK_TLVS))
        {
            return null;
        }
        final int request = payloadOffset(NLMSGERR_REQUEST_OFFSET + HEADER_LENGTH, "struct nlmsgerr") + NLMSGERR_REQUEST_OFFSET;
        final int echoed = 0 != (flags() & NLM_F_CAPPED) ? HEADER_LENGTH : align(buffer().getInt(request + LENGTH_OFFSET));
        final int attributes = request + echoed;
        final int messageEnd = messages.offset() + messages.length();
        if (echoed < HEADER_LENGTH || echoed > messageEnd - request)
        {
            throw NetlinkException.malformed(
                "an error echoing a request of " + echoed + " bytes in a message of " + messages.length());
        }
        errorAttributes.wrap(buffer(), attributes, messageEnd - attributes);
        while (errorAttributes.next())
        {
            if (NLMSGERR_ATTR_MSG == errorAttributes.type())
            {
                return errorAttributes.string();
            }
        }
        return null;
    }
}
