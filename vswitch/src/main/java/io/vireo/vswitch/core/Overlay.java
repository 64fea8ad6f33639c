package io.vireo.vswitch.core;

import java.util.List;

import io.vireo.dataplane.pipeline.Destination;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.tunnel.vxlan.Vtep;
import io.vireo.vswitch.pipeline.ForwardingProxy;

/**
 * A bridge's overlay as the API and the cluster change it: the peers of its VXLAN endpoint (changed by the
 * forwarding thread that polls it), the remote MACs behind them and the addresses the switch answers for
 * ({@link OverlayEntries}). Control thread only: the caller holds the switch's lock.
 */
final class Overlay
{
    private final Topology topology;
    private final ForwardingProxy forwarding;
    private final ForwardingTable fdb;
    private final OverlayEntries entries;
    private final Generations generations;

    Overlay(final Topology topology, final ForwardingProxy forwarding, final ForwardingTable fdb, final OverlayEntries entries,
        final Generations generations)
    {
        this.topology = topology;
        this.forwarding = forwarding;
        this.fdb = fdb;
        this.entries = entries;
        this.generations = generations;
    }

    /** Adds a peer to a VXLAN bridge (or makes a learned one configured); idempotent. */
    List<VxlanPeer> addPeer(final String bridgeName, final String address)
    {
        final PortRecord port = vxlanPort(bridgeName);
        addPeer(bridgeName, port, address);
        return VxlanPorts.peers(port.vtep);
    }

    /**
     * Makes a configured peer of {@code peer} on a VXLAN bridge, as {@link #addPeer} does, without asking the
     * forwarding thread when it is one already and without listing the peers after.
     *
     * @param peer the address as {@link IpPrefix#formatIpv4} writes it.
     */
    void ensurePeer(final String bridgeName, final String peer)
    {
        final PortRecord port = vxlanPort(bridgeName);
        final Vtep.Peer existing = port.peer(peer);
        if (null == existing || existing.learned())
        {
            addPeer(bridgeName, port, peer);
        }
    }

    /** Removes a peer from a VXLAN bridge, and the MACs behind it, learned or remote, with their answers. */
    void deletePeer(final String bridgeName, final String address)
    {
        final PortRecord port = vxlanPort(bridgeName);
        final int peer = VxlanPorts.ipv4Address(address, "VXLAN peer");
        final int index = forwarding.changePort(port.pollingThread(), () -> port.vtep.removePeer(peer));
        if (index == Vtep.NO_PEER)
        {
            throw VireoException.notFound("bridge " + bridgeName + " has no VXLAN peer " + address);
        }
        fdb.removeDestination(Destination.of(port.id, index));
        entries.peerRemoved(port.bridge, Destination.of(port.id, index));
        generations.bump(port.bridge.id);
    }

    List<VxlanPeer> peers(final String bridgeName)
    {
        return VxlanPorts.peers(vxlanPort(bridgeName).vtep);
    }

    /** Forwards {@code mac} on a VXLAN bridge to its peer {@code peer} with a static forwarding entry. */
    void addRemoteMac(final String bridgeName, final String mac, final String peer)
    {
        final PortRecord port = vxlanPort(bridgeName);
        final long address = unicastMac(mac);
        final String peerText = IpPrefix.formatIpv4(VxlanPorts.ipv4Address(peer, "VXLAN peer"));
        final Vtep.Peer found = port.peer(peerText);
        if (null == found)
        {
            throw VireoException.notFound("bridge " + bridgeName + " has no VXLAN peer " + peerText);
        }
        entries.addRemoteMac(port.bridge, address, Destination.of(port.id, found.index()), found.address());
    }

    boolean deleteRemoteMac(final String bridgeName, final String mac)
    {
        return entries.removeRemoteMac(topology.bridge(bridgeName), unicastMac(mac));
    }

    List<RemoteMac> remoteMacs(final String bridgeName)
    {
        return entries.remoteMacs(topology.bridge(bridgeName));
    }

    void addAnswer(final String bridgeName, final String address, final String mac)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        entries.addAnswer(bridge, OverlayEntries.address(address), unicastMac(mac));
    }

    boolean deleteAnswer(final String bridgeName, final String address)
    {
        return entries.removeAnswer(topology.bridge(bridgeName), OverlayEntries.address(address));
    }

    /** Makes {@code addresses} exactly the ones the switch answers for with {@code mac}; all checked first. */
    void setAnswers(final String bridgeName, final String mac, final List<String> addresses)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        final long address = unicastMac(mac);
        final List<IpPrefix> parsed = addresses.stream().map(OverlayEntries::address).distinct().toList();
        entries.answers(bridge, address, parsed);
    }

    List<NeighbourAnswer> answers(final String bridgeName)
    {
        return entries.answers(topology.bridge(bridgeName));
    }

    /**
     * An overlay endpoint, as {@link #addRemoteMac} (or {@link #deleteRemoteMac} for a local one) and then
     * {@link #setAnswers} would set it, in one call; a peer the bridge lacks is added first.
     *
     * @param mac       a unicast, non-zero MAC.
     * @param peer      the VXLAN peer the MAC is behind, as {@link IpPrefix#formatIpv4} writes it; null for an
     *                  endpoint of this node (its MAC is learned from its port: only the answers).
     * @param addresses the addresses to answer for with {@code mac}, distinct.
     */
    void setEndpoint(final String bridgeName, final long mac, final String peer, final List<IpPrefix> addresses)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        if (null == peer)
        {
            entries.removeRemoteMac(bridge, mac);
        }
        else
        {
            final PortRecord port = vxlanPort(bridgeName);
            if (null == port.peer(peer))
            {
                addPeer(bridgeName, port, peer);
            }
            // the peer's own text, which every MAC behind it shares, rather than one string per MAC
            final Vtep.Peer found = port.peer(peer);
            entries.addRemoteMac(bridge, mac, Destination.of(port.id, found.index()), found.address());
        }
        entries.answers(bridge, mac, addresses);
    }

    /** Removes an overlay endpoint's remote MAC and answers, if the bridge exists; idempotent. */
    void removeEndpoint(final String bridgeName, final String mac)
    {
        if (topology.hasBridge(bridgeName))
        {
            final Bridge bridge = topology.bridge(bridgeName);
            final long address = unicastMac(mac);
            entries.removeRemoteMac(bridge, address);
            entries.answers(bridge, address, List.of());
        }
    }

    /** A MAC an endpoint may have, parsed. */
    static long unicastMac(final String text)
    {
        final long mac = VireoException.checked(() -> MacAddress.parse(null == text ? "" : text));
        if (MacAddress.isMulticast(mac) || MacAddress.isZero(mac))
        {
            throw VireoException.invalid("invalid MAC " + text + ": an endpoint has a unicast, non-zero address");
        }
        return mac;
    }

    private void addPeer(final String bridgeName, final PortRecord port, final String address)
    {
        final int peer = VxlanPorts.ipv4Address(address, "VXLAN peer");
        VireoException.checked(() ->
        {
            Vtep.checkPeerAddress(peer, port.vtep.localAddress());
            return peer;
        });
        if (Vtep.NO_PEER == forwarding.changePort(port.pollingThread(), () -> port.vtep.addPeer(peer)))
        {
            throw VireoException.conflict("bridge " + bridgeName + " has " + Vtep.MAX_PEERS + " VXLAN peers, the limit");
        }
    }

    private PortRecord vxlanPort(final String bridgeName)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        if (null == bridge.vxlanPort)
        {
            throw VireoException.invalid("bridge " + bridgeName + " has no VXLAN endpoint");
        }
        return bridge.vxlanPort;
    }
}
