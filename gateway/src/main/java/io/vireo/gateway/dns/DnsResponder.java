package io.vireo.gateway.dns;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.vireo.gateway.dns.DnsRecords.APEX;
import static io.vireo.gateway.dns.DnsRecords.MAX_LABEL_LENGTH;
import static io.vireo.gateway.dns.DnsRecords.MAX_NAME_LENGTH;
import static io.vireo.gateway.dns.DnsRecords.NOT_FOUND;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Turns a DNS query (RFC 1035 4.1) into its response in place, for the names of a {@link DnsRecords}.
 * The message is the UDP payload or the TCP message without its length prefix:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-+-------+-+-+-+-+-+-+-+-------+
 *  |              ID               |Q|OPCODE |A|T|R|R|Z|A|C| RCODE |
 *  |                               |R|       |A|C|D|A| |D|D|       |
 *  +-------------------------------+-+-------+-+-+-+-+-+-+-+-------+
 *  |           QDCOUNT = 1         |           ANCOUNT             |
 *  +-------------------------------+-------------------------------+
 *  |            NSCOUNT            |           ARCOUNT             |
 *  +-------------------------------+-------------------------------+
 *  | QNAME: | len | label | ... | 0 |  QTYPE  |  QCLASS  |           (offset 12)
 *  +---------------------------------------------------------------+
 *  | answer, authority, additional records:                        |
 *  | NAME | TYPE | CLASS | TTL (4) | RDLENGTH | RDATA              |
 *  | OPT (RFC 6891), in additional: | 0 | 41 | UDP size | ext RCODE | version | DO | Z | RDLENGTH | options |
 *  +---------------------------------------------------------------+
 * </pre>
 * The response keeps the query's ID and its question, byte for byte (the client's letter case), where
 * the query had it; the records follow it. Answers name their owner by a pointer to the question name
 * (0xC00C); an SRV target is written with its longest suffix that is already in the message (the
 * question's domain, an earlier target) as a pointer; the additional section has the A and AAAA
 * records of SRV targets the record set holds. Flags: QR, the query's OPCODE, RD and CD (RFC 4035
 * 3), RA if the caller has an upstream resolver, AA on answers from the domain.
 * <ul>
 *   <li>{@link #DROP}: shorter than a header, a response (QR set), or a response that would not fit
 *   even with no records. Nothing is written.</li>
 *   <li>NOTIMP, header only: an OPCODE other than QUERY (0).</li>
 *   <li>FORMERR, header only: QDCOUNT other than 1, or a question name with a label over 63 bytes, a
 *   compression pointer, more than 255 bytes, or running past the message, or QTYPE and QCLASS
 *   missing. FORMERR with the question (and an OPT if the query had one, RFC 6891 7): a record after
 *   the question running past the message, a second OPT, an OPT not owned by the root, or OPT options
 *   that do not add up to its RDATA.</li>
 *   <li>BADVERS (RFC 6891 6.1.3): an OPT of a version above 0.</li>
 *   <li>{@link #FORWARD}: a name outside the domain when the caller has an upstream and the query
 *   asks for recursion (RD; a server recurses only when asked, RFC 1034 4.3.1); nothing is written.
 *   Otherwise: REFUSED.</li>
 *   <li>REFUSED for a QCLASS other than IN (1), and for AXFR and IXFR: there is no zone in another
 *   class here and no transfer, a matter of what this server serves, as for a name outside its domain,
 *   rather than a kind of query it does not implement (NOTIMP, which is for opcodes).</li>
 *   <li>A name that is not in the records: NXDOMAIN; one that is but has no record of QTYPE: NOERROR
 *   with no answer (NODATA); both with the domain's SOA in the authority section (RFC 2308).
 *   QTYPE A, AAAA, SRV, and SOA at the domain's own name, are answered; ANY (255) has all of them.</li>
 * </ul>
 * Size: a response is at most {@code capacity} and 65535 bytes, and at most {@code maxLength} (for
 * UDP the caller passes 512; over TCP, 65535), or the UDP payload size of the query's OPT (taken as
 * 512 if lower, RFC 6891 6.2.5) if that is more. Answers that do not fit are left out whole and TC is
 * set (RFC 2181 9); additional records that do not fit are left out without TC, and so is an SOA in
 * the authority section. To a query with an OPT the response has an OPT too, room for which is kept:
 * version 0, UDP payload size {@link #UDP_PAYLOAD_SIZE}, the DO bit copied (RFC 3225 3), no options.
 * <p>
 * The query is read only in [offset, offset + length), and nothing is written at or past offset +
 * capacity. One instance per forwarding thread; nothing allocates, locks or throws.
 */
public final class DnsResponder
{
    /** Verdict: no response; drop the message. */
    public static final int DROP = -1;
    /** Verdict: no response; send the query, as it is, to the upstream resolver. */
    public static final int FORWARD = -2;

    /** Outcome: NOERROR with every answer. */
    public static final int ANSWERED = 0;
    /** Outcome: NOERROR without answer, the name exists without records of the type asked (NODATA). */
    public static final int NODATA = 1;
    /** Outcome: NXDOMAIN, no such name in the domain. */
    public static final int NXDOMAIN = 2;
    /** Outcome: NOERROR with the answers that fit and TC set. */
    public static final int TRUNCATED = 3;
    /** Outcome: REFUSED, a name outside the domain not forwarded, or a class or type not served. */
    public static final int REFUSED = 4;
    /** Outcome: FORMERR, a malformed query. */
    public static final int FORMERR = 5;
    /** Outcome: NOTIMP, an opcode other than QUERY. */
    public static final int NOTIMP = 6;
    /** Outcome: BADVERS, an EDNS version above 0. */
    public static final int BADVERS = 7;
    /** Outcome: the verdict was {@link #FORWARD}. */
    public static final int FORWARDED = 8;
    /** Outcome: the verdict was {@link #DROP}. */
    public static final int DROPPED = 9;
    /** How many outcomes there are, for an array of counters indexed by outcome. */
    public static final int OUTCOMES = 10;

    /** The length of a DNS header. */
    public static final int HEADER_LENGTH = 12;
    /** The UDP payload size the response's OPT offers (the DNS flag day 2020 size, no IP fragments). */
    public static final int UDP_PAYLOAD_SIZE = 1232;
    /** The UDP payload size every DNS speaker takes, and the least an OPT may ask for. */
    public static final int MIN_UDP_PAYLOAD_SIZE = 512;
    /** The longest DNS message: TCP's length prefix has 16 bits. */
    public static final int MAX_MESSAGE_LENGTH = 65_535;

    private static final int FLAGS_OFFSET = 2;
    private static final int QDCOUNT_OFFSET = 4;
    private static final int ANCOUNT_OFFSET = 6;
    private static final int NSCOUNT_OFFSET = 8;
    private static final int ARCOUNT_OFFSET = 10;
    private static final int FLAG_QR = 0x8000;
    private static final int OPCODE_MASK = 0x7800;
    private static final int FLAG_AA = 0x0400;
    private static final int FLAG_TC = 0x0200;
    private static final int FLAG_RD = 0x0100;
    private static final int FLAG_RA = 0x0080;
    private static final int FLAG_CD = 0x0010;
    private static final int RCODE_MASK = 0x0F;
    private static final int RCODE_NOERROR = 0;
    private static final int RCODE_FORMERR = 1;
    private static final int RCODE_NXDOMAIN = 3;
    private static final int RCODE_NOTIMP = 4;
    private static final int RCODE_REFUSED = 5;
    /** Extended: 1 in the OPT's upper 8 bits, 0 in the header's 4 (RFC 6891 6.1.3). */
    private static final int RCODE_BADVERS = 16;
    /** No refusal: the question is answered from the records. */
    private static final int ANSWER = -1;

    private static final int TYPE_A = 1;
    private static final int TYPE_SOA = 6;
    private static final int TYPE_AAAA = 28;
    private static final int TYPE_SRV = 33;
    private static final int TYPE_OPT = 41;
    private static final int TYPE_IXFR = 251;
    private static final int TYPE_AXFR = 252;
    private static final int TYPE_ANY = 255;
    private static final int CLASS_IN = 1;
    private static final int EDNS_VERSION = 0;
    private static final int EDNS_DO = 0x8000;
    private static final int OPTION_HEADER_LENGTH = 4;

    /** QTYPE and QCLASS after the question name. */
    private static final int QUESTION_FIXED_LENGTH = 4;
    /** TYPE, CLASS, TTL and RDLENGTH after a record's name. */
    private static final int RECORD_FIXED_LENGTH = 10;
    private static final int POINTER_LENGTH = 2;
    /** A record's name as a pointer, and its fixed fields. */
    private static final int RECORD_HEADER_LENGTH = POINTER_LENGTH + RECORD_FIXED_LENGTH;
    private static final int A_RECORD_LENGTH = RECORD_HEADER_LENGTH + 4;
    private static final int AAAA_RECORD_LENGTH = RECORD_HEADER_LENGTH + 16;
    /** Priority, weight and port before the target. */
    private static final int SRV_FIXED_LENGTH = 6;
    /** Root name, type, class, TTL (extended RCODE, version, flags) and RDLENGTH 0. */
    private static final int OPT_LENGTH = 1 + RECORD_FIXED_LENGTH;
    private static final int POINTER = 0xC000;
    private static final int POINTER_TAG = 0xC0;
    private static final int POINTER_OFFSET_MASK = 0x3FFF;
    private static final int QUESTION_POINTER = POINTER | HEADER_LENGTH;

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
    private boolean truncated;
    private boolean hasOpt;
    private int optPayloadSize;
    private int optVersion;
    private int optDnssecOk;
    private int outcome = DROPPED;

    /**
     * Answers the query in [offset, offset + length) in place.
     *
     * @param buffer      holds the query at {@code offset}, and gets the response there.
     * @param offset      index of the message's first byte (its ID).
     * @param length      bytes of the query.
     * @param capacity    bytes the buffer has from {@code offset} for the response; at least {@code length}.
     * @param maxLength   the longest response the transport takes: 512 for UDP, 65535 for TCP. Over
     *                    UDP the query's OPT may allow more.
     * @param records     the names to answer for.
     * @param hasUpstream whether names outside the domain can be forwarded to a resolver (and so RA).
     * @return the response's length, or {@link #DROP} or {@link #FORWARD}; {@link #outcome()} says why.
     */
    public int respond(
        final MutableDirectBuffer buffer, final int offset, final int length, final int capacity, final int maxLength,
        final DnsRecords records, final boolean hasUpstream)
    {
        if (length < HEADER_LENGTH)
        {
            return drop();
        }
        final int flags = buffer.getShort(offset + FLAGS_OFFSET, BIG_ENDIAN) & 0xFFFF;
        if (0 != (flags & FLAG_QR))
        {
            return drop();
        }
        this.buffer = buffer;
        this.records = records;
        message = offset;
        final int responseFlags = FLAG_QR | (flags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | (hasUpstream ? FLAG_RA : 0);
        final int transportLimit = Math.min(Math.min(capacity, MAX_MESSAGE_LENGTH), maxLength);
        if (0 != (flags & OPCODE_MASK))
        {
            return headerOnly(transportLimit, responseFlags | RCODE_NOTIMP, NOTIMP);
        }
        final int queryEnd = offset + length;
        final int questionEnd = 1 == (buffer.getShort(offset + QDCOUNT_OFFSET, BIG_ENDIAN) & 0xFFFF) ?
            question(offset + HEADER_LENGTH, queryEnd) : -1;
        if (questionEnd < 0)
        {
            return headerOnly(transportLimit, responseFlags | RCODE_FORMERR, FORMERR);
        }
        nameLength = questionEnd - QUESTION_FIXED_LENGTH - (offset + HEADER_LENGTH);
        final int type = buffer.getShort(questionEnd - 4, BIG_ENDIAN) & 0xFFFF;
        final int refusal = refusal(otherRecords(questionEnd, queryEnd), type, buffer.getShort(questionEnd - 2, BIG_ENDIAN) & 0xFFFF);
        if (FORWARD == refusal && hasUpstream && 0 != (flags & FLAG_RD))
        {
            outcome = FORWARDED;
            return FORWARD;
        }

        final int limit = hasOpt ?
            Math.min(Math.min(capacity, MAX_MESSAGE_LENGTH), Math.max(maxLength, Math.max(MIN_UDP_PAYLOAD_SIZE, optPayloadSize))) :
            transportLimit;
        final int optLength = hasOpt ? OPT_LENGTH : 0;
        if (questionEnd + optLength > offset + limit)
        {
            return drop();
        }
        position = questionEnd;
        end = offset + limit - optLength;
        answers = 0;
        authorities = 0;
        additionals = 0;
        truncated = false;

        return switch (refusal)
        {
            case ANSWER -> answer(responseFlags | FLAG_AA, type);
            case RCODE_FORMERR -> finish(responseFlags, RCODE_FORMERR, FORMERR);
            case RCODE_BADVERS -> finish(responseFlags, RCODE_BADVERS, BADVERS);
            default -> finish(responseFlags, RCODE_REFUSED, REFUSED);
        };
    }

    /**
     * Why the last {@link #respond} answered as it did.
     *
     * @return one of {@link #ANSWERED} .. {@link #DROPPED}, below {@link #OUTCOMES}.
     */
    public int outcome()
    {
        return outcome;
    }

    /**
     * What becomes of a question that parsed, before anything is written.
     *
     * @return an RCODE to answer with, {@link #FORWARD} for a name outside the domain, or {@link #ANSWER}.
     */
    private int refusal(final boolean wellFormed, final int type, final int dnsClass)
    {
        if (!wellFormed)
        {
            return RCODE_FORMERR;
        }
        if (hasOpt && EDNS_VERSION != optVersion)
        {
            return RCODE_BADVERS;
        }
        if (!records.inDomain(buffer, message + HEADER_LENGTH, nameLength))
        {
            return FORWARD;
        }
        if (CLASS_IN != dnsClass || TYPE_AXFR == type || TYPE_IXFR == type)
        {
            return RCODE_REFUSED;
        }
        return ANSWER;
    }

    private int answer(final int flags, final int type)
    {
        final int name = records.lookup(buffer, message + HEADER_LENGTH, nameLength);
        if (NOT_FOUND == name)
        {
            authorities = putSoa() ? 1 : 0;
            return finish(flags, RCODE_NXDOMAIN, NXDOMAIN);
        }
        final boolean any = TYPE_ANY == type;
        if (any || TYPE_SRV == type)
        {
            seedDictionary();
        }
        if (any || TYPE_A == type)
        {
            for (int record = records.aStart(name), last = records.aEnd(name); record < last && !truncated; record++)
            {
                countAnswer(putA(QUESTION_POINTER, record));
            }
        }
        if (any || TYPE_AAAA == type)
        {
            for (int record = records.aaaaStart(name), last = records.aaaaEnd(name); record < last && !truncated; record++)
            {
                countAnswer(putAaaa(QUESTION_POINTER, record));
            }
        }
        if (any || TYPE_SRV == type)
        {
            for (int record = records.srvStart(name), last = records.srvEnd(name); record < last && !truncated; record++)
            {
                countAnswer(putSrv(record));
            }
        }
        if ((any || TYPE_SOA == type) && APEX == name && !truncated)
        {
            countAnswer(putSoa());
        }

        if (truncated)
        {
            return finish(flags | FLAG_TC, RCODE_NOERROR, TRUNCATED);
        }
        if (0 == answers)
        {
            authorities = putSoa() ? 1 : 0;
            return finish(flags, RCODE_NOERROR, NODATA);
        }
        if (any || TYPE_SRV == type)
        {
            targetAddresses(name, any);
        }
        return finish(flags, RCODE_NOERROR, ANSWERED);
    }

    private void countAnswer(final boolean written)
    {
        if (written)
        {
            answers++;
        }
        else
        {
            truncated = true;
        }
    }

    /**
     * The additional section: for each SRV target the records hold, once, its A and AAAA RRsets, each
     * whole or not at all, owned by a pointer to the target in the answer. An ANY query's own name has
     * its addresses in the answer already.
     */
    private void targetAddresses(final int name, final boolean any)
    {
        final int first = records.srvStart(name);
        for (int record = first, last = records.srvEnd(name); record < last; record++)
        {
            final int target = records.srvTargetName(record);
            if (NOT_FOUND == target || (any && target == name) || isEarlierTarget(first, record, target))
            {
                continue;
            }
            final int owner = find(records.names(), records.nameOffset(target));
            if (owner < 0)
            {
                continue;
            }
            final int aStart = records.aStart(target);
            final int aEnd = records.aEnd(target);
            if (position + (aEnd - aStart) * A_RECORD_LENGTH <= end)
            {
                for (int address = aStart; address < aEnd; address++)
                {
                    putA(POINTER | owner, address);
                }
                additionals += aEnd - aStart;
            }
            final int aaaaStart = records.aaaaStart(target);
            final int aaaaEnd = records.aaaaEnd(target);
            if (position + (aaaaEnd - aaaaStart) * AAAA_RECORD_LENGTH <= end)
            {
                for (int address = aaaaStart; address < aaaaEnd; address++)
                {
                    putAaaa(POINTER | owner, address);
                }
                additionals += aaaaEnd - aaaaStart;
            }
        }
    }

    private boolean isEarlierTarget(final int first, final int record, final int target)
    {
        for (int earlier = first; earlier < record; earlier++)
        {
            if (records.srvTargetName(earlier) == target)
            {
                return true;
            }
        }
        return false;
    }

    private boolean putA(final int owner, final int record)
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

    private boolean putAaaa(final int owner, final int record)
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
    private boolean putSrv(final int record)
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
    private boolean putSoa()
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
    private void seedDictionary()
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
    private int find(final DirectBuffer names, final int nameOffset)
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
                if (DnsRecords.lowerCase(buffer.getByte(index + i)) != names.getByte(nameIndex + i))
                {
                    return false;
                }
            }
            index += 1 + label;
            nameIndex += 1 + label;
        }
    }

    /**
     * Walks the question name at {@code start}.
     *
     * @return the end of the question (after QCLASS), or -1 if it is malformed or runs past {@code limit}.
     */
    private int question(final int start, final int limit)
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
     * @return false if a record is malformed or runs past {@code limit}, there is a second OPT, or
     * the OPT is not owned by the root or has options that do not fill its RDATA.
     */
    private boolean otherRecords(final int start, final int limit)
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
            final int nameEnd = skipName(index, limit);
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
                if (nameEnd != index + 1 || !optionsFill(rdata, rdataEnd))
                {
                    return false;
                }
            }
            index = rdataEnd;
        }
        return true;
    }

    /**
     * Skips a name that may end in a compression pointer.
     *
     * @return the index after it, or -1 if it is malformed or runs past {@code limit}.
     */
    private int skipName(final int start, final int limit)
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
    private boolean optionsFill(final int start, final int limit)
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

    /** The OPT if the query had one, then the header's flags and counts; the question stays as it was. */
    private int finish(final int flags, final int rcode, final int outcome)
    {
        if (hasOpt)
        {
            buffer.putByte(position, (byte)0);
            buffer.putShort(position + 1, (short)TYPE_OPT, BIG_ENDIAN);
            buffer.putShort(position + 3, (short)UDP_PAYLOAD_SIZE, BIG_ENDIAN);
            buffer.putInt(position + 5, (rcode >>> 4) << 24 | EDNS_VERSION << 16 | optDnssecOk, BIG_ENDIAN);
            buffer.putShort(position + 9, (short)0, BIG_ENDIAN);
            position += OPT_LENGTH;
            additionals++;
        }
        buffer.putShort(message + FLAGS_OFFSET, (short)(flags | (rcode & RCODE_MASK)), BIG_ENDIAN);
        buffer.putShort(message + QDCOUNT_OFFSET, (short)1, BIG_ENDIAN);
        buffer.putShort(message + ANCOUNT_OFFSET, (short)answers, BIG_ENDIAN);
        buffer.putShort(message + NSCOUNT_OFFSET, (short)authorities, BIG_ENDIAN);
        buffer.putShort(message + ARCOUNT_OFFSET, (short)additionals, BIG_ENDIAN);
        this.outcome = outcome;
        return position - message;
    }

    /** A response of the header alone, all counts 0, if the transport takes 12 bytes. */
    private int headerOnly(final int limit, final int flags, final int outcome)
    {
        if (limit < HEADER_LENGTH)
        {
            return drop();
        }
        buffer.putShort(message + FLAGS_OFFSET, (short)flags, BIG_ENDIAN);
        buffer.putLong(message + QDCOUNT_OFFSET, 0L);
        this.outcome = outcome;
        return HEADER_LENGTH;
    }

    private int drop()
    {
        outcome = DROPPED;
        return DROP;
    }
}
