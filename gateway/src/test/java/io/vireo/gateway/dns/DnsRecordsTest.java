package io.vireo.gateway.dns;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.vireo.gateway.dns.DnsFixtures.ULA_HIGH;
import static io.vireo.gateway.dns.DnsFixtures.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The builder's checks, and lookups of wire-format names placed at an offset in a buffer. */
class DnsRecordsTest
{
    private static final int OFFSET = 7;

    private final DnsRecords records = DnsFixtures.records();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 256]);

    @Test
    void aBuilderStartsWithTheDefaults()
    {
        final DnsRecords empty = DnsRecords.builder().build();
        assertEquals("svc.vireo", empty.domain());
        assertEquals(DnsRecords.DEFAULT_TTL, empty.ttl());
        assertEquals(DnsRecords.DEFAULT_SERIAL, empty.serial());
        assertEquals(DnsRecords.APEX, lookup(empty, "SVC.Vireo"));
    }

    @Test
    void lookupIgnoresCaseAndFindsEveryOwnerAndTheNamesBetween()
    {
        for (final String owner : new String[] {
            "web.svc.vireo", "WEB-0.Web.Svc.Vireo", "web-1.web.svc.vireo", "_HTTP._tcp.web.svc.vireo", "_ldap._tcp.web.svc.vireo",
            "_tcp.web.svc.vireo", "svc.vireo"})
        {
            assertNotEquals(DnsRecords.NOT_FOUND, lookup(records, owner), owner);
        }
        for (final String absent : new String[] {"nope.svc.vireo", "web.svc.vireo.example", "backup.example.org", "vireo", "eb.svc.vireo"})
        {
            assertEquals(DnsRecords.NOT_FOUND, lookup(records, absent), absent);
        }
        final int web = lookup(records, "web.svc.vireo");
        assertEquals(3, records.aEnd(web) - records.aStart(web));
        assertEquals(0x0A00_0002, records.address(records.aStart(web) + 1), "in the order added");
        assertEquals(1, records.aaaaEnd(web) - records.aaaaStart(web));
        assertEquals(ULA_HIGH, records.addressHigh(records.aaaaStart(web)));
        assertEquals(1, records.addressLow(records.aaaaStart(web)));
    }

    @Test
    void aNameIsInTheDomainAtALabelBoundary()
    {
        for (final String inside : new String[] {"svc.vireo", "SVC.VIREO", "a.svc.vireo", "x.y.Svc.vireo", "svc.svc.vireo"})
        {
            assertTrue(inDomain(inside), inside);
        }
        for (final String outside : new String[] {"vireo", "xsvc.vireo", "svc.vireo.x", "vc.vireo", "svc.vireos", "example.com", "."})
        {
            assertFalse(inDomain(outside), outside);
        }
    }

    @Test
    void aRecordAddedTwiceIsKeptOnce()
    {
        final DnsRecords twice = DnsRecords.builder()
            .addA("a.svc.vireo", 1).addA("A.svc.vireo.", 1).addA("a.svc.vireo", 2)
            .addSrv("_x._udp.a.svc.vireo", 1, 2, 3, "a.svc.vireo").addSrv("_x._udp.a.svc.vireo", 1, 2, 3, "A.SVC.VIREO")
            .build();
        final int a = lookup(twice, "a.svc.vireo");
        assertEquals(2, twice.aEnd(a) - twice.aStart(a));
        final int service = lookup(twice, "_x._udp.a.svc.vireo");
        assertEquals(1, twice.srvEnd(service) - twice.srvStart(service));
        assertEquals(a, twice.srvTargetName(twice.srvStart(service)), "a target that is an owner is known as one");
    }

    @Test
    void aDomainIsCheckedAndKeptInLowerCase()
    {
        assertEquals("cluster.example", DnsRecords.builder().domain("Cluster.Example.").build().domain());
        assertThrowsSaying("root", () -> DnsRecords.builder().domain("."));
        assertThrowsSaying("label", () -> DnsRecords.builder().domain("svc..vireo"));
    }

    @Test
    void namesWithInvalidLabelsAreRefusedSayingWhy()
    {
        final DnsRecords.Builder builder = DnsRecords.builder();
        assertThrowsSaying("1..63", () -> builder.addA("a".repeat(64) + ".svc.vireo", 1));
        assertThrowsSaying("1..63", () -> builder.addA("a..svc.vireo", 1));
        assertThrowsSaying("1..63", () -> builder.addA(".svc.vireo", 1));
        assertThrowsSaying("starts or ends with '-'", () -> builder.addA("-a.svc.vireo", 1));
        assertThrowsSaying("starts or ends with '-'", () -> builder.addAaaa("a-.svc.vireo", 0, 1));
        assertThrowsSaying("letter, digit", () -> builder.addA("a*b.svc.vireo", 1));
        assertThrowsSaying("letter, digit", () -> builder.addA("*.svc.vireo", 1));
        assertThrowsSaying("letter, digit", () -> builder.addA("a b.svc.vireo", 1));
        assertThrowsSaying("letter, digit", () -> builder.addA("caf\u00e9.svc.vireo", 1));
        assertThrowsSaying("letter, digit", () -> builder.addSrv("_x._tcp.svc.vireo", 0, 0, 1, "bad!.example"));
        assertThrowsSaying("255 bytes", () -> builder.addA(longName(256), 1));
        builder.addA(longName(255), 1).addA("a".repeat(63) + ".svc.vireo", 2);
        assertEquals(255, name(longName(255)).length());
    }

    @Test
    void anOwnerOutsideTheDomainIsRefusedAtBuild()
    {
        assertThrowsSaying("not in the domain", () -> DnsRecords.builder().addA("web.other", 1).build());
        assertThrowsSaying("not in the domain", () -> DnsRecords.builder().addA("xsvc.vireo", 1).build());
        assertThrowsSaying("not in the domain", () -> DnsRecords.builder().addSrv(".", 0, 0, 1, "a.svc.vireo").build());
        DnsRecords.builder().addSrv("_x._tcp.svc.vireo", 0, 0, 1, "elsewhere.example.").build();
    }

    @Test
    void numbersOutOfRangeAreRefused()
    {
        assertThrowsSaying("ttl", () -> DnsRecords.builder().ttl(-1));
        assertThrowsSaying("serial", () -> DnsRecords.builder().serial(-1));
        assertThrowsSaying("serial", () -> DnsRecords.builder().serial(0x1_0000_0000L));
        assertThrowsSaying("priority", () -> DnsRecords.builder().addSrv("_x._tcp.svc.vireo", 65_536, 0, 1, "a.svc.vireo"));
        assertThrowsSaying("weight", () -> DnsRecords.builder().addSrv("_x._tcp.svc.vireo", 0, -1, 1, "a.svc.vireo"));
        assertThrowsSaying("port", () -> DnsRecords.builder().addSrv("_x._tcp.svc.vireo", 0, 0, 70_000, "a.svc.vireo"));
        assertEquals(Integer.MAX_VALUE, DnsRecords.builder().ttl(Integer.MAX_VALUE).serial(0xFFFF_FFFFL).build().ttl());
    }

    /** A name in svc.vireo (11 bytes in wire format) of {@code length} bytes: labels of 63, then what is left. */
    private static String longName(final int length)
    {
        final StringBuilder name = new StringBuilder();
        int left = length - 11;
        while (left > 0)
        {
            final int label = Math.min(63, left - 1);
            name.append("a".repeat(label)).append('.');
            left -= label + 1;
        }
        return name.append("svc.vireo").toString();
    }

    private int lookup(final DnsRecords records, final String text)
    {
        final byte[] wire = name(text).toWire();
        buffer.putBytes(OFFSET, wire);
        return records.lookup(buffer, OFFSET, wire.length);
    }

    private boolean inDomain(final String text)
    {
        final byte[] wire = name(text).toWire();
        buffer.putBytes(OFFSET, wire);
        return records.inDomain(buffer, OFFSET, wire.length);
    }

    private static void assertThrowsSaying(final String part, final Runnable call)
    {
        final IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(thrown.getMessage().contains(part), thrown.getMessage());
    }
}
