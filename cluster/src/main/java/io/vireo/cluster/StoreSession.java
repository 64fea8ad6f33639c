package io.vireo.cluster;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;

import io.vireo.api.OverlaySwitch;
import io.vireo.cluster.etcd.EtcdClient;
import io.vireo.cluster.etcd.EtcdException;

/**
 * A {@link ClusterNode}'s session with the store, on its {@link ClusterThread}: registers the node under
 * a lease it renews (adopting a previous run's lease while it lives, replacing a lost one and writing
 * every owned key again), loads the cluster into the {@link ClusterView} and follows it with a watch,
 * retrying with backoff while the store is away; {@link #apply} hands every change of the view to the
 * {@link Reconciler}; writes the switch's local endpoints ({@link LocalEndpoints}) as they change. Keeps the
 * counters and the last error the node's status reports.
 */
final class StoreSession
{
    private static final long MAX_RETRY_MS = 2_000;

    private final ClusterConfig config;
    private final EtcdClient store;
    private final ClusterKeys keys;
    private final Member self;
    private final ClusterView view;
    private final Reconciler reconciler;
    private final ClusterThread thread;
    private final OwnedKeys owned;
    private final LocalEndpoints localEndpoints;
    /** Told when what the status shows may have changed. */
    private final Runnable changed;
    /** Each member's lease, as its key in the store carries it. */
    private final Map<String, Long> memberLeases = new HashMap<>();
    private EtcdClient.Watch watch;
    /** The listener of the current watch: what an earlier one still hands over is stale and dropped. */
    private Watcher activeWatcher;
    private ScheduledFuture<?> retry;
    private long retryMs = 100;
    private boolean loaded;
    /** Set by {@link #suspend} until {@link #connect}: the lease is kept alive, nothing else is done. */
    private boolean suspended;
    private long lease;
    private volatile boolean storeUp;
    private long watchEvents;
    private long resyncs;
    private long registrations;
    private long storeErrors;
    private String lastStoreError;

    StoreSession(
        final ClusterConfig config, final EtcdClient store, final ClusterKeys keys, final Member self, final ClusterView view,
        final Reconciler reconciler, final ClusterThread thread, final OwnedKeys owned, final OverlaySwitch overlay,
        final Runnable changed)
    {
        this.config = config;
        this.store = store;
        this.keys = keys;
        this.self = self;
        this.view = view;
        this.reconciler = reconciler;
        this.thread = thread;
        this.owned = owned;
        this.changed = changed;
        this.localEndpoints = new LocalEndpoints(keys, self.node(), overlay, view, owned, thread, () ->
        {
            flushQuietly();
            changed.run();
        });
    }

    /** The publisher of the switch's local endpoints, whose keys this session republishes on each load and writes as they change. */
    LocalEndpoints localEndpoints()
    {
        return localEndpoints;
    }

    EtcdClient store()
    {
        return store;
    }

    /** The lease this node's keys are written under; 0 before it registered. */
    long lease()
    {
        return lease;
    }

    boolean isUp()
    {
        return storeUp;
    }

    /** Whether the view was read from the store at least once since this node started. */
    boolean isLoaded()
    {
        return loaded;
    }

    String lastError()
    {
        return lastStoreError;
    }

    long memberLease(final String node)
    {
        return memberLeases.getOrDefault(node, 0L);
    }

    /** The session's counters, in the order the status lists them. */
    void counters(final Map<String, Long> counters)
    {
        counters.put("watch_events", watchEvents);
        counters.put("resyncs", resyncs);
        counters.put("registrations", registrations);
        counters.put("store_errors", storeErrors);
    }

    /** Registers (adopting this node's lease if a previous run's is still alive), loads the view, watches. */
    void connect()
    {
        retry = null;
        suspended = false;
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
        changed.run();
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
        closeWatch();
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
    void renew()
    {
        if (0 == lease || null != retry)
        {
            return;  // not registered yet: connect() is on it
        }
        try
        {
            final boolean alive = store.keepAlive(lease) > 0;
            if (suspended)
            {
                return;  // the process taking this node's place adopts the lease while it lives
            }
            if (!alive)
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
        changed.run();
    }

    /** Writes this node's pending keys; a claim another node took meanwhile is given up and said. */
    void flush() throws EtcdException
    {
        owned.flush(store, lease, (key, taken) ->
        {
            lastStoreError = "another node took " + key.substring(keys.prefix().length()) +
                " while this node was away from the store";
            apply(key, taken);
        });
    }

    void flushQuietly()
    {
        if (suspended)
        {
            return;  // written by connect(), if it resumes; the process taking over republishes them otherwise
        }
        try
        {
            flush();
        }
        catch (final EtcdException ex)
        {
            storeFailed(ex);
        }
    }

    void refresh(final String key) throws EtcdException
    {
        final Optional<EtcdClient.KeyValue> current = store.get(key);
        apply(key, current.map(EtcdClient.KeyValue::value).orElse(null));
    }

    void apply(final String key, final byte[] value)
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

    void storeFailed(final EtcdException ex)
    {
        storeErrors++;
        storeUp = false;
        lastStoreError = ex.getMessage();
    }

    /**
     * Stops following the store and writing to it, for a handover to another process, which adopts this node's
     * lease: the watch closes, so nothing more reaches the reconciler, a pending retry is dropped, and {@link #renew}
     * only keeps the lease alive. {@link #connect} resumes.
     */
    void suspend()
    {
        suspended = true;
        stopWatching();
        if (null != retry)
        {
            retry.cancel(false);
            retry = null;
        }
    }

    /** @throws IllegalStateException while {@link #suspend suspended}: a change now would be lost in the handover. */
    void requireActive()
    {
        if (suspended)
        {
            throw new IllegalStateException("this cluster node is being handed over to another vireod: try again");
        }
    }

    void requireStore()
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
                changed.run();
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
                    retryLater(StoreSession.this::connect);
                }
                changed.run();
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
                changed.run();
            });
        }
    }

    /** Stops the watch; what it still hands over is dropped. */
    void stopWatching()
    {
        closeWatch();
        activeWatcher = null;
    }

    private void closeWatch()
    {
        if (null != watch)
        {
            watch.close();
            watch = null;
        }
    }
}
