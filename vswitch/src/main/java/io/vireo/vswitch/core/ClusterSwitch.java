package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import io.vireo.api.Endpoint;
import io.vireo.api.EndpointListener;
import io.vireo.api.OverlaySwitch;
import io.vireo.flowtable.policy.IpPrefix;

/**
 * The switch as the cluster reconciler drives it ({@link OverlaySwitch}), over the {@link Vireo} facade: a
 * cluster network is a bridge of the network's name with a VXLAN endpoint on this node's underlay that
 * learns only from its configured peers (the other nodes); a remote endpoint is a static forwarding entry to
 * its node's peer and the answers to ARP and neighbour solicitations for its addresses; a local endpoint is
 * the answers alone (its port's MAC is learned as any other).
 * <p>
 * The networks are the bridges this made or took over ({@link #ensureNetwork} on a bridge that exists with the
 * same VXLAN settings), and, when it knows this node's underlay, every bridge shaped as it makes them: a VXLAN
 * endpoint on that underlay learning from configured peers only. That is how a daemon restarted from its
 * config file, which restored the bridges, still reports the networks it carried, so that a reconciler
 * removes those the cluster no longer has; it also means an operator's own bridge of that shape counts as a
 * network.
 * <p>
 * Refusals: {@link VireoException}s become {@link IllegalArgumentException} (invalid input) or
 * {@link IllegalStateException} (anything else: a conflict, a missing network, a failure), message kept.
 * Calls are serialised on this object; each takes the switch's lock inside, never the other way round, and
 * endpoint listeners are called on the switch's {@code vireo-endpoints} thread with no lock held, so a
 * listener may call back into this.
 */
public final class ClusterSwitch implements OverlaySwitch
{
    private static final int MAX_VNI = 0xFF_FFFF;
    private static final int MAX_PORT = 0xFFFF;

    private final Vireo vireo;
    private final String underlay;
    /** Networks made or taken over; read under the switch's lock by the endpoint watch, hence concurrent. */
    private final Set<String> networks = ConcurrentHashMap.newKeySet();

    /** Over {@code vireo}, knowing the networks it makes or takes over. */
    public ClusterSwitch(final Vireo vireo)
    {
        this(vireo, null);
    }

    /**
     * @param underlay this node's underlay IPv4 address, by which bridges of a cluster network restored from a
     *                 config file are recognised; null to count only those made or taken over.
     */
    public ClusterSwitch(final Vireo vireo, final String underlay)
    {
        this.vireo = Objects.requireNonNull(vireo, "vireo");
        this.underlay = underlay;
    }

    @Override
    public synchronized void ensureNetwork(final String network, final int vni, final String underlay, final int vtepPort)
    {
        call(() ->
        {
            if (vni < 0 || vni > MAX_VNI)
            {
                throw new IllegalArgumentException("a network's VNI must be 0.." + MAX_VNI + ": " + vni);
            }
            if (vtepPort < 1 || vtepPort > MAX_PORT)
            {
                throw new IllegalArgumentException("a network's VXLAN UDP port must be 1.." + MAX_PORT + ": " + vtepPort);
            }
            final String local = ipv4(underlay, "underlay address");
            if (vireo.hasBridge(network))
            {
                final VxlanInfo vxlan = vireo.vxlan(network);
                final String difference = difference(network, vxlan, vni, local, vtepPort);
                if (null != difference)
                {
                    throw new IllegalStateException(difference);
                }
                if (networks.add(network))
                {
                    vireo.overlay().announceEndpoints(network);
                }
                return null;
            }
            networks.add(network);
            try
            {
                vireo.addBridge(network, null, new VxlanSpec(vni, local, vtepPort, null, null, false, null));
            }
            catch (final RuntimeException ex)
            {
                networks.remove(network);
                throw ex;
            }
            return null;
        });
    }

    @Override
    public synchronized void removeNetwork(final String network)
    {
        call(() ->
        {
            if (!vireo.hasBridge(network))
            {
                networks.remove(network);
                return null;
            }
            if (!isNetwork(network, vireo.vxlan(network)))
            {
                throw new IllegalStateException("bridge " + network + " is not a cluster network: not removed");
            }
            vireo.deleteBridge(network);
            networks.remove(network);
            return null;
        });
    }

    @Override
    public synchronized List<String> networks()
    {
        return call(() ->
        {
            final List<String> names = new ArrayList<>();
            for (final BridgeInfo bridge : vireo.bridges())
            {
                if (isNetwork(bridge.name(), bridge.vxlan()))
                {
                    names.add(bridge.name());
                }
            }
            return names;
        });
    }

    @Override
    public synchronized void addPeer(final String network, final String underlay)
    {
        call(() ->
        {
            requireNetwork(network);
            final String peer = VxlanPorts.dottedQuad(underlay) >= 0 ? underlay :
                IpPrefix.formatIpv4(VxlanPorts.ipv4Address(underlay, "VXLAN peer"));
            vireo.overlay().change(overlay -> overlay.ensurePeer(network, peer));
            return null;
        });
    }

    @Override
    public synchronized void removePeer(final String network, final String underlay)
    {
        call(() ->
        {
            final String peer = ipv4(underlay, "peer's underlay address");
            final VxlanInfo vxlan = vireo.hasBridge(network) ? vireo.vxlan(network) : null;
            if (null != vxlan && vxlan.peers().stream().anyMatch(candidate -> candidate.address().equals(peer)))
            {
                vireo.overlay().deleteVxlanPeer(network, peer);
            }
            return null;
        });
    }

    @Override
    public synchronized List<String> peers(final String network)
    {
        return call(() ->
        {
            requireNetwork(network);
            return vireo.vxlan(network).peers().stream().filter(peer -> !peer.learned()).map(VxlanPeer::address).toList();
        });
    }

    @Override
    public synchronized void addEndpoint(final String network, final Endpoint endpoint)
    {
        call(() ->
        {
            Objects.requireNonNull(endpoint, "endpoint");
            final long mac = Overlay.unicastMac(endpoint.mac());
            final List<IpPrefix> addresses = endpoint.addresses().stream().map(OverlayEntries::address).distinct().toList();
            final String peer = endpoint.isLocal() ? null : ipv4(endpoint.underlay(), "endpoint's underlay address");
            requireNetwork(network);
            vireo.overlay().change(overlay -> overlay.setEndpoint(network, mac, peer, addresses));
            return null;
        });
    }

    @Override
    public synchronized void removeEndpoint(final String network, final String mac)
    {
        call(() ->
        {
            vireo.overlay().change(overlay -> overlay.removeEndpoint(network, mac));
            return null;
        });
    }

    @Override
    public synchronized List<Endpoint> remoteEndpoints(final String network)
    {
        return call(() ->
        {
            requireNetwork(network);
            final Map<String, List<String>> addresses = new HashMap<>();
            for (final NeighbourAnswer answer : vireo.overlay().neighbourAnswers(network))
            {
                addresses.computeIfAbsent(answer.mac(), mac -> new ArrayList<>()).add(answer.address());
            }
            return vireo.overlay().remoteMacs(network).stream()
                .map(remote -> new Endpoint(remote.mac(), addresses.getOrDefault(remote.mac(), List.of()), remote.peer()))
                .toList();
        });
    }

    /**
     * Tells {@code listener} of the ports with a MAC on the networks' bridges, as
     * {@link VireoOverlay#watchEndpoints} does: on the switch's {@code vireo-endpoints} thread, never under a lock.
     * A bridge taken over by {@link #ensureNetwork} is told of then, with the ports it has.
     */
    @Override
    public synchronized List<Endpoint> localEndpoints(final String network)
    {
        return call(() ->
        {
            requireNetwork(network);
            return vireo.overlay().endpoints(network);
        });
    }

    @Override
    public synchronized void watchLocalEndpoints(final EndpointListener listener)
    {
        call(() -> vireo.overlay().watchEndpoints(networks::contains, listener));
    }

    private boolean isNetwork(final String name, final VxlanInfo vxlan)
    {
        return networks.contains(name) ||
            null != underlay && null != vxlan && !vxlan.learnAnyPeer() && vxlan.local().equals(underlay);
    }

    private void requireNetwork(final String network)
    {
        if (!vireo.hasBridge(network))
        {
            throw new IllegalStateException("no network " + network + " on this switch (ensureNetwork first)");
        }
    }

    /** What makes an existing bridge unfit for the network, or null if it fits. */
    private static String difference(
        final String network, final VxlanInfo vxlan, final int vni, final String underlay, final int vtepPort)
    {
        if (null == vxlan)
        {
            return "bridge " + network + " exists without a VXLAN endpoint";
        }
        final List<String> differences = new ArrayList<>();
        if (vxlan.vni() != vni)
        {
            differences.add("VNI " + vxlan.vni() + ", not " + vni);
        }
        if (!vxlan.local().equals(underlay))
        {
            differences.add("local address " + vxlan.local() + ", not " + underlay);
        }
        if (vxlan.port() != vtepPort)
        {
            differences.add("UDP port " + vxlan.port() + ", not " + vtepPort);
        }
        if (vxlan.learnAnyPeer())
        {
            differences.add("it learns peers from any address");
        }
        return differences.isEmpty() ? null : "bridge " + network + " exists with another VXLAN endpoint: " +
            String.join("; ", differences);
    }

    /** An IPv4 address in its usual text. */
    private static String ipv4(final String text, final String what)
    {
        if (null == text)
        {
            throw new IllegalArgumentException("no " + what);
        }
        // text that reads as a plain dotted quad is already in the form formatIpv4 writes: kept, not copied
        return VxlanPorts.dottedQuad(text) >= 0 ? text : IpPrefix.formatIpv4(VxlanPorts.ipv4Address(text, what));
    }

    /** Runs a call on the switch, its refusals as the interface documents them. */
    private static <T> T call(final Supplier<T> call)
    {
        try
        {
            return call.get();
        }
        catch (final VireoException ex)
        {
            if (VireoException.Kind.INVALID == ex.kind())
            {
                throw new IllegalArgumentException(ex.getMessage(), ex);
            }
            throw new IllegalStateException(ex.getMessage(), ex);
        }
    }
}
