package io.vireo.cluster.etcd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static io.vireo.cluster.etcd.GatewayJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gateway's JSON both ways, against answers etcd 3.4.23's gateway gave (captured with curl). */
class GatewayJsonTest
{
    private static byte[] bytes(final int... values)
    {
        final byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            bytes[i] = (byte)values[i];
        }
        return bytes;
    }

    private static JsonNode json(final String text) throws Exception
    {
        return MAPPER.readTree(text);
    }

    private static String b64(final String text)
    {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aPrefixEndIncrementsTheLastByteThatCanBeIncremented()
    {
        assertArrayEquals("/vireo0".getBytes(StandardCharsets.UTF_8), GatewayJson.prefixEnd("/vireo/".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals(bytes('b'), GatewayJson.prefixEnd(bytes('a')));
        assertArrayEquals(bytes('a', 0x80), GatewayJson.prefixEnd(bytes('a', 0x7f)), "a signed byte's 127 goes to 0x80");
        assertArrayEquals(bytes('b'), GatewayJson.prefixEnd(bytes('a', 0xff)), "trailing 0xff bytes are dropped");
        assertArrayEquals(bytes('a', 0xff, 0x01), GatewayJson.prefixEnd(bytes('a', 0xff, 0x00, 0xff)));
        assertArrayEquals(bytes(0), GatewayJson.prefixEnd(bytes(0xff, 0xff)), "no end: every key from the key on");
        assertArrayEquals(bytes(0), GatewayJson.prefixEnd(new byte[0]), "the empty prefix: every key");
    }

    @Test
    void theNextPageStartsRightAfterTheLastKey()
    {
        assertArrayEquals(bytes('a', 'b', 0), GatewayJson.keyAfter(bytes('a', 'b')));
        assertArrayEquals(bytes(0), GatewayJson.keyAfter(new byte[0]));
    }

    @Test
    void int64FieldsComeAsStringsOrNumbersAndAbsentIsZero() throws Exception
    {
        final JsonNode node = json("{\"a\":\"9223372036854775807\",\"b\":12,\"c\":\"-1\",\"d\":null}");
        assertEquals(Long.MAX_VALUE, GatewayJson.int64(node, "a"));
        assertEquals(12, GatewayJson.int64(node, "b"));
        assertEquals(-1, GatewayJson.int64(node, "c"));
        assertEquals(0, GatewayJson.int64(node, "d"));
        assertEquals(0, GatewayJson.int64(node, "absent"));
        assertEquals(Long.parseUnsignedLong("13105271134345505192"),
            GatewayJson.int64(json("{\"leader\":\"13105271134345505192\"}"), "leader"), "a uint64 member id, its 64 bits");
        assertEquals(12, GatewayJson.int64(node, "absent", "b"), "the other name of a field");
        assertThrows(IllegalArgumentException.class, () -> GatewayJson.int64(json("{\"a\":\"x\"}"), "a"));
    }

    private static List<GatewayJson.WatchMessage> watchMessages(final String stream) throws Exception
    {
        try (JsonParser parser = MAPPER.getFactory().createParser(stream.getBytes(StandardCharsets.UTF_8)))
        {
            final List<GatewayJson.WatchMessage> messages = new ArrayList<>();
            GatewayJson.WatchMessage message;
            while ((message = GatewayJson.nextWatchMessage(parser)) != null)
            {
                messages.add(message);
            }
            return messages;
        }
    }

    @Test
    void aRangeResponseDecodesToKeyValuesInItsOrder() throws Exception
    {
        final GatewayJson.RangePage page = GatewayJson.rangePage(("{\"header\":{\"cluster_id\":\"324952591200643719\"," +
            "\"member_id\":\"3319814642761637952\",\"revision\":\"8\",\"raft_term\":\"2\"},\"kvs\":[{\"key\":\"Zm9v\"," +
            "\"create_revision\":\"2\",\"mod_revision\":\"8\",\"version\":\"4\",\"value\":\"YmFy\"},{\"key\":\"Zm9vMg==\"," +
            "\"create_revision\":\"3\",\"mod_revision\":\"3\",\"version\":\"1\",\"lease\":\"2324035785130235915\"," +
            "\"future\":{\"a\":[1,2]}}],\"more\":true,\"count\":\"2\"}").getBytes(StandardCharsets.UTF_8));
        assertEquals(8, page.revision());
        assertTrue(page.more());
        final List<EtcdClient.KeyValue> kvs = page.kvs();
        assertEquals(2, kvs.size());
        assertEquals("foo", kvs.get(0).key());
        assertEquals("bar", kvs.get(0).valueUtf8());
        assertEquals(2, kvs.get(0).createRevision());
        assertEquals(8, kvs.get(0).modRevision());
        assertEquals(4, kvs.get(0).version());
        assertEquals(0, kvs.get(0).lease());
        assertEquals("foo2", kvs.get(1).key());
        assertEquals(0, kvs.get(1).value().length, "an empty value is left out");
        assertEquals(2324035785130235915L, kvs.get(1).lease());
        assertArrayEquals("foo2".getBytes(StandardCharsets.UTF_8), page.lastKey());
    }

    @Test
    void anEmptyRangeHasNoKvsNorMore() throws Exception
    {
        final GatewayJson.RangePage page = GatewayJson.rangePage(
            "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"2\",\"raft_term\":\"2\"}}".getBytes(StandardCharsets.UTF_8));
        assertEquals(2, page.revision());
        assertEquals(List.of(), page.kvs());
        assertFalse(page.more());
        assertNull(page.lastKey());
        assertThrows(JsonParseException.class, () -> GatewayJson.rangePage("[1]".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aWatchStreamIsASequenceOfMessagesWhoseEventsArePutsUnlessTheySayDelete() throws Exception
    {
        final List<GatewayJson.WatchMessage> messages = watchMessages(
            "{\"result\":{\"header\":{\"revision\":\"3\"},\"created\":true}}\n" +
            "{\"result\":{\"header\":{\"revision\":\"5\"},\"events\":[" +
            "{\"kv\":{\"key\":\"Zm9vMw==\",\"create_revision\":\"4\",\"mod_revision\":\"4\",\"version\":\"1\",\"value\":\"YmFy\"}}," +
            "{\"type\":\"DELETE\",\"kv\":{\"key\":\"Zm9vMw==\",\"mod_revision\":\"5\"}}]}}\n" +
            "{\"result\":{\"header\":{\"revision\":\"9\"}}}\n");
        assertEquals(3, messages.size());
        final GatewayJson.WatchMessage created = messages.get(0);
        assertTrue(created.created());
        assertEquals(3, created.revision());
        assertEquals(List.of(), created.events());
        assertNull(created.error());

        final GatewayJson.WatchMessage changes = messages.get(1);
        assertFalse(changes.created());
        assertEquals(5, changes.revision());
        final List<EtcdClient.Event> events = changes.events();
        assertEquals(2, events.size());
        assertEquals(EtcdClient.Event.Type.PUT, events.get(0).type());
        assertEquals("foo3", events.get(0).kv().key());
        assertEquals("bar", events.get(0).kv().valueUtf8());
        assertEquals(4, events.get(0).kv().modRevision());
        assertEquals(EtcdClient.Event.Type.DELETE, events.get(1).type());
        assertEquals("foo3", events.get(1).kv().key());
        assertEquals(5, events.get(1).kv().modRevision());
        assertEquals(0, events.get(1).kv().createRevision());

        final GatewayJson.WatchMessage progress = messages.get(2);
        assertEquals(9, progress.revision());
        assertEquals(List.of(), progress.events());
        assertFalse(progress.created() || progress.canceled());
    }

    @Test
    void aCompactedWatchSaysCanceledAndTheCompactRevision() throws Exception
    {
        final GatewayJson.WatchMessage message = watchMessages("{\"result\":{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\"," +
            "\"raft_term\":\"2\"},\"canceled\":true,\"compact_revision\":\"7\"}}").get(0);
        assertTrue(message.canceled());
        assertEquals(7, message.compactRevision());
        assertEquals(0, message.revision());
    }

    @Test
    void anErrorInAWatchStream() throws Exception
    {
        final GatewayJson.WatchMessage message = watchMessages("{\"error\":{\"grpc_code\":14,\"http_code\":503," +
            "\"message\":\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}").get(0);
        assertEquals(new GatewayJson.Error(14, "etcdserver: no leader"), message.error());
    }

    @Test
    void errorsOfUnaryCallsAndOfStreams() throws Exception
    {
        final GatewayJson.Error unary = GatewayJson.error(json("{\"error\":\"etcdserver: requested lease not found\"," +
            "\"message\":\"etcdserver: requested lease not found\",\"code\":5}"));
        assertEquals(new GatewayJson.Error(5, "etcdserver: requested lease not found"), unary);
        final GatewayJson.Error stream = GatewayJson.error(json("{\"error\":{\"grpc_code\":14,\"http_code\":503," +
            "\"message\":\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}"));
        assertEquals(new GatewayJson.Error(14, "etcdserver: no leader"), stream);
        final GatewayJson.Error grant = GatewayJson.error(json("{\"header\":{},\"error\":\"lease already exists\"}"));
        assertEquals(new GatewayJson.Error(EtcdException.NO_CODE, "lease already exists"), grant);
        assertNull(GatewayJson.error(json("{\"header\":{\"revision\":\"3\"}}")));
    }

    @Test
    void requestsCarryBase64BytesAndInt64sAsStrings() throws Exception
    {
        assertEquals(json("{\"key\":\"" + b64("/v/") + "\",\"range_end\":\"" + b64("/v0") + "\",\"revision\":\"42\",\"limit\":\"5000\"}"),
            GatewayJson.rangeRequest(GatewayJson.utf8("/v/"), GatewayJson.prefixEnd(GatewayJson.utf8("/v/")), 42, 5000));
        assertEquals(json("{\"key\":\"" + b64("k") + "\"}"), GatewayJson.rangeRequest(GatewayJson.utf8("k"), null, 0, 0));
        assertEquals(json("{\"key\":\"" + b64("k") + "\",\"value\":\"" + b64("v") + "\",\"lease\":\"9007199254740993\"}"),
            GatewayJson.putRequest(GatewayJson.utf8("k"), GatewayJson.utf8("v"), 9007199254740993L));
        assertEquals(json("{\"key\":\"" + b64("k") + "\",\"value\":\"\"}"),
            GatewayJson.putRequest(GatewayJson.utf8("k"), new byte[0], 0), "no lease: none sent");
        assertEquals(json("{\"ID\":\"7\"}"), GatewayJson.leaseRequest(7));
    }

    @Test
    void aCreateIsATransactionOnCreateRevisionZero() throws Exception
    {
        final byte[] key = GatewayJson.utf8("k");
        final ObjectNode txn = GatewayJson.txnRequest(key, "CREATE", 0, GatewayJson.requestPut(key, GatewayJson.utf8("v"), 0));
        assertEquals(json("{\"compare\":[{\"key\":\"" + b64("k") + "\",\"target\":\"CREATE\",\"result\":\"EQUAL\"," +
            "\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":\"" + b64("k") + "\",\"value\":\"" + b64("v") + "\"}}]}"),
            txn);
        final ObjectNode deleteIf = GatewayJson.txnRequest(key, "MOD", 12, GatewayJson.requestDelete(key));
        assertEquals(json("{\"compare\":[{\"key\":\"" + b64("k") + "\",\"target\":\"MOD\",\"result\":\"EQUAL\"," +
            "\"mod_revision\":\"12\"}],\"success\":[{\"request_delete_range\":{\"key\":\"" + b64("k") + "\"}}]}"),
            deleteIf);
    }

    @Test
    void aWatchAsksForThePrefixFromItsRevisionWithProgressNotifications() throws Exception
    {
        assertEquals(json("{\"create_request\":{\"key\":\"" + b64("/v/") + "\",\"range_end\":\"" + b64("/v0") + "\"," +
            "\"progress_notify\":true,\"prev_kv\":false,\"start_revision\":\"17\"}}"),
            GatewayJson.watchCreateRequest(GatewayJson.utf8("/v/"), 17));
        assertFalse(GatewayJson.watchCreateRequest(GatewayJson.utf8("/v/"), 0).get("create_request").has("start_revision"),
            "0: from now on");
    }
}
