package io.vireo.gateway.dns;

import org.agrona.MutableDirectBuffer;

import static io.vireo.gateway.dns.DnsRecords.APEX;
import static io.vireo.gateway.dns.DnsRecords.NOT_FOUND;
import static io.vireo.gateway.dns.DnsResponseWriter.AAAA_RECORD_LENGTH;
import static io.vireo.gateway.dns.DnsResponseWriter.A_RECORD_LENGTH;
import static io.vireo.gateway.dns.DnsResponseWriter.QUESTION_POINTER;
import static io.vireo.gateway.dns.DnsWire.CLASS_IN;
import static io.vireo.gateway.dns.DnsWire.EDNS_VERSION;
import static io.vireo.gateway.dns.DnsWire.FLAGS_OFFSET;
import static io.vireo.gateway.dns.DnsWire.FLAG_AA;
import static io.vireo.gateway.dns.DnsWire.FLAG_CD;
import static io.vireo.gateway.dns.DnsWire.FLAG_QR;
import static io.vireo.gateway.dns.DnsWire.FLAG_RA;
import static io.vireo.gateway.dns.DnsWire.FLAG_RD;
import static io.vireo.gateway.dns.DnsWire.FLAG_TC;
import static io.vireo.gateway.dns.DnsWire.OPCODE_MASK;
import static io.vireo.gateway.dns.DnsWire.OPT_LENGTH;
import static io.vireo.gateway.dns.DnsWire.POINTER;
import static io.vireo.gateway.dns.DnsWire.QDCOUNT_OFFSET;
import static io.vireo.gateway.dns.DnsWire.QUESTION_FIXED_LENGTH;
import static io.vireo.gateway.dns.DnsWire.RCODE_BADVERS;
import static io.vireo.gateway.dns.DnsWire.RCODE_FORMERR;
import static io.vireo.gateway.dns.DnsWire.RCODE_NOERROR;
import static io.vireo.gateway.dns.DnsWire.RCODE_NOTIMP;
import static io.vireo.gateway.dns.DnsWire.RCODE_NXDOMAIN;
import static io.vireo.gateway.dns.DnsWire.RCODE_REFUSED;
import static io.vireo.gateway.dns.DnsWire.TYPE_A;
import static io.vireo.gateway.dns.DnsWire.TYPE_AAAA;
import static io.vireo.gateway.dns.DnsWire.TYPE_ANY;
import static io.vireo.gateway.dns.DnsWire.TYPE_AXFR;
import static io.vireo.gateway.dns.DnsWire.TYPE_IXFR;
import static io.vireo.gateway.dns.DnsWire.TYPE_SOA;
import static io.vireo.gateway.dns.DnsWire.TYPE_SRV;
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
 * capacity. One instance per forwarding thread; nothing allocates, locks or throws. The query is read by
 * {@link DnsQuery}, the records written by {@link DnsResponseWriter}; this class decides what to answer.
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
    public static final int HEADER_LENGTH = DnsWire.HEADER_LENGTH;
    /** The UDP payload size the response's OPT offers (the DNS flag day 2020 size, no IP fragments). */
    public static final int UDP_PAYLOAD_SIZE = 1232;
    /** The UDP payload size every DNS speaker takes, and the least an OPT may ask for. */
    public static final int MIN_UDP_PAYLOAD_SIZE = 512;
    /** The longest DNS message: TCP's length prefix has 16 bits. */
    public static final int MAX_MESSAGE_LENGTH = 65_535;

    /** No refusal: the question is answered from the records. */
    private static final int ANSWER = -1;

    private final DnsQuery query = new DnsQuery();
    private final DnsResponseWriter writer = new DnsResponseWriter();
    private MutableDirectBuffer buffer;
    private DnsRecords records;
    private int message;
    private int nameLength;
    private boolean truncated;
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
            DnsQuery.question(buffer, offset + HEADER_LENGTH, queryEnd) : -1;
        if (questionEnd < 0)
        {
            return headerOnly(transportLimit, responseFlags | RCODE_FORMERR, FORMERR);
        }
        nameLength = questionEnd - QUESTION_FIXED_LENGTH - (offset + HEADER_LENGTH);
        final int type = buffer.getShort(questionEnd - 4, BIG_ENDIAN) & 0xFFFF;
        final int refusal = refusal(query.otherRecords(buffer, offset, questionEnd, queryEnd), type,
            buffer.getShort(questionEnd - 2, BIG_ENDIAN) & 0xFFFF);
        if (FORWARD == refusal && hasUpstream && 0 != (flags & FLAG_RD))
        {
            outcome = FORWARDED;
            return FORWARD;
        }

        final boolean hasOpt = query.hasOpt();
        final int limit = hasOpt ?
            Math.min(Math.min(capacity, MAX_MESSAGE_LENGTH), Math.max(maxLength, Math.max(MIN_UDP_PAYLOAD_SIZE, query.optPayloadSize()))) :
            transportLimit;
        final int optLength = hasOpt ? OPT_LENGTH : 0;
        if (questionEnd + optLength > offset + limit)
        {
            return drop();
        }
        writer.start(buffer, offset, records, nameLength, questionEnd, offset + limit - optLength);
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
        if (query.hasOpt() && EDNS_VERSION != query.optVersion())
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
            writer.countAuthorities(writer.putSoa() ? 1 : 0);
            return finish(flags, RCODE_NXDOMAIN, NXDOMAIN);
        }
        final boolean any = TYPE_ANY == type;
        if (any || TYPE_SRV == type)
        {
            writer.seedDictionary();
        }
        if (any || TYPE_A == type)
        {
            for (int record = records.aStart(name), last = records.aEnd(name); record < last && !truncated; record++)
            {
                countAnswer(writer.putA(QUESTION_POINTER, record));
            }
        }
        if (any || TYPE_AAAA == type)
        {
            for (int record = records.aaaaStart(name), last = records.aaaaEnd(name); record < last && !truncated; record++)
            {
                countAnswer(writer.putAaaa(QUESTION_POINTER, record));
            }
        }
        if (any || TYPE_SRV == type)
        {
            for (int record = records.srvStart(name), last = records.srvEnd(name); record < last && !truncated; record++)
            {
                countAnswer(writer.putSrv(record));
            }
        }
        if ((any || TYPE_SOA == type) && APEX == name && !truncated)
        {
            countAnswer(writer.putSoa());
        }

        if (truncated)
        {
            return finish(flags | FLAG_TC, RCODE_NOERROR, TRUNCATED);
        }
        if (0 == writer.answers())
        {
            writer.countAuthorities(writer.putSoa() ? 1 : 0);
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
            writer.countAnswer();
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
            final int owner = writer.find(records.names(), records.nameOffset(target));
            if (owner < 0)
            {
                continue;
            }
            final int aStart = records.aStart(target);
            final int aEnd = records.aEnd(target);
            if (writer.fits((aEnd - aStart) * A_RECORD_LENGTH))
            {
                for (int address = aStart; address < aEnd; address++)
                {
                    writer.putA(POINTER | owner, address);
                }
                writer.countAdditionals(aEnd - aStart);
            }
            final int aaaaStart = records.aaaaStart(target);
            final int aaaaEnd = records.aaaaEnd(target);
            if (writer.fits((aaaaEnd - aaaaStart) * AAAA_RECORD_LENGTH))
            {
                for (int address = aaaaStart; address < aaaaEnd; address++)
                {
                    writer.putAaaa(POINTER | owner, address);
                }
                writer.countAdditionals(aaaaEnd - aaaaStart);
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

    private int finish(final int flags, final int rcode, final int outcome)
    {
        this.outcome = outcome;
        return writer.finish(flags, rcode, query.hasOpt(), query.optDnssecOk());
    }

    /** A response of the header alone, all counts 0, if the transport takes 12 bytes. */
    private int headerOnly(final int limit, final int flags, final int outcome)
    {
        if (limit < HEADER_LENGTH)
        {
            return drop();
        }
        this.outcome = outcome;
        return DnsResponseWriter.headerOnly(buffer, message, flags);
    }

    private int drop()
    {
        outcome = DROPPED;
        return DROP;
    }
}
