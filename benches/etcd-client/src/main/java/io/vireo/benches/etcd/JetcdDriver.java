package io.vireo.benches.etcd;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;

/** io.etcd:jetcd-core over gRPC, each call waited for as the gateway client's are. */
final class JetcdDriver implements EtcdClientBench.Driver
{
    private final Client client;
    private final KV kv;

    JetcdDriver(final URI endpoint)
    {
        // gRPC's default limit on a message received is 4 MB; a watch catching up from history gets up to
        // 1000 revisions' events in one message (15 MB in this bench), and with the default jetcd re-creates
        // the failed stream forever without delivering an event. The gateway client has no such limit.
        client = Client.builder().endpoints(endpoint).maxInboundMessageSize(256 << 20).build();
        kv = client.getKVClient();
    }

    private static ByteSequence bytes(final String text)
    {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    @Override
    public boolean get(final String key) throws Exception
    {
        return kv.get(bytes(key)).get().getCount() > 0;
    }

    @Override
    public long put(final String key, final byte[] value) throws Exception
    {
        return kv.put(bytes(key), ByteSequence.from(value)).get().getHeader().getRevision();
    }

    @Override
    public boolean create(final String key, final byte[] value) throws Exception
    {
        final ByteSequence k = bytes(key);
        return kv.txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
            .Then(Op.put(k, ByteSequence.from(value), PutOption.DEFAULT))
            .commit().get().isSucceeded();
    }

    /** In pages of 5000 at the first page's revision, as the gateway client reads. */
    @Override
    public List<?> range(final String prefix) throws Exception
    {
        final byte[] prefixBytes = prefix.getBytes(StandardCharsets.UTF_8);
        final ByteSequence end = ByteSequence.from(EtcdClientBench.prefixEnd(prefixBytes));
        final List<KeyValue> all = new ArrayList<>();
        ByteSequence from = ByteSequence.from(prefixBytes);
        long revision = 0;
        while (true)
        {
            final GetResponse page = kv.get(from, GetOption.builder().withRange(end).withLimit(EtcdClientBench.PAGE)
                .withRevision(revision).build()).get();
            if (revision == 0)
            {
                revision = page.getHeader().getRevision();
            }
            final List<KeyValue> kvs = page.getKvs();
            all.addAll(kvs);
            if (!page.isMore() || kvs.isEmpty())
            {
                return all;
            }
            final byte[] last = kvs.get(kvs.size() - 1).getKey().getBytes();
            from = ByteSequence.from(Arrays.copyOf(last, last.length + 1));
        }
    }

    @Override
    public AutoCloseable watch(final String prefix, final long fromRevision, final LongConsumer events)
    {
        final Watch.Watcher watcher = client.getWatchClient().watch(bytes(prefix),
            WatchOption.builder().isPrefix(true).withRevision(fromRevision).build(),
            Watch.listener(response -> events.accept(response.getEvents().size())));
        return watcher::close;
    }

    @Override
    public void close()
    {
        client.close();
    }
}
