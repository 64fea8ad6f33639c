package io.vireo.benches.etcd;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.LongConsumer;

import io.vireo.cluster.etcd.EtcdClient;

/** Vireo's EtcdClient, over etcd's gRPC-JSON gateway. */
final class GatewayDriver implements EtcdClientBench.Driver
{
    private final EtcdClient client;

    GatewayDriver(final URI endpoint)
    {
        client = new EtcdClient(List.of(endpoint), Duration.ofSeconds(10), EtcdClientBench.PAGE);
    }

    @Override
    public boolean get(final String key) throws Exception
    {
        return client.get(key).isPresent();
    }

    @Override
    public long put(final String key, final byte[] value) throws Exception
    {
        return client.put(key, value, 0);
    }

    @Override
    public boolean create(final String key, final byte[] value) throws Exception
    {
        return client.create(key, value, 0);
    }

    @Override
    public List<?> range(final String prefix) throws Exception
    {
        return client.range(prefix).kvs();
    }

    @Override
    public AutoCloseable watch(final String prefix, final long fromRevision, final LongConsumer events)
    {
        return client.watch(prefix, fromRevision, new EtcdClient.WatchListener()
        {
            @Override
            public void events(final long revision, final List<EtcdClient.Event> list)
            {
                events.accept(list.size());
            }

            @Override
            public void compacted(final long compactRevision)
            {
                throw new IllegalStateException("compacted at " + compactRevision);
            }

            @Override
            public void connection(final boolean up)
            {
            }
        });
    }

    @Override
    public void close()
    {
        client.close();
    }
}
