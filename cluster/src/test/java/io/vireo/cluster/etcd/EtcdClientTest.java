package io.vireo.cluster.etcd;

import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client against fake endpoints that answer as each test says: failover, what is retried and what is
 * not, paging, and a watch's resumption, compaction and close, without an etcd.
 */
class EtcdClientTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String HEADER = "\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"%d\",\"raft_term\":\"2\"}";
    private static final String NO_LEADER = "{\"error\":\"etcdserver: no leader\",\"message\":\"etcdserver: no leader\",\"code\":14}";

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
    }

    private FakeGateway gateway() throws Exception
    {
        final FakeGateway gateway = new FakeGateway();
        closeables.add(gateway);
        return gateway;
    }

    private EtcdClient client(final Duration timeout, final int pageSize, final URI... endpoints)
    {
        final EtcdClient client = new EtcdClient(List.of(endpoints), timeout, pageSize);
        closeables.add(client);
        return client;
    }

    private EtcdClient client(final URI... endpoints)
    {
        return client(TIMEOUT, EtcdClient.DEFAULT_PAGE_SIZE, endpoints);
    }

    private static String header(final long revision)
    {
        return String.format(HEADER, revision);
    }

    private static String b64(final String text)
    {
        return Base64.getEncoder().encodeToString(text.getBytes(UTF_8));
    }

    private static String kv(final String key, final long modRevision)
    {
        return "{\"key\":\"" + b64(key) + "\",\"create_revision\":\"" + modRevision + "\",\"mod_revision\":\"" + modRevision +
            "\",\"version\":\"1\",\"value\":\"" + b64("v" + modRevision) + "\"}";
    }

    private static String putEvent(final String key, final long revision)
    {
        return "{\"kv\":" + kv(key, revision) + "}";
    }

    private static String watchLine(final long revision, final String body)
    {
        return "{\"result\":{" + header(revision) + (body.isEmpty() ? "" : "," + body) + "}}";
    }

    @Test
    void anUnavailableEndpointIsPassedAndTheOneThatAnsweredIsAskedFirstAfter() throws Exception
    {
        final FakeGateway a = gateway().answer("/v3/kv/put", 503, NO_LEADER);
        final FakeGateway b = gateway().answer("/v3/kv/put", 200, "{" + header(7) + "}");
        final EtcdClient client = client(a.url(), b.url());
        assertEquals(a.url(), client.currentEndpoint());

        assertEquals(7, client.put("k", "v".getBytes(UTF_8), 0));
        assertEquals(b.url(), client.currentEndpoint());
        assertEquals(8, client.put("k", "v".getBytes(UTF_8), 0) + 1);
        assertEquals(1, a.requests("/v3/kv/put").size(), "the second put went to b first");
        assertEquals(2, b.requests("/v3/kv/put").size());
        assertEquals(b64("k"), b.requests("/v3/kv/put").get(0).body().get("key").asText());
    }

    @Test
    void anErrorTheStoreAnswersIsNotTriedElsewhere() throws Exception
    {
        final FakeGateway a = gateway().answer("/v3/kv/put", 404,
            "{\"error\":\"etcdserver: requested lease not found\",\"message\":\"etcdserver: requested lease not found\",\"code\":5}");
        final FakeGateway b = gateway().answer("/v3/kv/put", 200, "{" + header(7) + "}");
        final EtcdClient client = client(a.url(), b.url());

        final EtcdException ex = assertThrows(EtcdException.class, () -> client.put("k", new byte[1], 99));
        assertFalse(ex.unreachable());
        assertEquals(5, ex.grpcCode());
        assertEquals("put k: " + a.url() + ": etcdserver: requested lease not found (code 5)", ex.getMessage());
        assertEquals(0, b.requests.size());
    }

    @Test
    void whenNoEndpointAnswersTheExceptionNamesEachAndWhatItDid() throws Exception
    {
        final FakeGateway noLeader = gateway().answer("/v3/kv/range", 503, NO_LEADER);
        final URI refused = FakeGateway.closedPort();
        final EtcdClient client = client(refused, noLeader.url());

        final EtcdException ex = assertThrows(EtcdException.class, () -> client.get("k"));
        assertTrue(ex.unreachable());
        assertEquals("get k: " + refused + ": connection refused; " + noLeader.url() + ": etcdserver: no leader (code 14)",
            ex.getMessage());
        assertFalse(ex.getMessage().contains("\n"));
    }

    @Test
    void aSlowEndpointTimesOutAndTheNextAnswers() throws Exception
    {
        final CountDownLatch release = new CountDownLatch(1);
        final FakeGateway slow = gateway().on("/v3/kv/range", (body, exchange) ->
        {
            release.await(30, TimeUnit.SECONDS);
            FakeGateway.reply(exchange, 200, "{" + header(3) + "}");
        });
        final FakeGateway fast = gateway().answer("/v3/kv/range", 200,
            "{" + header(3) + ",\"kvs\":[" + kv("k", 3) + "],\"count\":\"1\"}");
        final EtcdClient client = client(Duration.ofMillis(300), 10, slow.url(), fast.url());
        try
        {
            final EtcdClient.KeyValue kv = client.get("k").orElseThrow();
            assertEquals("v3", kv.valueUtf8());
            assertEquals(fast.url(), client.currentEndpoint());
        }
        finally
        {
            release.countDown();
        }
    }

    @Test
    void aRangeAsksForLaterPagesAtTheFirstPagesRevisionAfterItsLastKey() throws Exception
    {
        final AtomicInteger page = new AtomicInteger();
        final FakeGateway gateway = gateway().on("/v3/kv/range", (body, exchange) ->
        {
            switch (page.getAndIncrement())
            {
                case 0 -> FakeGateway.reply(exchange, 200, "{" + header(42) + ",\"kvs\":[" + kv("/p/a", 5) + "," +
                    kv("/p/b", 6) + "],\"more\":true,\"count\":\"5\"}");
                case 1 -> FakeGateway.reply(exchange, 200, "{" + header(50) + ",\"kvs\":[" + kv("/p/c", 7) + "," +
                    kv("/p/d", 8) + "],\"more\":true,\"count\":\"3\"}");
                default -> FakeGateway.reply(exchange, 200, "{" + header(51) + ",\"kvs\":[" + kv("/p/e", 9) + "],\"count\":\"1\"}");
            }
        });
        final EtcdClient client = client(TIMEOUT, 2, gateway.url());

        final EtcdClient.Range range = client.range("/p/");
        assertEquals(42, range.revision());
        assertEquals(List.of("/p/a", "/p/b", "/p/c", "/p/d", "/p/e"), range.kvs().stream().map(EtcdClient.KeyValue::key).toList());
        final List<FakeGateway.Request> requests = gateway.requests("/v3/kv/range");
        assertEquals(3, requests.size());
        assertFalse(requests.get(0).body().has("revision"));
        assertEquals(b64("/p/"), requests.get(0).body().get("key").asText());
        assertEquals(b64("/p0"), requests.get(0).body().get("range_end").asText());
        assertEquals("2", requests.get(0).body().get("limit").asText());
        assertEquals("42", requests.get(1).body().get("revision").asText());
        assertEquals(b64("/p/b\0"), requests.get(1).body().get("key").asText());
        assertEquals(b64("/p0"), requests.get(1).body().get("range_end").asText());
        assertEquals("42", requests.get(2).body().get("revision").asText());
        assertEquals(b64("/p/d\0"), requests.get(2).body().get("key").asText());
    }

    @Test
    void aRangeWhoseRevisionIsCompactedBetweenPagesStartsAgain() throws Exception
    {
        final AtomicInteger page = new AtomicInteger();
        final FakeGateway gateway = gateway().on("/v3/kv/range", (body, exchange) ->
        {
            switch (page.getAndIncrement())
            {
                case 0 -> FakeGateway.reply(exchange, 200, "{" + header(42) + ",\"kvs\":[" + kv("/p/a", 5) + "],\"more\":true}");
                case 1 -> FakeGateway.reply(exchange, 400, "{\"error\":\"etcdserver: mvcc: required revision has been compacted\"," +
                    "\"message\":\"etcdserver: mvcc: required revision has been compacted\",\"code\":11}");
                default -> FakeGateway.reply(exchange, 200, "{" + header(60) + ",\"kvs\":[" + kv("/p/a", 5) + "," + kv("/p/b", 55) + "]}");
            }
        });
        final EtcdClient client = client(TIMEOUT, 1, gateway.url());

        final EtcdClient.Range range = client.range("/p/");
        assertEquals(60, range.revision());
        assertEquals(2, range.kvs().size());
        assertFalse(gateway.requests("/v3/kv/range").get(2).body().has("revision"), "started again at the current revision");
    }

    @Test
    void aLeaseThatIsGoneKeepsAliveForZeroSecondsAndRevokingItIsNoError() throws Exception
    {
        final FakeGateway gateway = gateway()
            .answer("/v3/lease/keepalive", 200, "{\"result\":{" + header(3) + ",\"ID\":\"12345\"}}\n")
            .answer("/v3/kv/lease/revoke", 404,
                "{\"error\":\"etcdserver: requested lease not found\",\"message\":\"etcdserver: requested lease not found\",\"code\":5}");
        final EtcdClient client = client(gateway.url());

        assertEquals(0, client.keepAlive(12345));
        client.revoke(12345);
        assertEquals("12345", gateway.requests("/v3/kv/lease/revoke").get(0).body().get("ID").asText());
    }

    @Test
    void putAllSendsTransactionsOfAtMostMaxOpsPutsInOrderAndAnswersTheLastRevision() throws Exception
    {
        final AtomicInteger revision = new AtomicInteger(10);
        final FakeGateway gateway = gateway().on("/v3/kv/txn", (body, exchange) ->
            FakeGateway.reply(exchange, 200, "{" + header(revision.incrementAndGet()) + ",\"succeeded\":true}"));
        final EtcdClient client = client(gateway.url());
        final List<EtcdClient.Put> puts = new ArrayList<>();
        for (int i = 0; i < 300; i++)
        {
            puts.add(new EtcdClient.Put(String.format("/b/%03d", i), ("v" + i).getBytes(UTF_8), i % 2 == 0 ? 0 : 77));
        }

        assertEquals(13, client.putAll(puts, 128));
        final List<FakeGateway.Request> requests = gateway.requests("/v3/kv/txn");
        assertEquals(3, requests.size());
        int next = 0;
        for (final FakeGateway.Request request : requests)
        {
            assertFalse(request.body().has("compare"), "no comparison: the puts always apply");
            for (final JsonNode op : request.body().get("success"))
            {
                final JsonNode put = op.get("request_put");
                assertEquals(b64(String.format("/b/%03d", next)), put.get("key").asText());
                assertEquals(b64("v" + next), put.get("value").asText());
                assertEquals(next % 2 == 0 ? null : "77", put.has("lease") ? put.get("lease").asText() : null);
                next++;
            }
        }
        assertEquals(List.of(128, 128, 44), requests.stream().map(request -> request.body().get("success").size()).toList());
        assertEquals(300, next);

        assertEquals(14, client.putAll(puts.subList(0, 1)));
        assertEquals(0, client.putAll(List.of()));
        assertEquals(4, gateway.requests("/v3/kv/txn").size(), "no puts, no request");
        assertThrows(IllegalArgumentException.class, () -> client.putAll(puts, 0));
    }

    @Test
    void putAllStopsAtTheTransactionTheStoreRefuses() throws Exception
    {
        final AtomicInteger calls = new AtomicInteger();
        final FakeGateway gateway = gateway().on("/v3/kv/txn", (body, exchange) ->
        {
            if (calls.incrementAndGet() == 2)
            {
                FakeGateway.reply(exchange, 400, "{\"error\":\"etcdserver: too many operations in txn request\"," +
                    "\"message\":\"etcdserver: too many operations in txn request\",\"code\":3}");
            }
            else
            {
                FakeGateway.reply(exchange, 200, "{" + header(5) + ",\"succeeded\":true}");
            }
        });
        final EtcdClient client = client(gateway.url());
        final List<EtcdClient.Put> puts = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            puts.add(new EtcdClient.Put("/b/" + i, new byte[1], 0));
        }

        final EtcdException ex = assertThrows(EtcdException.class, () -> client.putAll(puts, 2));
        assertFalse(ex.unreachable());
        assertEquals(3, ex.grpcCode());
        assertEquals("put 2 keys from /b/2: " + gateway.url() + ": etcdserver: too many operations in txn request (code 3)",
            ex.getMessage());
        assertEquals(2, gateway.requests("/v3/kv/txn").size(), "the third transaction is not sent");
    }

    @Test
    void statusListsEachEndpointAndTheMembersOfOneThatAnswered() throws Exception
    {
        final FakeGateway gateway = gateway()
            .answer("/v3/maintenance/status", 200, "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"3319814642761637952\"," +
                "\"revision\":\"8\",\"raft_term\":\"2\"},\"version\":\"3.4.23\",\"dbSize\":\"20480\",\"leader\":\"3319814642761637952\"," +
                "\"raftIndex\":\"6\",\"raftTerm\":\"2\",\"raftAppliedIndex\":\"6\",\"dbSizeInUse\":\"16384\"}")
            .answer("/v3/cluster/member/list", 200, "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"3319814642761637952\"," +
                "\"raft_term\":\"2\"},\"members\":[{\"ID\":\"3319814642761637952\",\"name\":\"x\",\"peerURLs\":[\"http://127.0.0.1:23800\"]," +
                "\"clientURLs\":[\"http://127.0.0.1:23790\"]}]}");
        final URI refused = FakeGateway.closedPort();
        final EtcdClient client = client(refused, gateway.url());

        final StoreStatus status = client.status();
        assertEquals(2, status.endpoints().size());
        final StoreStatus.EndpointStatus down = status.endpoints().get(0);
        assertEquals(refused, down.url());
        assertFalse(down.reachable());
        assertEquals("connection refused", down.error());
        assertEquals(new StoreStatus.EndpointStatus(gateway.url(), true, "", "3.4.23", 3319814642761637952L,
            3319814642761637952L, 2, 8, 20480), status.endpoints().get(1));
        assertTrue(status.endpoints().get(1).isLeader());
        assertEquals(3319814642761637952L, status.leaderId());
        assertEquals(List.of(new StoreStatus.Member(3319814642761637952L, "x", List.of("http://127.0.0.1:23800"),
            List.of("http://127.0.0.1:23790"), false)), status.members());
    }

    @Test
    void aWatchResumesOnTheNextEndpointAfterTheLastRevisionItDelivered() throws Exception
    {
        final CountDownLatch end = new CountDownLatch(1);
        // a: the stream is created, catches up with revisions 5 and 6 (the header ahead of them), then ends
        final FakeGateway a = gateway().on("/v3/watch", (body, exchange) ->
        {
            final OutputStream out = FakeGateway.startStream(exchange);
            FakeGateway.line(out, watchLine(9, "\"created\":true"));
            FakeGateway.line(out, watchLine(9, "\"events\":[" + putEvent("/p/a", 5) + "," + putEvent("/p/b", 6) + "]"));
        });
        // b: created, revision 7, then stays open until the test ends
        final FakeGateway b = gateway().on("/v3/watch", (body, exchange) ->
        {
            final OutputStream out = FakeGateway.startStream(exchange);
            FakeGateway.line(out, watchLine(9, "\"created\":true"));
            FakeGateway.line(out, watchLine(9, "\"events\":[" + putEvent("/p/c", 7) + "]"));
            end.await(60, TimeUnit.SECONDS);
        });
        final EtcdClient client = client(a.url(), b.url());
        final RecordingListener listener = new RecordingListener();
        try (EtcdClient.Watch watch = client.watch("/p/", 5, listener))
        {
            listener.awaitEvents(3, TIMEOUT);
            assertEquals(List.of("/p/a", "/p/b", "/p/c"), listener.keys());
            assertEquals(List.of("events 2", "down", "up", "events 1"), listener.told());
            assertEquals(7, watch.lastRevision());
            assertEquals("5", a.requests("/v3/watch").get(0).body().at("/create_request/start_revision").asText());
            assertEquals(b64("/p/"), a.requests("/v3/watch").get(0).body().at("/create_request/key").asText());
            assertEquals(b64("/p0"), a.requests("/v3/watch").get(0).body().at("/create_request/range_end").asText());
            assertEquals("7", b.requests("/v3/watch").get(0).body().at("/create_request/start_revision").asText(),
                "after the last event delivered, not after the header's revision");
            assertTrue(listener.threads().stream().allMatch(name -> name.startsWith("vireo-etcd-watch-")));
        }
        finally
        {
            end.countDown();
        }
    }

    @Test
    void theRequestTimeoutBoundsAWatchsCreationNotItsLife() throws Exception
    {
        final CountDownLatch send = new CountDownLatch(1);
        final CountDownLatch end = new CountDownLatch(1);
        final FakeGateway gateway = gateway().on("/v3/watch", (body, exchange) ->
        {
            final OutputStream out = FakeGateway.startStream(exchange);
            FakeGateway.line(out, watchLine(9, "\"created\":true"));
            send.await(60, TimeUnit.SECONDS);
            FakeGateway.line(out, watchLine(10, "\"events\":[" + putEvent("/p/a", 10) + "]"));
            end.await(60, TimeUnit.SECONDS);
        });
        final EtcdClient client = client(Duration.ofMillis(200), 10, gateway.url());
        final RecordingListener listener = new RecordingListener();
        try (EtcdClient.Watch watch = client.watch("/p/", 10, listener))
        {
            Conditions.await("the stream is read", TIMEOUT, () -> ((GatewayWatch)watch).thread().getState() == Thread.State.WAITING);
            // ten request timeouts with nothing on the stream
            Thread.sleep(2_000);
            send.countDown();
            listener.awaitEvents(1, TIMEOUT);
            assertEquals(List.of("events 1"), listener.told());
            assertEquals(1, gateway.requests("/v3/watch").size());
        }
        finally
        {
            send.countDown();
            end.countDown();
        }
    }

    @Test
    void aProgressNotificationMovesTheLastRevision() throws Exception
    {
        final CountDownLatch end = new CountDownLatch(1);
        final FakeGateway gateway = gateway().on("/v3/watch", (body, exchange) ->
        {
            final OutputStream out = FakeGateway.startStream(exchange);
            FakeGateway.line(out, watchLine(9, "\"created\":true"));
            FakeGateway.line(out, watchLine(12, ""));
            end.await(60, TimeUnit.SECONDS);
        });
        final EtcdClient client = client(gateway.url());
        final RecordingListener listener = new RecordingListener();
        try (EtcdClient.Watch watch = client.watch("/p/", 5, listener))
        {
            Conditions.await("progress to 12", TIMEOUT, () -> watch.lastRevision() == 12, () -> "at " + watch.lastRevision());
            assertEquals(List.of(), listener.told(), "a progress notification is not an event");
        }
        finally
        {
            end.countDown();
        }
    }

    @Test
    void aWatchWhoseRevisionIsCompactedSaysSoAndStops() throws Exception
    {
        final CountDownLatch end = new CountDownLatch(1);
        final FakeGateway gateway = gateway().on("/v3/watch", (body, exchange) ->
        {
            final OutputStream out = FakeGateway.startStream(exchange);
            FakeGateway.line(out, watchLine(9, "\"created\":true"));
            FakeGateway.line(out, "{\"result\":{\"header\":{\"cluster_id\":\"1\"},\"canceled\":true,\"compact_revision\":\"7\"}}");
            end.await(60, TimeUnit.SECONDS);
        });
        final EtcdClient client = client(gateway.url());
        final RecordingListener listener = new RecordingListener();
        try (EtcdClient.Watch watch = client.watch("/p/", 2, listener))
        {
            final Thread thread = ((GatewayWatch)watch).thread();
            thread.join(TIMEOUT.toMillis());
            assertFalse(thread.isAlive());
            assertEquals(List.of("compacted 7"), listener.told());
            assertEquals(1, gateway.requests("/v3/watch").size());
        }
        finally
        {
            end.countDown();
        }
    }

    @Test
    void aWatchThatCannotConnectSaysDownOnceAndClosingItEndsItsThreadPromptly() throws Exception
    {
        final EtcdClient client = client(FakeGateway.closedPort());
        final RecordingListener listener = new RecordingListener();
        final EtcdClient.Watch watch = client.watch("/p/", 1, listener);
        final Thread thread = ((GatewayWatch)watch).thread();
        assertTrue(thread.isDaemon());
        listener.awaitTold("down", 1, TIMEOUT);
        Conditions.await("a few attempts", TIMEOUT, () -> thread.getState() == Thread.State.TIMED_WAITING);
        final long start = System.nanoTime();
        watch.close();
        assertFalse(thread.isAlive());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "closed in " + (System.nanoTime() - start) / 1000 + " µs");
        assertEquals(List.of("down"), listener.told());
    }

    @Test
    void closingAWatchBlockedOnAnIdleStreamEndsItsThreadPromptly() throws Exception
    {
        final CountDownLatch end = new CountDownLatch(1);
        final FakeGateway gateway = gateway().on("/v3/watch", (body, exchange) ->
        {
            final OutputStream out = FakeGateway.startStream(exchange);
            FakeGateway.line(out, watchLine(9, "\"created\":true"));
            end.await(60, TimeUnit.SECONDS);
        });
        final EtcdClient client = client(gateway.url());
        final RecordingListener listener = new RecordingListener();
        try
        {
            final EtcdClient.Watch watch = client.watch("/p/", 1, listener);
            final Thread thread = ((GatewayWatch)watch).thread();
            Conditions.await("the stream is read", TIMEOUT, () -> gateway.requests("/v3/watch").size() == 1 &&
                thread.getState() == Thread.State.WAITING);
            final long start = System.nanoTime();
            client.close();
            assertFalse(thread.isAlive());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "closed in " + (System.nanoTime() - start) / 1000 + " µs");
            assertEquals(List.of(), listener.told());
            assertThrows(EtcdException.class, () -> client.get("k"), "a closed client");
        }
        finally
        {
            end.countDown();
        }
    }
}
