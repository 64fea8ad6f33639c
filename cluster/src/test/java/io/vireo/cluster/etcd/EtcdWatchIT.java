package io.vireo.cluster.etcd;

import java.io.IOException;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A watch against a real etcd that goes away and comes back (SIGTERM, then SIGKILL) and one whose start
 * revision is compacted. Each test has an etcd of its own.
 */
class EtcdWatchIT
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    private EtcdServer etcd;
    private EtcdClient client;

    @BeforeEach
    void startEtcd()
    {
        assumeTrue(EtcdServer.isAvailable(), "no " + EtcdServer.ETCD);
        etcd = EtcdServer.builder().start();
        client = new EtcdClient(List.of(etcd.clientUrl()), Duration.ofSeconds(5));
    }

    @AfterEach
    void stopEtcd()
    {
        if (client != null)
        {
            client.close();
        }
        if (etcd != null)
        {
            etcd.close();
        }
    }

    /** A put that waits for the store to be back (the etcd just restarted). */
    private long putWhenUp(final String key) throws EtcdException
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
                if (!ex.unreachable() || System.nanoTime() > deadline)
                {
                    throw ex;
                }
            }
        }
    }

    @Test
    void aWatchResumesAfterEtcdIsStoppedOrKilledAndStartedAgainWithNoEventLostNorRepeated() throws Exception
    {
        final String prefix = "/it/resume/";
        final long from = client.put(prefix + "a", "a".getBytes(UTF_8), 0);
        client.put(prefix + "b", "b".getBytes(UTF_8), 0);
        final RecordingListener listener = new RecordingListener();
        final List<String> expected = new ArrayList<>(List.of(prefix + "a", prefix + "b"));
        try (EtcdClient.Watch watch = client.watch(prefix, from, listener))
        {
            listener.awaitEvents(2, WAIT);

            etcd.stop();
            listener.awaitTold("down", 1, WAIT);
            etcd.start();
            putWhenUp(prefix + "c");
            client.put(prefix + "d", "d".getBytes(UTF_8), 0);
            expected.addAll(List.of(prefix + "c", prefix + "d"));
            listener.awaitEvents(4, WAIT);
            listener.awaitTold("up", 1, WAIT);

            etcd.kill();
            listener.awaitTold("down", 2, WAIT);
            etcd.start();
            putWhenUp(prefix + "e");
            client.delete(prefix + "a");
            expected.addAll(List.of(prefix + "e", "-" + prefix + "a"));
            listener.awaitEvents(6, WAIT);
            listener.awaitTold("up", 2, WAIT);

            assertEquals(expected, listener.keys());
            assertEquals(List.of("down", "up", "down", "up"),
                listener.told().stream().filter(what -> !what.startsWith("events")).toList());
            long previous = 0;
            for (final EtcdClient.Event event : listener.events())
            {
                assertTrue(event.kv().modRevision() > previous, "each revision once, in order: " + listener.events());
                previous = event.kv().modRevision();
            }
            assertEquals(previous, watch.lastRevision());
        }
    }

    @Test
    void aWatchFromACompactedRevisionIsToldSoAndStops() throws Exception
    {
        final String prefix = "/it/compacted/";
        final long old = client.put(prefix + "a", "1".getBytes(UTF_8), 0);
        client.put(prefix + "a", "2".getBytes(UTF_8), 0);
        final long now = client.put(prefix + "b", "3".getBytes(UTF_8), 0);
        client.compact(now, true);

        final IOException compactedRange = assertThrows(IOException.class, () -> RawGateway.rangeAt(etcd.clientUrl(), prefix, old));
        assertTrue(compactedRange.getMessage().contains("required revision has been compacted"), compactedRange.getMessage());

        final RecordingListener listener = new RecordingListener();
        try (EtcdClient.Watch watch = client.watch(prefix, old, listener))
        {
            final Thread thread = ((GatewayWatch)watch).thread();
            Conditions.await("compacted told", WAIT, () -> listener.compactRevision() >= 0, () -> "told " + listener.told());
            assertEquals(now, listener.compactRevision());
            thread.join(WAIT.toMillis());
            assertFalse(thread.isAlive());
            assertEquals(List.of("compacted " + now), listener.told());
        }

        // the caller's resync: range, then watch from the revision after it
        final EtcdClient.Range range = client.range(prefix);
        assertEquals(2, range.kvs().size());
        final RecordingListener again = new RecordingListener();
        try (EtcdClient.Watch watch = client.watch(prefix, range.revision() + 1, again))
        {
            client.put(prefix + "c", "4".getBytes(UTF_8), 0);
            again.awaitEvents(1, WAIT);
            assertEquals(List.of(prefix + "c"), again.keys());
        }
    }
}
