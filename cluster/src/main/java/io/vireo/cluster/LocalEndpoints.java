package io.vireo.cluster;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import io.vireo.api.Endpoint;
import io.vireo.api.EndpointListener;
import io.vireo.api.OverlaySwitch;

/**
 * The switch's local endpoints as this node's keys in the store ({@code endpoints/NETWORK/MAC}, under its
 * lease): told by the switch as ports come and go, and read from it whole when the node (re)connects. Runs on
 * the cluster thread; {@code changed} writes the keys and publishes the status.
 */
final class LocalEndpoints implements EndpointListener
{
    private final ClusterKeys keys;
    private final String node;
    private final OverlaySwitch overlay;
    private final ClusterView view;
    private final OwnedKeys owned;
    private final ClusterThread thread;
    private final Runnable changed;

    LocalEndpoints(
        final ClusterKeys keys, final String node, final OverlaySwitch overlay, final ClusterView view,
        final OwnedKeys owned, final ClusterThread thread, final Runnable changed)
    {
        this.keys = keys;
        this.node = node;
        this.overlay = overlay;
        this.view = view;
        this.owned = owned;
        this.thread = thread;
        this.changed = changed;
    }

    /**
     * Takes the endpoints the switch has now on every network (a restarted daemon's containers) as this node's
     * own, and withdraws those the store lists for this node that the switch no longer has (containers deleted
     * while it was down). Asked of the switch, not waited for from its watch, so a restart withdraws nothing
     * that is still there.
     */
    void republish()
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
                if (node.equals(endpoint.node()) && !present.contains(key) && !owned.owns(key))
                {
                    owned.withdraw(key);
                }
            }
        }
    }

    @Override
    public void attached(final String network, final Endpoint endpoint)
    {
        thread.submit(() ->
        {
            own(network, endpoint);
            changed.run();
        });
    }

    @Override
    public void detached(final String network, final String mac)
    {
        thread.submit(() ->
        {
            final String key = keys.endpoint(network, mac);
            if (owned.owns(key))
            {
                owned.withdraw(key);
                changed.run();
            }
        });
    }

    /** Takes a local endpoint as one of this node's keys, to be written if it changed; returns its key. */
    private String own(final String network, final Endpoint endpoint)
    {
        final String key = keys.endpoint(network, endpoint.mac());
        owned.own(key, ClusterView.json(new PublishedEndpoint(endpoint.mac(), endpoint.addresses(), node)));
        return key;
    }
}
