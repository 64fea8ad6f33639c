package io.vireo.gateway.dns;

import io.vireo.testkit.Allocations;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Type;

import static io.vireo.gateway.dns.DnsFixtures.ednsQuery;
import static io.vireo.gateway.dns.DnsFixtures.query;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every kind of response, and the verdicts, allocate nothing: each query is copied into the slot and
 * answered, in {@link Allocations} windows.
 */
class DnsResponderAllocationTest
{
    private static final int ROUNDS_PER_WINDOW = 160_000 / Allocations.WINDOWS;
    private static final int SLOT = 1024;

    private final DnsResponder responder = new DnsResponder();
    private final DnsRecords records = DnsFixtures.records();
    private final UnsafeBuffer slot = new UnsafeBuffer(new byte[SLOT]);
    private final byte[][] queries = {
        query("web.svc.vireo", Type.A).toWire(),
        query("WEB.svc.vireo", Type.AAAA).toWire(),
        ednsQuery("_http._tcp.web.svc.vireo", Type.SRV, 4096, ExtendedFlags.DO).toWire(),
        query("_http._tcp.web.svc.vireo", Type.ANY).toWire(),
        query("nope.svc.vireo", Type.A).toWire(),
        query("web-1.web.svc.vireo", Type.AAAA).toWire(),
        query("svc.vireo", Type.SOA).toWire(),
        query("example.com", Type.A).toWire(),
        query("example.com", Type.A).toWire(),
        new byte[] {0, 1, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0},
        new byte[] {0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0},
        new byte[] {0, 1, (byte)0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    private final boolean[] upstream = {true, true, true, true, true, true, true, true, false, true, true, true};
    private final int[] outcomes = {
        DnsResponder.ANSWERED, DnsResponder.ANSWERED, DnsResponder.ANSWERED, DnsResponder.ANSWERED, DnsResponder.NXDOMAIN,
        DnsResponder.NODATA, DnsResponder.ANSWERED, DnsResponder.FORWARDED, DnsResponder.REFUSED, DnsResponder.NOTIMP,
        DnsResponder.FORMERR, DnsResponder.DROPPED};
    private final UnsafeBuffer[] templates = new UnsafeBuffer[queries.length];

    @Test
    void respondingAllocatesNothing()
    {
        long perRound = 0;
        for (int i = 0; i < queries.length; i++)
        {
            templates[i] = new UnsafeBuffer(queries[i]);
            perRound += respond(i);
            assertEquals(outcomes[i], responder.outcome(), "query " + i);
        }
        final long[] sums = {0};

        Allocations.assertAllocatesNothing(ROUNDS_PER_WINDOW + " rounds of " + queries.length + " queries", () ->
        {
            long sum = 0;
            for (int round = 0; round < ROUNDS_PER_WINDOW; round++)
            {
                for (int i = 0; i < queries.length; i++)
                {
                    sum += respond(i);
                }
            }
            sums[0] = sum / ROUNDS_PER_WINDOW;
            return sum;
        });

        assertEquals(perRound, sums[0], "every round answers as the first");
    }

    private int respond(final int query)
    {
        slot.putBytes(0, templates[query], 0, queries[query].length);
        return responder.respond(slot, 0, queries[query].length, SLOT, 512, records, upstream[query]);
    }
}
