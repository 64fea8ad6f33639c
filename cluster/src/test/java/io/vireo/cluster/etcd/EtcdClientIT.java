package io.vireo.cluster.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.testkit.EtcdServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The client against one real etcd (3.4, a single member on loopback ports): reads, writes, transactions and
 * their races, leases and their expiry, a watch's events. Each test works under a prefix of its own.
 */
class EtcdClientIT
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static EtcdServer etcd;
    private static EtcdClient client;

    @BeforeAll
    static void startEtcd()
    {
        assumeTrue(EtcdServer.isAvailable(), "no " + EtcdServer.ETCD);
        etcd = EtcdServer.builder().start();
        client = new EtcdClient(List.of(etcd.clientUrl()), Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopEtcd()
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

    private static byte[] bytes(final String text)
    {
        return text.getBytes(UTF_8);
    }

    @Test
    void putGetDeleteAndDeletePrefix() throws Exception
    {
        assertEquals(Optional.empty(), client.get("/it/basic/a"));

        final long revision = client.put("/it/basic/a", bytes("one"), 0);
        final EtcdClient.KeyValue a = client.get("/it/basic/a").orElseThrow();
        assertEquals("/it/basic/a", a.key());
        assertEquals("one", a.valueUtf8());
        assertEquals(revision, a.modRevision());
        assertEquals(revision, a.createRevision());
        assertEquals(1, a.version());
        assertEquals(0, a.lease());

        final long second = client.put("/it/basic/a", bytes("two"), 0);
        assertTrue(second > revision);
        final EtcdClient.KeyValue a2 = client.get("/it/basic/a").orElseThrow();
        assertEquals(revision, a2.createRevision());
        assertEquals(second, a2.modRevision());
        assertEquals(2, a2.version());

        client.put("/it/basic/b", new byte[0], 0);
        assertArrayEquals(new byte[0], client.get("/it/basic/b").orElseThrow().value());
        client.put("/it/basic/bin", new byte[] { 0, (byte)0xff, 10, 13 }, 0);
        assertArrayEquals(new byte[] { 0, (byte)0xff, 10, 13 }, client.get("/it/basic/bin").orElseThrow().value());
        client.put("/it/basic/ünï/ключ", bytes("utf-8"), 0);
        assertEquals("/it/basic/ünï/ключ", client.get("/it/basic/ünï/ключ").orElseThrow().key());
        client.put("/it/basicx", bytes("outside the prefix"), 0);

        assertTrue(client.delete("/it/basic/a"));
        assertFalse(client.delete("/it/basic/a"));
        assertEquals(Optional.empty(), client.get("/it/basic/a"));
        assertEquals(3, client.deletePrefix("/it/basic/"));
        assertEquals(List.of(), client.range("/it/basic/").kvs());
        assertTrue(client.get("/it/basicx").isPresent(), "a key that only starts with the prefix's text minus '/' stays");
    }

    /**
     * More keys than three pages hold, read while a writer adds and changes keys under the prefix: what the
     * range returns is exactly what one unpaged read at its revision returns.
     */
    @Test
    void aRangeOfManyPagesIsOneRevisionWhileAWriterChangesThePrefix() throws Exception
    {
        final String prefix = "/it/range/";
        final int keys = 12_001;
        RawGateway.putMany(etcd.clientUrl(), prefix + "k", keys, 64);
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong written = new AtomicLong();
        final ExecutorService writer = Executors.newSingleThreadExecutor();
        try (EtcdClient writerClient = new EtcdClient(List.of(etcd.clientUrl()), Duration.ofSeconds(10)))
        {
            final Future<?> writes = writer.submit(() ->
            {
                for (int i = 0; !stop.get(); i++)
                {
                    writerClient.put(prefix + "w" + i, bytes("new"), 0);
                    writerClient.put(String.format("%sk%06d", prefix, i * 997 % keys), bytes("changed"), 0);
                    written.incrementAndGet();
                }
                return null;
            });
            Conditions.await("the writer writes", WAIT, () -> written.get() > 10);
            final long writtenBefore = written.get();
            final EtcdClient.Range range = client.range(prefix);
            Conditions.await("the writer writes after the range", WAIT, () -> written.get() > writtenBefore + 10);
            stop.set(true);
            writes.get(60, TimeUnit.SECONDS);

            assertTrue(range.kvs().size() >= keys, "size " + range.kvs().size());
            final JsonNode unpaged = RawGateway.rangeAt(etcd.clientUrl(), prefix, range.revision());
            final List<EtcdClient.KeyValue> expected = GatewayJson.rangePage(GatewayJson.MAPPER.writeValueAsBytes(unpaged)).kvs();
            assertFalse(GatewayJson.rangePage(GatewayJson.MAPPER.writeValueAsBytes(unpaged)).more());
            assertEquals(expected.size(), range.kvs().size());
            for (int i = 0; i < expected.size(); i++)
            {
                final EtcdClient.KeyValue want = expected.get(i);
                final EtcdClient.KeyValue got = range.kvs().get(i);
                assertEquals(want.key(), got.key());
                assertEquals(want.modRevision(), got.modRevision(), want.key());
                assertArrayEquals(want.value(), got.value(), want.key());
                assertTrue(got.modRevision() <= range.revision());
                if (i > 0)
                {
                    assertTrue(range.kvs().get(i - 1).key().compareTo(got.key()) < 0, "sorted at " + got.key());
                }
            }
            final long newest = client.get(prefix + "w" + (written.get() - 1)).orElseThrow().modRevision();
            assertTrue(newest > range.revision(), "the writer went on past the range's revision");
        }
        finally
        {
            stop.set(true);
            writer.shutdownNow();
            client.deletePrefix(prefix);
        }
    }

    @Test
    void aRangeInSmallPagesHasEveryKeyOnce() throws Exception
    {
        final String prefix = "/it/pages/";
        RawGateway.putMany(etcd.clientUrl(), prefix, 100, 1);
        try (EtcdClient smallPages = new EtcdClient(List.of(etcd.clientUrl()), Duration.ofSeconds(10), 7))
        {
            final List<String> keys = smallPages.range(prefix).kvs().stream().map(EtcdClient.KeyValue::key).toList();
            final List<String> expected = new ArrayList<>();
            for (int i = 0; i < 100; i++)
            {
                expected.add(String.format("%s%06d", prefix, i));
            }
            assertEquals(expected, keys);
            assertEquals(List.of(), smallPages.range("/it/pages-none/").kvs());
        }
    }

    @Test
    void twoThreadsRacingToCreateAKeyExactlyOneWins() throws Exception
    {
        final int rounds = 100;
        final CyclicBarrier start = new CyclicBarrier(2);
        final ExecutorService racers = Executors.newFixedThreadPool(2);
        try
        {
            final List<Future<List<Boolean>>> results = new ArrayList<>();
            for (int racer = 0; racer < 2; racer++)
            {
                final String name = "racer-" + racer;
                results.add(racers.submit(() ->
                {
                    final List<Boolean> won = new ArrayList<>();
                    for (int round = 0; round < rounds; round++)
                    {
                        start.await(30, TimeUnit.SECONDS);
                        won.add(client.create("/it/create/" + round, bytes(name), 0));
                    }
                    return won;
                }));
            }
            final List<Boolean> zero = results.get(0).get(120, TimeUnit.SECONDS);
            final List<Boolean> one = results.get(1).get(120, TimeUnit.SECONDS);
            for (int round = 0; round < rounds; round++)
            {
                assertNotEquals(zero.get(round), one.get(round), "round " + round + ": exactly one created it");
                final String winner = zero.get(round) ? "racer-0" : "racer-1";
                final EtcdClient.KeyValue kv = client.get("/it/create/" + round).orElseThrow();
                assertEquals(winner, kv.valueUtf8());
                assertEquals(1, kv.version());
            }
            assertFalse(client.create("/it/create/0", bytes("late"), 0));
        }
        finally
        {
            racers.shutdownNow();
            client.deletePrefix("/it/create/");
        }
    }

    @Test
    void replaceAndDeleteIfHoldOnlyAtTheRevisionGiven() throws Exception
    {
        final long first = client.put("/it/cas/k", bytes("1"), 0);
        assertFalse(client.replace("/it/cas/k", first - 1, bytes("stale"), 0));
        assertFalse(client.replace("/it/cas/none", first, bytes("none"), 0), "a key that does not exist");
        assertEquals(Optional.empty(), client.get("/it/cas/none"));
        assertTrue(client.replace("/it/cas/k", first, bytes("2"), 0));
        final EtcdClient.KeyValue second = client.get("/it/cas/k").orElseThrow();
        assertEquals("2", second.valueUtf8());
        assertFalse(client.replace("/it/cas/k", first, bytes("3"), 0), "the revision moved on");

        // two threads replacing from the same revision: one wins
        final CyclicBarrier start = new CyclicBarrier(2);
        final ExecutorService racers = Executors.newFixedThreadPool(2);
        try
        {
            final List<Future<Boolean>> wins = new ArrayList<>();
            for (int racer = 0; racer < 2; racer++)
            {
                final byte[] value = bytes("racer-" + racer);
                wins.add(racers.submit(() ->
                {
                    start.await(30, TimeUnit.SECONDS);
                    return client.replace("/it/cas/k", second.modRevision(), value, 0);
                }));
            }
            assertNotEquals(wins.get(0).get(60, TimeUnit.SECONDS), wins.get(1).get(60, TimeUnit.SECONDS));
        }
        finally
        {
            racers.shutdownNow();
        }

        final EtcdClient.KeyValue third = client.get("/it/cas/k").orElseThrow();
        assertFalse(client.deleteIf("/it/cas/k", second.modRevision()));
        assertTrue(client.get("/it/cas/k").isPresent());
        assertTrue(client.deleteIf("/it/cas/k", third.modRevision()));
        assertEquals(Optional.empty(), client.get("/it/cas/k"));
        assertFalse(client.deleteIf("/it/cas/k", third.modRevision()));
    }

    @Test
    void putAllWritesEveryKeyInOneRevisionPerTransaction() throws Exception
    {
        final String prefix = "/it/batch/";
        final long lease = client.grantLease(30);
        final List<EtcdClient.Put> puts = new ArrayList<>();
        for (int i = 0; i < 1000; i++)
        {
            puts.add(new EtcdClient.Put(String.format("%s%04d", prefix, i), bytes("v" + i), i < 500 ? lease : 0));
        }
        final long before = client.put("/it/batch-before", bytes("x"), 0);

        final long revision = client.putAll(puts);
        assertEquals(before + 8, revision, "1000 puts in 8 transactions of at most 128");
        final List<EtcdClient.KeyValue> kvs = client.range(prefix).kvs();
        assertEquals(1000, kvs.size());
        for (int i = 0; i < 1000; i++)
        {
            final EtcdClient.KeyValue kv = kvs.get(i);
            assertEquals(puts.get(i).key(), kv.key());
            assertEquals("v" + i, kv.valueUtf8());
            assertEquals(before + 1 + i / EtcdClient.DEFAULT_MAX_TXN_OPS, kv.modRevision());
            assertEquals(i < 500 ? lease : 0, kv.lease());
        }

        final EtcdException tooMany = assertThrows(EtcdException.class, () -> client.putAll(puts, 129));
        assertFalse(tooMany.unreachable());
        assertTrue(tooMany.getMessage().contains("too many operations"), tooMany.getMessage());
        client.revoke(lease);
        assertEquals(500, client.range(prefix).kvs().size());
        client.deletePrefix(prefix);
        client.delete("/it/batch-before");
    }

    @Test
    void aRevokedLeaseTakesItsKeysAndIsGone() throws Exception
    {
        final long lease = client.grantLease(30);
        assertTrue(lease != 0);
        client.put("/it/lease/a", bytes("a"), lease);
        assertTrue(client.create("/it/lease/b", bytes("b"), lease));
        assertEquals(lease, client.get("/it/lease/a").orElseThrow().lease());
        final long ttl = client.keepAlive(lease);
        assertTrue(ttl > 0 && ttl <= 30, "ttl " + ttl);

        client.revoke(lease);
        assertEquals(List.of(), client.range("/it/lease/").kvs());
        assertTrue(client.keepAlive(lease) <= 0);
        client.revoke(lease);
        final EtcdException unknown = assertThrows(EtcdException.class, () -> client.put("/it/lease/c", bytes("c"), lease));
        assertFalse(unknown.unreachable());
        assertEquals(GatewayJson.NOT_FOUND, unknown.grpcCode());
        assertTrue(unknown.getMessage().contains("lease not found"), unknown.getMessage());
    }

    @Test
    void keepAlivesHoldALeaseAndItsKeysGoWhenTheyStop() throws Exception
    {
        final long ttlSeconds = 2;
        final long lease = client.grantLease(ttlSeconds);
        client.put("/it/expiry/k", bytes("k"), lease);

        // kept alive every 500 ms for twice its TTL: still there
        final long keptUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(2 * ttlSeconds);
        while (System.nanoTime() < keptUntil)
        {
            assertTrue(client.keepAlive(lease) > 0);
            assertTrue(client.get("/it/expiry/k").isPresent());
            TimeUnit.MILLISECONDS.sleep(500);
        }

        final long lastKeepAlive = System.nanoTime();
        assertTrue(client.keepAlive(lease) > 0);
        Conditions.await("the key goes with its lease", Duration.ofSeconds(ttlSeconds + 20), () ->
        {
            try
            {
                return client.get("/it/expiry/k").isEmpty();
            }
            catch (final EtcdException ex)
            {
                throw new AssertionError(ex);
            }
        });
        final long goneAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastKeepAlive);
        assertTrue(goneAfterMs >= 1000, "gone " + goneAfterMs + " ms after its last keep-alive, TTL " + ttlSeconds + " s");
        assertTrue(client.keepAlive(lease) <= 0);
    }

    @Test
    void aWatchDeliversEveryChangeInStoreOrder() throws Exception
    {
        final String prefix = "/it/watch/";
        final long from = client.put("/it/watch-before", bytes("x"), 0) + 1;
        final RecordingListener listener = new RecordingListener();
        final List<String> expected = new ArrayList<>();
        try (EtcdClient.Watch watch = client.watch(prefix, from, listener))
        {
            for (int i = 0; i < 50; i++)
            {
                client.put(prefix + "k" + i, bytes("v" + i), 0);
                expected.add(prefix + "k" + i);
                client.put("/it/watch-outside/" + i, bytes("not watched"), 0);
                if (i % 5 == 4)
                {
                    client.delete(prefix + "k" + (i - 2));
                    expected.add("-" + prefix + "k" + (i - 2));
                }
            }
            final long txnRevision = RawGateway.putMany(etcd.clientUrl(), prefix + "t", 3, 1);
            for (int i = 0; i < 3; i++)
            {
                expected.add(String.format("%st%06d", prefix, i));
            }
            final long deleted = client.deletePrefix(prefix + "t");
            assertEquals(3, deleted);
            for (int i = 0; i < 3; i++)
            {
                expected.add(String.format("-%st%06d", prefix, i));
            }

            listener.awaitEvents(expected.size(), WAIT);
            assertEquals(expected, listener.keys());
            long previous = 0;
            for (final EtcdClient.Event event : listener.events())
            {
                assertTrue(event.kv().modRevision() >= previous);
                previous = event.kv().modRevision();
            }
            final List<EtcdClient.Event> txn = listener.events().stream()
                .filter(event -> event.kv().modRevision() == txnRevision).toList();
            assertEquals(3, txn.size(), "one transaction, one revision");
            assertTrue(listener.told().stream().allMatch(what -> what.startsWith("events")), listener.told().toString());
            assertEquals(previous, watch.lastRevision());
            assertEquals("v0", listener.events().get(0).kv().valueUtf8());
        }
        finally
        {
            client.deletePrefix(prefix);
        }
    }

    @Test
    void statusShowsTheMemberAsLeader()
    {
        final StoreStatus status = client.status();
        assertEquals(1, status.endpoints().size());
        final StoreStatus.EndpointStatus endpoint = status.endpoints().get(0);
        assertTrue(endpoint.reachable(), endpoint.error());
        assertEquals("3.4.23", endpoint.version());
        assertTrue(endpoint.isLeader());
        assertTrue(endpoint.revision() > 0);
        assertTrue(endpoint.dbSize() > 0);
        assertTrue(endpoint.raftTerm() > 0);
        assertEquals(1, status.members().size());
        final StoreStatus.Member member = status.members().get(0);
        assertEquals(etcd.name(), member.name());
        assertEquals(endpoint.memberId(), member.id());
        assertEquals(List.of(etcd.clientUrl().toString()), member.clientUrls());
        assertEquals(List.of(etcd.peerUrl().toString()), member.peerUrls());
    }

    @Test
    void keysAreSortedByTheirBytes() throws Exception
    {
        final Set<String> keys = new HashSet<>(List.of("/it/sort/b", "/it/sort/a", "/it/sort/B", "/it/sort/a0", "/it/sort/é", "/it/sort/z"));
        for (final String key : keys)
        {
            client.put(key, bytes(key), 0);
        }
        try
        {
            assertEquals(List.of("/it/sort/B", "/it/sort/a", "/it/sort/a0", "/it/sort/b", "/it/sort/z", "/it/sort/é"),
                client.range("/it/sort/").kvs().stream().map(EtcdClient.KeyValue::key).toList());
        }
        finally
        {
            client.deletePrefix("/it/sort/");
        }
    }
}
