package io.vireo.cluster.etcd;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The gateway asked directly, for what the tests check the client against: bulk writes, one-request ranges. */
final class RawGateway
{
    /** etcd's default --max-txn-ops. */
    static final int MAX_TXN_OPS = 128;

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private RawGateway()
    {
    }

    static JsonNode post(final URI endpoint, final String path, final JsonNode body) throws IOException, InterruptedException
    {
        final HttpResponse<byte[]> response = HTTP.send(
            HttpRequest.newBuilder(URI.create(endpoint + path))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(GatewayJson.MAPPER.writeValueAsBytes(body)))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
        final JsonNode json = GatewayJson.MAPPER.readTree(response.body());
        if (response.statusCode() != 200)
        {
            throw new IOException(path + ": HTTP " + response.statusCode() + ": " + json);
        }
        return json;
    }

    /**
     * Puts {@code count} keys {@code prefix + %06d} with {@code valueBytes} bytes each, in transactions of
     * {@link #MAX_TXN_OPS} puts.
     *
     * @return the revision after the last.
     */
    static long putMany(final URI endpoint, final String prefix, final int count, final int valueBytes)
        throws IOException, InterruptedException
    {
        long revision = 0;
        final byte[] value = new byte[valueBytes];
        for (int first = 0; first < count; first += MAX_TXN_OPS)
        {
            final ObjectNode txn = GatewayJson.MAPPER.createObjectNode();
            final ArrayNode success = txn.putArray("success");
            for (int i = first; i < Math.min(count, first + MAX_TXN_OPS); i++)
            {
                success.add(GatewayJson.requestPut(GatewayJson.utf8(String.format("%s%06d", prefix, i)), value, 0));
            }
            revision = GatewayJson.headerRevision(post(endpoint, "/v3/kv/txn", txn));
        }
        return revision;
    }

    /** Every key under {@code prefix} at {@code revision}, in one request with no limit. */
    static JsonNode rangeAt(final URI endpoint, final String prefix, final long revision) throws IOException, InterruptedException
    {
        final byte[] key = GatewayJson.utf8(prefix);
        return post(endpoint, "/v3/kv/range", GatewayJson.rangeRequest(key, GatewayJson.prefixEnd(key), revision, 0));
    }
}
