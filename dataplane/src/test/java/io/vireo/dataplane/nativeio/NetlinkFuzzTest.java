package io.vireo.dataplane.nativeio;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The netlink answer parser over arbitrary datagrams: every message, error and attribute walk either
 * decodes or refuses with {@link NetlinkException}, and never reads past the datagram (wrapped in a
 * buffer of exactly its length, so such a read fails Agrona's bounds check).
 */
class NetlinkFuzzTest
{
    private static final int LINK_INDEX = 3;

    private final NetlinkReader reader = new NetlinkReader();
    private final RtMessages rtMessages = new RtMessages(new UnsafeBuffer(new byte[Netlink.HEADER_LENGTH]));

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void answersDecodeOrAreRefusedAsMalformed(final byte[] datagram)
    {
        reader.wrap(new UnsafeBuffer(datagram), datagram.length);
        try
        {
            while (reader.next())
            {
                assertTrue(reader.payloadLength() >= 0 && reader.payloadLength() <= datagram.length, "message inside the datagram");
                decode();
            }
        }
        catch (final NetlinkException malformed)
        {
            // The documented answer to a datagram that does not hold together.
        }
    }

    private void decode()
    {
        switch (reader.type())
        {
            case Netlink.NLMSG_ERROR ->
            {
                reader.error();
                reader.errorText();
            }
            case Netlink.NLMSG_DONE -> reader.error();
            case Netlink.RTM_NEWLINK -> rtMessages.link(reader);
            case Netlink.RTM_NEWADDR -> rtMessages.address(reader, LINK_INDEX);
            default ->
            {
            }
        }
    }
}
