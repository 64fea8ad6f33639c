package io.vireo.cluster.etcd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON of etcd 3.4's gRPC gateway, both ways: the requests {@link EtcdClient} sends and what it reads of
 * the answers. The gateway maps each protobuf message to a JSON object; what matters here:
 * <ul>
 *   <li>{@code bytes} fields (keys, values, range ends) are base64 strings;</li>
 *   <li>{@code int64} fields (revisions, versions, lease ids, TTLs, counts) and {@code uint64} ones (member and
 *   cluster ids) come as JSON strings, and are sent as strings here too, since lease ids pass 2^53;</li>
 *   <li>a field at its default (0, false, empty, the first enum value) is left out: absent means 0;</li>
 *   <li>names are the proto names ({@code mod_revision}), except where a message declares another JSON name
 *   ({@code dbSize}, {@code raftTerm}, {@code ID}, {@code TTL}); the readers here take either;</li>
 *   <li>an error of a unary call is {@code {"error": "...", "code": 5, "message": "..."}} with an HTTP status
 *   other than 200; an error within a stream is a line {@code {"error": {"grpc_code": 14, "message": ...}}}.</li>
 * </ul>
 * Stateless; the one {@link ObjectMapper} is thread-safe.
 */
final class GatewayJson
{
    static final ObjectMapper MAPPER = new ObjectMapper();

    /** The gRPC status code of an unavailable server: no leader, request timed out, leader changed. */
    static final int UNAVAILABLE = 14;
    /** The gRPC status code of a compacted revision. */
    static final int OUT_OF_RANGE = 11;
    /** The gRPC status code of an unknown lease. */
    static final int NOT_FOUND = 5;

    private static final byte[] ALL_KEYS = { 0 };

    private GatewayJson()
    {
    }

    /** An error the gateway answered: its gRPC status code ({@link EtcdException#NO_CODE} if none) and message. */
    record Error(int code, String message)
    {
    }

    static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String base64(final byte[] bytes)
    {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /**
     * The range end that, with {@code prefix} as key, covers every key that starts with it: the prefix with its
     * last byte that is not 0xff incremented and what follows dropped. An empty prefix, or one of 0xff bytes only,
     * has no such end: {@code "\0"}, which etcd reads as "every key from the key on".
     */
    static byte[] prefixEnd(final byte[] prefix)
    {
        for (int i = prefix.length - 1; i >= 0; i--)
        {
            if (prefix[i] != (byte)0xff)
            {
                final byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return ALL_KEYS.clone();
    }

    /** The key a range's next page starts at: the smallest key after {@code key}, which is key + "\0". */
    static byte[] keyAfter(final byte[] key)
    {
        return Arrays.copyOf(key, key.length + 1);
    }

    /**
     * An int64 or uint64 field: a JSON string or number; absent (the default) is 0. A uint64 above
     * {@link Long#MAX_VALUE} (member ids, cluster ids) comes back as the long with the same 64 bits (negative).
     */
    static long int64(final JsonNode parent, final String field)
    {
        final JsonNode node = parent.get(field);
        if (node == null || node.isNull())
        {
            return 0;
        }
        if (node.isNumber())
        {
            return node.longValue();
        }
        try
        {
            final String text = node.asText();
            return text.startsWith("-") ? Long.parseLong(text) : Long.parseUnsignedLong(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("field " + field + " is not an int64: " + node, ex);
        }
    }

    /** An int64 field under either of two names (the proto name and the JSON name of a field). */
    static long int64(final JsonNode parent, final String field, final String otherName)
    {
        return parent.has(field) ? int64(parent, field) : int64(parent, otherName);
    }

    static boolean bool(final JsonNode parent, final String field)
    {
        final JsonNode node = parent.get(field);
        return node != null && (node.isBoolean() ? node.booleanValue() : "true".equals(node.asText()));
    }

    static String text(final JsonNode parent, final String field)
    {
        final JsonNode node = parent.get(field);
        return node == null || node.isNull() ? "" : node.asText();
    }

    static byte[] bytes(final JsonNode parent, final String field)
    {
        final JsonNode node = parent.get(field);
        return node == null || node.isNull() ? new byte[0] : Base64.getDecoder().decode(node.asText());
    }

    /** The revision in a response's {@code header}. */
    static long headerRevision(final JsonNode response)
    {
        final JsonNode header = response.get("header");
        return header == null ? 0 : int64(header, "revision");
    }

    static EtcdClient.KeyValue keyValue(final JsonNode kv)
    {
        return new EtcdClient.KeyValue(
            new String(bytes(kv, "key"), StandardCharsets.UTF_8),
            bytes(kv, "value"),
            int64(kv, "create_revision"),
            int64(kv, "mod_revision"),
            int64(kv, "version"),
            int64(kv, "lease"));
    }

    /** The {@code kvs} of a range response, in the order the store gave them (by key); none when absent. */
    static List<EtcdClient.KeyValue> keyValues(final JsonNode rangeResponse)
    {
        final JsonNode kvs = rangeResponse.get("kvs");
        if (kvs == null || !kvs.isArray() || kvs.isEmpty())
        {
            return Collections.emptyList();
        }
        final List<EtcdClient.KeyValue> list = new ArrayList<>(kvs.size());
        for (final JsonNode kv : kvs)
        {
            list.add(keyValue(kv));
        }
        return list;
    }

    /** The {@code events} of a watch response (its {@code result}); none when absent. */
    static List<EtcdClient.Event> events(final JsonNode watchResult)
    {
        final JsonNode events = watchResult.get("events");
        if (events == null || !events.isArray() || events.isEmpty())
        {
            return Collections.emptyList();
        }
        final List<EtcdClient.Event> list = new ArrayList<>(events.size());
        for (final JsonNode event : events)
        {
            final EtcdClient.Event.Type type = "DELETE".equals(text(event, "type")) || "1".equals(text(event, "type")) ?
                EtcdClient.Event.Type.DELETE : EtcdClient.Event.Type.PUT;
            final JsonNode kv = event.get("kv");
            list.add(new EtcdClient.Event(type, keyValue(kv == null ? MAPPER.createObjectNode() : kv)));
        }
        return list;
    }

    /**
     * The error in an answer, or null if there is none: a unary call's {@code {"error": "...", "code": N}}, or a
     * stream's {@code {"error": {"grpc_code": N, "message": "..."}}}.
     */
    static Error error(final JsonNode answer)
    {
        final JsonNode error = answer.get("error");
        if (error == null || error.isNull())
        {
            return null;
        }
        if (error.isObject())
        {
            final int code = error.has("grpc_code") ? (int)int64(error, "grpc_code") : EtcdException.NO_CODE;
            final String message = text(error, "message");
            return new Error(code, message.isEmpty() ? error.toString() : message);
        }
        final int code = answer.has("code") ? (int)int64(answer, "code") : EtcdException.NO_CODE;
        final String message = text(answer, "message");
        return new Error(code, message.isEmpty() ? error.asText() : message);
    }

    // Requests.

    static ObjectNode rangeRequest(final byte[] key, final byte[] rangeEnd, final long revision, final long limit)
    {
        final ObjectNode request = MAPPER.createObjectNode().put("key", base64(key));
        if (rangeEnd != null)
        {
            request.put("range_end", base64(rangeEnd));
        }
        if (revision > 0)
        {
            request.put("revision", Long.toString(revision));
        }
        if (limit > 0)
        {
            request.put("limit", Long.toString(limit));
        }
        return request;
    }

    static ObjectNode putRequest(final byte[] key, final byte[] value, final long lease)
    {
        final ObjectNode request = MAPPER.createObjectNode().put("key", base64(key)).put("value", base64(value));
        if (lease != 0)
        {
            request.put("lease", Long.toString(lease));
        }
        return request;
    }

    static ObjectNode deleteRangeRequest(final byte[] key, final byte[] rangeEnd)
    {
        final ObjectNode request = MAPPER.createObjectNode().put("key", base64(key));
        if (rangeEnd != null)
        {
            request.put("range_end", base64(rangeEnd));
        }
        return request;
    }

    /**
     * A transaction of one comparison and one operation: if {@code target} (CREATE: create_revision, MOD:
     * mod_revision) of {@code key} equals {@code revision}, {@code success} (a request_put or
     * request_delete_range), else nothing.
     */
    static ObjectNode txnRequest(final byte[] key, final String target, final long revision, final ObjectNode success)
    {
        final ObjectNode request = MAPPER.createObjectNode();
        final ObjectNode compare = request.putArray("compare").addObject()
            .put("key", base64(key))
            .put("target", target)
            .put("result", "EQUAL");
        compare.put("CREATE".equals(target) ? "create_revision" : "mod_revision", Long.toString(revision));
        request.putArray("success").add(success);
        return request;
    }

    static ObjectNode requestPut(final byte[] key, final byte[] value, final long lease)
    {
        final ObjectNode op = MAPPER.createObjectNode();
        op.set("request_put", putRequest(key, value, lease));
        return op;
    }

    static ObjectNode requestDelete(final byte[] key)
    {
        final ObjectNode op = MAPPER.createObjectNode();
        op.set("request_delete_range", deleteRangeRequest(key, null));
        return op;
    }

    /**
     * A watch's create_request: every key under {@code prefix} from {@code startRevision} (0: from now on),
     * with progress notifications, without previous values.
     */
    static ObjectNode watchCreateRequest(final byte[] prefix, final long startRevision)
    {
        final ObjectNode request = MAPPER.createObjectNode();
        final ObjectNode create = request.putObject("create_request")
            .put("key", base64(prefix))
            .put("range_end", base64(prefixEnd(prefix)))
            .put("progress_notify", true)
            .put("prev_kv", false);
        if (startRevision > 0)
        {
            create.put("start_revision", Long.toString(startRevision));
        }
        return request;
    }

    static ObjectNode leaseRequest(final long lease)
    {
        return MAPPER.createObjectNode().put("ID", Long.toString(lease));
    }
}
