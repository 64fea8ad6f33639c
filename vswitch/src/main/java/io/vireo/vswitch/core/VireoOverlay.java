package io.vireo.vswitch.core;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

import io.vireo.api.Endpoint;
import io.vireo.api.EndpointListener;

/**
 * The overlay of the {@link Vireo} facade, reached by {@link Vireo#overlay()}: the peers of a bridge's VXLAN
 * endpoint, the remote MACs behind them, the addresses the switch answers ARP and neighbour solicitations for,
 * and the local endpoints (ports with a MAC) a cluster publishes to the other nodes. It hands each request to
 * {@link Overlay} or {@link EndpointWatchers}.
 * <p>
 * Same contract as {@link Vireo}'s own methods: each takes the switch's lock (the {@link Vireo} instance), a
 * change is refused while the switch is closed or being handed over, and a method returns once the forwarding
 * threads have applied its change.
 */
public final class VireoOverlay
{
    private final Vireo vireo;
    private final Overlay overlay;
    private final EndpointWatchers endpointWatchers;

    VireoOverlay(final Vireo vireo, final Overlay overlay, final EndpointWatchers endpointWatchers)
    {
        this.vireo = vireo;
        this.overlay = overlay;
        this.endpointWatchers = endpointWatchers;
    }

    // ---- VXLAN peers, remote MACs, ARP/ND suppression ----

    /** Adds a peer to a VXLAN bridge (or makes a learned one configured); idempotent. */
    public List<VxlanPeer> addVxlanPeer(final String bridgeName, final String address)
    {
        return vireo.lockedOpen(() -> overlay.addPeer(bridgeName, address));
    }

    /**
     * Removes a peer from a VXLAN bridge, and the MACs behind it: learned ones, remote MACs added for it
     * ({@link #addRemoteMac}) and the addresses answered for those ({@link #addNeighbourAnswer}).
     */
    public void deleteVxlanPeer(final String bridgeName, final String address)
    {
        vireo.lockedOpen(() -> overlay.deletePeer(bridgeName, address));
    }

    public List<VxlanPeer> vxlanPeers(final String bridgeName)
    {
        return vireo.locked(() -> overlay.peers(bridgeName));
    }

    /**
     * Forwards {@code mac} on a VXLAN bridge to its peer {@code peer} with a static forwarding entry, for an
     * endpoint the control plane knows is there: no frame floods to find it, learning never moves it, it
     * never ages, and it goes when the peer does ({@link #deleteVxlanPeer}). Replaces whatever entry the MAC
     * had (a learned one, or another peer). Cached flows of the bridge go stale.
     *
     * @throws VireoException invalid for a MAC that is not unicast and non-zero or a bridge without a VXLAN
     *                        endpoint; not found for a peer the bridge does not have; conflict if the forwarding
     *                        table is full.
     */
    public void addRemoteMac(final String bridgeName, final String mac, final String peer)
    {
        vireo.lockedOpen(() -> overlay.addRemoteMac(bridgeName, mac, peer));
    }

    /**
     * Removes the static entry {@link #addRemoteMac} gave {@code mac}; idempotent.
     *
     * @return false if the bridge had none.
     */
    public boolean deleteRemoteMac(final String bridgeName, final String mac)
    {
        return vireo.lockedOpen(() -> overlay.deleteRemoteMac(bridgeName, mac));
    }

    /** The remote MACs of a bridge, each with its peer. */
    public List<RemoteMac> remoteMacs(final String bridgeName)
    {
        return vireo.locked(() -> overlay.remoteMacs(bridgeName));
    }

    /**
     * Answers ARP requests (IPv4) or neighbour solicitations (IPv6) for {@code address} on a bridge with
     * {@code mac} from now on, from the switch itself: a request for it from a port without peers is answered
     * back out of that port and flooded nowhere (see {@link io.vireo.gateway.suppression.SuppressionStage}).
     * Replaces the MAC the address had. Cached flows of the bridge go stale.
     *
     * @throws VireoException invalid for an address with a prefix length or a MAC that is not unicast and
     *                        non-zero; conflict if the switch answers for {@link VireoContext#neighbourAnswerCapacity()}
     *                        addresses already.
     */
    public void addNeighbourAnswer(final String bridgeName, final String address, final String mac)
    {
        vireo.lockedOpen(() -> overlay.addAnswer(bridgeName, address, mac));
    }

    /**
     * Stops answering for an address on a bridge; idempotent.
     *
     * @return false if the switch did not answer for it.
     */
    public boolean deleteNeighbourAnswer(final String bridgeName, final String address)
    {
        return vireo.lockedOpen(() -> overlay.deleteAnswer(bridgeName, address));
    }

    /**
     * Makes {@code addresses} exactly the ones the switch answers for with {@code mac} on a bridge: the new ones
     * are added (taken from another MAC if another had them), those {@code mac} had and no longer has removed.
     * Everything is checked first.
     */
    public void setNeighbourAnswers(final String bridgeName, final String mac, final List<String> addresses)
    {
        vireo.lockedOpen(() -> overlay.setAnswers(bridgeName, mac, addresses));
    }

    /** The addresses a bridge answers for, each with its MAC. */
    public List<NeighbourAnswer> neighbourAnswers(final String bridgeName)
    {
        return vireo.locked(() -> overlay.answers(bridgeName));
    }

    /**
     * Makes one change to the overlay for {@link ClusterSwitch}, under the switch's lock: one call (one lock, one
     * bridge lookup) per change, its input parsed already.
     */
    void change(final Consumer<Overlay> change)
    {
        vireo.lockedOpen(() -> change.accept(overlay));
    }

    // ---- local endpoints ----

    /**
     * Tells {@code listener} of every port with a MAC (a TAP port: the one given, or the device's) that joins or
     * leaves a bridge {@code bridges} accepts, or whose address changes ({@link Vireo#locatePort}; told as attached
     * again), after first telling it of those there are. The endpoint's addresses are the port's address,
     * without its prefix length, if it has one; its underlay is {@link io.vireo.api.Endpoint#LOCAL}.
     * <p>
     * Threading: {@code bridges} is asked under the switch's lock when a change happens and must not call the
     * switch (read a concurrent set). The listener is called on a thread of the switch's own,
     * {@code vireo-endpoints}, one event at a time in the order of the changes, with no lock held: it may call
     * the switch. A port whose device failed is still attached until it is deleted; a switch that closes tells
     * nothing (its TAPs wait for the next one).
     *
     * @return closing it stops the events (those queued already are still told).
     */
    public AutoCloseable watchEndpoints(final Predicate<String> bridges, final EndpointListener listener)
    {
        return vireo.lockedOpen(() -> endpointWatchers.add(bridges, listener, vireo));
    }

    /** A bridge's ports with a MAC, as the endpoints watchers hear of ({@link #watchEndpoints}). */
    public List<Endpoint> endpoints(final String bridgeName)
    {
        return vireo.lockedOpen(() -> endpointWatchers.endpoints(bridgeName));
    }

    /**
     * Tells every endpoint listener that wants the bridge of its ports with a MAC again, as attached: for a
     * bridge a listener started wanting after its ports joined.
     */
    public void announceEndpoints(final String bridgeName)
    {
        vireo.lockedOpen(() -> endpointWatchers.announce(bridgeName));
    }
}
