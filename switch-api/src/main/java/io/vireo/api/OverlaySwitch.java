package io.vireo.api;

import java.util.List;

/**
 * The switch as a cluster reconciler drives it: the overlay networks it carries, the VXLAN peers of
 * each, and the endpoints on them. The switch implements it; the reconciler calls it from one thread.
 * Every call is idempotent (adding what exists or removing what does not is no error), so a
 * reconciler may replay its whole desired state after a resync. A call the switch refuses throws
 * {@link IllegalArgumentException} (bad input) or {@link IllegalStateException} (conflicts with
 * what the switch has), with a message that names what was wrong.
 */
public interface OverlaySwitch
{
    /**
     * Makes sure the bridge of a cluster network exists: named {@code network}, with a VXLAN endpoint
     * for {@code vni} on {@code underlay}:{@code vtepPort}, learning only from its configured peers.
     */
    void ensureNetwork(String network, int vni, String underlay, int vtepPort);

    /** Deletes the bridge of a cluster network and its ports. */
    void removeNetwork(String network);

    /** The bridges of cluster networks the switch has, by name. */
    List<String> networks();

    /** Adds a VXLAN peer (another node's underlay address) to a network. */
    void addPeer(String network, String underlay);

    /** Removes a VXLAN peer from a network, and every MAC behind it. */
    void removePeer(String network, String underlay);

    /** The VXLAN peers a network's bridge has (configured ones, as a restart may have restored them). */
    List<String> peers(String network);

    /**
     * Installs an endpoint of a network: its MAC forwards to {@code endpoint.underlay()}'s VXLAN peer
     * (a static entry, so no frame floods to find it), and the switch answers ARP requests and IPv6
     * neighbour solicitations for its addresses itself. An endpoint of this node (its underlay is
     * {@link Endpoint#LOCAL}) gets only the answers; its MAC is learned from its port.
     */
    void addEndpoint(String network, Endpoint endpoint);

    /** Removes an endpoint's forwarding entry and answers. */
    void removeEndpoint(String network, String mac);

    /**
     * The remote endpoints a network's bridge has installed (a forwarding entry to a peer, and the addresses answered
     * for with their MAC): none after a start, those of another process after a handover ({@code vireod --takeover}).
     */
    List<Endpoint> remoteEndpoints(String network);

    /** The endpoints (ports with a MAC) a network's bridge has on this node now, as {@link Endpoint#LOCAL} ones. */
    List<Endpoint> localEndpoints(String network);

    /**
     * Tells {@code listener} of every endpoint attached to or detached from a network's bridge on this
     * node from now on (a port with a MAC), after first replaying those attached already.
     */
    void watchLocalEndpoints(EndpointListener listener);
}
