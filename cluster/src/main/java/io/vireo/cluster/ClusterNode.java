package io.vireo.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.vireo.api.Endpoint;
import io.vireo.api.EndpointListener;
import io.vireo.api.OverlaySwitch;
import io.vireo.cluster.etcd.EtcdClient;
import io.vireo.cluster.etcd.EtcdException;

/**
 * One node of a cluster: registers itself in etcd under a lease it keeps alive, reads the cluster's
 * state into its {@link ClusterView}, follows it with a watch, and has the {@link Reconciler} apply it
 * to the switch; publishes the switch's local endpoints and hands out addresses from blocks it claims.
 * <p>
 * Everything runs on one thread, {@code vireo-cluster}, so the view, the reconciler and this node's own
 * keys need no lock; the switch's forwarding threads never wait on it. The keys this node must have in
 * the store (its member record, endpoints, blocks, allocations) are kept in {@link #owned}; a write the
 * store does not take stays in {@link #dirty} and is retried until it does, so changes made while the
 * store is away reach it when it returns. A lost lease (the store forgot this node) is replaced and every
 * owned key written again.
 */
public final class ClusterNode implements AutoCloseable
{
    private static final long MAX_RETRY_MS = 2_000;
    private static final long CALL_TIMEOUT_SECONDS = 30;
    private static final long PUBLISH_INTERVAL_MS = 100;

    private final ClusterConfig config;
    private final OverlaySwitch overlay;
    private final EtcdClient store;
    private final ClusterKeys keys;
    private final Member self;
    private final ClusterView view;
    private final Reconciler reconciler;
    private final ScheduledExecutorService thread;
    private final Map<String, byte[]> owned = new HashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    /** Each member's lease, as its key in the store carries it. */
    private final Map<String, Long> memberLeases = new HashMap<>();
    private EtcdClient.Watch watch;
    /** The listener of the current watch: what an earlier one still hands over is stale and dropped. */
    private Watcher activeWatcher;
    private volatile Thread clusterThread;
    private ScheduledFuture<?> retry;
    private long retryMs = 100;
    private boolean loaded;
    private long lease;
    private volatile boolean storeUp;
    private volatile Snapshot snapshot;
    private long publishedAt = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private boolean publishPending;
    private long watchEvents;
    private long resyncs;
    private long registrations;
    private long storeErrors;
    private long conflicts;
    /** Claims given up on return: another node took them while this one was away longer than its lease. */
    private long lostClaims;
    private String lastStoreError;

    public ClusterNode(final ClusterConfig config, final OverlaySwitch overlay)
    {
        this.config = config;
        this.overlay = overlay;
        this.store = new EtcdClient(config.endpoints(), config.requestTimeout());
        this.keys = new ClusterKeys(config.prefix());
        this.self = new Member(config.node(), config.underlay(), config.vtepPort());
        this.view = new ClusterView(keys);
        this.reconciler = new Reconciler(self, overlay);
        final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task ->
        {
            clusterThread = new Thread(task, "vireo-cluster");
            clusterThread.setDaemon(true);
            return clusterThread;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.thread = executor;
        this.snapshot = snapshot();
    }

    /**
     * Starts following the local endpoints and connecting to the store; returns at once. Until the store
     * answers, the switch keeps what it has and this node keeps trying.
     */
    public void start()
    {
        thread.execute(() -> overlay.watchLocalEndpoints(new LocalEndpoints()));
        thread.execute(this::connect);
        final long period = config.leaseSeconds() * 1000L / 3;
        thread.scheduleWithFixedDelay(this::renew, period, period, TimeUnit.MILLISECONDS);
    }

    public ClusterConfig config()
    {
        return config;
    }

    // ---- networks ----

    /** Adds a network to the cluster (every node creates its bridge); {@code blockPrefix} null for /26. */
    public Network addNetwork(final String name, final int vni, final String subnet, final Integer blockPrefix)
    {
        final Network network = AddressBlocks.network(name, vni, subnet, blockPrefix);
        return call(() ->
        {
            requireStore();
            for (final Network existing : view.networks.values())
            {
                if (existing.vni() == vni && !existing.name().equals(name))
                {
                    throw new IllegalStateException("VNI " + vni + " is taken by cluster network " + existing.name());
                }
            }
            if (!store.create(keys.network(name), json(network), 0))
            {
                throw new IllegalStateException("cluster network " + name + " already exists");
            }
            apply(keys.network(name), json(network));
            return network;
        });
    }

    /** Deletes a network from the cluster, with its endpoints, blocks and allocations. */
    public void deleteNetwork(final String name)
    {
        call(() ->
        {
            requireStore();
            if (!store.delete(keys.network(name)))
            {
                throw new IllegalArgumentException("no cluster network named " + name);
            }
            store.deletePrefix(keys.endpoints(name));
            store.deletePrefix(keys.blocks(name));
            store.deletePrefix(keys.addresses(name));
            owned.keySet().removeIf(key -> key.startsWith(keys.endpoints(name)) ||
                key.startsWith(keys.blocks(name)) || key.startsWith(keys.addresses(name)));
            apply(keys.network(name), null);
            return null;
        });
    }

    /** The cluster's networks as this node sees them, by name. */
    public List<Network> networks()
    {
        return call(() ->
        {
            final List<Network> list = new ArrayList<>(view.networks.values());
            list.sort(Comparator.comparing(Network::name));
            return list;
        });
    }

    // ---- addresses ----

    /**
     * An address of {@code network} for {@code owner}: the one it has, or a free one of a block this node
     * claimed, or of a block it claims now. Works without the store as long as this node's blocks have
     * room (the allocation reaches the store when it returns).
     *
     * @return the address and the network's prefix length, as A.B.C.D/LEN.
     */
    public String allocate(final String network, final String owner)
    {
        if (null == owner || owner.isEmpty() || owner.length() > 512 || owner.chars().anyMatch(c -> c <= ' ' || c == '/' || c == 127))
        {
            throw new IllegalArgumentException("invalid address owner '" + owner + "': 1-512 characters, no '/', space or control");
        }
        return call(() ->
        {
            final Network wanted = view.networks.get(network);
            if (!loaded)
            {
                throw new StoreUnavailableException("the cluster store has not answered since vireod started: " +
                    "no address blocks known (" + lastStoreError + ")");
            }
            if (null == wanted)
            {
                throw new IllegalArgumentException("no cluster network named " + network);
            }
            final String prefixLength = "/" + AddressBlocks.prefixOf(wanted);
            final String existing = view.addressOf(network, owner);
            if (null != existing)
            {
                return existing + prefixLength;
            }
            for (int attempt = 0; attempt < 64; attempt++)
            {
                final String address = freeAddress(wanted);
                if (null == address)
                {
                    throw new IllegalStateException("cluster network " + network + " has no free address");
                }
                if (claim(network, address, owner))
                {
                    return address + prefixLength;
                }
            }
            throw new IllegalStateException("cluster network " + network + ": no address claimed after 64 attempts");
        });
    }

    /** Releases {@code owner}'s address of {@code network}; false if it had none. */
    public boolean release(final String network, final String owner)
    {
        return call(() ->
        {
            final String address = view.addressOf(network, owner);
            if (null == address)
            {
                return false;
            }
            final String key = keys.address(network, address);
            owned.remove(key);
            dirty.add(key);
            apply(key, null);
            flush();
            return true;
        });
    }

    /** The address a network keeps for its gateway. */
    public String gateway(final String network)
    {
        return call(() ->
        {
            final Network wanted = view.networks.get(network);
            if (null == wanted)
            {
                throw new IllegalArgumentException("no cluster network named " + network);
            }
            return AddressBlocks.gateway(wanted);
        });
    }

    /** The address {@code owner} has on {@code network}, as this node sees it. */
    public Optional<String> addressOf(final String network, final String owner)
    {
        return call(() -> Optional.ofNullable(view.addressOf(network, owner)));
    }

    private String freeAddress(final Network network) throws EtcdException
    {
        final Map<String, Allocation> allocated = view.addressesOf(network.name());
        for (final Map.Entry<String, Block> block : view.blocksOf(network.name()).entrySet())
        {
            if (block.getValue().node().equals(self.node()))
            {
                final String address = AddressBlocks.firstFree(network, block.getKey(), allocated, Set.of());
                if (null != address)
                {
                    return address;
                }
            }
        }
        requireStore();
        final int count = AddressBlocks.blockCount(network);
        final int first = AddressBlocks.firstCandidate(network, self.node());
        for (int i = 0; i < count; i++)
        {
            final String block = AddressBlocks.block(network, (first + i) % count);
            if (view.blocksOf(network.name()).containsKey(block))
            {
                continue;
            }
            final String key = keys.block(network.name(), block);
            final byte[] value = json(new Block(self.node()));
            if (store.create(key, value, lease))
            {
                owned.put(key, value);
                apply(key, value);
                final String address = AddressBlocks.firstFree(network, block, allocated, Set.of());
                if (null != address)
                {
                    return address;
                }
            }
            else
            {
                conflicts++;
                refresh(key);
            }
        }
        // every block is claimed: borrow a free address from another node's, as Calico does without strict
        // affinity (the address key's compare-and-swap keeps it unique)
        for (final String block : view.blocksOf(network.name()).keySet())
        {
            final String address = AddressBlocks.firstFree(network, block, allocated, Set.of());
            if (null != address)
            {
                return address;
            }
        }
        return null;
    }

    /** Records {@code address} as {@code owner}'s: at once in the store if it is there, else when it returns. */
    private boolean claim(final String network, final String address, final String owner) throws EtcdException
    {
        final String key = keys.address(network, address);
        final byte[] value = json(new Allocation(self.node(), owner));
        if (storeUp)
        {
            try
            {
                if (!store.create(key, value, lease))
                {
                    conflicts++;
                    refresh(key);
                    return false;
                }
            }
            catch (final EtcdException ex)
            {
                storeFailed(ex);
                dirty.add(key);
            }
        }
        else
        {
            dirty.add(key);
        }
        owned.put(key, value);
        apply(key, value);
        return true;
    }

    // ---- status ----

    /** What this node sees; with {@code withStore}, each etcd endpoint's health too (asked now). */
    public ClusterStatus status(final boolean withStore)
    {
        final Snapshot current = snapshot;
        return new ClusterStatus(self.node(), self.underlay(), current.lease, config.leaseSeconds(), storeUp,
            current.revision, current.members, current.networks, current.endpoints, current.pendingWrites,
            current.counters, current.lastError, withStore ? store.status() : null);
    }

    private record Snapshot(
        long lease, long revision, List<MemberStatus> members, List<NetworkStatus> networks, int endpoints,
        int pendingWrites, Map<String, Long> counters, String lastError)
    {
    }

    private Snapshot snapshot()
    {
        final List<MemberStatus> members = new ArrayList<>();
        for (final Member member : view.members.values())
        {
            members.add(new MemberStatus(member.node(), member.underlay(), member.vtepPort(),
                memberLeases.getOrDefault(member.node(), 0L)));
        }
        members.sort(Comparator.comparing(MemberStatus::node));
        final Map<String, Long> counters = new java.util.LinkedHashMap<>();
        counters.put("watch_events", watchEvents);
        counters.put("resyncs", resyncs);
        counters.put("registrations", registrations);
        counters.put("store_errors", storeErrors);
        counters.put("conflicts", conflicts);
        counters.put("lost_claims", lostClaims);
        counters.put("malformed_values", view.malformed);
        counters.put("switch_calls", reconciler.calls());
        counters.put("switch_failures", reconciler.failures());
        final String lastError = null != reconciler.lastError() ? reconciler.lastError() : lastStoreError;
        return new Snapshot(lease, view.revision, List.copyOf(members), reconciler.networks(), view.endpointCount(),
            dirty.size(), counters, lastError);
    }

    // ---- the session with the store ----

    /** Registers (adopting this node's lease if a previous run's is still alive), loads the view, watches. */
    private void connect()
    {
        retry = null;
        try
        {
            lease = adoptOrGrantLease();
            owned.put(keys.member(self.node()), json(self));
            dirty.addAll(owned.keySet());
            flush();
            load();
            retryMs = 100;
        }
        catch (final EtcdException ex)
        {
            storeFailed(ex);
            retryLater(this::connect);
        }
        publish();
    }

    private long adoptOrGrantLease() throws EtcdException
    {
        final Optional<EtcdClient.KeyValue> previous = store.get(keys.member(self.node()));
        if (previous.isPresent() && 0 != previous.get().lease() && store.keepAlive(previous.get().lease()) > 0)
        {
            return previous.get().lease();
        }
        registrations++;
        return store.grantLease(config.leaseSeconds());
    }

    /**
     * Reads the whole cluster into the view, applies it, and watches from there. This node's blocks and
     * allocations in the store become its own again; its endpoints the switch no longer has are deleted.
     */
    private void load() throws EtcdException
    {
        if (null != watch)
        {
            watch.close();
            watch = null;
        }
        final EtcdClient.Range range = store.range(keys.prefix());
        view.clear();
        memberLeases.clear();
        // members and networks first (the keys come sorted, endpoints before them): endpoints then share their names
        for (final EtcdClient.KeyValue kv : range.kvs())
        {
            if (kv.key().startsWith(keys.member("")) || kv.key().startsWith(keys.network("")))
            {
                view.put(kv.key(), kv.value());
                noteLease(kv.key(), kv.lease());
            }
        }
        for (final EtcdClient.KeyValue kv : range.kvs())
        {
            if (!kv.key().startsWith(keys.member("")) && !kv.key().startsWith(keys.network("")))
            {
                view.put(kv.key(), kv.value());
            }
        }
        view.revision = range.revision();
        for (final EtcdClient.KeyValue kv : range.kvs())
        {
            final ClusterKeys.Parsed parsed = keys.parse(kv.key());
            if (null != parsed && !owned.containsKey(kv.key()) && kv.lease() == lease &&
                (parsed.kind() == ClusterKeys.Kind.BLOCK || parsed.kind() == ClusterKeys.Kind.ADDRESS))
            {
                owned.put(kv.key(), kv.value());
            }
        }
        // what this node wrote while the store was away is not in the store yet: keep it in the view
        for (final String key : dirty)
        {
            final byte[] value = owned.get(key);
            if (null == value)
            {
                view.delete(key);
            }
            else
            {
                view.put(key, value);
            }
        }
        reconciler.resync(view);
        publishLocalEndpoints();
        flush();
        loaded = true;
        activeWatcher = new Watcher();
        watch = store.watch(keys.prefix(), range.revision() + 1, activeWatcher);
        storeUp = true;
    }

    /**
     * Takes the endpoints the switch has now on every network (a restarted daemon's containers) as this node's
     * own, and withdraws those the store lists for this node that the switch no longer has (containers deleted
     * while it was down). Asked of the switch, not waited for from its watch, so a restart withdraws nothing
     * that is still there.
     */
    private void publishLocalEndpoints()
    {
        final Set<String> present = new HashSet<>();
        for (final String network : view.networks.keySet())
        {
            try
            {
                for (final Endpoint endpoint : overlay.localEndpoints(network))
                {
                    present.add(own(network, endpoint));
                }
            }
            catch (final IllegalArgumentException | IllegalStateException ex)
            {
                // the network's bridge is not there (the reconciler counted why): it has no endpoints to publish
            }
        }
        for (final Map.Entry<String, Map<String, PublishedEndpoint>> network : view.endpoints.entrySet())
        {
            for (final PublishedEndpoint endpoint : network.getValue().values())
            {
                final String key = keys.endpoint(network.getKey(), endpoint.mac());
                if (self.node().equals(endpoint.node()) && !present.contains(key) && !owned.containsKey(key))
                {
                    dirty.add(key);
                }
            }
        }
    }

    /** Takes a local endpoint as one of this node's keys, to be written if it changed; returns its key. */
    private String own(final String network, final Endpoint endpoint)
    {
        final String key = keys.endpoint(network, endpoint.mac());
        final byte[] value = json(new PublishedEndpoint(endpoint.mac(), endpoint.addresses(), self.node()));
        if (!Arrays.equals(value, owned.put(key, value)))
        {
            dirty.add(key);
        }
        return key;
    }

    /** Renews the lease; a lost lease is replaced and this node's keys written again. */
    private void renew()
    {
        if (0 == lease || null != retry)
        {
            return;  // not registered yet: connect() is on it
        }
        try
        {
            if (store.keepAlive(lease) <= 0)
            {
                lease = store.grantLease(config.leaseSeconds());
                registrations++;
                dirty.addAll(owned.keySet());
            }
            flush();
        }
        catch (final EtcdException ex)
        {
            storeFailed(ex);
        }
        publish();
    }

    /**
     * Writes the dirty keys: owned ones put under the lease, the others deleted. A block or an address is
     * written only if no other node took it meanwhile (this node was away longer than its lease): one that
     * was is given up and counted as a lost claim, never overwritten.
     */
    private void flush() throws EtcdException
    {
        for (final String key : List.copyOf(dirty))
        {
            final byte[] value = owned.get(key);
            if (null == value)
            {
                store.delete(key);
            }
            else if (isClaim(key) && !store.create(key, value, lease))
            {
                final Optional<EtcdClient.KeyValue> current = store.get(key);
                if (current.isEmpty() || Arrays.equals(current.get().value(), value))
                {
                    store.put(key, value, lease);
                }
                else
                {
                    lostClaims++;
                    lastStoreError = "another node took " + key.substring(keys.prefix().length()) +
                        " while this node was away from the store";
                    owned.remove(key);
                    apply(key, current.get().value());
                }
            }
            else
            {
                store.put(key, value, lease);
            }
            dirty.remove(key);
        }
    }

    private boolean isClaim(final String key)
    {
        final ClusterKeys.Parsed parsed = keys.parse(key);
        return null != parsed && (parsed.kind() == ClusterKeys.Kind.BLOCK || parsed.kind() == ClusterKeys.Kind.ADDRESS);
    }

    private void flushQuietly()
    {
        try
        {
            flush();
        }
        catch (final EtcdException ex)
        {
            storeFailed(ex);
        }
    }

    private void refresh(final String key) throws EtcdException
    {
        final Optional<EtcdClient.KeyValue> current = store.get(key);
        apply(key, current.map(EtcdClient.KeyValue::value).orElse(null));
    }

    private void apply(final String key, final byte[] value)
    {
        final ClusterView.Change change = null == value ? view.delete(key) : view.put(key, value);
        if (null != change)
        {
            reconciler.changed(view, change);
        }
    }

    /** Keeps the lease of a member's key (0: the key is gone), for the status. */
    private void noteLease(final String key, final long memberLease)
    {
        final ClusterKeys.Parsed parsed = keys.parse(key);
        if (null != parsed && parsed.kind() == ClusterKeys.Kind.MEMBER)
        {
            if (0 == memberLease)
            {
                memberLeases.remove(parsed.name());
            }
            else
            {
                memberLeases.put(parsed.name(), memberLease);
            }
        }
    }

    private void storeFailed(final EtcdException ex)
    {
        storeErrors++;
        storeUp = false;
        lastStoreError = ex.getMessage();
    }

    private void requireStore()
    {
        if (!storeUp)
        {
            throw new StoreUnavailableException("the cluster store is unreachable" +
                (null == lastStoreError ? "" : ": " + lastStoreError));
        }
    }

    private void retryLater(final Runnable task)
    {
        if (null == retry && !thread.isShutdown())
        {
            retry = thread.schedule(task, retryMs, TimeUnit.MILLISECONDS);
            retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
        }
    }

    /**
     * Publishes what {@link #status} answers: at once if the last time was {@link #PUBLISH_INTERVAL_MS} ago,
     * else once that interval is over, so a storm of watch events does not rebuild it for every batch.
     */
    private void publish()
    {
        final long now = System.nanoTime();
        if (now - publishedAt >= TimeUnit.MILLISECONDS.toNanos(PUBLISH_INTERVAL_MS))
        {
            publishedAt = now;
            snapshot = snapshot();
        }
        else if (!publishPending && !thread.isShutdown())
        {
            publishPending = true;
            thread.schedule(() ->
            {
                publishPending = false;
                publishedAt = System.nanoTime();
                snapshot = snapshot();
            }, PUBLISH_INTERVAL_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** Watch callbacks arrive on the watch's thread and are handed to the cluster thread. */
    private final class Watcher implements EtcdClient.WatchListener
    {
        @Override
        public void events(final long revision, final List<EtcdClient.Event> events)
        {
            submit(() ->
            {
                if (this != activeWatcher)
                {
                    return;
                }
                for (final EtcdClient.Event event : events)
                {
                    final boolean put = event.type() == EtcdClient.Event.Type.PUT;
                    apply(event.kv().key(), put ? event.kv().value() : null);
                    noteLease(event.kv().key(), put ? event.kv().lease() : 0);
                }
                watchEvents += events.size();
                view.revision = Math.max(view.revision, revision);
                publish();
            });
        }

        @Override
        public void compacted(final long compactRevision)
        {
            submit(() ->
            {
                if (this != activeWatcher)
                {
                    return;
                }
                resyncs++;
                try
                {
                    load();
                }
                catch (final EtcdException ex)
                {
                    storeFailed(ex);
                    retryLater(ClusterNode.this::connect);
                }
                publish();
            });
        }

        @Override
        public void connection(final boolean up)
        {
            submit(() ->
            {
                if (this != activeWatcher)
                {
                    return;
                }
                storeUp = up;
                if (up)
                {
                    flushQuietly();
                }
                publish();
            });
        }
    }

    /** The switch's local endpoints, published under this node's lease. */
    private final class LocalEndpoints implements EndpointListener
    {
        @Override
        public void attached(final String network, final Endpoint endpoint)
        {
            submit(() ->
            {
                own(network, endpoint);
                flushQuietly();
                publish();
            });
        }

        @Override
        public void detached(final String network, final String mac)
        {
            submit(() ->
            {
                final String key = keys.endpoint(network, mac);
                if (null != owned.remove(key))
                {
                    dirty.add(key);
                    flushQuietly();
                    publish();
                }
            });
        }
    }

    /** Runs {@code task} on the cluster thread: now if this is it (the replay of local endpoints), else queued. */
    private void submit(final Runnable task)
    {
        if (Thread.currentThread() == clusterThread)
        {
            task.run();
        }
        else if (!thread.isShutdown())
        {
            thread.execute(task);
        }
    }

    /** Runs {@code task} on the cluster thread and waits for it; its exceptions are rethrown here. */
    private <T> T call(final Callable<T> task)
    {
        final Future<T> future;
        try
        {
            future = thread.submit(() ->
            {
                try
                {
                    return task.call();
                }
                catch (final EtcdException ex)
                {
                    storeFailed(ex);
                    throw new StoreUnavailableException("the cluster store did not answer: " + ex.getMessage());
                }
                finally
                {
                    publish();
                }
            });
        }
        catch (final java.util.concurrent.RejectedExecutionException ex)
        {
            throw new IllegalStateException("the cluster node is closed");
        }
        try
        {
            return future.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw new IllegalStateException(ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            future.cancel(true);
            throw new StoreUnavailableException("the cluster node did not answer within " + CALL_TIMEOUT_SECONDS + " s");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private static byte[] json(final Object value)
    {
        try
        {
            return ClusterView.JSON.writeValueAsBytes(value);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Stops following the cluster. The lease is not revoked: this node's keys (its endpoints, blocks and
     * allocations) stay until the lease runs out, so a daemon restarted within the lease's time to live
     * adopts it again and no other node sees it go; one that stays away is dropped by the others then.
     */
    @Override
    public void close()
    {
        try
        {
            thread.submit(() ->
            {
                if (null != watch)
                {
                    watch.close();
                    watch = null;
                }
                activeWatcher = null;
            }).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException ignored)
        {
            // stopping is best effort: the thread is stopped below either way
        }
        thread.shutdownNow();
        store.close();
    }
}
