package io.vireo.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

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
 * <p>
 * The session with the store is {@link StoreSession}'s, address management {@link AddressAllocator}'s,
 * the local endpoints {@link LocalEndpoints}'; this class is the API the control plane calls.
 */
public final class ClusterNode implements AutoCloseable
{
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
    private final StoreSession session;
    private final AddressAllocator addresses;
    private final Published<Snapshot> snapshot;  // what status() answers

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
        this.session = new StoreSession(config, store, keys, self, view, reconciler, thread, owned, overlay, this::statusChanged);
        this.localEndpoints = session.localEndpoints();
        this.addresses = new AddressAllocator(session, keys, self, view, owned);
        this.snapshot = new Published<>(thread, this::snapshot);  // built at once, from the session and the addresses
    }

    /**
     * Starts following the local endpoints and connecting to the store; returns at once. Until the store
     * answers, the switch keeps what it has and this node keeps trying.
     */
    public void start()
    {
        thread.execute(() -> overlay.watchLocalEndpoints(localEndpoints));
        thread.execute(session::connect);
        thread.every(config.leaseSeconds() * 1000L / 3, session::renew);
    }

    /**
     * Stops changing the switch and the store, for a handover to another process ({@code vireod --takeover}) that
     * adopts this node's lease: the watch closes, so the reconciler applies nothing more, and this node's keys are
     * written no more, but the lease is kept alive. Changes asked of the node (networks, addresses) are refused
     * until {@link #resume}. Returns once the cluster thread finished what it was doing.
     */
    public void suspend()
    {
        call(() ->
        {
            session.suspend();
            return null;
        });
    }

    /**
     * Follows the cluster again after {@link #suspend} (the handover failed): adopts the lease, which lived, writes
     * this node's keys, reloads the view and reconciles the switch to it, as at {@link #start}.
     */
    public void resume()
    {
        thread.execute(session::connect);
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
            session.requireActive();
            session.requireStore();
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
            session.apply(keys.network(name), ClusterView.json(network));
            return network;
        });
    }

    /** Deletes a network from the cluster, with its endpoints, blocks and allocations. */
    public void deleteNetwork(final String name)
    {
        call(() ->
        {
            session.requireActive();
            session.requireStore();
            if (!store.delete(keys.network(name)))
            {
                throw new IllegalArgumentException("no cluster network named " + name);
            }
            store.deletePrefix(keys.endpoints(name));
            store.deletePrefix(keys.blocks(name));
            store.deletePrefix(keys.addresses(name));
            owned.forget(key -> key.startsWith(keys.endpoints(name)) ||
                key.startsWith(keys.blocks(name)) || key.startsWith(keys.addresses(name)));
            session.apply(keys.network(name), null);
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
            session.requireActive();
            return addresses.allocate(network, owner);
        });
    }

    /** Releases {@code owner}'s address of {@code network}; false if it had none. */
    public boolean release(final String network, final String owner)
    {
        return call(() ->
        {
            session.requireActive();
            return addresses.release(network, owner);
        });
    }

    /** The address a network keeps for its gateway. */
    public String gateway(final String network)
    {
        return call(() -> addresses.gateway(network));
    }

    /** The address {@code owner} has on {@code network}, as this node sees it. */
    public Optional<String> addressOf(final String network, final String owner)
    {
        return call(() -> Optional.ofNullable(view.addressOf(network, owner)));
    }

    // ---- status ----

    /** What this node sees; with {@code withStore}, each etcd endpoint's health too (asked now). */
    public ClusterStatus status(final boolean withStore)
    {
        final Snapshot current = snapshot.get();
        return new ClusterStatus(self.node(), self.underlay(), current.lease, config.leaseSeconds(), session.isUp(),
            current.revision, current.members, current.networks, current.endpoints, current.pendingWrites,
            current.counters, current.lastError, withStore ? store.status() : null);
    }

    private record Snapshot(
        long lease, long revision, List<MemberStatus> members, List<NetworkStatus> networks, int endpoints,
        int pendingWrites, Map<String, Long> counters, String lastError)
    {
    }

    /** On the cluster thread, once the node is built: what the status shows may have changed. */
    private void statusChanged()
    {
        snapshot.update();
    }

    private Snapshot snapshot()
    {
        final List<MemberStatus> members = new ArrayList<>();
        for (final Member member : view.members.values())
        {
            members.add(new MemberStatus(member.node(), member.underlay(), member.vtepPort(),
                session.memberLease(member.node())));
        }
        members.sort(Comparator.comparing(MemberStatus::node));
        final Map<String, Long> counters = new LinkedHashMap<>();
        session.counters(counters);
        counters.put("conflicts", addresses.conflicts());
        counters.put("lost_claims", owned.lostClaims());
        counters.put("malformed_values", view.malformed);
        counters.put("switch_calls", reconciler.calls());
        counters.put("switch_failures", reconciler.failures());
        final String lastError = null != reconciler.lastError() ? reconciler.lastError() : session.lastError();
        return new Snapshot(session.lease(), view.revision, List.copyOf(members), reconciler.networks(), view.endpointCount(),
            owned.pendingCount(), counters, lastError);
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
                session.storeFailed(ex);
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
        thread.stop(session::stopWatching);
        store.close();
    }
}
