package io.vireo.cluster.etcd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
    private static final byte[] NO_BYTES = {};

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
        return parseLong(node.asText(), field);
    }

    private static long parseLong(final String text, final String field)
    {
        try
        {
            return text.startsWith("-") ? Long.parseLong(text) : Long.parseUnsignedLong(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("field " + field + " is not an int64: \"" + text + "\"", ex);
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

    /** The revision in a response's {@code header}. */
    static long headerRevision(final JsonNode response)
    {
        final JsonNode header = response.get("header");
        return header == null ? 0 : int64(header, "revision");
    }

    // Streaming readers, for what can be large: a range's pages and a watch's messages. They read tokens
    // straight into KeyValues (Jackson decodes the base64 itself), without a tree or a line in between.

    /**
     * A page of a range as read.
     *
     * @param revision the header revision.
     * @param kvs      the page's keys, in the store's order.
     * @param more     keys follow beyond the limit.
     * @param lastKey  the last key's bytes (null if none), where the next page starts after.
     */
    record RangePage(long revision, List<EtcdClient.KeyValue> kvs, boolean more, byte[] lastKey)
    {
    }

    /**
     * One message of a watch stream: an error, or a WatchResponse.
     *
     * @param error           the stream's error, or null.
     * @param revision        the header revision (0 when absent, as in a cancellation).
     * @param created         the answer to the create_request.
     * @param canceled        the watch is cancelled.
     * @param compactRevision above 0: the start revision was compacted, this is the oldest left.
     * @param cancelReason    why it was cancelled, if it says.
     * @param events          the changes, in store order.
     */
    record WatchMessage(
        Error error, long revision, boolean created, boolean canceled, long compactRevision, String cancelReason,
        List<EtcdClient.Event> events)
    {
    }

    /** Reads a range response: {@code {"header": {...}, "kvs": [...], "more": true, "count": "N"}}. */
    static RangePage rangePage(final byte[] body) throws IOException
    {
        try (JsonParser parser = MAPPER.getFactory().createParser(body))
        {
            expect(parser, parser.nextToken(), JsonToken.START_OBJECT);
            long revision = 0;
            boolean more = false;
            List<EtcdClient.KeyValue> kvs = Collections.emptyList();
            byte[] lastKey = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME)
            {
                final String field = parser.currentName();
                final JsonToken value = parser.nextToken();
                switch (field)
                {
                    case "header" -> revision = readHeaderRevision(parser);
                    case "more" -> more = readBool(parser);
                    case "kvs" ->
                    {
                        expect(parser, value, JsonToken.START_ARRAY);
                        kvs = new ArrayList<>();
                        while (parser.nextToken() == JsonToken.START_OBJECT)
                        {
                            final KeyValueReader kv = readKeyValue(parser);
                            kvs.add(kv.keyValue());
                            lastKey = kv.key;
                        }
                    }
                    default -> parser.skipChildren();
                }
            }
            return new RangePage(revision, kvs, more, lastKey);
        }
    }

    /**
     * Reads the next message of a watch stream: {@code {"result": WatchResponse}} or {@code {"error": {...}}}.
     *
     * @return null at the end of the stream.
     */
    static WatchMessage nextWatchMessage(final JsonParser parser) throws IOException
    {
        final JsonToken start = parser.nextToken();
        if (start == null)
        {
            return null;
        }
        expect(parser, start, JsonToken.START_OBJECT);
        WatchMessage message = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME)
        {
            final String field = parser.currentName();
            final JsonToken value = parser.nextToken();
            if ("result".equals(field) && value == JsonToken.START_OBJECT)
            {
                message = readWatchResult(parser);
            }
            else if ("error".equals(field))
            {
                final ObjectNode answer = MAPPER.createObjectNode();
                answer.set("error", MAPPER.readTree(parser));
                message = new WatchMessage(error(answer), 0, false, false, 0, "", Collections.emptyList());
            }
            else
            {
                parser.skipChildren();
            }
        }
        return message != null ? message :
            new WatchMessage(new Error(EtcdException.NO_CODE, "neither result nor error"), 0, false, false, 0, "", List.of());
    }

    private static WatchMessage readWatchResult(final JsonParser parser) throws IOException
    {
        long revision = 0;
        boolean created = false;
        boolean canceled = false;
        long compactRevision = 0;
        String cancelReason = "";
        List<EtcdClient.Event> events = Collections.emptyList();
        while (parser.nextToken() == JsonToken.FIELD_NAME)
        {
            final String field = parser.currentName();
            final JsonToken value = parser.nextToken();
            switch (field)
            {
                case "header" -> revision = readHeaderRevision(parser);
                case "created" -> created = readBool(parser);
                case "canceled" -> canceled = readBool(parser);
                case "compact_revision" -> compactRevision = readLong(parser);
                case "cancel_reason" -> cancelReason = parser.getValueAsString("");
                case "events" ->
                {
                    expect(parser, value, JsonToken.START_ARRAY);
                    events = new ArrayList<>();
                    while (parser.nextToken() == JsonToken.START_OBJECT)
                    {
                        events.add(readEvent(parser));
                    }
                }
                default -> parser.skipChildren();
            }
        }
        return new WatchMessage(null, revision, created, canceled, compactRevision, cancelReason, events);
    }

    /** An event: {@code {"type": "DELETE", "kv": {...}}}; no type is a PUT. */
    private static EtcdClient.Event readEvent(final JsonParser parser) throws IOException
    {
        EtcdClient.Event.Type type = EtcdClient.Event.Type.PUT;
        EtcdClient.KeyValue kv = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME)
        {
            final String field = parser.currentName();
            final JsonToken value = parser.nextToken();
            if ("type".equals(field))
            {
                final String text = parser.getValueAsString("");
                type = "DELETE".equals(text) || "1".equals(text) ? EtcdClient.Event.Type.DELETE : EtcdClient.Event.Type.PUT;
            }
            else if ("kv".equals(field) && value == JsonToken.START_OBJECT)
            {
                kv = readKeyValue(parser).keyValue();
            }
            else
            {
                parser.skipChildren();
            }
        }
        return new EtcdClient.Event(type, kv != null ? kv : new EtcdClient.KeyValue("", new byte[0], 0, 0, 0, 0));
    }

    /** A KeyValue's fields as read, with the key's bytes. */
    private static final class KeyValueReader
    {
        byte[] key = NO_BYTES;
        byte[] value = NO_BYTES;
        long createRevision;
        long modRevision;
        long version;
        long lease;

        EtcdClient.KeyValue keyValue()
        {
            return new EtcdClient.KeyValue(
                new String(key, StandardCharsets.UTF_8), value, createRevision, modRevision, version, lease);
        }
    }

    private static KeyValueReader readKeyValue(final JsonParser parser) throws IOException
    {
        final KeyValueReader kv = new KeyValueReader();
        while (parser.nextToken() == JsonToken.FIELD_NAME)
        {
            final String field = parser.currentName();
            parser.nextToken();
            switch (field)
            {
                case "key" -> kv.key = readBytes(parser);
                case "value" -> kv.value = readBytes(parser);
                case "create_revision" -> kv.createRevision = readLong(parser);
                case "mod_revision" -> kv.modRevision = readLong(parser);
                case "version" -> kv.version = readLong(parser);
                case "lease" -> kv.lease = readLong(parser);
                default -> parser.skipChildren();
            }
        }
        return kv;
    }

    private static long readHeaderRevision(final JsonParser parser) throws IOException
    {
        if (parser.currentToken() != JsonToken.START_OBJECT)
        {
            parser.skipChildren();
            return 0;
        }
        long revision = 0;
        while (parser.nextToken() == JsonToken.FIELD_NAME)
        {
            final String field = parser.currentName();
            parser.nextToken();
            if ("revision".equals(field))
            {
                revision = readLong(parser);
            }
            else
            {
                parser.skipChildren();
            }
        }
        return revision;
    }

    /** The current token as an int64 or uint64: a string or a number; null is 0. */
    private static long readLong(final JsonParser parser) throws IOException
    {
        return switch (parser.currentToken())
        {
            case VALUE_NUMBER_INT -> parser.getLongValue();
            case VALUE_STRING -> parseLong(parser.getText(), parser.currentName());
            case VALUE_NULL -> 0;
            default -> throw new JsonParseException(parser, "not an int64: " + parser.currentToken());
        };
    }

    private static boolean readBool(final JsonParser parser) throws IOException
    {
        final JsonToken token = parser.currentToken();
        return token == JsonToken.VALUE_TRUE || (token == JsonToken.VALUE_STRING && "true".equals(parser.getText()));
    }

    private static byte[] readBytes(final JsonParser parser) throws IOException
    {
        return parser.currentToken() == JsonToken.VALUE_NULL ? NO_BYTES : parser.getBinaryValue();
    }

    private static void expect(final JsonParser parser, final JsonToken token, final JsonToken expected) throws IOException
    {
        if (token != expected)
        {
            throw new JsonParseException(parser, "expected " + expected + ", found " + token);
        }
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
