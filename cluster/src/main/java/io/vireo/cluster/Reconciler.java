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
    private final Map<String, Map<String, Endpoint>> endpoints = new HashMap<>();
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
        }
        syncPeers(view, name);
        final Map<String, PublishedEndpoint> published = view.endpoints.getOrDefault(name, Map.of());
        final Map<String, Endpoint> installed = endpoints.getOrDefault(name, Map.of());
        final Set<String> macs = new HashSet<>(published.keySet());
        macs.addAll(installed.keySet());
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

    private void syncMember(final ClusterView view, final String node)
    {
        final boolean present = view.members.containsKey(node);
        if (present)
        {
            networks.keySet().forEach(network -> syncPeers(view, network));
        }
        for (final ClusterView.EndpointRef ref : List.copyOf(view.endpointsOf(node)))
        {
            syncEndpoint(view, ref.network(), ref.mac());
        }
        if (!present)
        {
            networks.keySet().forEach(network -> syncPeers(view, network));
        }
    }

    private void syncPeers(final ClusterView view, final String network)
    {
        final Set<String> wanted = new HashSet<>();
        for (final Member member : view.members.values())
        {
            if (!member.node().equals(self) && !member.underlay().equals(local.underlay()))
            {
                wanted.add(member.underlay());
            }
        }
        final Set<String> applied = peers.computeIfAbsent(network, n -> new HashSet<>());
        for (final String underlay : List.copyOf(applied))
        {
            if (!wanted.contains(underlay) && call(() -> overlay.removePeer(network, underlay)))
            {
                applied.remove(underlay);
                forgetEndpointsBehind(network, underlay);
            }
        }
        for (final String underlay : wanted)
        {
            if (!applied.contains(underlay) && call(() -> overlay.addPeer(network, underlay)))
            {
                applied.add(underlay);
            }
        }
    }

    /** Removing a peer removed its MACs from the switch: forget them, so a returning node gets them again. */
    private void forgetEndpointsBehind(final String network, final String underlay)
    {
        final Map<String, Endpoint> installed = endpoints.get(network);
        if (null != installed)
        {
            installed.values().removeIf(endpoint -> underlay.equals(endpoint.underlay()));
        }
    }

    private void syncEndpoint(final ClusterView view, final String network, final String mac)
    {
        if (!networks.containsKey(network))
        {
            return;
        }
        final Endpoint wanted = wanted(view, network, mac);
        final Map<String, Endpoint> installed = endpoints.computeIfAbsent(network, n -> new HashMap<>());
        final Endpoint applied = installed.get(mac);
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
            final Map<String, Endpoint> installed = endpoints.getOrDefault(network.name(), Map.of());
            final long localCount = installed.values().stream().filter(Endpoint::isLocal).count();
            list.add(new NetworkStatus(network.name(), network.vni(), network.subnet(),
                peers.getOrDefault(network.name(), Set.of()).size(), (int)localCount, installed.size() - (int)localCount));
        }
        list.sort(java.util.Comparator.comparing(NetworkStatus::name));
        return list;
    }
}
