package io.vireo.cluster.etcd;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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

    private final GatewayTransport transport;
    private final int pageSize;
    private final AtomicInteger watchSequence = new AtomicInteger();
    private final Set<GatewayWatch> watches = ConcurrentHashMap.newKeySet();

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
        if (pageSize < 1)
        {
            throw new IllegalArgumentException("page size must be positive: " + pageSize);
        }
        this.transport = new GatewayTransport(endpoints, requestTimeout);
        this.pageSize = pageSize;
    }

    /**
     * @return the endpoints, in the order given.
     */
    public List<URI> endpoints()
    {
        return transport.endpoints();
    }

    /**
     * @return the endpoint the next request goes to first (the one that answered last).
     */
    public URI currentEndpoint()
    {
        return transport.endpoints().get(transport.currentIndex());
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
            final GatewayJson.RangePage page = transport.call(
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
        final GatewayJson.RangePage page = transport.call(
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
        return headerRevision(transport.call("put " + key, "/v3/kv/put", GatewayJson.putRequest(utf8(key), value, lease)));
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
            revision = headerRevision(transport.call(what, "/v3/kv/txn", txn));
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
        return bool(transport.call("create " + key, "/v3/kv/txn", txn), "succeeded");
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
        return bool(transport.call("replace " + key, "/v3/kv/txn", txn), "succeeded");
    }

    /**
     * @return true if the key existed.
     */
    public boolean delete(final String key) throws EtcdException
    {
        final JsonNode response = transport.call("delete " + key, "/v3/kv/deleterange", GatewayJson.deleteRangeRequest(utf8(key), null));
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
        return bool(transport.call("delete " + key + " if at " + modRevision, "/v3/kv/txn", txn), "succeeded");
    }

    /**
     * @return the number of keys deleted.
     */
    public long deletePrefix(final String prefix) throws EtcdException
    {
        final byte[] key = utf8(prefix);
        final JsonNode response = transport.call(
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
        return int64(transport.call("grant lease of " + ttlSeconds + " s", "/v3/lease/grant", request), "ID");
    }

    /**
     * Renews a lease once (one round of the keep-alive stream).
     *
     * @return the lease's TTL in seconds from now; 0 or less when it no longer exists (expired or revoked).
     */
    public long keepAlive(final long lease) throws EtcdException
    {
        final JsonNode response = transport.call("keep lease " + lease + " alive", "/v3/lease/keepalive", GatewayJson.leaseRequest(lease));
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
            transport.call("revoke lease " + lease, "/v3/kv/lease/revoke", GatewayJson.leaseRequest(lease));
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
        transport.call("compact at " + revision, "/v3/kv/compaction", request);
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
        return transport.status();
    }

    /**
     * Stops every watch and refuses further requests. (On Java 21 and later it also closes the HTTP client;
     * on 17 its daemon threads end when it is collected.)
     */
    @Override
    public void close()
    {
        for (final GatewayWatch watch : watches)
        {
            watch.close();
        }
        transport.close();
    }

    /** What the watches share with the client. */
    GatewayTransport transport()
    {
        return transport;
    }

    void removed(final GatewayWatch watch)
    {
        watches.remove(watch);
    }

    private void ensureOpenUnchecked()
    {
        if (transport.isClosed())
        {
            throw new IllegalStateException("the etcd client is closed");
        }
    }
}
