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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import static io.vireo.cluster.etcd.GatewayJson.MAPPER;
import static io.vireo.cluster.etcd.GatewayJson.bool;
import static io.vireo.cluster.etcd.GatewayJson.int64;

/**
 * How {@link EtcdClient} reaches the gateway: HTTP/1.1 POSTs of JSON to the endpoints in turn from the one that
 * answered last, each within the request timeout, an "unavailable" answer taken as a reason to try the next, and
 * the store's error answers turned into {@link EtcdException}s; the status of every endpoint at once. Thread-safe.
 */
final class GatewayTransport
{
    /** Reads the body of a successful answer. */
    @FunctionalInterface
    interface Decoder<T>
    {
        T decode(byte[] body) throws IOException;
    }

    /** Reads an answer into a tree, and takes an error in it for an error (a lease grant's, a stream's). */
    static final Decoder<JsonNode> TREE = MAPPER::readTree;

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
    private final HttpClient http;
    /** The endpoint that answered last: where the next request goes first. */
    private final AtomicInteger current = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param endpoints      the members' client URLs, e.g. {@code http://10.0.0.1:2379}, tried in this order.
     * @param requestTimeout how long one endpoint may take to connect and to answer one request.
     */
    GatewayTransport(final List<URI> endpoints, final Duration requestTimeout)
    {
        if (endpoints.isEmpty())
        {
            throw new IllegalArgumentException("no etcd endpoint");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero())
        {
            throw new IllegalArgumentException("request timeout must be positive: " + requestTimeout);
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
        // HTTP/1.1: etcd serves gRPC and the gateway on one port and takes HTTP/2 for gRPC.
        this.http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(requestTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    }

    /**
     * Asks every endpoint for its status (all at once, each within the request timeout), and the first that
     * answers for the members. Never fails: an endpoint that does not answer is listed as not reachable.
     */
    StoreStatus status()
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
     * Refuses further requests. (On Java 21 and later it also closes the HTTP client; on 17 its daemon threads
     * end when it is collected.)
     */
    void close()
    {
        closed = true;
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

    HttpClient http()
    {
        return http;
    }

    Duration requestTimeout()
    {
        return requestTimeout;
    }

    List<URI> endpoints()
    {
        return endpoints;
    }

    int currentIndex()
    {
        return current.get();
    }

    boolean isClosed()
    {
        return closed;
    }

    /** The request that posts {@code body} to {@code path} on {@code endpoint}, within the request timeout. */
    private HttpRequest request(final URI endpoint, final String path, final byte[] body)
    {
        return HttpRequest.newBuilder(URI.create(endpoint + path))
            .timeout(requestTimeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    }

    /** A one-line reason for an exception the HTTP client threw on a request to an endpoint. */
    private String describe(final Throwable ex)
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
    JsonNode call(final String what, final String path, final ObjectNode body) throws EtcdException
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
    <T> T call(final String what, final String path, final ObjectNode body, final Decoder<T> decoder)
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
}
