package io.vireo.tunnel.vxlan;

import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.UdpFlyweight;
import io.vireo.dataplane.headers.VxlanFlyweight;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.InetSockets;
import io.vireo.dataplane.nativeio.MessageBatch;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.pipeline.Destination;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.Port;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A VXLAN tunnel endpoint (RFC 7348) over an IPv4 underlay: one bridge's door to its peers, seen by
 * the bridge as one port.
 * <p>
 * <b>Receive</b>: one {@code recvmmsg} on a UDP socket bound to the local address and port puts each
 * datagram's payload straight into a burst slot, with the 8-byte VXLAN header landing in the headroom
 * in front of the frame (where the frame's virtio-net header goes, zeroed once the VXLAN header has
 * been checked), so the inner frame is where every port puts frames and is never copied. A datagram
 * is dropped and counted if its VXLAN header is short or lacks the I flag, carries another VNI,
 * comes from an address that is not a peer (unless the endpoint learns peers from any address), or
 * holds less than an Ethernet header. Each frame's {@link FrameBurst#peer peer} says which peer it came from.
 * <p>
 * <b>Transmit</b>: {@link #transmit} sends each frame to its {@link FrameBurst#peer peer}, or to every
 * peer ({@link #ALL_PEERS}: head-end replication for broadcast, multicast and unknown unicast), with one
 * {@code sendmmsg} per batch through a raw UDP socket, so the UDP source
 * port can follow a hash of the inner flow (RFC 7348 section 5) and the underlay can spread flows.
 * Each datagram is gathered from two iovecs, its 16-byte UDP + VXLAN header from this endpoint's
 * header area and the frame from its slot, so nothing is copied and a frame flooded to other ports too
 * keeps its own headroom intact. DF is always set and the UDP checksum is zero, as RFC 7348 allows
 * for IPv4. The datagram a frame becomes:
 * <pre>
 *  kernel: IPv4 header, DF, TTL, protocol 17, local address to peer address
 *  +----------------+----------------+----------------+----------------+
 *  | source port (hash of the flow)  | destination port (the VTEP's)   |  UDP, from the header area
 *  | length = 16 + frame             | checksum = 0                    |
 *  +--------+-----------------------------------------------------------+
 *  | 0x08   |              reserved (0)                                 |  VXLAN, from the header area
 *  |                VNI                                    |  reserved  |
 *  +--------+-----------------------------------------------------------+
 *  | inner Ethernet frame ...                                           |  the frame, from its slot
 * </pre>
 * The endpoint counts what it sends (a datagram per peer) and drops in its port's counters; its
 * {@link #mtu()} is the overlay's, the largest inner IP packet the switch sends it.
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

    private static final int HEADER_LENGTH = UdpFlyweight.HEADER_LENGTH + VxlanFlyweight.LENGTH;
    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65_535 - OVERHEAD;
    private static final int TX_BATCH = 64;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    /** RFC 7348: source ports from the dynamic range 49152-65535. */
    private static final int SOURCE_PORT_BASE = 49_152;
    private static final int SOURCE_PORT_MASK = 0x3FFF;

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
    private final PortCounters counters;
    private final Fd rxFd;
    private final Fd txFd;
    private final MessageBatch rx;
    private final MessageBatch tx;
    private final UnsafeBuffer headers = new UnsafeBuffer(BufferUtil.allocateDirectAligned(TX_BATCH * HEADER_LENGTH, 64));
    private final long headersAddress = headers.addressOffset();
    /** One flyweight per direction: receive and transmit may run on different threads. */
    private final VxlanFlyweight rxHeader = new VxlanFlyweight();
    private final VxlanFlyweight txHeader = new VxlanFlyweight();
    private final int[] txFrameLengths = new int[TX_BATCH];
    private int txCount;

    private final VtepPeers peers = new VtepPeers();

    private Vtep(
        final String name,
        final int vni,
        final int localAddress,
        final int udpPort,
        final boolean learnAnyPeer,
        final int mtu,
        final PortCounters counters,
        final int rxFd,
        final int txFd,
        final int burstCapacity)
    {
        this.name = name;
        this.vni = vni;
        this.localAddress = localAddress;
        this.udpPort = udpPort;
        this.learnAnyPeer = learnAnyPeer;
        this.mtu = mtu;
        this.counters = counters;
        this.rxFd = Fd.own(rxFd);
        this.txFd = Fd.own(txFd);
        this.rx = new MessageBatch(burstCapacity, 1);
        this.tx = new MessageBatch(TX_BATCH, 2);
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
     * @throws IllegalArgumentException on a value out of range.
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
        final int rxFd = InetSockets.udp(localAddress, udpPort);
        final int txFd;
        try
        {
            txFd = InetSockets.rawUdp(localAddress, ttl);
        }
        catch (final RuntimeException ex)
        {
            Native.libc().close(rxFd);
            throw ex;
        }
        InetSockets.buffers(rxFd, SOCKET_BUFFER_BYTES);
        InetSockets.buffers(txFd, SOCKET_BUFFER_BYTES);
        return new Vtep(name, vni, localAddress, udpPort, learnAnyPeer, mtu, counters, rxFd, txFd, burstCapacity);
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

    // ---- receive ----

    @Override
    public int receive(final FrameBurst burst)
    {
        int received = 0;
        while (!burst.isFull() && 0 == failure())
        {
            final int first = burst.size();
            final int wanted = burst.capacity() - first;
            for (int message = 0; message < wanted; message++)
            {
                rx.iov(message, 0, burst.frameAddress(first + message) - VxlanFlyweight.LENGTH,
                    burst.frameCapacity() + VxlanFlyweight.LENGTH);
            }
            final int datagrams = rx.receive(rxFd.value(), wanted);
            if (datagrams < 0)
            {
                rxFd.check(datagrams);
                break;
            }
            for (int message = 0; message < datagrams; message++)
            {
                received += accept(burst, first + message, message);
            }
            if (datagrams < wanted)
            {
                break;
            }
        }
        return received;
    }

    /** Checks datagram {@code message}, in slot {@code slot}; appends its inner frame to the burst if it is good. */
    private int accept(final FrameBurst burst, final int slot, final int message)
    {
        final int length = rx.length(message);
        final int headerOffset = burst.frameOffset(slot) - VxlanFlyweight.LENGTH;
        rxHeader.wrap(burst.buffer(), headerOffset, length);
        final DropReason drop;
        int peer = NO_PEER;
        if (rx.truncated(message))
        {
            drop = DropReason.OVERSIZE;
        }
        else if (!rxHeader.isValid())
        {
            drop = DropReason.BAD_VXLAN;
        }
        else if (rxHeader.vni() != vni)
        {
            drop = DropReason.UNKNOWN_VNI;
        }
        else if (length - VxlanFlyweight.LENGTH < EthernetFlyweight.HEADER_LENGTH)
        {
            drop = DropReason.RUNT;
        }
        else if (NO_PEER == (peer = sourcePeer(rx.peerAddress(message))))
        {
            drop = DropReason.UNKNOWN_PEER;
        }
        else
        {
            drop = null;
        }
        if (null != drop)
        {
            counters.dropped(drop, 1);
            return 0;
        }
        final int target = burst.size();
        final int frameLength = length - VxlanFlyweight.LENGTH;
        if (target != slot)
        {
            // An earlier datagram of this batch was dropped: close the gap (bad input only).
            burst.buffer().putBytes(burst.nextFrameOffset(), burst.buffer(), burst.frameOffset(slot), frameLength);
        }
        burst.clearNextNetHeader();
        burst.commit(frameLength);
        burst.peer(target, peer);
        return 1;
    }

    private int sourcePeer(final int address)
    {
        final int peer = peers.indexOf(address);
        if (peer != NO_PEER || !learnAnyPeer || 0 == address)
        {
            return peer;
        }
        return peers.add(address, true);
    }

    // ---- transmit ----

    /**
     * Sends each frame {@code indexes[i]} to its {@link FrameBurst#peer peer}, or to every peer. Sends and
     * failures are counted on the port; a frame for a peer that no longer exists is dropped and counted.
     *
     * @return {@code count}: every frame was dealt with.
     */
    @Override
    public int transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final int frame = indexes[i];
            final int peer = burst.peer(frame);
            if (peer == ALL_PEERS)
            {
                queueToAll(burst, frame);
            }
            else if (0 != peerAddress(peer))
            {
                queue(burst, frame, peer);
            }
            else
            {
                counters.dropped(DropReason.NO_ROUTE, 1);
            }
        }
        flushBatch();
        return count;
    }

    private void queueToAll(final FrameBurst burst, final int frame)
    {
        final int limit = peers.limit();
        if (0 == limit)
        {
            counters.dropped(DropReason.NO_ROUTE, 1);
            return;
        }
        for (int peer = 0; peer < limit; peer++)
        {
            if (0 != peers.address(peer))
            {
                queue(burst, frame, peer);
            }
        }
    }

    private void queue(final FrameBurst burst, final int frame, final int peer)
    {
        if (txCount == TX_BATCH)
        {
            flushBatch();
        }
        final int message = txCount++;
        final int length = burst.frameLength(frame);
        final int header = message * HEADER_LENGTH;
        headers.putShort(header, Short.reverseBytes((short)sourcePort(burst, frame, length)));
        headers.putShort(header + 2, Short.reverseBytes((short)udpPort));
        headers.putShort(header + 4, Short.reverseBytes((short)(HEADER_LENGTH + length)));
        headers.putShort(header + 6, (short)UdpFlyweight.NO_CHECKSUM);
        txHeader.wrap(headers, header + UdpFlyweight.HEADER_LENGTH, VxlanFlyweight.LENGTH).header(vni);
        tx.iov(message, 0, headersAddress + header, HEADER_LENGTH);
        tx.iov(message, 1, burst.frameAddress(frame), length);
        tx.peer(message, peers.address(peer), 0);
        txFrameLengths[message] = length;
    }

    /**
     * A port from the dynamic range chosen by a hash of the inner frame: its MACs and, in frames long
     * enough, bytes 26 to 37, which for untagged IPv4 without options are the addresses and the TCP or
     * UDP ports (for other frames just some bytes of the same flow's headers).
     */
    private static int sourcePort(final FrameBurst burst, final int frame, final int length)
    {
        final UnsafeBuffer buffer = burst.buffer();
        final int offset = burst.frameOffset(frame);
        long hash = buffer.getLong(offset) * 0x9E3779B97F4A7C15L ^ buffer.getInt(offset + 8);
        if (length >= 38)
        {
            hash = (hash ^ buffer.getLong(offset + 26)) * 0x9E3779B97F4A7C15L ^ buffer.getInt(offset + 34);
        }
        hash *= 0x9E3779B97F4A7C15L;
        return SOURCE_PORT_BASE + (int)((hash >>> 40) & SOURCE_PORT_MASK);
    }

    private void flushBatch()
    {
        int from = 0;
        int datagrams = 0;
        long bytes = 0;
        while (from < txCount && 0 == failure())
        {
            final int sent = tx.send(txFd.value(), from, txCount - from);
            if (sent > 0)
            {
                for (int message = from; message < from + sent; message++)
                {
                    bytes += txFrameLengths[message];
                }
                datagrams += sent;
                from += sent;
            }
            else if (0 == sent)
            {
                break; // the socket buffer is full: the rest is lost, like a full transmit ring
            }
            else
            {
                // This datagram cannot go (no route to the peer, larger than the path MTU): skip it.
                txFd.check(sent);
                counters.dropped(DropReason.TX_ERROR, 1);
                from++;
            }
        }
        if (from < txCount)
        {
            counters.dropped(DropReason.TX_ERROR, txCount - from);
        }
        if (datagrams > 0)
        {
            counters.sent(datagrams, bytes);
        }
        txCount = 0;
    }

    @Override
    public int pollFd()
    {
        return rxFd.value();
    }

    /** The errno that made a socket unusable (EBADF, EBADFD, ENODEV), or 0. */
    @Override
    public int failure()
    {
        final int rxFailure = rxFd.failure();
        return 0 != rxFailure ? rxFailure : txFd.failure();
    }

    @Override
    public void close()
    {
        rxFd.close();
        txFd.close();
    }

    @Override
    public String toString()
    {
        return "Vtep{" + name + ", vni=" + vni + ", local=" + InetSockets.format(localAddress) + ":" + udpPort + "}";
    }
}
