package io.vireo.gateway.dns;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.vireo.gateway.dns.DnsRecords.APEX;
import static io.vireo.gateway.dns.DnsWire.ANCOUNT_OFFSET;
import static io.vireo.gateway.dns.DnsWire.ARCOUNT_OFFSET;
import static io.vireo.gateway.dns.DnsWire.CLASS_IN;
import static io.vireo.gateway.dns.DnsWire.EDNS_VERSION;
import static io.vireo.gateway.dns.DnsWire.FLAGS_OFFSET;
import static io.vireo.gateway.dns.DnsWire.HEADER_LENGTH;
import static io.vireo.gateway.dns.DnsWire.NSCOUNT_OFFSET;
import static io.vireo.gateway.dns.DnsWire.OPT_LENGTH;
import static io.vireo.gateway.dns.DnsWire.POINTER;
import static io.vireo.gateway.dns.DnsWire.POINTER_LENGTH;
import static io.vireo.gateway.dns.DnsWire.POINTER_OFFSET_MASK;
import static io.vireo.gateway.dns.DnsWire.POINTER_TAG;
import static io.vireo.gateway.dns.DnsWire.QDCOUNT_OFFSET;
import static io.vireo.gateway.dns.DnsWire.RCODE_MASK;
import static io.vireo.gateway.dns.DnsWire.RECORD_FIXED_LENGTH;
import static io.vireo.gateway.dns.DnsWire.TYPE_A;
import static io.vireo.gateway.dns.DnsWire.TYPE_AAAA;
import static io.vireo.gateway.dns.DnsWire.TYPE_OPT;
import static io.vireo.gateway.dns.DnsWire.TYPE_SOA;
import static io.vireo.gateway.dns.DnsWire.TYPE_SRV;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Writes a response's records for {@link DnsResponder} after the question it keeps, in wire format:
 * owners as compression pointers, SRV targets compressed against the names already written (a
 * dictionary of label starts), nothing past the end it is given; then the OPT and the header's flags
 * and counts. One per responder; holds the message being written from {@link #start} to {@link #finish}.
 */
final class DnsResponseWriter
{
    /** A record's name as a pointer, and its fixed fields. */
    private static final int RECORD_HEADER_LENGTH = POINTER_LENGTH + RECORD_FIXED_LENGTH;
    static final int A_RECORD_LENGTH = RECORD_HEADER_LENGTH + 4;
    static final int AAAA_RECORD_LENGTH = RECORD_HEADER_LENGTH + 16;
    /** The question's name, where every answer's owner is. */
    static final int QUESTION_POINTER = POINTER | HEADER_LENGTH;
    /** Priority, weight and port before the target. */
    private static final int SRV_FIXED_LENGTH = 6;

    /** SOA MNAME's first label and RNAME's (the mailbox hostmaster@domain); each is followed by a pointer to the domain. */
    private static final byte[] PRIMARY_LABEL = {2, 'n', 's'};
    private static final byte[] MAILBOX_LABEL = {10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r'};
    private static final int SOA_RDATA_LENGTH = PRIMARY_LABEL.length + MAILBOX_LABEL.length + 2 * POINTER_LENGTH + 5 * 4;
    private static final int SOA_RECORD_LENGTH = RECORD_HEADER_LENGTH + SOA_RDATA_LENGTH;
    /** SOA REFRESH, RETRY and EXPIRE: no secondary server transfers this zone; the values are customary. */
    private static final int SOA_REFRESH = 7200;
    private static final int SOA_RETRY = 1800;
    private static final int SOA_EXPIRE = 86_400;

    /** Names a compression pointer can point to: offsets in the message of label starts written out. */
    private static final int DICTIONARY_CAPACITY = 1024;

    private final int[] dictionary = new int[DICTIONARY_CAPACITY];
    private int dictionarySize;
    private MutableDirectBuffer buffer;
    private DnsRecords records;
    private int message;
    private int nameLength;
    private int position;
    private int end;
    private int answers;
    private int authorities;
    private int additionals;

    /**
     * Starts the records of a response.
     *
     * @param message    index of the message's first byte.
     * @param nameLength bytes of the question name.
     * @param position   where the first record goes: after the question.
     * @param end        where the records must end, room for an OPT kept after it.
     */
    void start(
        final MutableDirectBuffer buffer, final int message, final DnsRecords records, final int nameLength,
        final int position, final int end)
    {
        this.buffer = buffer;
        this.message = message;
        this.records = records;
        this.nameLength = nameLength;
        this.position = position;
        this.end = end;
        answers = 0;
        authorities = 0;
        additionals = 0;
    }

    /** Whether {@code bytes} more fit before the end. */
    boolean fits(final int bytes)
    {
        return position + bytes <= end;
    }

    int answers()
    {
        return answers;
    }

    void countAnswer()
    {
        answers++;
    }

    void countAuthorities(final int count)
    {
        authorities += count;
    }

    void countAdditionals(final int count)
    {
        additionals += count;
    }

    boolean putA(final int owner, final int record)
    {
        if (position + A_RECORD_LENGTH > end)
        {
            return false;
        }
        putRecordHeader(owner, TYPE_A, 4);
        buffer.putInt(position, records.address(record), BIG_ENDIAN);
        position += 4;
        return true;
    }

    boolean putAaaa(final int owner, final int record)
    {
        if (position + AAAA_RECORD_LENGTH > end)
        {
            return false;
        }
        putRecordHeader(owner, TYPE_AAAA, 16);
        buffer.putLong(position, records.addressHigh(record), BIG_ENDIAN);
        buffer.putLong(position + 8, records.addressLow(record), BIG_ENDIAN);
        position += 16;
        return true;
    }

    /**
     * An SRV record owned by the question name. Its target is written as its labels up to the longest
     * suffix already in the message, then a pointer to that (or to the end, the root label); the
     * labels written become names later targets can point to.
     */
    boolean putSrv(final int record)
    {
        final DirectBuffer names = records.names();
        final int target = records.srvTargetOffset(record);
        final int targetLength = records.srvTargetLength(record);
        int literal = targetLength;
        int pointer = -1;
        for (int suffix = 0; suffix < targetLength - 1; suffix += 1 + names.getByte(target + suffix))
        {
            pointer = find(names, target + suffix);
            if (pointer >= 0)
            {
                literal = suffix;
                break;
            }
        }
        final int rdLength = SRV_FIXED_LENGTH + (pointer < 0 ? targetLength : literal + POINTER_LENGTH);
        if (position + RECORD_HEADER_LENGTH + rdLength > end)
        {
            return false;
        }
        putRecordHeader(QUESTION_POINTER, TYPE_SRV, rdLength);
        buffer.putShort(position, (short)records.srvPriority(record), BIG_ENDIAN);
        buffer.putShort(position + 2, (short)records.srvWeight(record), BIG_ENDIAN);
        buffer.putShort(position + 4, (short)records.srvPort(record), BIG_ENDIAN);
        position += SRV_FIXED_LENGTH;
        buffer.putBytes(position, names, target, literal);
        for (int label = 0; label < Math.min(literal, targetLength - 1); label += 1 + names.getByte(target + label))
        {
            remember(position + label - message);
        }
        position += literal;
        if (pointer >= 0)
        {
            buffer.putShort(position, (short)(POINTER | pointer), BIG_ENDIAN);
            position += POINTER_LENGTH;
        }
        return true;
    }

    /**
     * The domain's SOA (RFC 1035 3.3.13), owned by the domain's part of the question name: MNAME
     * ns.&lt;domain&gt;, RNAME hostmaster.&lt;domain&gt;, MINIMUM and TTL the records' TTL (RFC 2308 3, 4).
     */
    boolean putSoa()
    {
        if (position + SOA_RECORD_LENGTH > end)
        {
            return false;
        }
        final int domain = POINTER | (HEADER_LENGTH + nameLength - records.nameLength(APEX));
        putRecordHeader(domain, TYPE_SOA, SOA_RDATA_LENGTH);
        buffer.putBytes(position, PRIMARY_LABEL);
        position += PRIMARY_LABEL.length;
        buffer.putShort(position, (short)domain, BIG_ENDIAN);
        position += POINTER_LENGTH;
        buffer.putBytes(position, MAILBOX_LABEL);
        position += MAILBOX_LABEL.length;
        buffer.putShort(position, (short)domain, BIG_ENDIAN);
        position += POINTER_LENGTH;
        buffer.putInt(position, (int)records.serial(), BIG_ENDIAN);
        buffer.putInt(position + 4, SOA_REFRESH, BIG_ENDIAN);
        buffer.putInt(position + 8, SOA_RETRY, BIG_ENDIAN);
        buffer.putInt(position + 12, SOA_EXPIRE, BIG_ENDIAN);
        buffer.putInt(position + 16, records.ttl(), BIG_ENDIAN);
        position += 20;
        return true;
    }

    /** Owner pointer, TYPE, CLASS IN, TTL, RDLENGTH; leaves {@link #position} at the RDATA. */
    private void putRecordHeader(final int owner, final int type, final int rdLength)
    {
        buffer.putShort(position, (short)owner, BIG_ENDIAN);
        buffer.putShort(position + 2, (short)type, BIG_ENDIAN);
        buffer.putShort(position + 4, (short)CLASS_IN, BIG_ENDIAN);
        buffer.putInt(position + 6, records.ttl(), BIG_ENDIAN);
        buffer.putShort(position + 10, (short)rdLength, BIG_ENDIAN);
        position += RECORD_HEADER_LENGTH;
    }

    /** Every suffix of the question name but the root becomes a name to point to. */
    void seedDictionary()
    {
        dictionarySize = 0;
        final int question = message + HEADER_LENGTH;
        for (int label = 0; label < nameLength - 1; label += 1 + buffer.getByte(question + label))
        {
            remember(HEADER_LENGTH + label);
        }
    }

    private void remember(final int messageOffset)
    {
        if (dictionarySize < DICTIONARY_CAPACITY && messageOffset <= POINTER_OFFSET_MASK)
        {
            dictionary[dictionarySize++] = messageOffset;
        }
    }

    /**
     * Finds a name in the message.
     *
     * @return the offset in the message of a name equal to the wire-format name in {@code names} at
     * {@code nameOffset}, or -1.
     */
    int find(final DirectBuffer names, final int nameOffset)
    {
        for (int i = 0; i < dictionarySize; i++)
        {
            if (sameName(names, nameOffset, dictionary[i]))
            {
                return dictionary[i];
            }
        }
        return -1;
    }

    /**
     * Compares a lower-case name with one in the message, following the message's pointers. Those
     * were all written here, to earlier label starts, and the question has none, so the walk ends.
     */
    private boolean sameName(final DirectBuffer names, final int nameOffset, final int messageOffset)
    {
        int index = message + messageOffset;
        int nameIndex = nameOffset;
        while (true)
        {
            final int label = buffer.getByte(index) & 0xFF;
            if (label >= POINTER_TAG)
            {
                index = message + (buffer.getShort(index, BIG_ENDIAN) & POINTER_OFFSET_MASK);
                continue;
            }
            if (label != names.getByte(nameIndex))
            {
                return false;
            }
            if (0 == label)
            {
                return true;
            }
            for (int i = 1; i <= label; i++)
            {
                if (DnsNames.lowerCase(buffer.getByte(index + i)) != names.getByte(nameIndex + i))
                {
                    return false;
                }
            }
            index += 1 + label;
            nameIndex += 1 + label;
        }
    }

    /**
     * The OPT if the query had one, then the header's flags and counts; the question stays as it was.
     *
     * @param dnssecOk the query's DO bit, copied into the OPT.
     * @return the response's length.
     */
    int finish(final int flags, final int rcode, final boolean hasOpt, final int dnssecOk)
    {
        if (hasOpt)
        {
            buffer.putByte(position, (byte)0);
            buffer.putShort(position + 1, (short)TYPE_OPT, BIG_ENDIAN);
            buffer.putShort(position + 3, (short)DnsResponder.UDP_PAYLOAD_SIZE, BIG_ENDIAN);
            buffer.putInt(position + 5, (rcode >>> 4) << 24 | EDNS_VERSION << 16 | dnssecOk, BIG_ENDIAN);
            buffer.putShort(position + 9, (short)0, BIG_ENDIAN);
            position += OPT_LENGTH;
            additionals++;
        }
        buffer.putShort(message + FLAGS_OFFSET, (short)(flags | (rcode & RCODE_MASK)), BIG_ENDIAN);
        buffer.putShort(message + QDCOUNT_OFFSET, (short)1, BIG_ENDIAN);
        buffer.putShort(message + ANCOUNT_OFFSET, (short)answers, BIG_ENDIAN);
        buffer.putShort(message + NSCOUNT_OFFSET, (short)authorities, BIG_ENDIAN);
        buffer.putShort(message + ARCOUNT_OFFSET, (short)additionals, BIG_ENDIAN);
        return position - message;
    }

    /** A response of the header alone, all counts 0; returns its length. */
    static int headerOnly(final MutableDirectBuffer buffer, final int message, final int flags)
    {
        buffer.putShort(message + FLAGS_OFFSET, (short)flags, BIG_ENDIAN);
        buffer.putLong(message + QDCOUNT_OFFSET, 0L);
        return HEADER_LENGTH;
    }
}
