package io.vireo.gateway.dns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import static io.vireo.gateway.dns.DnsFixtures.SERIAL;
import static io.vireo.gateway.dns.DnsFixtures.TTL;
import static io.vireo.gateway.dns.DnsFixtures.ULA_HIGH;
import static io.vireo.gateway.dns.DnsFixtures.ednsQuery;
import static io.vireo.gateway.dns.DnsFixtures.name;
import static io.vireo.gateway.dns.DnsFixtures.query;
import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queries made by dnsjava, answered in place, and the responses read back by dnsjava's parser: every
 * header flag, the question, and each record's name, type, class, TTL and data. Malformed queries are
 * made by hand. The buffer has guard bytes before the message and after the capacity, checked after
 * every call.
 */
class DnsResponderTest
{
    private static final int OFFSET = 32;
    private static final int CAPACITY = 4096;
    private static final int GUARD = 64;
    private static final byte GUARD_BYTE = (byte)0xA5;
    private static final int UDP = 512;
    private static final int TCP = 65_535;
    private static final int ID = 0x1234;

    private final DnsResponder responder = new DnsResponder();
    private final DnsRecords records = DnsFixtures.records();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + CAPACITY + GUARD]);
    private int responseLength;

    @Test
    void anAQueryGetsEveryAddressInTheOrderStoredWithAuthority()
    {
        final Message query = query("web.svc.vireo", Type.A);
        final Message response = answer(query, UDP, true);

        assertHeader(response, query, Rcode.NOERROR, true, false, true);
        assertEquals(DnsResponder.ANSWERED, responder.outcome());
        assertCounts(response, 3, 0, 0);
        final List<Record> answers = response.getSection(Section.ANSWER);
        assertA(answers.get(0), "web.svc.vireo", "10.0.0.1");
        assertA(answers.get(1), "web.svc.vireo", "10.0.0.2");
        assertA(answers.get(2), "web.svc.vireo", "10.0.0.3");
        final int firstAnswer = OFFSET + questionEnd(query);
        assertEquals(0xC00C, buffer.getShort(firstAnswer, BIG_ENDIAN) & 0xFFFF, "owner: a pointer to the question");
        assertEquals(questionEnd(query) + 3 * 16, responseLength, "three 16-byte answers");
    }

    @Test
    void withoutAnUpstreamRecursionIsNotAvailableAndRdIsCopied()
    {
        final Message query = query("web.svc.vireo", Type.AAAA);
        query.getHeader().unsetFlag(Flags.RD);
        query.getHeader().setFlag(Flags.CD);
        final Message response = answer(query, UDP, false);

        assertHeader(response, query, Rcode.NOERROR, true, false, false);
        assertCounts(response, 1, 0, 0);
        assertAaaa(response.getSection(Section.ANSWER).get(0), "web.svc.vireo", "fd00::1");
    }

    @Test
    void anSrvQueryHasItsTargetsAddressesInTheAdditionalSection()
    {
        final Message query = query("_http._tcp.web.svc.vireo", Type.SRV);
        final Message response = answer(query, UDP, true);

        assertHeader(response, query, Rcode.NOERROR, true, false, true);
        assertCounts(response, 3, 0, 3);
        final List<Record> answers = response.getSection(Section.ANSWER);
        assertSrv(answers.get(0), "_http._tcp.web.svc.vireo", 10, 60, 8080, "web-0.web.svc.vireo");
        assertSrv(answers.get(1), "_http._tcp.web.svc.vireo", 10, 40, 8080, "web-1.web.svc.vireo");
        assertSrv(answers.get(2), "_http._tcp.web.svc.vireo", 20, 0, 8080, "backup.example.org");
        final List<Record> additional = response.getSection(Section.ADDITIONAL);
        assertA(additional.get(0), "web-0.web.svc.vireo", "10.0.1.0");
        assertAaaa(additional.get(1), "web-0.web.svc.vireo", "fd00::100");
        assertA(additional.get(2), "web-1.web.svc.vireo", "10.0.1.1");
    }

    @Test
    void srvTargetsAreCompressedAgainstTheQuestionAndEachOther()
    {
        final Message query = query("_http._tcp.web.svc.vireo", Type.SRV);
        final Message response = answer(query, UDP, true);
        final int length = responseLength;

        // Question: | 5 _http | 4 _tcp | 3 web | 3 svc | 5 vireo | 0 | type | class |, web.svc.vireo at 12 + 6 + 5 = 23.
        final int firstTarget = 42 + 12 + 6;
        assertArrayEquals(new byte[] {5, 'w', 'e', 'b', '-', '0', (byte)0xC0, 23}, bytes(firstTarget, 8), "web-0 then a pointer to web.svc.vireo");
        assertEquals(6 + 8, buffer.getShort(OFFSET + firstTarget - 8, BIG_ENDIAN), "rdlength");
        final int additional = OFFSET + 94 + 12 + 6 + 20;
        assertEquals(0xC000 | firstTarget, buffer.getShort(additional, BIG_ENDIAN) & 0xFFFF,
            "the additional A record is owned by a pointer to the first target");
        assertTrue(length < uncompressedLength(response), length + " bytes, uncompressed " + uncompressedLength(response));
    }

    @Test
    void aTargetRepeatedOrInTheQuestionIsOnlyAPointerAndItsAddressesComeOnce()
    {
        final DnsRecords repeated = DnsRecords.builder().ttl(TTL).serial(SERIAL)
            .addA("db.svc.vireo", 0x0A00_0201)
            .addSrv("_pg._tcp.db.svc.vireo", 0, 0, 5432, "db.svc.vireo")
            .addSrv("_pg._tcp.db.svc.vireo", 0, 0, 5433, "db.svc.vireo")
            .addSrv("_pg._tcp.db.svc.vireo", 1, 0, 5434, "replica.db.svc.vireo")
            .build();
        final Message query = query("_pg._tcp.db.svc.vireo", Type.SRV);
        final Message response = answer(query, repeated);

        assertCounts(response, 3, 0, 1);
        final List<Record> answers = response.getSection(Section.ANSWER);
        assertSrv(answers.get(0), "_pg._tcp.db.svc.vireo", 0, 0, 5432, "db.svc.vireo");
        assertSrv(answers.get(1), "_pg._tcp.db.svc.vireo", 0, 0, 5433, "db.svc.vireo");
        assertSrv(answers.get(2), "_pg._tcp.db.svc.vireo", 1, 0, 5434, "replica.db.svc.vireo");
        assertA(response.getSection(Section.ADDITIONAL).get(0), "db.svc.vireo", "10.0.2.1");
        // Question: | 3 _pg | 4 _tcp | 2 db | 3 svc | 5 vireo | 0 |: db.svc.vireo at 12 + 4 + 5 = 21.
        final int firstTarget = 12 + 4 + 5 + 3 + 4 + 6 + 1 + 4 + 12 + 6;
        assertArrayEquals(new byte[] {(byte)0xC0, 21}, bytes(firstTarget, 2), "the target is the question's suffix");
        assertArrayEquals(new byte[] {(byte)0xC0, 21}, bytes(firstTarget + 20, 2), "and again");
        assertArrayEquals(new byte[] {7, 'r', 'e', 'p', 'l', 'i', 'c', 'a', (byte)0xC0, 21}, bytes(firstTarget + 40, 10));
        // Question, 2 answers of 20 bytes and one of 28, one additional A.
        assertEquals(questionEnd(query) + 20 + 20 + 28 + 16, responseLength);
    }

    @Test
    void aTargetOutsideTheMessageIsWrittenWholeAndTheRootTargetIsOneByte()
    {
        final Message query = query("_ldap._tcp.web.svc.vireo", Type.SRV);
        final Message response = answer(query, UDP, true);

        assertCounts(response, 1, 0, 0);
        assertSrv(response.getSection(Section.ANSWER).get(0), "_ldap._tcp.web.svc.vireo", 0, 0, 0, ".");
        assertEquals(questionEnd(query) + 12 + 6 + 1, responseLength);
    }

    @Test
    void aMixedCaseQueryIsAnsweredAndItsQuestionEchoedByteForByte()
    {
        final Message query = query("_HTTP._Tcp.WeB.sVc.VIREO", Type.SRV);
        final byte[] wire = query.toWire();
        final Message response = answer(query, UDP, true);

        assertCounts(response, 3, 0, 3);
        assertArrayEquals(Arrays.copyOfRange(wire, 12, questionEnd(query)), bytes(12, questionEnd(query) - 12));
        assertEquals("_HTTP._Tcp.WeB.sVc.VIREO.", response.getQuestion().getName().toString());
        assertSrv(response.getSection(Section.ANSWER).get(0), "_http._tcp.web.svc.vireo", 10, 60, 8080, "web-0.web.svc.vireo");
        assertA(response.getSection(Section.ADDITIONAL).get(2), "web-1.web.svc.vireo", "10.0.1.1");
    }

    @Test
    void anyHasEveryTypeTheNameHas()
    {
        final Message addresses = answer(query("web-0.web.svc.vireo", Type.ANY), UDP, true);
        assertCounts(addresses, 2, 0, 0);
        assertA(addresses.getSection(Section.ANSWER).get(0), "web-0.web.svc.vireo", "10.0.1.0");
        assertAaaa(addresses.getSection(Section.ANSWER).get(1), "web-0.web.svc.vireo", "fd00::100");

        final Message services = answer(query("_http._tcp.web.svc.vireo", Type.ANY), UDP, true);
        assertCounts(services, 3, 0, 3);
        assertEquals(Type.SRV, services.getSection(Section.ANSWER).get(2).getType());
        assertAaaa(services.getSection(Section.ADDITIONAL).get(1), "web-0.web.svc.vireo", "fd00::100");
    }

    @Test
    void aNameThatIsItsOwnTargetHasItsAddressesOnceUnderAny()
    {
        final DnsRecords self = DnsRecords.builder().ttl(TTL).serial(SERIAL)
            .addA("host.svc.vireo", 0x0A00_0301)
            .addSrv("host.svc.vireo", 0, 0, 22, "host.svc.vireo")
            .build();

        final Message any = answer(query("host.svc.vireo", Type.ANY), self);
        assertCounts(any, 2, 0, 0);
        assertA(any.getSection(Section.ANSWER).get(0), "host.svc.vireo", "10.0.3.1");
        assertSrv(any.getSection(Section.ANSWER).get(1), "host.svc.vireo", 0, 0, 22, "host.svc.vireo");

        final Message srv = answer(query("host.svc.vireo", Type.SRV), self);
        assertCounts(srv, 1, 0, 1);
        assertA(srv.getSection(Section.ADDITIONAL).get(0), "host.svc.vireo", "10.0.3.1");
        assertEquals(questionEnd(query("host.svc.vireo", Type.SRV)) + 20 + 16, responseLength, "target and owner: pointers");
    }

    @Test
    void theDomainHasItsSoa()
    {
        final Message query = query("svc.vireo", Type.SOA);
        final Message response = answer(query, UDP, true);

        assertHeader(response, query, Rcode.NOERROR, true, false, true);
        assertCounts(response, 1, 0, 0);
        assertSoa(response.getSection(Section.ANSWER).get(0), "svc.vireo", "svc.vireo");

        final Message any = answer(query("SVC.vireo", Type.ANY), UDP, true);
        assertCounts(any, 1, 0, 0);
        assertSoa(any.getSection(Section.ANSWER).get(0), "svc.vireo", "svc.vireo");
    }

    @Test
    void aNameWithoutRecordsOfTheTypeGetsNoDataAndTheSoa()
    {
        final Message query = query("web-1.web.svc.vireo", Type.AAAA);
        final Message response = answer(query, UDP, true);

        assertHeader(response, query, Rcode.NOERROR, true, false, true);
        assertEquals(DnsResponder.NODATA, responder.outcome());
        assertCounts(response, 0, 1, 0);
        assertSoa(response.getSection(Section.AUTHORITY).get(0), "svc.vireo", "svc.vireo");

        final Message txt = answer(query("web.svc.vireo", Type.TXT), UDP, true);
        assertEquals(Rcode.NOERROR, txt.getRcode());
        assertCounts(txt, 0, 1, 0);
        final Message soaBelowTheApex = answer(query("web.svc.vireo", Type.SOA), UDP, true);
        assertCounts(soaBelowTheApex, 0, 1, 0);
    }

    @Test
    void aNameBetweenARecordAndTheDomainExistsWithoutRecords()
    {
        for (final String name : new String[] {"_tcp.web.svc.vireo", "svc.vireo"})
        {
            final Message response = answer(query(name, Type.A), UDP, true);
            assertEquals(Rcode.NOERROR, response.getRcode(), name);
            assertEquals(DnsResponder.NODATA, responder.outcome(), name);
            assertCounts(response, 0, 1, 0);
        }
    }

    @Test
    void anUnknownNameInTheDomainGetsNxdomainWithAuthorityAndTheSoa()
    {
        final Message query = query("NoPe.Web.SVC.vireo", Type.A);
        final Message response = answer(query, UDP, false);

        assertHeader(response, query, Rcode.NXDOMAIN, true, false, false);
        assertEquals(DnsResponder.NXDOMAIN, responder.outcome());
        assertCounts(response, 0, 1, 0);
        assertSoa(response.getSection(Section.AUTHORITY).get(0), "svc.vireo", "svc.vireo");
        // The SOA's owner points into the question: | 4 NoPe | 3 Web | 3 SVC |, at 12 + 5 + 4 = 21.
        assertEquals(0xC000 | 21, buffer.getShort(OFFSET + questionEnd(query), BIG_ENDIAN) & 0xFFFF);
        assertEquals("SVC.vireo.", response.getSection(Section.AUTHORITY).get(0).getName().toString());
    }

    @Test
    void aNameOutsideTheDomainIsForwardedUntouchedOrRefused()
    {
        for (final String outside : new String[] {"example.com", "vireo", "xsvc.vireo", "svc.vireo.example"})
        {
            final byte[] wire = query(outside, Type.A).toWire();
            assertEquals(DnsResponder.FORWARD, respond(wire, CAPACITY, UDP, records, true), outside);
            assertEquals(DnsResponder.FORWARDED, responder.outcome());
            assertArrayEquals(wire, bytes(0, wire.length), "left as it was");
        }

        final Message query = ednsQuery("example.com", Type.A, 1232, 0);
        final Message response = answer(query, UDP, false);
        assertHeader(response, query, Rcode.REFUSED, false, false, false);
        assertEquals(DnsResponder.REFUSED, responder.outcome());
        assertCounts(response, 0, 0, 1);
        assertNotNull(response.getOPT(), "an OPT for the query's");

        final Message iterative = query("example.com", Type.A);
        iterative.getHeader().unsetFlag(Flags.RD);
        final Message notForwarded = answer(iterative, UDP, true);
        assertHeader(notForwarded, iterative, Rcode.REFUSED, false, false, true);
        assertEquals(DnsResponder.REFUSED, responder.outcome(), "no recursion unless asked");
    }

    @Test
    void anotherClassOrAZoneTransferIsRefused()
    {
        for (final Message query : new Message[] {
            query("web.svc.vireo", Type.A, DClass.CH), query("web.svc.vireo", Type.A, DClass.ANY),
            query("svc.vireo", Type.AXFR), query("svc.vireo", Type.IXFR)})
        {
            final Message response = answer(query, TCP, true);
            assertHeader(response, query, Rcode.REFUSED, false, false, true);
            assertEquals(DnsResponder.REFUSED, responder.outcome());
            assertCounts(response, 0, 0, 0);
        }
    }

    @Test
    void anEdnsQueryGetsAnOptWithTheDoBitCopied()
    {
        final Message query = ednsQuery("web.svc.vireo", Type.A, 4096, ExtendedFlags.DO);
        final Message response = answer(query, UDP, true);

        assertCounts(response, 3, 0, 1);
        final OPTRecord opt = response.getOPT();
        assertEquals(DnsResponder.UDP_PAYLOAD_SIZE, opt.getPayloadSize());
        assertEquals(0, opt.getVersion());
        assertEquals(0, opt.getExtendedRcode());
        assertEquals(ExtendedFlags.DO, opt.getFlags());
        assertTrue(opt.getOptions().isEmpty());

        final Message withoutDo = answer(ednsQuery("web.svc.vireo", Type.A, 4096, 0), UDP, true);
        assertEquals(0, withoutDo.getOPT().getFlags());
        assertNull(answer(query("web.svc.vireo", Type.A), UDP, true).getOPT(), "no OPT without the query's");
    }

    @Test
    void manyAnswersAreTruncatedWholeAt512AndFitInTheEdnsSize()
    {
        final DnsRecords.Builder builder = DnsRecords.builder().ttl(TTL).serial(SERIAL);
        for (int i = 0; i < 40; i++)
        {
            builder.addA("many.svc.vireo", 0x0A01_0000 + i);
        }
        final DnsRecords many = builder.build();
        // Header and question: 12 + 16 + 4 = 32 bytes; each answer 16.
        final Message udp = parse(respond(query("many.svc.vireo", Type.A).toWire(), CAPACITY, UDP, many, true));
        assertTrue(udp.getHeader().getFlag(Flags.TC));
        assertEquals(DnsResponder.TRUNCATED, responder.outcome());
        assertCounts(udp, 30, 0, 0);
        assertEquals(512, responseLength);
        for (int i = 0; i < 30; i++)
        {
            assertA(udp.getSection(Section.ANSWER).get(i), "many.svc.vireo", "10.1.0." + i);
        }

        final Message edns = parse(respond(ednsQuery("many.svc.vireo", Type.A, 4096, 0).toWire(), CAPACITY, UDP, many, true));
        assertFalse(edns.getHeader().getFlag(Flags.TC));
        assertEquals(DnsResponder.ANSWERED, responder.outcome());
        assertCounts(edns, 40, 0, 1);
        assertEquals(32 + 40 * 16 + 11, responseLength);

        final Message small = parse(respond(ednsQuery("many.svc.vireo", Type.A, 100, 0).toWire(), CAPACITY, UDP, many, true));
        assertTrue(small.getHeader().getFlag(Flags.TC), "a size under 512 is taken as 512");
        assertCounts(small, 29, 0, 1);
        assertNotNull(small.getOPT(), "the OPT stays in a truncated response");

        final Message tcp = parse(respond(query("many.svc.vireo", Type.A).toWire(), CAPACITY, TCP, many, true));
        assertCounts(tcp, 40, 0, 0);

        final int capacity = 300;
        final Message bounded = parse(respond(ednsQuery("many.svc.vireo", Type.A, 4096, 0).toWire(), capacity, UDP, many, true));
        assertTrue(bounded.getHeader().getFlag(Flags.TC), "the capacity bounds the EDNS size");
        assertCounts(bounded, (capacity - 32 - 11) / 16, 0, 1);
    }

    @Test
    void additionalRecordsThatDoNotFitAreLeftOutWithoutTruncation()
    {
        // 40 addresses take 640 bytes, more than 512: the set is left out whole, the small one goes.
        final DnsRecords.Builder builder = DnsRecords.builder().ttl(TTL).serial(SERIAL);
        for (int i = 0; i < 40; i++)
        {
            builder.addA("big.svc.vireo", 0x0A02_0000 + i);
        }
        final DnsRecords big = builder.addA("small.svc.vireo", 0x0A03_0001)
            .addSrv("_s._tcp.svc.vireo", 0, 0, 1, "big.svc.vireo")
            .addSrv("_s._tcp.svc.vireo", 1, 0, 1, "small.svc.vireo")
            .build();
        final Message response = parse(respond(query("_s._tcp.svc.vireo", Type.SRV).toWire(), CAPACITY, UDP, big, true));

        assertFalse(response.getHeader().getFlag(Flags.TC));
        assertCounts(response, 2, 0, 1);
        assertA(response.getSection(Section.ADDITIONAL).get(0), "small.svc.vireo", "10.3.0.1");
    }

    @Test
    void anUnknownEdnsVersionGetsBadvers()
    {
        final Message query = query("web.svc.vireo", Type.A);
        query.addRecord(new OPTRecord(4096, 0, 1, 0), Section.ADDITIONAL);
        final Message response = answer(query, UDP, true);

        assertEquals(Rcode.BADVERS, response.getRcode());
        assertEquals(0, response.getHeader().getRcode());
        assertEquals(DnsResponder.BADVERS, responder.outcome());
        assertCounts(response, 0, 0, 1);
        assertEquals(0, response.getOPT().getVersion());
        assertEquals(1, response.getOPT().getExtendedRcode());
    }

    @Test
    void namesAtTheLimitsAreAnswered()
    {
        final String label63 = "a".repeat(63);
        final String longest = label63 + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(51) + ".svc.vireo";
        final DnsRecords limits = DnsRecords.builder().ttl(TTL).serial(SERIAL).addA(longest, 0x0A00_0401).build();
        final Message query = query(longest.toUpperCase(), Type.A);
        assertEquals(255, query.getQuestion().getName().length());

        final Message response = answer(query, limits);
        assertCounts(response, 1, 0, 0);
        assertA(response.getSection(Section.ANSWER).get(0), longest, "10.0.4.1");
    }

    @Test
    void tooShortOrAResponseIsDroppedUntouched()
    {
        final byte[] wire = query("web.svc.vireo", Type.A).toWire();
        assertDropped(Arrays.copyOf(wire, DnsResponder.HEADER_LENGTH - 1), CAPACITY, UDP);
        wire[2] |= (byte)0x80;
        assertDropped(wire, CAPACITY, UDP);
    }

    @Test
    void aResponseThatCannotFitIsDropped()
    {
        final Message query = query("web.svc.vireo", Type.A);
        assertDropped(query.toWire(), CAPACITY, questionEnd(query) - 1);
        assertDropped(raw(Opcode.NOTIFY << 11, 0, 0, 0, 0), CAPACITY, DnsResponder.HEADER_LENGTH - 1);
    }

    @Test
    void anOpcodeOtherThanQueryGetsNotimpWithTheHeaderOnly()
    {
        for (final int opcode : new int[] {Opcode.IQUERY, Opcode.STATUS, Opcode.NOTIFY, Opcode.UPDATE, 15})
        {
            final byte[] wire = query("web.svc.vireo", Type.A).toWire();
            wire[2] = (byte)((wire[2] & 0x87) | opcode << 3);
            final Message response = parse(respond(wire, CAPACITY, UDP, records, true));

            assertEquals(DnsResponder.NOTIMP, responder.outcome());
            assertEquals(opcode, response.getHeader().getOpcode());
            assertEquals(Rcode.NOTIMP, response.getRcode());
            assertTrue(response.getHeader().getFlag(Flags.QR) && response.getHeader().getFlag(Flags.RD));
            assertEquals(12, responseLength);
            assertCounts(response, 0, 0, 0);
        }
    }

    @Test
    void aQuestionCountOtherThanOneGetsFormerrWithTheHeaderOnly()
    {
        assertFormerrHeaderOnly(raw(0, 0, 0, 0, 0), "no question");
        final Message two = query("web.svc.vireo", Type.A);
        two.addRecord(Record.newRecord(name("web-0.web.svc.vireo"), Type.A, DClass.IN), Section.QUESTION);
        assertFormerrHeaderOnly(two.toWire(), "two questions");
    }

    @Test
    void aMalformedQuestionGetsFormerrWithTheHeaderOnly()
    {
        final byte[] typeAndClass = {0, 1, 0, 1};
        assertFormerrHeaderOnly(raw(0, 1, 0, 0, 0, new byte[] {3, 'w', 'e', 'b', (byte)0xC0, 12}, typeAndClass), "a compression pointer");
        assertFormerrHeaderOnly(raw(0, 1, 0, 0, 0, label(64), new byte[] {0}, typeAndClass), "a label of 64");
        assertFormerrHeaderOnly(raw(0, 1, 0, 0, 0, new byte[] {(byte)0x81, 'x', 0}, typeAndClass), "an extended label type");
        assertFormerrHeaderOnly(
            raw(0, 1, 0, 0, 0, label(63), label(63), label(63), label(62), new byte[] {0}, typeAndClass), "a name of 256 bytes");
        assertFormerrHeaderOnly(raw(0, 1, 0, 0, 0, new byte[] {3, 'w', 'e'}), "a name running past the end");
        assertFormerrHeaderOnly(raw(0, 1, 0, 0, 0, new byte[] {3, 'w', 'e', 'b', 0, 0, 1}), "no class");

        final byte[] whole = query("web.svc.vireo", Type.A).toWire();
        buffer.putBytes(OFFSET, whole);
        final int cut = 12 + 8;
        assertEquals(12, responder.respond(buffer, OFFSET, cut, CAPACITY, UDP, records, true), "the rest of the name lies past the length");
        assertEquals(DnsResponder.FORMERR, responder.outcome());
    }

    @Test
    void aMalformedRecordAfterTheQuestionGetsFormerrWithTheQuestion()
    {
        final byte[] question = {3, 'w', 'e', 'b', 3, 's', 'v', 'c', 5, 'v', 'i', 'r', 'e', 'o', 0, 0, 1, 0, 1};
        final byte[] opt = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};

        assertFormerrWithQuestion(raw(0, 1, 0, 0, 1, question), false, "an additional record missing");
        assertFormerrWithQuestion(raw(0, 1, 1, 0, 0, question, new byte[] {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1}), false,
            "an answer's rdata running past the end");
        assertFormerrWithQuestion(raw(0, 1, 0, 0, 2, question, opt, opt), true, "two OPTs");
        assertFormerrWithQuestion(raw(0, 1, 0, 0, 1, question, new byte[] {1, 'x', 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0}), true,
            "an OPT not owned by the root");
        assertFormerrWithQuestion(raw(0, 1, 0, 0, 1, question, new byte[] {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 6, 0, 10, 0, 4, 1, 2}), true,
            "an OPT option longer than the OPT");
    }

    @Test
    void recordsBeforeTheAdditionalSectionAreSkippedCompressedOrNot()
    {
        final byte[] question = {3, 'w', 'e', 'b', 3, 's', 'v', 'c', 5, 'v', 'i', 'r', 'e', 'o', 0, 0, 1, 0, 1};
        final byte[] answerRecord = {(byte)0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0, 0, 9};
        final byte[] authorityOpt = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
        final Message response = parse(respond(raw(0x0100, 1, 1, 1, 0, question, answerRecord, authorityOpt), CAPACITY, UDP, records, true));

        assertEquals(DnsResponder.ANSWERED, responder.outcome());
        assertCounts(response, 3, 0, 0);
        assertNull(response.getOPT(), "an OPT outside the additional section is not the query's");
    }

    @Test
    void aConfiguredDomainIsAnsweredAndTheDefaultOneIsNot()
    {
        final DnsRecords cluster = DnsRecords.builder().ttl(TTL).serial(SERIAL)
            .domain("Cluster.Example.")
            .addA("api.cluster.example", 0x0A00_0501)
            .build();

        final Message response = answer(query("API.cluster.example", Type.A), cluster);
        assertA(response.getSection(Section.ANSWER).get(0), "api.cluster.example", "10.0.5.1");
        final Message nxdomain = answer(query("db.cluster.example", Type.A), cluster);
        assertSoa(nxdomain.getSection(Section.AUTHORITY).get(0), "cluster.example", "cluster.example");
        assertEquals(DnsResponder.FORWARD, respond(query("web.svc.vireo", Type.A).toWire(), CAPACITY, UDP, cluster, true));
    }

    private Message answer(final Message query, final DnsRecords records)
    {
        return parse(respond(query.toWire(), CAPACITY, UDP, records, true));
    }

    private Message answer(final Message query, final int maxLength, final boolean hasUpstream)
    {
        return parse(respond(query.toWire(), CAPACITY, maxLength, records, hasUpstream));
    }

    private int respond(final byte[] wire, final int capacity, final int maxLength, final DnsRecords records, final boolean hasUpstream)
    {
        buffer.setMemory(0, buffer.capacity(), GUARD_BYTE);
        buffer.putBytes(OFFSET, wire);
        final int length = responder.respond(buffer, OFFSET, wire.length, capacity, maxLength, records, hasUpstream);
        for (int i = 0; i < OFFSET; i++)
        {
            assertEquals(GUARD_BYTE, buffer.getByte(i), "guard before the message");
        }
        for (int i = OFFSET + capacity; i < buffer.capacity(); i++)
        {
            assertEquals(GUARD_BYTE, buffer.getByte(i), "guard after the capacity");
        }
        assertTrue(length <= capacity, "within the capacity");
        return length;
    }

    private Message parse(final int length)
    {
        assertTrue(length >= DnsResponder.HEADER_LENGTH, () -> "a response, not " + length);
        try
        {
            responseLength = length;
            return new Message(bytes(0, length));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private byte[] bytes(final int messageOffset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(OFFSET + messageOffset, bytes);
        return bytes;
    }

    private void assertDropped(final byte[] wire, final int capacity, final int maxLength)
    {
        assertEquals(DnsResponder.DROP, respond(wire, capacity, maxLength, records, true));
        assertEquals(DnsResponder.DROPPED, responder.outcome());
        assertArrayEquals(wire, bytes(0, wire.length), "left as it was");
    }

    private void assertFormerrHeaderOnly(final byte[] wire, final String what)
    {
        final Message response = parse(respond(wire, CAPACITY, UDP, records, true));
        assertEquals(DnsResponder.FORMERR, responder.outcome(), what);
        assertEquals(Rcode.FORMERR, response.getRcode(), what);
        assertEquals(((wire[0] & 0xFF) << 8) | (wire[1] & 0xFF), response.getHeader().getID(), what);
        assertTrue(response.getHeader().getFlag(Flags.QR), what);
        assertTrue(response.getHeader().getFlag(Flags.RA), what);
        assertEquals(12, responseLength, what);
        for (final int section : new int[] {Section.QUESTION, Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL})
        {
            assertEquals(0, response.getHeader().getCount(section), what);
        }
    }

    private void assertFormerrWithQuestion(final byte[] wire, final boolean opt, final String what)
    {
        final Message response = parse(respond(wire, CAPACITY, UDP, records, true));
        assertEquals(DnsResponder.FORMERR, responder.outcome(), what);
        assertEquals(Rcode.FORMERR, response.getRcode(), what);
        assertEquals(name("web.svc.vireo"), response.getQuestion().getName(), what);
        assertEquals(Type.A, response.getQuestion().getType(), what);
        assertEquals(opt ? 1 : 0, response.getHeader().getCount(Section.ADDITIONAL), what);
        assertEquals(opt, null != response.getOPT(), what);
        assertEquals(0, response.getHeader().getCount(Section.ANSWER) + response.getHeader().getCount(Section.AUTHORITY), what);
        assertFalse(response.getHeader().getFlag(Flags.AA), what);
    }

    private static void assertHeader(
        final Message response, final Message query, final int rcode, final boolean authoritative, final boolean truncated,
        final boolean recursionAvailable)
    {
        final Header header = response.getHeader();
        assertEquals(query.getHeader().getID(), header.getID(), "id");
        assertTrue(header.getFlag(Flags.QR), "qr");
        assertEquals(Opcode.QUERY, header.getOpcode(), "opcode");
        assertEquals(authoritative, header.getFlag(Flags.AA), "aa");
        assertEquals(truncated, header.getFlag(Flags.TC), "tc");
        assertEquals(query.getHeader().getFlag(Flags.RD), header.getFlag(Flags.RD), "rd copied");
        assertEquals(recursionAvailable, header.getFlag(Flags.RA), "ra");
        assertFalse(header.getFlag(Flags.AD), "ad");
        assertEquals(query.getHeader().getFlag(Flags.CD), header.getFlag(Flags.CD), "cd copied");
        assertEquals(rcode, response.getRcode(), "rcode");
        assertEquals(1, header.getCount(Section.QUESTION));
        assertEquals(query.getQuestion(), response.getQuestion(), "question");
        assertEquals(query.getQuestion().getName().toString(), response.getQuestion().getName().toString(), "question's case");
    }

    private static void assertCounts(final Message response, final int answers, final int authorities, final int additionals)
    {
        assertEquals(answers, response.getSection(Section.ANSWER).size(), "answers");
        assertEquals(authorities, response.getSection(Section.AUTHORITY).size(), "authority records");
        assertEquals(additionals, response.getSection(Section.ADDITIONAL).size(), "additional records");
    }

    private static void assertA(final Record record, final String name, final String address)
    {
        final ARecord a = assertInstanceOf(ARecord.class, record);
        assertRecordHeader(record, name, Type.A);
        assertEquals(inet(address), a.getAddress());
    }

    private static void assertAaaa(final Record record, final String name, final String address)
    {
        final AAAARecord aaaa = assertInstanceOf(AAAARecord.class, record);
        assertRecordHeader(record, name, Type.AAAA);
        assertEquals(inet(address), aaaa.getAddress());
    }

    private static void assertSrv(
        final Record record, final String name, final int priority, final int weight, final int port, final String target)
    {
        final SRVRecord srv = assertInstanceOf(SRVRecord.class, record);
        assertRecordHeader(record, name, Type.SRV);
        assertEquals(priority, srv.getPriority(), "priority");
        assertEquals(weight, srv.getWeight(), "weight");
        assertEquals(port, srv.getPort(), "port");
        assertEquals(DnsFixtures.name(target), srv.getTarget(), "target");
    }

    private static void assertSoa(final Record record, final String owner, final String domain)
    {
        final SOARecord soa = assertInstanceOf(SOARecord.class, record);
        assertRecordHeader(record, owner, Type.SOA);
        assertEquals(DnsFixtures.name("ns." + domain), soa.getHost(), "mname");
        assertEquals(DnsFixtures.name("hostmaster." + domain), soa.getAdmin(), "rname");
        assertEquals(SERIAL, soa.getSerial(), "serial");
        assertEquals(7200, soa.getRefresh());
        assertEquals(1800, soa.getRetry());
        assertEquals(86_400, soa.getExpire());
        assertEquals(TTL, soa.getMinimum(), "minimum: the negative TTL, as the SOA's own");
    }

    private static void assertRecordHeader(final Record record, final String name, final int type)
    {
        assertEquals(DnsFixtures.name(name), record.getName(), "owner");
        assertEquals(type, record.getType(), "type");
        assertEquals(DClass.IN, record.getDClass(), "class");
        assertEquals(TTL, record.getTTL(), "ttl");
    }

    private static InetAddress inet(final String address)
    {
        try
        {
            return InetAddress.getByName(address);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    private static int questionEnd(final Message query)
    {
        return DnsResponder.HEADER_LENGTH + query.getQuestion().getName().length() + 4;
    }

    /** The response's length if no name in it were compressed. */
    private static int uncompressedLength(final Message response)
    {
        int length = DnsResponder.HEADER_LENGTH + response.getQuestion().getName().length() + 4;
        for (final int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL})
        {
            for (final Record record : response.getSection(section))
            {
                length += record.toWireCanonical().length;
            }
        }
        return length;
    }

    private static byte[] label(final int length)
    {
        final byte[] label = new byte[1 + length];
        label[0] = (byte)length;
        Arrays.fill(label, 1, label.length, (byte)'x');
        return label;
    }

    /** A message with ID {@link #ID}, the flags, the counts, then the parts. */
    private static byte[] raw(final int flags, final int questions, final int answers, final int authorities, final int additionals,
        final byte[]... parts)
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[1024]);
        message.putShort(0, (short)ID, BIG_ENDIAN);
        message.putShort(2, (short)flags, BIG_ENDIAN);
        message.putShort(4, (short)questions, BIG_ENDIAN);
        message.putShort(6, (short)answers, BIG_ENDIAN);
        message.putShort(8, (short)authorities, BIG_ENDIAN);
        message.putShort(10, (short)additionals, BIG_ENDIAN);
        int length = DnsResponder.HEADER_LENGTH;
        for (final byte[] part : parts)
        {
            message.putBytes(length, part);
            length += part.length;
        }
        return Arrays.copyOf(message.byteArray(), length);
    }
}
