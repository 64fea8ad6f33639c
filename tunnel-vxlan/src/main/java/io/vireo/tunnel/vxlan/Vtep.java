package io.vireo.tunnel.vxlan;

import java.util.Arrays;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.UdpFlyweight;
import io.vireo.dataplane.headers.VxlanFlyweight;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.InetSockets;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.offload.Offloads;
import io.vireo.dataplane.pipeline.Destination;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.Port;

/**
 * A VXLAN tunnel endpoint (RFC 7348) over an IPv4 underlay: one bridge's door to its peers, seen by
 * the bridge as one port that takes GSO frames and partial checksums ({@link #offloads()}).
 * <p>
 * <b>Receive</b> ({@link VtepReceiver}): {@code recvmmsg} with {@code UDP_GRO} on a UDP socket bound
 * to the local address and port; each datagram is checked (VXLAN header with the I flag, the VNI, a
 * whole Ethernet header, a peer's address unless the endpoint learns peers from any address) and
 * dropped and counted if it fails, and consecutive inner TCP segments of one flow are merged back into
 * one GSO frame. Each frame's {@link FrameBurst#peer peer} says which peer it came from. Endpoints of
 * different VNIs may share the local address and port: their sockets form one {@code SO_REUSEPORT} group whose
 * program hands each datagram to its VNI's socket ({@link VtepGroup}).
 * <p>
 * <b>Transmit</b> ({@link VtepTransmitter}): each frame goes to its {@link FrameBurst#peer peer}, or
 * to every peer ({@link #ALL_PEERS}: head-end replication for broadcast, multicast and unknown
 * unicast), from a UDP source port chosen by a hash of the inner flow ({@link VtepSourcePorts}); plain
 * frames in one {@code sendmmsg} per batch through a raw UDP socket, GSO frames cut into segments that
 * the kernel sends as one {@code UDP_SEGMENT} train. DF is always set. The datagram a frame becomes:
 * <pre>
 *  kernel: IPv4 header, DF, TTL, protocol 17, local address to peer address
 *  +----------------+----------------+----------------+----------------+
 *  | source port (hash of the flow)  | destination port (the VTEP's)   |  UDP
 *  | length = 16 + frame             | checksum (0 for plain frames)   |
 *  +--------+-----------------------------------------------------------+
 *  | 0x08   |              reserved (0)                                 |  VXLAN
 *  |                VNI                                    |  reserved  |
 *  +--------+-----------------------------------------------------------+
 *  | inner Ethernet frame (or one segment of a GSO frame) ...           |
 * </pre>
 * That is the endpoint over UDP sockets ({@link #open}, {@link VtepSockets}); over an underlay TAP
 * ({@link #openOverTap}, {@link VtepTapUnderlay}) the same frames cross the host's IP stack whole, their outer
 * headers written by the endpoint, with the same checks on what comes in.
 * <p>
 * The endpoint counts what it sends (a datagram per peer) and drops in its port's counters; its
 * {@link #mtu()} is the overlay's, the largest inner IP packet the switch sends it (for a GSO frame,
 * the largest of its segments).
 * Peers are kept by index ({@link #MAX_PEERS} at most), the number the forwarding table stores for a
 * remote MAC; an index is stable while its peer exists. Receive, and changes to the peers, run on the
 * owning forwarding thread; transmit on one thread at a time, which may be another (it then reads a
 * peer's address as a plain int: a frame racing a peer's removal may still go to it, as it may with
 * one thread); {@link #peers()} reads a snapshot published on every change.
 */
public final class Vtep implements Port
{
    /** A frame's {@link FrameBurst#peer peer} when it goes to every peer. */
    public static final int ALL_PEERS = FrameBurst.ALL_PEERS;
    /** {@link #addPeer}, {@link #removePeer}: no such peer, or no room for another. */
    public static final int NO_PEER = FrameBurst.NO_PEER;
    public static final int MAX_PEERS = Destination.MAX_PEERS;
    public static final int DEFAULT_UDP_PORT = VxlanFlyweight.UDP_PORT;
    public static final int DEFAULT_TTL = 64;
    /**
     * The outer IPv4, UDP and VXLAN headers and the inner Ethernet header: what the underlay's MTU must
     * hold beyond the inner IP packet (so a 1500-byte underlay carries 1450-byte packets).
     */
    public static final int OVERHEAD = 20 + UdpFlyweight.HEADER_LENGTH + VxlanFlyweight.LENGTH + EthernetFlyweight.HEADER_LENGTH;

    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65_535 - OVERHEAD;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    /**
     * The receiving socket's buffer: 64 KB trains at several Gbit/s fill 4 MB in a few milliseconds,
     * which a forwarding thread that shares its core may be away for (measured: UDP receive buffer
     * errors and TCP retransmissions with four streams on two cores).
     */
    private static final int RECEIVE_BUFFER_BYTES = 32 << 20;

    /** A peer as listed: its index, its address, and whether it was learned from traffic rather than configured. */
    public record Peer(int index, String address, boolean learned)
    {
    }

    private final String name;
    private final int vni;
    private final int localAddress;
    private final int udpPort;
    private final boolean learnAnyPeer;
    private final int mtu;
    private final VtepPeers peers;
    private final VtepUnderlay underlay;

    private Vtep(
        final String name,
        final int vni,
        final int localAddress,
        final int udpPort,
        final boolean learnAnyPeer,
        final int mtu,
        final VtepPeers peers,
        final VtepUnderlay underlay)
    {
        this.name = name;
        this.vni = vni;
        this.localAddress = localAddress;
        this.udpPort = udpPort;
        this.learnAnyPeer = learnAnyPeer;
        this.mtu = mtu;
        this.peers = peers;
        this.underlay = underlay;
    }

    /**
     * Opens the endpoint's sockets in the caller's network namespace.
     *
     * @param name          the port's name.
     * @param vni           the VXLAN network identifier, 0 to {@link VxlanFlyweight#MAX_VNI}.
     * @param localAddress  the local IPv4 address to listen on and send from.
     * @param udpPort       the UDP port to listen on and send to.
     * @param ttl           time to live of the datagrams sent, 1 to 255.
     * @param mtu           the overlay's MTU: the largest inner IP packet, 68 to 65535 less {@link #OVERHEAD}.
     * @param learnAnyPeer  accept datagrams from any address and add it as a learned peer.
     * @param counters      the port's counters, where the endpoint counts what it drops and sends.
     * @param burstCapacity frames per receive burst.
     * @throws IllegalArgumentException on a value out of range, or if an endpoint of {@code vni} has the local
     *                                  address and port already.
     * @throws io.vireo.dataplane.nativeio.NativeException if the kernel refuses a socket (the address
     *                                                      is not local, the port is taken).
     */
    public static Vtep open(
        final String name,
        final int vni,
        final int localAddress,
        final int udpPort,
        final int ttl,
        final int mtu,
        final boolean learnAnyPeer,
        final PortCounters counters,
        final int burstCapacity)
    {
        checkSettings(vni, udpPort, ttl, mtu);
        return VtepGroup.open(localAddress, udpPort, vni, rxFd ->
        {
            int txFd = -1;
            VtepSourcePorts sourcePorts = null;
            try
            {
                InetSockets.buffers(rxFd, RECEIVE_BUFFER_BYTES);
                txFd = InetSockets.rawUdp(localAddress, ttl);
                InetSockets.buffers(txFd, SOCKET_BUFFER_BYTES);
                sourcePorts = new VtepSourcePorts(localAddress, udpPort, ttl);
                return assemble(name, vni, localAddress, udpPort, mtu, learnAnyPeer, counters, burstCapacity,
                    rxFd, txFd, sourcePorts);
            }
            catch (final RuntimeException ex)
            {
                Native.libc().close(rxFd);
                if (txFd >= 0)
                {
                    Native.libc().close(txFd);
                }
                if (null != sourcePorts)
                {
                    sourcePorts.close();
                }
                throw ex;
            }
        });
    }

    /**
     * Opens an endpoint whose underlay is the TAP {@code tapName}, which this creates in the caller's network namespace
     * with the host's route to {@code localAddress} through it ({@link VtepTapUnderlay}): whole GSO frames cross it,
     * their outer headers in front, and the host's IP stack carries them to the peers. The parameters are
     * {@link #open}'s; {@code localAddress} is the endpoint's own, not one of the host's, and the host forwards IPv4.
     *
     * @throws IllegalArgumentException on a value out of range, or saying why the host cannot have the endpoint
     *                                  (it does not forward, the address is its own, the name is taken, the
     *                                  kernel takes no UDP tunnel GSO on a TAP).
     * @throws io.vireo.dataplane.nativeio.NativeException if the kernel refuses the device or the route.
     */
    public static Vtep openOverTap(
        final String name,
        final String tapName,
        final int vni,
        final int localAddress,
        final int udpPort,
        final int ttl,
        final int mtu,
        final boolean learnAnyPeer,
        final PortCounters counters)
    {
        checkSettings(vni, udpPort, ttl, mtu);
        final VtepPeers peers = new VtepPeers();
        return new Vtep(name, vni, localAddress, udpPort, learnAnyPeer, mtu, peers,
            VtepTapUnderlay.open(tapName, vni, localAddress, udpPort, ttl, mtu, learnAnyPeer, peers, counters));
    }

    private static void checkSettings(final int vni, final int udpPort, final int ttl, final int mtu)
    {
        if (vni < 0 || vni > VxlanFlyweight.MAX_VNI)
        {
            throw new IllegalArgumentException("VNI " + vni + " is out of range 0-" + VxlanFlyweight.MAX_VNI);
        }
        if (udpPort < 1 || udpPort > 0xFFFF)
        {
            throw new IllegalArgumentException("UDP port " + udpPort + " is out of range 1-65535");
        }
        if (ttl < 1 || ttl > 255)
        {
            throw new IllegalArgumentException("TTL " + ttl + " is out of range 1-255");
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU)
        {
            throw new IllegalArgumentException("overlay MTU " + mtu + " is out of range " + MIN_MTU + "-" + MAX_MTU);
        }
    }

    /**
     * An endpoint over the TAP of another one, which an earlier process {@link #openOverTap opened} with the same
     * settings and handed over ({@link #descriptors()}: the TAP's descriptor alone): the device, its route and the
     * host's neighbour entry stay throughout. Takes the descriptor; it is closed if this fails.
     */
    public static Vtep adoptOverTap(
        final String name,
        final int vni,
        final int localAddress,
        final int udpPort,
        final int ttl,
        final int mtu,
        final boolean learnAnyPeer,
        final PortCounters counters,
        final int tapFd)
    {
        final VtepPeers peers = new VtepPeers();
        return new Vtep(name, vni, localAddress, udpPort, learnAnyPeer, mtu, peers,
            VtepTapUnderlay.adopt(tapFd, vni, localAddress, udpPort, ttl, learnAnyPeer, peers, counters));
    }

    /**
     * An endpoint over the sockets of another one, which an earlier process opened with the same settings and
     * handed over ({@link #descriptors()}, {@link #sourcePorts()}): its address and port stay bound throughout.
     * Takes the descriptors; they are closed if this fails. The receiving socket takes its place in the group of its
     * address and port at the index its mark holds ({@link VtepGroup}); the group's program stays the one attached.
     *
     * @param descriptors the receiving socket, the raw sending socket, then a socket per source port.
     * @param sourcePorts the UDP port each source port's socket is bound to, in the same order.
     */
    public static Vtep adopt(
        final String name,
        final int vni,
        final int localAddress,
        final int udpPort,
        final int mtu,
        final boolean learnAnyPeer,
        final PortCounters counters,
        final int burstCapacity,
        final int[] descriptors,
        final int[] sourcePorts)
    {
        if (descriptors.length != 2 + VtepSourcePorts.COUNT || sourcePorts.length != VtepSourcePorts.COUNT)
        {
            for (final int fd : descriptors)
            {
                Native.libc().close(fd);
            }
            throw new IllegalArgumentException("a VXLAN endpoint has 2 + " + VtepSourcePorts.COUNT + " sockets, got " +
                descriptors.length + " and " + sourcePorts.length + " source ports");
        }
        final VtepSourcePorts ports = new VtepSourcePorts(
            Arrays.copyOfRange(descriptors, 2, descriptors.length), sourcePorts);
        try
        {
            final Vtep vtep = assemble(name, vni, localAddress, udpPort, mtu, learnAnyPeer, counters, burstCapacity,
                descriptors[0], descriptors[1], ports);
            VtepGroup.adopt(localAddress, udpPort, vni, vtep.receiveFd());
            return vtep;
        }
        catch (final RuntimeException ex)
        {
            Native.libc().close(descriptors[0]);
            Native.libc().close(descriptors[1]);
            ports.close();
            throw ex;
        }
    }

    private static Vtep assemble(
        final String name, final int vni, final int localAddress, final int udpPort, final int mtu,
        final boolean learnAnyPeer, final PortCounters counters, final int burstCapacity, final int rxFd, final int txFd,
        final VtepSourcePorts sourcePorts)
    {
        final VtepPeers peers = new VtepPeers();
        return new Vtep(name, vni, localAddress, udpPort, learnAnyPeer, mtu, peers, new VtepSockets(localAddress, udpPort,
            new VtepReceiver(rxFd, vni, mtu, learnAnyPeer, peers, counters, burstCapacity),
            new VtepTransmitter(txFd, sourcePorts, vni, udpPort, peers, counters)));
    }

    /**
     * The endpoint's descriptors, for another process to adopt (they stay this endpoint's too): over sockets
     * ({@link #adopt}), the receiving socket, the raw sending socket, then a socket per source port, as
     * {@link #sourcePorts()} lists them; over a TAP ({@link #adoptOverTap}), the TAP's alone.
     */
    public int[] descriptors()
    {
        return underlay.descriptors();
    }

    /**
     * The process that adopted this endpoint's descriptors has them now: closing this endpoint closes its copies
     * and leaves the group of its address and port (the other endpoints' VNIs), or its TAP, to that process.
     */
    public void handedOver()
    {
        underlay.handedOver();
    }

    /** The UDP source ports the endpoint sends from, in the order of their sockets in {@link #descriptors()}; none over a TAP. */
    public int[] sourcePorts()
    {
        return underlay.sourcePorts();
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public String type()
    {
        return "vxlan";
    }

    public int vni()
    {
        return vni;
    }

    public int localAddress()
    {
        return localAddress;
    }

    public int udpPort()
    {
        return udpPort;
    }

    public boolean learnAnyPeer()
    {
        return learnAnyPeer;
    }

    @Override
    public int mtu()
    {
        return mtu;
    }

    /** True: a flooded frame leaves as a datagram per peer, which the endpoint counts itself. */
    @Override
    public boolean countsTransmits()
    {
        return true;
    }

    // ---- peers ----

    /**
     * Adds a configured peer, or makes a learned one configured.
     *
     * @param address a unicast IPv4 address other than this endpoint's ({@link #checkPeerAddress}).
     * @return its index, or {@link #NO_PEER} if {@link #MAX_PEERS} peers exist already.
     */
    public int addPeer(final int address)
    {
        return peers.add(address, false);
    }

    /**
     * @throws IllegalArgumentException naming the address unless it is a unicast IPv4 address other
     *                                  than {@code localAddress}.
     */
    public static void checkPeerAddress(final int address, final int localAddress)
    {
        final int firstOctet = address >>> 24;
        if (0 == firstOctet || firstOctet >= 224 || address == localAddress)
        {
            throw new IllegalArgumentException("VXLAN peer " + InetSockets.format(address) +
                " must be a unicast IPv4 address other than the local VTEP address");
        }
    }

    /**
     * Removes a peer.
     *
     * @return the index it had, or {@link #NO_PEER} if there was none.
     */
    public int removePeer(final int address)
    {
        return peers.remove(address);
    }

    /** The peer at {@code index}, as an IPv4 address int, or 0 if none. */
    public int peerAddress(final int index)
    {
        return peers.address(index);
    }

    /** The peers, in index order; any thread. */
    public List<Peer> peers()
    {
        return peers.list();
    }

    // ---- receive and transmit ----

    @Override
    public int receive(final FrameBurst burst)
    {
        return underlay.receive(burst);
    }

    /**
     * Sends each frame {@code indexes[i]} to its {@link FrameBurst#peer peer}, or to every peer. Sends and
     * failures are counted on the port; a frame for a peer that no longer exists is dropped and counted.
     *
     * @return {@code count}: every frame was dealt with.
     */
    @Override
    public int transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        underlay.transmit(burst, indexes, count);
        return count;
    }

    /**
     * Every offload: over sockets, GSO frames are segmented here and sent as one train, partial checksums completed;
     * over a TAP, GSO frames go whole and plain frames' partial checksums are completed.
     */
    @Override
    public int offloads()
    {
        return Offloads.ALL;
    }

    @Override
    public int pollFd()
    {
        return underlay.pollFd();
    }

    /** The errno that made a socket or the TAP unusable (EBADF, EBADFD, ENODEV), or 0. */
    @Override
    public int failure()
    {
        return underlay.failure();
    }

    /** The receiving socket, a member of the group of its local address and port ({@link VtepGroup}); over sockets only. */
    Fd receiveFd()
    {
        return ((VtepSockets)underlay).receiveFd();
    }

    /**
     * Closes the sockets (the receiving one leaves its group, whose other endpoints keep their VNIs), or the TAP
     * (which the kernel removes with its route unless another process holds it).
     */
    @Override
    public void close()
    {
        underlay.close();
    }

    @Override
    public String toString()
    {
        return "Vtep{" + name + ", vni=" + vni + ", local=" + InetSockets.format(localAddress) + ":" + udpPort + "}";
    }
}
