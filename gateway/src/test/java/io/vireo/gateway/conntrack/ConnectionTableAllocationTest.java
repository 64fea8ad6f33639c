package io.vireo.gateway.conntrack;

import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_ACK;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_SYN;
import static io.vireo.gateway.conntrack.ConnectionTableTest.HOST;
import static io.vireo.gateway.conntrack.ConnectionTableTest.NAT;
import static io.vireo.gateway.conntrack.ConnectionTableTest.SERVER;
import static io.vireo.gateway.conntrack.ConnectionTableTest.TCP;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The forwarding path allocates nothing: a burst's loads ahead, create, lookup in both directions, the
 * translated-tuple reads and their check, and seen, in {@link Allocations} windows; each window ends
 * with a flush, which allocates nothing either.
 */
class ConnectionTableAllocationTest
{
    private static final int CONNECTIONS_PER_WINDOW = 1_000;

    @Test
    void theForwardingPathAllocatesNothing()
    {
        try (ConnectionTable table = new ConnectionTable(4 * CONNECTIONS_PER_WINDOW))
        {
            final long[] rounds = {0};
            final long[] keys = new long[1];
            Allocations.assertAllocatesNothing(CONNECTIONS_PER_WINDOW + " connections", () ->
            {
                long sum = 0;
                for (int i = 0; i < CONNECTIONS_PER_WINDOW; i++)
                {
                    final long now = rounds[0] * 1_000 + i;
                    keys[0] = ConnectionTable.key(1, TCP, HOST, SERVER, i, 443);
                    table.touch(keys, 1);
                    sum += table.create(1, TCP, HOST, SERVER, i, 443, SERVER, NAT, 443, 10_000 + i, now);
                    sum += table.create(1, TCP, HOST, SERVER, i, 443, SERVER, NAT, 443, 10_000 + i, now);
                    final long original = table.lookup(1, TCP, HOST, SERVER, i, 443);
                    final long reply = table.lookup(1, TCP, SERVER, NAT, 443, 10_000 + i);
                    sum += table.seen(original, FLAG_SYN, now) + table.seen(reply, FLAG_SYN | FLAG_ACK, now);
                    sum += table.translatedSource(original) + table.translatedDestination(reply) +
                        table.translatedSourcePort(original) + table.translatedDestinationPort(reply);
                    sum += table.isCurrent(reply) ? 1 : 0;
                    sum += table.lookup(2, TCP, HOST, SERVER, i, 443);
                }
                rounds[0]++;
                sum += table.flush(1);
                return sum;
            });
            assertEquals(0, table.size());
            assertEquals(0, table.fullCount());
        }
    }
}
