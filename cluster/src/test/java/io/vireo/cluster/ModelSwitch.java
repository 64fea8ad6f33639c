package io.vireo.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.vireo.api.Endpoint;
import io.vireo.api.EndpointListener;
import io.vireo.api.OverlaySwitch;

/**
 * The overlay state of a switch as {@link OverlaySwitch} describes it (networks, peers, endpoints, and
 * removing a peer removing the MACs behind it), kept in maps, for the reconciler's unit tests; the real
 * switch is driven by the integration tests.
 */
final class ModelSwitch implements OverlaySwitch
{
    final Map<String, Integer> networks = new HashMap<>();
    final Map<String, Set<String>> peers = new HashMap<>();
    final Map<String, Map<String, Endpoint>> endpoints = new HashMap<>();
    final List<String> calls = new ArrayList<>();
    String refuseNetwork;
    private EndpointListener listener;
    /** The ports with a MAC this switch has, by network: what localEndpoints lists and the watcher heard of. */
    private final Map<String, Map<String, Endpoint>> local = new HashMap<>();

    @Override
    public synchronized void ensureNetwork(final String network, final int vni, final String underlay, final int vtepPort)
    {
        calls.add("ensureNetwork " + network);
        if (network.equals(refuseNetwork))
        {
            throw new IllegalStateException("bridge " + network + " exists with other VXLAN settings");
        }
        networks.put(network, vni);
    }

    @Override
    public synchronized void removeNetwork(final String network)
    {
        calls.add("removeNetwork " + network);
        networks.remove(network);
        peers.remove(network);
        endpoints.remove(network);
    }

    @Override
    public synchronized List<String> networks()
    {
        return List.copyOf(networks.keySet());
    }

    @Override
    public synchronized void addPeer(final String network, final String underlay)
    {
        calls.add("addPeer " + network + " " + underlay);
        requireNetwork(network);
        peers.computeIfAbsent(network, n -> new HashSet<>()).add(underlay);
    }

    @Override
    public synchronized void removePeer(final String network, final String underlay)
    {
        calls.add("removePeer " + network + " " + underlay);
        requireNetwork(network);
        peers.getOrDefault(network, new HashSet<>()).remove(underlay);
        endpoints.getOrDefault(network, new HashMap<>()).values().removeIf(e -> underlay.equals(e.underlay()));
    }

    @Override
    public synchronized List<String> peers(final String network)
    {
        requireNetwork(network);
        return List.copyOf(peers.getOrDefault(network, Set.of()));
    }

    @Override
    public synchronized void addEndpoint(final String network, final Endpoint endpoint)
    {
        calls.add("addEndpoint " + network + " " + endpoint.mac());
        requireNetwork(network);
        if (!endpoint.isLocal())
        {
            peers.computeIfAbsent(network, n -> new HashSet<>()).add(endpoint.underlay());
        }
        endpoints.computeIfAbsent(network, n -> new HashMap<>()).put(endpoint.mac(), endpoint);
    }

    @Override
    public synchronized void removeEndpoint(final String network, final String mac)
    {
        calls.add("removeEndpoint " + network + " " + mac);
        requireNetwork(network);
        endpoints.getOrDefault(network, new HashMap<>()).remove(mac);
    }

    @Override
    public synchronized List<Endpoint> remoteEndpoints(final String network)
    {
        requireNetwork(network);
        return endpoints.getOrDefault(network, Map.of()).values().stream().filter(endpoint -> !endpoint.isLocal()).toList();
    }

    @Override
    public synchronized List<Endpoint> localEndpoints(final String network)
    {
        requireNetwork(network);
        return List.copyOf(local.getOrDefault(network, Map.of()).values());
    }

    @Override
    public synchronized void watchLocalEndpoints(final EndpointListener listener)
    {
        this.listener = listener;
    }

    /** A port with {@code mac} joins {@code network} on this switch: its watcher hears of it. */
    synchronized void attachLocal(final String network, final String mac, final String address)
    {
        final Endpoint endpoint = new Endpoint(mac, List.of(address), Endpoint.LOCAL);
        local.computeIfAbsent(network, n -> new HashMap<>()).put(mac, endpoint);
        listener.attached(network, endpoint);
    }

    synchronized void detachLocal(final String network, final String mac)
    {
        local.getOrDefault(network, new HashMap<>()).remove(mac);
        listener.detached(network, mac);
    }

    synchronized Map<String, Endpoint> endpointsOf(final String network)
    {
        return Map.copyOf(endpoints.getOrDefault(network, Map.of()));
    }

    synchronized Set<String> peersOf(final String network)
    {
        return Set.copyOf(peers.getOrDefault(network, Set.of()));
    }

    private void requireNetwork(final String network)
    {
        if (!networks.containsKey(network))
        {
            throw new IllegalArgumentException("no bridge named " + network);
        }
    }
}
