package io.vireo.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.vireo.api.Endpoint;
import io.vireo.api.OverlaySwitch;

/**
 * Turns the {@link ClusterView} into calls on the switch, and remembers what it applied, so each change
 * costs only the items it touches and a resync costs one pass over the view. What the switch should
 * have:
 * <ul>
 *   <li>a bridge per network in the view;</li>
 *   <li>on each, a VXLAN peer per other member's underlay;</li>
 *   <li>on each, every endpoint published by a current member: a remote one forwards to its node's
 *       underlay, this node's own gets only the ARP/ND answers.</li>
 * </ul>
 * A call the switch refuses is counted and kept as the last error; the item stays unapplied, so the
 * next resync tries it again. Used by the cluster thread only.
 */
final class Reconciler
{
    private final String self;
    private final Member local;
    private final OverlaySwitch overlay;
    private final Map<String, Network> networks = new HashMap<>();
    private final Map<String, Set<String>> peers = new HashMap<>();
    /** Each member's underlay as last synced: where its peer was, when it moves or goes. */
    private final Map<String, String> memberUnderlays = new HashMap<>();
    private final Map<String, Installed> endpoints = new HashMap<>();
    private long calls;
    private long failures;
    private String lastError;

    Reconciler(final Member local, final OverlaySwitch overlay)
    {
        this.self = local.node();
        this.local = local;
        this.overlay = overlay;
    }

    /**
     * Brings the switch to what the whole view says. A network bridge the switch has from before (restored
     * from its saved state) that the cluster no longer has is removed too.
     */
    void resync(final ClusterView view)
    {
        for (final String network : overlay.networks())
        {
            if (!view.networks.containsKey(network) && !networks.containsKey(network))
            {
                call(() -> overlay.removeNetwork(network));
            }
        }
        for (final String network : List.copyOf(networks.keySet()))
        {
            if (!networks.get(network).equals(view.networks.get(network)))
            {
                dropNetwork(network);
            }
        }
        for (final Network network : view.networks.values())
        {
            syncNetwork(view, network.name());
        }
    }

    /** Brings the switch to what the view says after {@code change}. */
    void changed(final ClusterView view, final ClusterView.Change change)
    {
        switch (change.kind())
        {
            case NETWORK -> syncNetwork(view, change.name());
            case MEMBER -> syncMember(view, change.name());
            case ENDPOINT -> syncEndpoint(view, change.name(), change.item());
            default ->
            {
                // blocks and addresses are the address manager's, not the switch's
            }
        }
    }

    private void syncNetwork(final ClusterView view, final String name)
    {
        final Network wanted = view.networks.get(name);
        final Network applied = networks.get(name);
        if (null != applied && !applied.equals(wanted))
        {
            dropNetwork(name);
        }
        if (null == wanted)
        {
            return;
        }
        if (!networks.containsKey(name))
        {
            if (!call(() -> overlay.ensureNetwork(name, wanted.vni(), local.underlay(), local.vtepPort())))
            {
                return;
            }
            networks.put(name, wanted);
            // a bridge restored from saved state may have peers of nodes long gone: they are ours to remove
            call(() -> peers.put(name, new HashSet<>(overlay.peers(name))));
            // one handed over by another process has its remote endpoints: those still wanted are left as they are
            call(() -> overlay.remoteEndpoints(name).forEach(endpoint ->
                endpoints.computeIfAbsent(name, n -> new Installed()).put(endpoint.mac(), endpoint)));
        }
        syncPeers(view, name);
        final Map<String, PublishedEndpoint> published = view.endpoints.getOrDefault(name, Map.of());
        final Installed installed = endpoints.get(name);
        final Set<String> macs = new HashSet<>(published.keySet());
        if (null != installed)
        {
            macs.addAll(installed.byMac.keySet());
        }
        for (final String mac : macs)
        {
            syncEndpoint(view, name, mac);
        }
    }

    private void dropNetwork(final String name)
    {
        networks.remove(name);
        peers.remove(name);
        endpoints.remove(name);
        call(() -> overlay.removeNetwork(name));
    }

    /**
     * A member came, went or changed: only the peers at its underlay address, before and now, can have changed,
     * so only those are looked at (not every member, which made a thousand members' arrival cost a million steps).
     */
    private void syncMember(final ClusterView view, final String node)
    {
        final Member member = view.members.get(node);
        final String before = null == member ? memberUnderlays.remove(node) : memberUnderlays.put(node, member.underlay());
        if (null != member)
        {
            networks.keySet().forEach(network ->
            {
                syncPeer(view, network, before);
                syncPeer(view, network, member.underlay());
            });
        }
        for (final ClusterView.EndpointRef ref : List.copyOf(view.endpointsOf(node)))
        {
            syncEndpoint(view, ref.network(), ref.mac());
        }
        if (null == member)
        {
            networks.keySet().forEach(network -> syncPeer(view, network, before));
        }
    }

    /** Every peer of a network: the underlays of the other members, none other. */
    private void syncPeers(final ClusterView view, final String network)
    {
        final Set<String> wanted = new HashSet<>();
        memberUnderlays.clear();
        for (final Member member : view.members.values())
        {
            memberUnderlays.put(member.node(), member.underlay());
            if (isPeer(view, member.underlay()))
            {
                wanted.add(member.underlay());
            }
        }
        final Set<String> applied = peers.computeIfAbsent(network, n -> new HashSet<>());
        for (final String underlay : List.copyOf(applied))
        {
            if (!wanted.contains(underlay))
            {
                syncPeer(view, network, underlay);
            }
        }
        for (final String underlay : wanted)
        {
            syncPeer(view, network, underlay);
        }
    }

    /** The network's peer at {@code underlay} (null: none to look at): there if and only if the view wants it. */
    private void syncPeer(final ClusterView view, final String network, final String underlay)
    {
        if (null == underlay)
        {
            return;
        }
        final Set<String> applied = peers.computeIfAbsent(network, n -> new HashSet<>());
        final boolean wanted = isPeer(view, underlay);
        if (!wanted && applied.contains(underlay) && call(() -> overlay.removePeer(network, underlay)))
        {
            applied.remove(underlay);
            forgetEndpointsBehind(network, underlay);
        }
        else if (wanted && !applied.contains(underlay) && call(() -> overlay.addPeer(network, underlay)))
        {
            applied.add(underlay);
        }
    }

    /** Whether a member other than this node is at {@code underlay}, which is not this node's own. */
    private boolean isPeer(final ClusterView view, final String underlay)
    {
        if (underlay.equals(local.underlay()))
        {
            return false;
        }
        final Set<String> nodes = view.membersAt(underlay);
        return nodes.size() > 1 || nodes.size() == 1 && !nodes.contains(self);
    }

    /** Removing a peer removed its MACs from the switch: forget them, so a returning node gets them again. */
    private void forgetEndpointsBehind(final String network, final String underlay)
    {
        final Installed installed = endpoints.get(network);
        if (null != installed)
        {
            installed.removeBehind(underlay);
        }
    }

    private void syncEndpoint(final ClusterView view, final String network, final String mac)
    {
        if (!networks.containsKey(network))
        {
            return;
        }
        final Endpoint wanted = wanted(view, network, mac);
        final Installed installed = endpoints.computeIfAbsent(network, n -> new Installed());
        final Endpoint applied = installed.byMac.get(mac);
        if (Objects.equals(wanted, applied))
        {
            return;
        }
        if (null == wanted)
        {
            if (call(() -> overlay.removeEndpoint(network, mac)))
            {
                installed.remove(mac);
            }
            return;
        }
        if (call(() -> overlay.addEndpoint(network, wanted)))
        {
            installed.put(mac, wanted);
        }
    }

    private Endpoint wanted(final ClusterView view, final String network, final String mac)
    {
        final PublishedEndpoint published = view.endpoint(network, mac);
        if (null == published)
        {
            return null;
        }
        if (published.node().equals(self))
        {
            return new Endpoint(mac, published.addresses(), Endpoint.LOCAL);
        }
        final Member member = view.members.get(published.node());
        // a node claiming this node's underlay address is no peer it can reach: nothing of it is installed
        return null == member || member.underlay().equals(local.underlay()) ? null :
            new Endpoint(mac, published.addresses(), member.underlay());
    }

    /**
     * A network's endpoints as applied to the switch, by MAC, and how many of them are this node's: counted as
     * they change, so a status does not walk them all.
     */
    private static final class Installed
    {
        final Map<String, Endpoint> byMac = new HashMap<>();
        int local;

        void put(final String mac, final Endpoint endpoint)
        {
            final Endpoint previous = byMac.put(mac, endpoint);
            local += (endpoint.isLocal() ? 1 : 0) - (null != previous && previous.isLocal() ? 1 : 0);
        }

        void remove(final String mac)
        {
            final Endpoint previous = byMac.remove(mac);
            local -= null != previous && previous.isLocal() ? 1 : 0;
        }

        void removeBehind(final String underlay)
        {
            byMac.values().removeIf(endpoint ->
            {
                final boolean behind = underlay.equals(endpoint.underlay());
                local -= behind && endpoint.isLocal() ? 1 : 0;
                return behind;
            });
        }
    }

    private boolean call(final Runnable change)
    {
        calls++;
        try
        {
            change.run();
            return true;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            failures++;
            lastError = ex.getMessage();
            return false;
        }
    }

    long calls()
    {
        return calls;
    }

    long failures()
    {
        return failures;
    }

    String lastError()
    {
        return lastError;
    }

    /** The networks applied to the switch, with their peer and endpoint counts. */
    List<NetworkStatus> networks()
    {
        final List<NetworkStatus> list = new ArrayList<>();
        for (final Network network : networks.values())
        {
            final Installed installed = endpoints.get(network.name());
            final int local = null == installed ? 0 : installed.local;
            final int all = null == installed ? 0 : installed.byMac.size();
            list.add(new NetworkStatus(network.name(), network.vni(), network.subnet(),
                peers.getOrDefault(network.name(), Set.of()).size(), local, all - local));
        }
        list.sort(java.util.Comparator.comparing(NetworkStatus::name));
        return list;
    }
}
