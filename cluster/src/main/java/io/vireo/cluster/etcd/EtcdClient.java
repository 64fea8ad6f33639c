package io.vireo.cluster.etcd;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import static io.vireo.cluster.etcd.GatewayJson.MAPPER;
import static io.vireo.cluster.etcd.GatewayJson.bool;
import static io.vireo.cluster.etcd.GatewayJson.headerRevision;
import static io.vireo.cluster.etcd.GatewayJson.int64;
import static io.vireo.cluster.etcd.GatewayJson.keyAfter;
import static io.vireo.cluster.etcd.GatewayJson.prefixEnd;
import static io.vireo.cluster.etcd.GatewayJson.utf8;

/**
 * An etcd v3 client over etcd's gRPC-JSON gateway: HTTP/1.1 POSTs of JSON to {@code /v3/...} on the members'
 * client URLs, through the JDK's {@link HttpClient}. It needs no gRPC, Netty or Vert.x, so it sits in the
 * switch's jar next to its Netty without a second one (benches/etcd-client/README.md has the measurements
 * behind that choice). Thread-safe: any thread may call any method.
 * <p>
 * <b>Endpoints.</b> A request goes to the endpoint that answered last (the first at the start); when that one
 * refuses the connection, times out ({@code requestTimeout}), breaks the connection, or answers "unavailable"
 * (no leader, request timed out, leader changed), the next is tried, round the list once. The one that
 * answers is the one the next request goes to. When none answers the request fails with an
 * {@link EtcdException} that is {@link EtcdException#unreachable() unreachable} and names every endpoint and
 * what it did. An error the store answered (an unknown lease, a compacted revision) is not retried. A write
 * that timed out may still have been applied, as with any client: a {@link #create} retried on the next
 * endpoint after a timeout may then find the key it created itself and answer false.
 * <p>
 * <b>Keys and values.</b> Keys are UTF-8 strings; values are bytes. A prefix covers every key that starts
 * with its bytes (the empty prefix: every key).
 * <p>
 * <b>Watches.</b> {@link #watch} streams the events under a prefix on a daemon thread of its own, resuming on
 * another endpoint when the stream breaks (see {@link WatchListener}).
 */
public final class EtcdClient implements AutoCloseable
{
    /** Keys a {@link #range} asks for per request. */
    public static final int DEFAULT_PAGE_SIZE = 5000;

    /**
     * Operations etcd takes in one transaction by default (its {@code --max-txn-ops}): the batch size of
     * {@link #putAll(List)}.
     */
    public static final int DEFAULT_MAX_TXN_OPS = 128;

    /** Times {@link #range} starts again when the revision it reads at is compacted between two pages. */
    private static final int RANGE_ATTEMPTS = 3;

    /**
     * One put of a {@link #putAll} batch.
     *
     * @param key   the key.
     * @param value its value.
     * @param lease the lease to attach it to, 0 for none.
     */
    public record Put(String key, byte[] value, long lease)
    {
    }

    /**
     * A key and its value as the store has it.
     *
     * @param key            the key.
     * @param value          its value (empty in a DELETE event).
     * @param createRevision the revision of the put that created it.
     * @param modRevision    the revision of its last put (of a DELETE event: of the delete).
     * @param version        puts since it was created, from 1.
     * @param lease          the lease it is attached to, 0 if none.
     */
    public record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version, long lease)
    {
        /**
         * @return the value as UTF-8 text.
         */
        public String valueUtf8()
        {
            return new String(value, StandardCharsets.UTF_8);
        }

        @Override
        public String toString()
        {
            return "KeyValue[key=" + key + ", value=" + value.length + " bytes, createRevision=" + createRevision +
                ", modRevision=" + modRevision + ", version=" + version + ", lease=" + lease + "]";
        }
    }

    /**
     * The keys under a prefix as they were at one revision.
     *
     * @param revision the store revision they were read at.
     * @param kvs      sorted by key (by its UTF-8 bytes, unsigned).
     */
    public record Range(long revision, List<KeyValue> kvs)
    {
    }

    /**
     * A change to a key.
     *
     * @param type what happened.
     * @param kv   the key as the change left it; of a DELETE only the key and modRevision (the delete's revision).
     */
    public record Event(Type type, KeyValue kv)
    {
        /** A put (creation or update) or a deletion (also by lease expiry). */
        public enum Type
        {
            PUT, DELETE
        }
    }

    /**
     * What a {@link #watch} tells, one call at a time on the watch's thread. A listener must not throw: what it
     * throws stops the watch and goes to the thread's uncaught-exception handler.
     */
    public interface WatchListener
    {
        /**
         * Changes, in store order. One revision's events (one transaction) always come in one call.
         *
         * @param revision the header revision of the response that brought them: the store's revision when it
         *                 was sent. While the watch catches up from an old revision, events up to it may still
         *                 come; {@link Watch#lastRevision()} is the revision up to which all have come.
         * @param events   not empty.
         */
        void events(long revision, List<Event> events);

        /**
         * The revision the watch would start from has been compacted away: events were lost. The watch has
         * stopped; read the state again ({@link #range}) and watch from the revision after it.
         *
         * @param compactRevision the oldest revision the store still has.
         */
        void compacted(long compactRevision);

        /**
         * The stream was lost (false), or established again after a loss (true). While it is down the watch
         * tries the endpoints in turn, backing off from 100 ms to 2 s between attempts, and resumes from the
         * revision after the last it delivered, so no event is lost or repeated. Told once per change of state
         * (not for each failed attempt); not told when the watch first starts.
         */
        void connection(boolean up);
    }

    /** A running watch. */
    public interface Watch extends AutoCloseable
    {
        /**
         * @return the revision up to which every event has been delivered (of the last event, or of a progress
         * notification); the watch resumes after it.
         */
        long lastRevision();

        /** Stops the watch: its thread ends promptly and the listener is told nothing more. */
        @Override
        void close();
    }

    /** Reads the body of a successful answer. */
    @FunctionalInterface
    private interface Decoder<T>
    {
        T decode(byte[] body) throws IOException;
    }

    /** Reads an answer into a tree, and takes an error in it for an error (a lease grant's, a stream's). */
    private static final Decoder<JsonNode> TREE = MAPPER::readTree;

    /** An endpoint failed in a way another endpoint may not: the reason, in a few words. */
    private static final class Unreachable extends Exception
    {
        private static final long serialVersionUID = 1L;

        Unreachable(final String reason, final Throwable cause)
        {
            super(reason, cause, false, false);
        }
    }

    private final List<URI> endpoints;
    private final Duration requestTimeout;
    private final int pageSize;
    private final HttpClient http;
    /** The endpoint that answered last: where the next request goes first. */
    private final AtomicInteger current = new AtomicInteger();
    private final AtomicInteger watchSequence = new AtomicInteger();
    private final Set<GatewayWatch> watches = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param endpoints      the members' client URLs, e.g. {@code http://10.0.0.1:2379}, tried in this order.
     * @param requestTimeout how long one endpoint may take to connect and to answer one request.
     */
    public EtcdClient(final List<URI> endpoints, final Duration requestTimeout)
    {
        this(endpoints, requestTimeout, DEFAULT_PAGE_SIZE);
    }

    /**
     * @param endpoints      the members' client URLs, e.g. {@code http://10.0.0.1:2379}, tried in this order.
     * @param requestTimeout how long one endpoint may take to connect and to answer one request.
     * @param pageSize       keys a {@link #range} asks for per request.
     */
    public EtcdClient(final List<URI> endpoints, final Duration requestTimeout, final int pageSize)
    {
        if (endpoints.isEmpty())
        {
            throw new IllegalArgumentException("no etcd endpoint");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero())
        {
            throw new IllegalArgumentException("request timeout must be positive: " + requestTimeout);
        }
        if (pageSize < 1)
        {
            throw new IllegalArgumentException("page size must be positive: " + pageSize);
        }
        final List<URI> checked = new ArrayList<>(endpoints.size());
        for (final URI endpoint : endpoints)
        {
            if (!("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme())) ||
                endpoint.getHost() == null)
            {
                throw new IllegalArgumentException("not an http(s) URL of an etcd endpoint: " + endpoint);
            }
            final String text = endpoint.toString();
            checked.add(URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text));
        }
        this.endpoints = List.copyOf(checked);
        this.requestTimeout = requestTimeout;
        this.pageSize = pageSize;
        // HTTP/1.1: etcd serves gRPC and the gateway on one port and takes HTTP/2 for gRPC.
        this.http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(requestTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    }

    /**
     * @return the endpoints, in the order given.
     */
    public List<URI> endpoints()
    {
        return endpoints;
    }

    /**
     * @return the endpoint the next request goes to first (the one that answered last).
     */
    public URI currentEndpoint()
    {
        return endpoints.get(current.get());
    }

    /**
     * Every key under {@code prefix}, at one revision: read in pages of the page size, the later pages at the
     * revision of the first. If that revision is compacted before the last page, it starts again (three
     * times at most).
     *
     * @return the keys, sorted, and the revision they were read at.
     */
    public Range range(final String prefix) throws EtcdException
    {
        final byte[] key = utf8(prefix);
        final byte[] end = prefixEnd(key);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return rangeAtOneRevision(prefix, key, end);
            }
            catch (final EtcdException ex)
            {
                if (ex.grpcCode() != GatewayJson.OUT_OF_RANGE || attempt == RANGE_ATTEMPTS)
                {
                    throw ex;
                }
            }
        }
    }

    private Range rangeAtOneRevision(final String prefix, final byte[] key, final byte[] end) throws EtcdException
    {
        final List<KeyValue> kvs = new ArrayList<>();
        long revision = 0;
        byte[] from = key;
        while (true)
        {
            final GatewayJson.RangePage page = call(
                "range " + prefix, "/v3/kv/range", GatewayJson.rangeRequest(from, end, revision, pageSize), GatewayJson::rangePage);
            if (revision == 0)
            {
                revision = page.revision();
            }
            kvs.addAll(page.kvs());
            if (!page.more() || page.lastKey() == null)
            {
                return new Range(revision, Collections.unmodifiableList(kvs));
            }
            from = keyAfter(page.lastKey());
        }
    }

    /**
     * @return the key, if it exists.
     */
    public Optional<KeyValue> get(final String key) throws EtcdException
    {
        final GatewayJson.RangePage page = call(
            "get " + key, "/v3/kv/range", GatewayJson.rangeRequest(utf8(key), null, 0, 0), GatewayJson::rangePage);
        return page.kvs().isEmpty() ? Optional.empty() : Optional.of(page.kvs().get(0));
    }

    /**
     * Sets a key's value, creating it if needed.
     *
     * @param lease the lease to attach it to, 0 for none.
     * @return the store's revision after the put (the key's modRevision).
     */
    public long put(final String key, final byte[] value, final long lease) throws EtcdException
    {
        return headerRevision(call("put " + key, "/v3/kv/put", GatewayJson.putRequest(utf8(key), value, lease)));
    }

    /**
     * {@link #putAll(List, int)} in transactions of {@link #DEFAULT_MAX_TXN_OPS} puts.
     */
    public long putAll(final List<Put> puts) throws EtcdException
    {
        return putAll(puts, DEFAULT_MAX_TXN_OPS);
    }

    /**
     * Sets many keys, in order, in transactions of at most {@code maxOps} puts each (with no comparison): one
     * request and one store revision per transaction instead of per key, so a watcher sees each transaction's
     * puts as one revision's events. Each transaction is applied whole or not at all; the batch is not: a
     * failure leaves the transactions before it applied. etcd refuses a transaction that puts one key twice,
     * or that has more operations than its {@code --max-txn-ops} (128 unless it was started with more).
     *
     * @param maxOps puts per transaction, at least 1.
     * @return the store's revision after the last transaction; 0 for no puts (nothing is sent).
     */
    public long putAll(final List<Put> puts, final int maxOps) throws EtcdException
    {
        if (maxOps < 1)
        {
            throw new IllegalArgumentException("a transaction needs room for at least one put: " + maxOps);
        }
        long revision = 0;
        for (int first = 0; first < puts.size(); first += maxOps)
        {
            final int end = Math.min(puts.size(), first + maxOps);
            final ObjectNode txn = MAPPER.createObjectNode();
            final ArrayNode success = txn.putArray("success");
            for (int i = first; i < end; i++)
            {
                final Put put = puts.get(i);
                success.add(GatewayJson.requestPut(utf8(put.key()), put.value(), put.lease()));
            }
            final String what = "put " + (end - first) + " keys from " + puts.get(first).key();
            revision = headerRevision(call(what, "/v3/kv/txn", txn));
        }
        return revision;
    }

    /**
     * Creates a key if it does not exist (a transaction on its create_revision being 0).
     *
     * @param lease the lease to attach it to, 0 for none.
     * @return true if this call created it; false if it existed.
     */
    public boolean create(final String key, final byte[] value, final long lease) throws EtcdException
    {
        final byte[] keyBytes = utf8(key);
        final ObjectNode txn = GatewayJson.txnRequest(keyBytes, "CREATE", 0, GatewayJson.requestPut(keyBytes, value, lease));
        return bool(call("create " + key, "/v3/kv/txn", txn), "succeeded");
    }

    /**
     * Sets a key's value if it has not changed since {@code modRevision} (a transaction on its mod_revision).
     *
     * @param lease the lease to attach it to, 0 for none.
     * @return true if it was replaced; false if it changed or does not exist.
     */
    public boolean replace(final String key, final long modRevision, final byte[] value, final long lease)
        throws EtcdException
    {
        final byte[] keyBytes = utf8(key);
        final ObjectNode txn = GatewayJson.txnRequest(
            keyBytes, "MOD", modRevision, GatewayJson.requestPut(keyBytes, value, lease));
        return bool(call("replace " + key, "/v3/kv/txn", txn), "succeeded");
    }

    /**
     * @return true if the key existed.
     */
    public boolean delete(final String key) throws EtcdException
    {
        final JsonNode response = call("delete " + key, "/v3/kv/deleterange", GatewayJson.deleteRangeRequest(utf8(key), null));
        return int64(response, "deleted") > 0;
    }

    /**
     * Deletes a key if it has not changed since {@code modRevision}.
     *
     * @return true if it was deleted; false if it changed or does not exist.
     */
    public boolean deleteIf(final String key, final long modRevision) throws EtcdException
    {
        final byte[] keyBytes = utf8(key);
        final ObjectNode txn = GatewayJson.txnRequest(keyBytes, "MOD", modRevision, GatewayJson.requestDelete(keyBytes));
        return bool(call("delete " + key + " if at " + modRevision, "/v3/kv/txn", txn), "succeeded");
    }

    /**
     * @return the number of keys deleted.
     */
    public long deletePrefix(final String prefix) throws EtcdException
    {
        final byte[] key = utf8(prefix);
        final JsonNode response = call(
            "delete prefix " + prefix, "/v3/kv/deleterange", GatewayJson.deleteRangeRequest(key, prefixEnd(key)));
        return int64(response, "deleted");
    }

    /**
     * Grants a lease: the keys attached to it are deleted when it expires, {@code ttlSeconds} after it was
     * granted or last kept alive (etcd raises a TTL below its minimum, 1.5 election timeouts, to that minimum).
     *
     * @return the lease id.
     */
    public long grantLease(final long ttlSeconds) throws EtcdException
    {
        final ObjectNode request = MAPPER.createObjectNode().put("TTL", Long.toString(ttlSeconds));
        return int64(call("grant lease of " + ttlSeconds + " s", "/v3/lease/grant", request), "ID");
    }

    /**
     * Renews a lease once (one round of the keep-alive stream).
     *
     * @return the lease's TTL in seconds from now; 0 or less when it no longer exists (expired or revoked).
     */
    public long keepAlive(final long lease) throws EtcdException
    {
        final JsonNode response = call("keep lease " + lease + " alive", "/v3/lease/keepalive", GatewayJson.leaseRequest(lease));
        final JsonNode result = response.get("result");
        return result == null ? 0 : int64(result, "TTL");
    }

    /**
     * Revokes a lease, deleting the keys attached to it. A lease that no longer exists is not an error.
     */
    public void revoke(final long lease) throws EtcdException
    {
        try
        {
            call("revoke lease " + lease, "/v3/kv/lease/revoke", GatewayJson.leaseRequest(lease));
        }
        catch (final EtcdException ex)
        {
            if (ex.grpcCode() != GatewayJson.NOT_FOUND)
            {
                throw ex;
            }
        }
    }

    /**
     * Compacts the store's history up to {@code revision}: watches and ranges at older revisions fail after.
     *
     * @param physical wait until the compaction is written to the backend.
     */
    public void compact(final long revision, final boolean physical) throws EtcdException
    {
        final ObjectNode request = MAPPER.createObjectNode().put("revision", Long.toString(revision)).put("physical", physical);
        call("compact at " + revision, "/v3/kv/compaction", request);
    }

    /**
     * Watches every key under {@code prefix}, from {@code fromRevision} on, on a daemon thread of its own
     * ({@code vireo-etcd-watch-N}). Returns at once: the stream is opened on that thread, and a failure to open
     * it is told as {@link WatchListener#connection connection(false)}.
     *
     * @param fromRevision the first revision whose events to deliver; 0 or less: from now on.
     * @throws IllegalStateException if the client is closed.
     */
    public Watch watch(final String prefix, final long fromRevision, final WatchListener listener)
    {
        ensureOpenUnchecked();
        final GatewayWatch watch = new GatewayWatch(
            this, "vireo-etcd-watch-" + watchSequence.incrementAndGet(), utf8(prefix), fromRevision, listener);
        watches.add(watch);
        watch.start();
        return watch;
    }

    /**
     * Asks every endpoint for its status (all at once, each within the request timeout), and the first that
     * answers for the members. Never fails: an endpoint that does not answer is listed as not reachable.
     */
    public StoreStatus status()
    {
        final byte[] body = { '{', '}' };
        final List<CompletableFuture<HttpResponse<byte[]>>> asked = new ArrayList<>(endpoints.size());
        for (final URI endpoint : endpoints)
        {
            asked.add(http.sendAsync(request(endpoint, "/v3/maintenance/status", body), HttpResponse.BodyHandlers.ofByteArray()));
        }
        final List<StoreStatus.EndpointStatus> statuses = new ArrayList<>(endpoints.size());
        for (int i = 0; i < endpoints.size(); i++)
        {
            statuses.add(endpointStatus(endpoints.get(i), asked.get(i)));
        }
        List<StoreStatus.Member> members = List.of();
        for (final StoreStatus.EndpointStatus status : statuses)
        {
            if (status.reachable())
            {
                try
                {
                    members = members(exchange("member list", status.url(), "/v3/cluster/member/list", body, TREE));
                    break;
                }
                catch (final Unreachable | EtcdException ex)
                {
                    // the next reachable one may answer
                }
            }
        }
        return new StoreStatus(List.copyOf(statuses), members);
    }

    private StoreStatus.EndpointStatus endpointStatus(final URI endpoint, final CompletableFuture<HttpResponse<byte[]>> asked)
    {
        String error;
        try
        {
            final JsonNode status = answer("status", endpoint, asked.get(), TREE);
            final JsonNode header = status.path("header");
            return new StoreStatus.EndpointStatus(
                endpoint, true, "", GatewayJson.text(status, "version"), int64(status, "leader"),
                int64(header, "member_id"), int64(status, "raftTerm", "raft_term"), int64(header, "revision"),
                int64(status, "dbSize", "db_size"));
        }
        catch (final ExecutionException ex)
        {
            error = describe(ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        catch (final Unreachable ex)
        {
            error = ex.getMessage();
        }
        catch (final EtcdException ex)
        {
            error = ex.getMessage();
        }
        return new StoreStatus.EndpointStatus(endpoint, false, error, "", 0, 0, 0, 0, 0);
    }

    private static List<StoreStatus.Member> members(final JsonNode response)
    {
        final List<StoreStatus.Member> members = new ArrayList<>();
        for (final JsonNode member : response.path("members"))
        {
            members.add(new StoreStatus.Member(
                int64(member, "ID"), GatewayJson.text(member, "name"), strings(member.path("peerURLs")),
                strings(member.path("clientURLs")), bool(member, "isLearner")));
        }
        return List.copyOf(members);
    }

    private static List<String> strings(final JsonNode array)
    {
        final List<String> strings = new ArrayList<>();
        for (final JsonNode node : array)
        {
            strings.add(node.asText());
        }
        return List.copyOf(strings);
    }

    /**
     * Stops every watch and refuses further requests. (On Java 21 and later it also closes the HTTP client;
     * on 17 its daemon threads end when it is collected.)
     */
    @Override
    public void close()
    {
        closed = true;
        for (final GatewayWatch watch : watches)
        {
            watch.close();
        }
        if (http instanceof AutoCloseable closeable)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception ex)
            {
                // nothing more to release
            }
        }
    }

    // What the watches share with the client.

    HttpClient http()
    {
        return http;
    }

    Duration requestTimeout()
    {
        return requestTimeout;
    }

    int currentIndex()
    {
        return current.get();
    }

    void removed(final GatewayWatch watch)
    {
        watches.remove(watch);
    }

    boolean isClosed()
    {
        return closed;
    }

    /** The request that posts {@code body} to {@code path} on {@code endpoint}, within the request timeout. */
    HttpRequest request(final URI endpoint, final String path, final byte[] body)
    {
        return HttpRequest.newBuilder(URI.create(endpoint + path))
            .timeout(requestTimeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    }

    /** A one-line reason for an exception the HTTP client threw on a request to an endpoint. */
    String describe(final Throwable ex)
    {
        if (ex instanceof HttpConnectTimeoutException)
        {
            return "connect timed out after " + requestTimeout.toMillis() + " ms";
        }
        if (ex instanceof HttpTimeoutException)
        {
            return "timed out after " + requestTimeout.toMillis() + " ms";
        }
        if (ex instanceof ConnectException || ex.getCause() instanceof ConnectException)
        {
            return "connection refused";
        }
        final String message = ex.getMessage();
        return message == null || message.isEmpty() ? ex.getClass().getSimpleName() : message;
    }

    // Sending.

    /** {@link #call(String, String, ObjectNode, Decoder)} with the answer read into a tree. */
    private JsonNode call(final String what, final String path, final ObjectNode body) throws EtcdException
    {
        return call(what, path, body, TREE);
    }

    /**
     * Posts a request to the endpoints in turn from the current one, until one serves it.
     *
     * @param what    for messages: the request in a few words.
     * @param decoder reads the body of a successful answer.
     * @throws EtcdException unreachable if none served it; or the error the store answered.
     */
    private <T> T call(final String what, final String path, final ObjectNode body, final Decoder<T> decoder)
        throws EtcdException
    {
        ensureOpen(what);
        final byte[] bytes;
        try
        {
            bytes = MAPPER.writeValueAsBytes(body);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot write JSON of " + what, ex);
        }
        final int size = endpoints.size();
        final int first = current.get();
        final StringBuilder reasons = new StringBuilder();
        Unreachable last = null;
        for (int i = 0; i < size; i++)
        {
            final int index = (first + i) % size;
            final URI endpoint = endpoints.get(index);
            try
            {
                final T response = exchange(what, endpoint, path, bytes, decoder);
                current.set(index);
                return response;
            }
            catch (final EtcdException ex)
            {
                // it answered: the next request goes to it too
                current.set(index);
                throw ex;
            }
            catch (final Unreachable ex)
            {
                reasons.append(reasons.length() == 0 ? "" : "; ").append(endpoint).append(": ").append(ex.getMessage());
                last = ex;
            }
        }
        throw new EtcdException(what + ": " + reasons, true, codeOf(last), last == null ? null : last.getCause());
    }

    private static int codeOf(final Unreachable unreachable)
    {
        return unreachable != null && unreachable.getCause() instanceof EtcdException answered ?
            answered.grpcCode() : EtcdException.NO_CODE;
    }

    /**
     * Posts one request to one endpoint, again once if the connection broke (the pool may have handed out a
     * connection the server had closed, after a restart).
     *
     * @throws Unreachable   the endpoint did not serve it; another may.
     * @throws EtcdException the store answered an error.
     */
    private <T> T exchange(
        final String what, final URI endpoint, final String path, final byte[] body, final Decoder<T> decoder)
        throws Unreachable, EtcdException
    {
        final HttpRequest request = request(endpoint, path, body);
        HttpResponse<byte[]> response = null;
        for (int attempt = 1; response == null; attempt++)
        {
            try
            {
                response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            }
            catch (final HttpTimeoutException | ConnectException ex)
            {
                throw new Unreachable(describe(ex), ex);
            }
            catch (final IOException ex)
            {
                if (attempt == 2 || ex.getCause() instanceof ConnectException)
                {
                    throw new Unreachable(describe(ex), ex);
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new EtcdException(what + ": " + endpoint + ": interrupted", true, EtcdException.NO_CODE, ex);
            }
        }
        return answer(what, endpoint, response, decoder);
    }

    /**
     * What an endpoint answered: the JSON of a success.
     *
     * @throws Unreachable   it answered "unavailable" (no leader, request timed out, leader changed).
     * @throws EtcdException it answered another error.
     */
    @SuppressWarnings("unchecked")
    private static <T> T answer(
        final String what, final URI endpoint, final HttpResponse<byte[]> response, final Decoder<T> decoder)
        throws Unreachable, EtcdException
    {
        if (response.statusCode() == 200 && decoder != TREE)
        {
            try
            {
                return decoder.decode(response.body());
            }
            catch (final IOException | RuntimeException ex)
            {
                throw new EtcdException(what + ": " + endpoint + ": cannot read the answer: " + ex.getMessage(), false,
                    EtcdException.NO_CODE, ex);
            }
        }
        final JsonNode json;
        try
        {
            json = MAPPER.readTree(response.body());
        }
        catch (final IOException ex)
        {
            throw new EtcdException(what + ": " + endpoint + ": HTTP " + response.statusCode() + ", not JSON: " +
                snippet(response.body()), false, EtcdException.NO_CODE, ex);
        }
        final GatewayJson.Error error = json == null ? null : GatewayJson.error(json);
        if (error == null && response.statusCode() == 200 && json != null && json.isObject())
        {
            return (T)json;
        }
        final String message = error == null ?
            "HTTP " + response.statusCode() + ": " + snippet(response.body()) :
            error.message() + (error.code() == EtcdException.NO_CODE ? "" : " (code " + error.code() + ")");
        final int code = error == null ? EtcdException.NO_CODE : error.code();
        final EtcdException answered = new EtcdException(what + ": " + endpoint + ": " + message, false, code, null);
        if (code == GatewayJson.UNAVAILABLE)
        {
            throw new Unreachable(message, answered);
        }
        throw answered;
    }

    private static String snippet(final byte[] body)
    {
        final String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
        return text.replace('\n', ' ').strip();
    }

    private void ensureOpen(final String what) throws EtcdException
    {
        if (closed)
        {
            throw new EtcdException(what + ": the client is closed", false, EtcdException.NO_CODE, null);
        }
    }

    private void ensureOpenUnchecked()
    {
        if (closed)
        {
            throw new IllegalStateException("the etcd client is closed");
        }
    }
}
