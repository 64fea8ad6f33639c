package io.vireo.gateway.dns;

import org.agrona.DirectBuffer;

import static io.vireo.gateway.dns.DnsRecords.MAX_LABEL_LENGTH;
import static io.vireo.gateway.dns.DnsRecords.MAX_NAME_LENGTH;
import static io.vireo.gateway.dns.DnsWire.ANCOUNT_OFFSET;
import static io.vireo.gateway.dns.DnsWire.ARCOUNT_OFFSET;
import static io.vireo.gateway.dns.DnsWire.EDNS_DO;
import static io.vireo.gateway.dns.DnsWire.NSCOUNT_OFFSET;
import static io.vireo.gateway.dns.DnsWire.POINTER_LENGTH;
import static io.vireo.gateway.dns.DnsWire.POINTER_TAG;
import static io.vireo.gateway.dns.DnsWire.QUESTION_FIXED_LENGTH;
import static io.vireo.gateway.dns.DnsWire.RECORD_FIXED_LENGTH;
import static io.vireo.gateway.dns.DnsWire.TYPE_OPT;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Reads a query for {@link DnsResponder}: walks its question and the records after it, and keeps
 * what the query's OPT (RFC 6891) says. Reads only up to the limit it is given; one per responder.
 */
final class DnsQuery
{
    private static final int OPTION_HEADER_LENGTH = 4;

    private boolean hasOpt;
    private int optPayloadSize;
    private int optVersion;
    private int optDnssecOk;

    /**
     * Walks the question name at {@code start}.
     *
     * @return the end of the question (after QCLASS), or -1 if it is malformed or runs past {@code limit}.
     */
    static int question(final DirectBuffer buffer, final int start, final int limit)
    {
        int index = start;
        while (index < limit)
        {
            final int label = buffer.getByte(index) & 0xFF;
            if (label > MAX_LABEL_LENGTH)
            {
                return -1;
            }
            index += 1 + label;
            if (0 == label)
            {
                return index + QUESTION_FIXED_LENGTH <= limit ? index + QUESTION_FIXED_LENGTH : -1;
            }
            if (index - start >= MAX_NAME_LENGTH)
            {
                return -1;
            }
        }
        return -1;
    }

    /**
     * Walks the records after the question to find the OPT ({@link #hasOpt} and its fields).
     *
     * @param message index of the message's first byte, where its header's counts are.
     * @return false if a record is malformed or runs past {@code limit}, there is a second OPT, or
     * the OPT is not owned by the root or has options that do not fill its RDATA.
     */
    boolean otherRecords(final DirectBuffer buffer, final int message, final int start, final int limit)
    {
        hasOpt = false;
        optPayloadSize = 0;
        optVersion = 0;
        optDnssecOk = 0;
        final int additionalStart = (buffer.getShort(message + ANCOUNT_OFFSET, BIG_ENDIAN) & 0xFFFF) +
            (buffer.getShort(message + NSCOUNT_OFFSET, BIG_ENDIAN) & 0xFFFF);
        final int count = additionalStart + (buffer.getShort(message + ARCOUNT_OFFSET, BIG_ENDIAN) & 0xFFFF);
        int index = start;
        for (int i = 0; i < count; i++)
        {
            final int nameEnd = skipName(buffer, index, limit);
            if (nameEnd < 0 || nameEnd + RECORD_FIXED_LENGTH > limit)
            {
                return false;
            }
            final int rdata = nameEnd + RECORD_FIXED_LENGTH;
            final int rdataEnd = rdata + (buffer.getShort(nameEnd + 8, BIG_ENDIAN) & 0xFFFF);
            if (rdataEnd > limit)
            {
                return false;
            }
            if (i >= additionalStart && TYPE_OPT == (buffer.getShort(nameEnd, BIG_ENDIAN) & 0xFFFF))
            {
                if (hasOpt)
                {
                    return false;
                }
                hasOpt = true;
                optPayloadSize = buffer.getShort(nameEnd + 2, BIG_ENDIAN) & 0xFFFF;
                final int ttl = buffer.getInt(nameEnd + 4, BIG_ENDIAN);
                optVersion = (ttl >>> 16) & 0xFF;
                optDnssecOk = ttl & EDNS_DO;
                if (nameEnd != index + 1 || !optionsFill(buffer, rdata, rdataEnd))
                {
                    return false;
                }
            }
            index = rdataEnd;
        }
        return true;
    }

    /** Whether the last query walked had an OPT record. */
    boolean hasOpt()
    {
        return hasOpt;
    }

    /** The UDP payload size the OPT offers. */
    int optPayloadSize()
    {
        return optPayloadSize;
    }

    int optVersion()
    {
        return optVersion;
    }

    /** The OPT's DO bit, in place ({@link DnsWire#EDNS_DO}) or 0. */
    int optDnssecOk()
    {
        return optDnssecOk;
    }

    /**
     * Skips a name that may end in a compression pointer.
     *
     * @return the index after it, or -1 if it is malformed or runs past {@code limit}.
     */
    private static int skipName(final DirectBuffer buffer, final int start, final int limit)
    {
        int index = start;
        while (index < limit)
        {
            final int label = buffer.getByte(index) & 0xFF;
            if (0 == label)
            {
                return index + 1;
            }
            if (label >= POINTER_TAG)
            {
                return index + POINTER_LENGTH <= limit ? index + POINTER_LENGTH : -1;
            }
            if (label > MAX_LABEL_LENGTH)
            {
                return -1;
            }
            index += 1 + label;
            if (index - start >= MAX_NAME_LENGTH)
            {
                return -1;
            }
        }
        return -1;
    }

    /** Whether OPT options (code, length, data) fill [start, limit) exactly. */
    private static boolean optionsFill(final DirectBuffer buffer, final int start, final int limit)
    {
        int index = start;
        while (index < limit)
        {
            if (index + OPTION_HEADER_LENGTH > limit)
            {
                return false;
            }
            index += OPTION_HEADER_LENGTH + (buffer.getShort(index + 2, BIG_ENDIAN) & 0xFFFF);
        }
        return index == limit;
    }
}
