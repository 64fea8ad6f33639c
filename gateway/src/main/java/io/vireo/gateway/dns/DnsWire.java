package io.vireo.gateway.dns;

/**
 * Offsets, flags and codes of the DNS message format (RFC 1035 4.1, EDNS: RFC 6891) that the query
 * reader, the response writer and the responder share; the layout is drawn on {@link DnsResponder}.
 */
final class DnsWire
{
    static final int HEADER_LENGTH = 12;
    static final int FLAGS_OFFSET = 2;
    static final int QDCOUNT_OFFSET = 4;
    static final int ANCOUNT_OFFSET = 6;
    static final int NSCOUNT_OFFSET = 8;
    static final int ARCOUNT_OFFSET = 10;

    static final int FLAG_QR = 0x8000;
    static final int OPCODE_MASK = 0x7800;
    static final int FLAG_AA = 0x0400;
    static final int FLAG_TC = 0x0200;
    static final int FLAG_RD = 0x0100;
    static final int FLAG_RA = 0x0080;
    static final int FLAG_CD = 0x0010;
    static final int RCODE_MASK = 0x0F;
    static final int RCODE_NOERROR = 0;
    static final int RCODE_FORMERR = 1;
    static final int RCODE_NXDOMAIN = 3;
    static final int RCODE_NOTIMP = 4;
    static final int RCODE_REFUSED = 5;
    /** Extended: 1 in the OPT's upper 8 bits, 0 in the header's 4 (RFC 6891 6.1.3). */
    static final int RCODE_BADVERS = 16;

    static final int TYPE_A = 1;
    static final int TYPE_SOA = 6;
    static final int TYPE_AAAA = 28;
    static final int TYPE_SRV = 33;
    static final int TYPE_OPT = 41;
    static final int TYPE_IXFR = 251;
    static final int TYPE_AXFR = 252;
    static final int TYPE_ANY = 255;
    static final int CLASS_IN = 1;
    static final int EDNS_VERSION = 0;
    static final int EDNS_DO = 0x8000;

    /** QTYPE and QCLASS after the question name. */
    static final int QUESTION_FIXED_LENGTH = 4;
    /** TYPE, CLASS, TTL and RDLENGTH after a record's name. */
    static final int RECORD_FIXED_LENGTH = 10;
    static final int POINTER_LENGTH = 2;
    static final int POINTER = 0xC000;
    static final int POINTER_TAG = 0xC0;
    static final int POINTER_OFFSET_MASK = 0x3FFF;
    /** Root name, type, class, TTL (extended RCODE, version, flags) and RDLENGTH 0. */
    static final int OPT_LENGTH = 1 + RECORD_FIXED_LENGTH;

    private DnsWire()
    {
    }
}
