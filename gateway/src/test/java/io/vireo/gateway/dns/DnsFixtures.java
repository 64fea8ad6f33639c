package io.vireo.gateway.dns;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * The record set the DNS tests answer from, and queries made by dnsjava:
 * <pre>
 *  web.svc.vireo               A 10.0.0.1, 10.0.0.2, 10.0.0.3; AAAA fd00::1
 *  web-0.web.svc.vireo         A 10.0.1.0; AAAA fd00::100
 *  web-1.web.svc.vireo         A 10.0.1.1
 *  _http._tcp.web.svc.vireo    SRV 10 60 8080 web-0.web.svc.vireo, 10 40 8080 web-1.web.svc.vireo,
 *                                  20 0 8080 backup.example.org
 *  _ldap._tcp.web.svc.vireo    SRV 0 0 0 .   (no such service)
 * </pre>
 */
final class DnsFixtures
{
    static final int TTL = 30;
    static final long SERIAL = 2_024_120_301L;
    static final long ULA_HIGH = 0xFD00_0000_0000_0000L;

    private DnsFixtures()
    {
    }

    static DnsRecords records()
    {
        return builder().build();
    }

    static DnsRecords.Builder builder()
    {
        return DnsRecords.builder()
            .ttl(TTL)
            .serial(SERIAL)
            .addA("web.svc.vireo", 0x0A00_0001)
            .addA("web.svc.vireo", 0x0A00_0002)
            .addA("web.svc.vireo", 0x0A00_0003)
            .addAaaa("web.svc.vireo", ULA_HIGH, 1)
            .addA("web-0.web.svc.vireo", 0x0A00_0100)
            .addAaaa("web-0.web.svc.vireo", ULA_HIGH, 0x100)
            .addA("web-1.web.svc.vireo", 0x0A00_0101)
            .addSrv("_http._tcp.web.svc.vireo", 10, 60, 8080, "web-0.web.svc.vireo")
            .addSrv("_http._tcp.web.svc.vireo", 10, 40, 8080, "web-1.web.svc.vireo")
            .addSrv("_http._tcp.web.svc.vireo", 20, 0, 8080, "backup.example.org")
            .addSrv("_ldap._tcp.web.svc.vireo", 0, 0, 0, ".");
    }

    static Name name(final String text)
    {
        try
        {
            return Name.fromString(text.endsWith(".") ? text : text + ".");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static Message query(final String name, final int type)
    {
        return query(name, type, DClass.IN);
    }

    static Message query(final String name, final int type, final int dnsClass)
    {
        return Message.newQuery(Record.newRecord(name(name), type, dnsClass));
    }

    static Message ednsQuery(final String name, final int type, final int payloadSize, final int flags)
    {
        final Message query = query(name, type);
        query.addRecord(new OPTRecord(payloadSize, 0, 0, flags), Section.ADDITIONAL);
        return query;
    }
}
