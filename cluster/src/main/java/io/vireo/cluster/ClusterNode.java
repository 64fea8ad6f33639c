package io.vireo.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledFuture;

import io.vireo.api.OverlaySwitch;
import io.vireo.cluster.etcd.EtcdClient;
import io.vireo.cluster.etcd.EtcdException;

/**
 * One node of a cluster: registers itself in etcd under a lease it keeps alive, reads the cluster's
 * state into its {@link ClusterView}, follows it with a watch, and has the {@link Reconciler} apply it
 * to the switch; publishes the switch's local endpoints and hands out addresses from blocks it claims.
 * <p>
 * Everything runs on one {@link ClusterThread}, so the view, the reconciler and this node's own keys
 * ({@link OwnedKeys}: written again until the store takes them, so changes made while the store is away
 * reach it when it returns) need no lock; the switch's forwarding threads never wait on it. A lost lease
 * (the store forgot this node) is replaced and every owned key written again.
 */
public final class ClusterNode implements AutoCloseable
{
    private static final long MAX_RETRY_MS = 2_000;
    private static final long CALL_TIMEOUT_SECONDS = 30;

    private final ClusterConfig config;
    private final OverlaySwitch overlay;
    private final EtcdClient store;
    private final ClusterKeys keys;
    private final Member self;
    private final ClusterView view;
    private final Reconciler reconciler;
    private final ClusterThread thread = new ClusterThread();
    private final OwnedKeys owned;
    private final LocalEndpoints localEndpoints;
    /** Each member's lease, as its key in the store carries it. */
    private final Map<String, Long> memberLeases = new HashMap<>();
    private EtcdClient.Watch watch;
    /** The listener of the current watch: what an earlier one still hands over is stale and dropped. */
    private Watcher activeWatcher;
    private ScheduledFuture<?> retry;
    private long retryMs = 100;
    private boolean loaded;
    private long lease;
    private volatile boolean storeUp;
    private final Published<Snapshot> snapshot;  // what status() answers
    private long watchEvents;
    private long resyncs;
    private long registrations;
    private long storeErrors;
    private long conflicts;
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
        this.owned = new OwnedKeys(keys);
        this.snapshot = new Published<>(thread, this::snapshot);
        this.localEndpoints = new LocalEndpoints(keys, self.node(), overlay, view, owned, thread, () ->
        {
            flushQuietly();
            snapshot.update();
        });
    }

    /**
     * Starts following the local endpoints and connecting to the store; returns at once. Until the store
     * answers, the switch keeps what it has and this node keeps trying.
     */
    public void start()
    {
        thread.execute(() -> overlay.watchLocalEndpoints(localEndpoints));
        thread.execute(this::connect);
        thread.every(config.leaseSeconds() * 1000L / 3, this::renew);
    }

    public ClusterConfig config()
    {
        return config;
    }

    // ---- networks ----

    /**
     * Adds a network to the cluster (every node creates its bridge): an IPv4 or an IPv6 subnet;
     * {@code blockPrefix} null for /26 (IPv4) or /122 (IPv6).
     */
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
            if (!store.create(keys.network(name), ClusterView.json(network), 0))
            {
                throw new IllegalStateException("cluster network " + name + " already exists");
            }
            apply(keys.network(name), ClusterView.json(network));
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
            owned.forget(key -> key.startsWith(keys.endpoints(name)) ||
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
     * @return the address (canonical: see {@link AddressBlocks}) and the network's prefix length, as ADDRESS/LEN.
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
            owned.withdraw(key);
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
        final long count = AddressBlocks.blockCount(network);
        final long first = AddressBlocks.firstCandidate(network, self.node());
        for (long i = 0; i < count; i++)
        {
            final String block = AddressBlocks.block(network, (first + i) % count);
            if (view.blocksOf(network.name()).containsKey(block))
            {
                continue;
            }
            final String key = keys.block(network.name(), block);
            final byte[] value = ClusterView.json(new Block(self.node()));
            if (store.create(key, value, lease))
            {
                owned.adopt(key, value);
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
        final byte[] value = ClusterView.json(new Allocation(self.node(), owner));
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
                owned.adopt(key, value);
                apply(key, value);
                return true;
            }
            catch (final EtcdException ex)
            {
                storeFailed(ex);
            }
        }
        owned.own(key, value);  // pending: written when the store returns
        apply(key, value);
        return true;
    }

    // ---- status ----

    /** What this node sees; with {@code withStore}, each etcd endpoint's health too (asked now). */
    public ClusterStatus status(final boolean withStore)
    {
        final Snapshot current = snapshot.get();
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
        counters.put("lost_claims", owned.lostClaims());
        counters.put("malformed_values", view.malformed);
        counters.put("switch_calls", reconciler.calls());
        counters.put("switch_failures", reconciler.failures());
        final String lastError = null != reconciler.lastError() ? reconciler.lastError() : lastStoreError;
        return new Snapshot(lease, view.revision, List.copyOf(members), reconciler.networks(), view.endpointCount(),
            owned.pendingCount(), counters, lastError);
    }

    // ---- the session with the store ----

    /** Registers (adopting this node's lease if a previous run's is still alive), loads the view, watches. */
    private void connect()
    {
        retry = null;
        try
        {
            lease = adoptOrGrantLease();
            owned.own(keys.member(self.node()), ClusterView.json(self));
            owned.rewriteAll();
            flush();
            load();
            retryMs = 100;
        }
        catch (final EtcdException ex)
        {
            storeFailed(ex);
            retryLater(this::connect);
        }
        snapshot.update();
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
            if (null != parsed && !owned.owns(kv.key()) && kv.lease() == lease &&
                (parsed.kind() == ClusterKeys.Kind.BLOCK || parsed.kind() == ClusterKeys.Kind.ADDRESS))
            {
                owned.adopt(kv.key(), kv.value());
            }
        }
        // what this node wrote while the store was away is not in the store yet: keep it in the view
        owned.forEachPending((key, value) ->
        {
            if (null == value)
            {
                view.delete(key);
            }
            else
            {
                view.put(key, value);
            }
        });
        reconciler.resync(view);
        localEndpoints.republish();
        flush();
        loaded = true;
        activeWatcher = new Watcher();
        watch = store.watch(keys.prefix(), range.revision() + 1, activeWatcher);
        storeUp = true;
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
                owned.rewriteAll();
            }
            flush();
        }
        catch (final EtcdException ex)
        {
            storeFailed(ex);
        }
        snapshot.update();
    }

    /** Writes this node's pending keys; a claim another node took meanwhile is given up and said. */
    private void flush() throws EtcdException
    {
        owned.flush(store, lease, (key, taken) ->
        {
            lastStoreError = "another node took " + key.substring(keys.prefix().length()) +
                " while this node was away from the store";
            apply(key, taken);
        });
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
        if (null == retry)
        {
            retry = thread.schedule(task, retryMs);
            retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
        }
    }

    /** Watch callbacks arrive on the watch's thread and are handed to the cluster thread. */
    private final class Watcher implements EtcdClient.WatchListener
    {
        @Override
        public void events(final long revision, final List<EtcdClient.Event> events)
        {
            thread.submit(() ->
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
                snapshot.update();
            });
        }

        @Override
        public void compacted(final long compactRevision)
        {
            thread.submit(() ->
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
                snapshot.update();
            });
        }

        @Override
        public void connection(final boolean up)
        {
            thread.submit(() ->
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
                snapshot.update();
            });
        }
    }

    /** Runs {@code task} on the cluster thread and waits for it; a store that fails it is said unavailable. */
    private <T> T call(final Callable<T> task)
    {
        return thread.call(() ->
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
                snapshot.update();
            }
        });
    }

    /**
     * Stops following the cluster. The lease is not revoked: this node's keys (its endpoints, blocks and
     * allocations) stay until the lease runs out, so a daemon restarted within the lease's time to live
     * adopts it again and no other node sees it go; one that stays away is dropped by the others then.
     */
    @Override
    public void close()
    {
        thread.stop(() ->
        {
            if (null != watch)
            {
                watch.close();
                watch = null;
            }
            activeWatcher = null;
        });
        store.close();
    }
}
