package io.vireo.cluster.etcd;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.vireo.testkit.EtcdServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The client against a three-member etcd cluster on loopback ports (50 ms heartbeats, 500 ms elections): the
 * member it sticks to is killed, then the leader; requests and a watch go on through the others.
 */
class EtcdClusterIT
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    private List<EtcdServer> members = List.of();
    private EtcdClient client;
    private int failedPuts;

    @BeforeEach
    void startCluster()
    {
        assumeTrue(EtcdServer.isAvailable(), "no " + EtcdServer.ETCD);
        members = EtcdServer.startCluster(3, 50, 500);
        client = new EtcdClient(urls(), Duration.ofSeconds(2));
    }

    @AfterEach
    void stopCluster()
    {
        if (client != null)
        {
            client.close();
        }
        members.forEach(EtcdServer::close);
    }

    /**
     * A put, again while no member can serve it (an election after the leader died), up to a deadline. A put
     * that timed out may have been applied all the same and then is applied twice: the watch sees the key twice.
     */
    private long put(final String key) throws EtcdException
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (true)
        {
            try
            {
                return client.put(key, key.getBytes(UTF_8), 0);
            }
            catch (final EtcdException ex)
            {
                failedPuts++;
                if (!ex.unreachable() || System.nanoTime() > deadline)
                {
                    throw ex;
                }
            }
        }
    }

    private List<URI> urls()
    {
        return members.stream().map(EtcdServer::clientUrl).toList();
    }

    private int memberIndex(final long memberId)
    {
        final StoreStatus status = client.status();
        for (final StoreStatus.EndpointStatus endpoint : status.endpoints())
        {
            if (endpoint.reachable() && endpoint.memberId() == memberId)
            {
                return urls().indexOf(endpoint.url());
            }
        }
        throw new AssertionError("no member " + Long.toUnsignedString(memberId) + " in " + status);
    }

    /** The events' keys with a key repeated at once (a put applied twice) counted once. */
    private static List<String> withoutRepeats(final List<String> keys)
    {
        final List<String> once = new ArrayList<>();
        for (final String key : keys)
        {
            if (once.isEmpty() || !once.get(once.size() - 1).equals(key))
            {
                once.add(key);
            }
        }
        return once;
    }

    @Test
    void requestsAndAWatchGoOnWhenTheMemberTheClientSticksToIsKilledAndThenTheLeader() throws Exception
    {
        final String prefix = "/it/failover/";
        final List<String> expected = new ArrayList<>();
        final RecordingListener listener = new RecordingListener();
        final long from = put(prefix + "k00");
        expected.add(prefix + "k00");
        try (EtcdClient.Watch watch = client.watch(prefix, from, listener))
        {
            for (int i = 1; i < 10; i++)
            {
                put(String.format("%sk%02d", prefix, i));
                expected.add(String.format("%sk%02d", prefix, i));
            }
            listener.awaitEvents(10, WAIT);

            // the member the client sticks to: the first, unless it was once too slow; the watch's too, most likely
            final URI sticky = client.currentEndpoint();
            final int stickyIndex = urls().indexOf(sticky);
            final URI watched = ((GatewayWatch)watch).endpoint();
            members.get(stickyIndex).kill();
            for (int i = 10; i < 20; i++)
            {
                put(String.format("%sk%02d", prefix, i));
                expected.add(String.format("%sk%02d", prefix, i));
            }
            assertNotEquals(sticky, client.currentEndpoint());
            Conditions.await("20 keys watched", WAIT, () -> withoutRepeats(listener.keys()).size() >= 20,
                () -> "told " + listener.told());
            final StoreStatus status = client.status();
            for (int i = 0; i < members.size(); i++)
            {
                assertEquals(i != stickyIndex, status.endpoints().get(i).reachable(), status.toString());
            }
            assertEquals("connection refused", status.endpoints().get(stickyIndex).error());
            assertEquals(3, status.members().size());
            assertNotEquals(0, status.leaderId());

            // back, then the leader, wherever it is
            members.get(stickyIndex).start();
            Conditions.await("the member is back", WAIT, () -> client.status().endpoints().get(stickyIndex).reachable());
            final int leader = memberIndex(client.status().leaderId());
            members.get(leader).kill();
            for (int i = 20; i < 30; i++)
            {
                put(String.format("%sk%02d", prefix, i));
                expected.add(String.format("%sk%02d", prefix, i));
            }
            Conditions.await("30 keys watched", WAIT, () -> withoutRepeats(listener.keys()).size() >= 30,
                () -> "told " + listener.told());

            assertEquals(expected, withoutRepeats(listener.keys()), "failed puts retried: " + failedPuts);
            long previous = 0;
            for (final EtcdClient.Event event : listener.events())
            {
                assertTrue(event.kv().modRevision() > previous, "each revision once, in order: " + listener.events());
                previous = event.kv().modRevision();
            }
            assertEquals(previous, watch.lastRevision());
            assertEquals(expected, withoutRepeats(client.range(prefix).kvs().stream().map(EtcdClient.KeyValue::key).toList()));
            assertEquals(listener.count("down"), listener.count("up"), listener.told().toString());
            assertTrue(!watched.equals(sticky) || listener.count("down") >= 1, "the watch was on the member killed");
        }

        // no quorum: the store cannot serve, and the exception names every member
        for (final EtcdServer member : members)
        {
            member.kill();
        }
        final EtcdException ex = assertThrows(EtcdException.class, () -> client.get(prefix + "k00"));
        assertTrue(ex.unreachable());
        for (final EtcdServer member : members)
        {
            assertTrue(ex.getMessage().contains(member.clientUrl() + ": connection refused"), ex.getMessage());
        }
    }
}
