package io.vireo.gateway.dns;

import java.io.IOException;
import java.util.Arrays;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Section;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The responder over arbitrary messages, given as {@code [settings, 1 byte][capacity slack, 2 bytes]
 * [small maxLength, 1 byte][message]}: settings bit 0 = an upstream, bits 1-2 = maxLength 512, 1232,
 * 65535 or the small one, bits 3-6 = the message's offset. The buffer is the offset, the capacity (the
 * message's length and the slack, up to 4096 more) and guard bytes after it, so a read or write past
 * the guard fails Agrona's bounds check.
 * <p>
 * Each message is answered twice, in buffers that differ only outside the message (a different filler
 * before it, after it and in the guard): the verdicts and responses must be the same, which they could
 * not be if the responder read a byte outside the message before writing it, and both guards must be
 * as they were. A verdict leaves the message as it was. A response is at least a header, within the
 * capacity, within maxLength unless the query's OPT allows more, and parses with dnsjava, with the
 * query's ID and QR set.
 */
class DnsResponderFuzzTest
{
    private static final int SETTINGS_LENGTH = 4;
    private static final int MAX_SLACK = 4096;
    private static final int GUARD = 64;
    private static final byte FILLER = (byte)0xA5;
    private static final byte OTHER_FILLER = (byte)0x3C;
    private static final int[] MAX_LENGTHS = {512, 1232, 65_535};

    private final DnsResponder responder = new DnsResponder();
    private final DnsRecords records = records();

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void responsesStayInTheirBoundsAndParse(final byte[] input)
    {
        if (input.length < SETTINGS_LENGTH)
        {
            return;
        }
        final boolean hasUpstream = 0 != (input[0] & 1);
        final int choice = (input[0] >> 1) & 3;
        final int maxLength = choice < MAX_LENGTHS.length ? MAX_LENGTHS[choice] : input[3] & 0xFF;
        final int offset = (input[0] >> 3) & 0xF;
        final byte[] query = Arrays.copyOfRange(input, SETTINGS_LENGTH, input.length);
        final int capacity = query.length + ((input[1] & 0xFF) << 8 | input[2] & 0xFF) % (MAX_SLACK + 1);

        final UnsafeBuffer buffer = filled(offset + capacity + GUARD, FILLER, query, offset);
        final UnsafeBuffer other = filled(offset + capacity + GUARD, OTHER_FILLER, query, offset);
        final int length = responder.respond(buffer, offset, query.length, capacity, maxLength, records, hasUpstream);
        final int outcome = responder.outcome();
        assertEquals(length, responder.respond(other, offset, query.length, capacity, maxLength, records, hasUpstream),
            "bytes outside the message change nothing");
        assertEquals(outcome, responder.outcome());
        assertUntouched(buffer, 0, offset, FILLER, "before the message");
        assertUntouched(buffer, offset + capacity, GUARD, FILLER, "after the capacity");
        assertUntouched(other, 0, offset, OTHER_FILLER, "before the message");
        assertUntouched(other, offset + capacity, GUARD, OTHER_FILLER, "after the capacity");
        assertTrue(outcome >= 0 && outcome < DnsResponder.OUTCOMES, "an outcome");

        if (length < 0)
        {
            assertEquals(DnsResponder.DROP == length ? DnsResponder.DROPPED : DnsResponder.FORWARDED, outcome);
            assertTrue(DnsResponder.DROP == length || (DnsResponder.FORWARD == length && hasUpstream && 0 != (query[2] & 1)),
                "a verdict: forward only with an upstream, when RD asks for recursion");
            assertArrayEquals(query, bytes(buffer, offset, query.length), "a verdict leaves the message as it was");
            return;
        }
        final byte[] response = bytes(buffer, offset, length);
        assertArrayEquals(response, bytes(other, offset, length), "the same response");
        assertTrue(length >= DnsResponder.HEADER_LENGTH && length <= capacity, () -> length + " bytes in " + capacity);
        final Message parsed = parse(response);
        assertEquals(((query[0] & 0xFF) << 8) | (query[1] & 0xFF), parsed.getHeader().getID());
        assertTrue(parsed.getHeader().getFlag(Flags.QR));
        if (length > maxLength)
        {
            assertTrue(null != parsed.getOPT(), () -> length + " bytes over maxLength " + maxLength + " without EDNS");
            final int allowed = ednsPayloadSize(query);
            assertTrue(length <= allowed, () -> length + " bytes over maxLength " + maxLength + " and the EDNS size " + allowed);
        }
    }

    /** The fixture's records and a name with more addresses than 512 bytes hold. */
    private static DnsRecords records()
    {
        final DnsRecords.Builder builder = DnsFixtures.builder();
        for (int i = 0; i < 40; i++)
        {
            builder.addA("many.svc.vireo", 0x0A01_0000 + i);
        }
        return builder.build();
    }

    private static UnsafeBuffer filled(final int size, final byte filler, final byte[] query, final int offset)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[size]);
        buffer.setMemory(0, size, filler);
        buffer.putBytes(offset, query);
        return buffer;
    }

    private static void assertUntouched(final UnsafeBuffer buffer, final int from, final int length, final byte filler, final String where)
    {
        for (int i = from; i < from + length; i++)
        {
            assertEquals(filler, buffer.getByte(i), where);
        }
    }

    private static byte[] bytes(final UnsafeBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }

    private static Message parse(final byte[] response)
    {
        try
        {
            return new Message(response);
        }
        catch (final IOException ex)
        {
            return fail("dnsjava cannot parse the response " + toHex(response), ex);
        }
    }

    /**
     * The UDP payload size the query's OPT asks for, at least 512, as dnsjava reads it. Where dnsjava
     * cannot read the query, or reads only part of it (it does so when TC is set), the capacity bounds
     * the response anyway.
     */
    private static int ednsPayloadSize(final byte[] query)
    {
        try
        {
            final Message message = new Message(query);
            if (message.getSection(Section.ADDITIONAL).size() != message.getHeader().getCount(Section.ADDITIONAL))
            {
                return Integer.MAX_VALUE;
            }
            final OPTRecord opt = message.getOPT();
            return null == opt ? 0 : Math.max(DnsResponder.MIN_UDP_PAYLOAD_SIZE, opt.getPayloadSize());
        }
        catch (final IOException | RuntimeException ex)
        {
            return Integer.MAX_VALUE;
        }
    }

    private static String toHex(final byte[] bytes)
    {
        final StringBuilder hex = new StringBuilder();
        for (final byte b : bytes)
        {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }
}
