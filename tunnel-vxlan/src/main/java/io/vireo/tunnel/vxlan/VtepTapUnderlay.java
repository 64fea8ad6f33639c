package io.vireo.tunnel.vxlan;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.ArpFlyweight;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.headers.VxlanFlyweight;
import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.InetSockets;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.NetlinkException;
import io.vireo.dataplane.nativeio.RtNetlink;
import io.vireo.dataplane.nativeio.TunDevice;
import io.vireo.dataplane.offload.SegmentIovecs;
import io.vireo.dataplane.offload.SoftwareOffload;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.InterfaceNames;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * A {@link Vtep}'s underlay as a TAP device in the host's IP stack, with UDP tunnel GSO (Linux 6.17 on): the
 * endpoint is a guest of the host with an IPv4 address of its own, the local VTEP address, which the host routes
 * to the TAP (a /32 route this adds) and resolves to the endpoint's MAC (which this answers ARP with). A TCP
 * stream's 64 KB frame leaves whole, its outer headers in front, in one write, and the host's stack cuts it into
 * datagrams only where a device needs it (as it does for its own vxlan device); a frame that reaches the TAP
 * whole (over a veth from another namespace of the machine) comes back whole in one read, datagrams from a wire
 * one read each. No segmenting, merging or checksum of a stream's bytes in user space, and one system call per
 * frame each way; the price is a host that forwards IPv4
 * between its underlay interface and the TAP, and a VTEP address the underlay routes to the host.
 * <pre>
 *  one frame on the TAP (read into two buffers, written from two or three):
 *  +----------------------+----------+-----------+-------+-------+--------------------------------+
 *  | tunnel virtio-net    | Ethernet | IPv4, DF, | UDP   | VXLAN | inner frame ...                |
 *  | header, 24 bytes     | 14       | 20, no    | 8     | 8     | (a GSO frame: up to 64 KB)     |
 *  |                      |          | options   |       |       |                                |
 *  +----------------------+----------+-----------+-------+-------+--------------------------------+
 *  |<------------------- prefix, 74 bytes: the endpoint's own ------------->|<---- the slot ---->|
 *
 *  tunnel virtio-net header (struct virtio_net_hdr_v1_hash_tunnel, little-endian):
 *   0 flags | 1 gso_type | 2 hdr_len | 4 gso_size | 6 csum_start | 8 csum_offset | 10 num_buffers
 *  12 hash value (4) | 16 hash report | 18 padding | 20 outer UDP header offset | 22 inner IP header offset
 * </pre>
 * The first 12 bytes are a virtio-net header as the TAP ports use it, with the offsets counted from the outer
 * Ethernet header and, for GSO, {@code gso_type} ORed with {@link #GSO_UDP_TUNNEL_IPV4}. On receive the outer
 * headers must be IPv4 without options or fragmentation, UDP to the endpoint's address and port, VXLAN with the
 * I flag and the VNI, from a peer (or learned): anything else is dropped and counted ({@code bad_vxlan} for what
 * is no VXLAN datagram to it: IPv6, ICMP, another port); ARP requests for the local address are answered. On
 * transmit a plain frame's partial checksum is completed first (a NIC might not checksum inside a tunnel); a GSO
 * frame keeps its partial checksum for the kernel, or, if its outer packet would pass 65,535 bytes, is cut here
 * and its segments written one by one. The outer UDP checksum is 0 (RFC 7348 allows it over IPv4), the source
 * port a hash of the inner flow over the whole dynamic range. A write the TAP refuses (its queue full) is a
 * {@code tx_error}. One thread receives, one at a time transmits.
 */
final class VtepTapUnderlay implements VtepUnderlay
{
    /** {@code VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4}: a GSO frame inside an IPv4 UDP tunnel. */
    static final int GSO_UDP_TUNNEL_IPV4 = 0x20;
    /** {@code VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6}. */
    static final int GSO_UDP_TUNNEL_IPV6 = 0x40;
    /** {@code TUN_F_UDP_TUNNEL_GSO}, {@code TUN_F_UDP_TUNNEL_GSO_CSUM}: the TAP takes and hands UDP tunnel GSO frames. */
    static final int TUN_F_UDP_TUNNEL_GSO = 0x080;
    static final int TUN_F_UDP_TUNNEL_GSO_CSUM = 0x100;

    static final int TUNNEL_HEADER_LENGTH = 24;
    private static final int OUTER_TH_OFFSET = 20;
    private static final int INNER_NH_OFFSET = 22;
    private static final int ETHERNET = TUNNEL_HEADER_LENGTH;
    private static final int IP = ETHERNET + EthernetFlyweight.HEADER_LENGTH;
    private static final int IP_LENGTH = 20;
    private static final int UDP = IP + IP_LENGTH;
    private static final int VXLAN = UDP + 8;
    /** The outer Ethernet, IPv4, UDP and VXLAN headers: what sits in front of an inner frame. */
    static final int OUTER_LENGTH = EthernetFlyweight.HEADER_LENGTH + IP_LENGTH + 8 + VxlanFlyweight.LENGTH;
    private static final int PREFIX_LENGTH = TUNNEL_HEADER_LENGTH + OUTER_LENGTH;
    /** The largest inner frame whose outer IPv4 packet fits in 65,535 bytes. */
    private static final int MAX_WHOLE_FRAME = 65_535 - (OUTER_LENGTH - EthernetFlyweight.HEADER_LENGTH);
    private static final int IOVEC_LENGTH = 16;
    private static final int ARP_FRAME_LENGTH = EthernetFlyweight.HEADER_LENGTH + ArpFlyweight.LENGTH;

    private final Fd fd;
    private final int vni;
    private final int localAddress;
    private final int udpPort;
    private final boolean learnAnyPeer;
    private final VtepPeers peers;
    private final PortCounters counters;
    private final long endpointMac;

    private final UnsafeBuffer rxPrefix = new UnsafeBuffer(BufferUtil.allocateDirectAligned(PREFIX_LENGTH, 64));
    private final UnsafeBuffer rxIov = new UnsafeBuffer(BufferUtil.allocateDirectAligned(2 * IOVEC_LENGTH, 16));
    private final UnsafeBuffer txPrefix = new UnsafeBuffer(BufferUtil.allocateDirectAligned(PREFIX_LENGTH, 64));
    private final UnsafeBuffer txIov = new UnsafeBuffer(BufferUtil.allocateDirectAligned(3 * IOVEC_LENGTH, 16));
    private final UnsafeBuffer arpReply =
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(TUNNEL_HEADER_LENGTH + ARP_FRAME_LENGTH, 64));
    private final VirtioNetHeaderFlyweight tunnelHeader = new VirtioNetHeaderFlyweight();
    private final VirtioNetHeaderFlyweight netHeader = new VirtioNetHeaderFlyweight();
    private final EthernetFlyweight innerEthernetHeader = new EthernetFlyweight();
    private final VxlanFlyweight vxlanHeader = new VxlanFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    /** A GSO frame too long to go whole: cut here, its segments' headers in the offload's scratch. */
    private final SoftwareOffload offload = new SoftwareOffload(SoftwareOffload.DEFAULT_MAX_SEGMENTS, 0);
    private final SegmentIovecs segments = new SegmentIovecs(offload, SoftwareOffload.DEFAULT_MAX_SEGMENTS);

    /**
     * Over {@code fd}, which keeps each write one read as a TAP does (a TAP as {@link #open} makes it; in tests, a
     * packet socket), sending to the host's side at {@code hostMac}. Owns {@code fd}.
     */
    VtepTapUnderlay(
        final int fd, final long hostMac, final int vni, final int localAddress,
        final int udpPort, final int ttl, final boolean learnAnyPeer, final VtepPeers peers, final PortCounters counters)
    {
        this.fd = Fd.own(fd);
        this.vni = vni;
        this.localAddress = localAddress;
        this.udpPort = udpPort;
        this.learnAnyPeer = learnAnyPeer;
        this.peers = peers;
        this.counters = counters;
        this.endpointMac = endpointMac(localAddress);
        rxIov.putLong(0, rxPrefix.addressOffset());
        rxIov.putLong(8, PREFIX_LENGTH);
        txIov.putLong(0, txPrefix.addressOffset());
        txIov.putLong(8, PREFIX_LENGTH);
        // The outer headers' fixed part: to the host's side of the TAP, from the endpoint, DF, TTL, UDP to the port.
        putMac(txPrefix, ETHERNET, hostMac);
        putMac(txPrefix, ETHERNET + EthernetFlyweight.SOURCE_OFFSET, endpointMac);
        txPrefix.putShort(ETHERNET + EthernetFlyweight.ETHER_TYPE_OFFSET, (short)EthernetFlyweight.ETHER_TYPE_IPV4, BIG_ENDIAN);
        txPrefix.putByte(IP, (byte)0x45);
        txPrefix.putShort(IP + 6, (short)0x4000, BIG_ENDIAN);
        txPrefix.putByte(IP + 8, (byte)ttl);
        txPrefix.putByte(IP + 9, (byte)17);
        txPrefix.putInt(IP + 12, localAddress, BIG_ENDIAN);
        txPrefix.putShort(UDP + 2, (short)udpPort, BIG_ENDIAN);
        vxlanHeader.wrap(txPrefix, VXLAN, VxlanFlyweight.LENGTH).header(vni);
        tunnelHeader.wrap(rxPrefix, 0, VirtioNetHeaderFlyweight.LENGTH);
    }

    /**
     * Creates the TAP {@code tapName} in the caller's network namespace, up, with an MTU of {@code mtu} plus the
     * outer headers, and the host's route to {@code localAddress} through it. The TAP and the route go when the
     * underlay closes.
     *
     * @throws IllegalArgumentException saying why, if the host does not forward IPv4, {@code localAddress} is one of
     *                                  the host's own (the host would keep the datagrams), the name is invalid or
     *                                  taken, the kernel has no UDP tunnel GSO on a TAP, or refuses the link's
     *                                  settings or the route (one to the address exists).
     * @throws NativeException          if the kernel refuses the device or the route.
     */
    static VtepTapUnderlay open(
        final String tapName, final int vni, final int localAddress, final int udpPort, final int ttl, final int mtu,
        final boolean learnAnyPeer, final VtepPeers peers, final PortCounters counters)
    {
        InterfaceNames.validate(tapName);
        checkHostForwards();
        checkNotTheHosts(localAddress);
        if (Files.exists(Path.of("/sys/class/net", tapName)))
        {
            throw new IllegalArgumentException("interface " + tapName + " exists: the underlay TAP is the switch's to create");
        }
        final int fd = TunDevice.openTap(tapName, TunDevice.IFF_VNET_HDR);
        try
        {
            TunDevice.setVnetHeaderSize(fd, TUNNEL_HEADER_LENGTH);
            try
            {
                TunDevice.setOffloads(fd, TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6 |
                    TunDevice.TUN_F_TSO_ECN | TUN_F_UDP_TUNNEL_GSO | TUN_F_UDP_TUNNEL_GSO_CSUM);
            }
            catch (final NativeException ex)
            {
                throw new IllegalArgumentException("this kernel takes no UDP tunnel GSO on a TAP (" + ex.getMessage() +
                    "): an underlay TAP needs Linux 6.17 or later", ex);
            }
            withoutIpv6(tapName);
            final long hostMac;
            try (RtNetlink rtnl = RtNetlink.open(null))
            {
                final RtNetlink.Link link = rtnl.link(tapName);
                rtnl.changeLink(link.index(), new RtNetlink.LinkChange(null, null, mtu + Vtep.OVERHEAD, true));
                rtnl.addRoute(inetAddress(localAddress), 32, null, link.index());
                hostMac = mac(link);
            }
            catch (final NetlinkException ex)
            {
                throw new IllegalArgumentException("cannot set up " + tapName + " and the host's route to " +
                    InetSockets.format(localAddress) + " through it: " + ex.getMessage(), ex);
            }
            return new VtepTapUnderlay(fd, hostMac, vni, localAddress, udpPort, ttl, learnAnyPeer, peers, counters);
        }
        catch (final RuntimeException ex)
        {
            Native.libc().close(fd);
            throw ex;
        }
    }

    /**
     * The underlay over a TAP another process {@link #open opened} and handed over: its device, route and the
     * host's neighbour entry stay as they were.
     *
     * @throws NativeException if {@code fd} is not a TAP any more; {@code fd} is closed.
     */
    static VtepTapUnderlay adopt(
        final int fd, final int vni, final int localAddress, final int udpPort, final int ttl,
        final boolean learnAnyPeer, final VtepPeers peers, final PortCounters counters)
    {
        try
        {
            final String tapName = TunDevice.name(fd);
            try (RtNetlink rtnl = RtNetlink.open(null))
            {
                return new VtepTapUnderlay(fd, mac(rtnl.link(tapName)), vni, localAddress, udpPort, ttl, learnAnyPeer, peers, counters);
            }
            catch (final NetlinkException ex)
            {
                throw new IllegalArgumentException("cannot read the underlay TAP " + tapName + ": " + ex.getMessage(), ex);
            }
        }
        catch (final RuntimeException ex)
        {
            Native.libc().close(fd);
            throw ex;
        }
    }

    /**
     * Turns IPv6 off on the TAP, where the host would otherwise send router solicitations and multicast listener
     * reports the endpoint has no use for; a host without IPv6 has nothing to turn off.
     */
    private static void withoutIpv6(final String tapName)
    {
        final Path disable = Path.of("/proc/sys/net/ipv6/conf", tapName, "disable_ipv6");
        if (Files.exists(disable))
        {
            try
            {
                Files.writeString(disable, "1");
            }
            catch (final IOException ex)
            {
                throw new IllegalArgumentException("cannot turn IPv6 off on " + tapName + ": " + ex.getMessage(), ex);
            }
        }
    }

    private static String sysctl(final String path)
    {
        try
        {
            return Files.readString(Path.of(path)).trim();
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read " + path + ": " + ex.getMessage(), ex);
        }
    }

    private static void checkHostForwards()
    {
        if ("0".equals(sysctl("/proc/sys/net/ipv4/ip_forward")))
        {
            throw new IllegalArgumentException("the host does not forward IPv4 (net.ipv4.ip_forward is 0): " +
                "an underlay TAP needs the host to route between it and the underlay");
        }
    }

    /** Binding to an address succeeds where the host has it; with {@code ip_nonlocal_bind} on it always does: no check. */
    private static void checkNotTheHosts(final int localAddress)
    {
        if ("1".equals(sysctl("/proc/sys/net/ipv4/ip_nonlocal_bind")))
        {
            return;
        }
        final int probe;
        try
        {
            probe = InetSockets.udp(localAddress, 0);
        }
        catch (final NativeException ex)
        {
            if (Errno.EADDRNOTAVAIL == ex.errno())
            {
                return;
            }
            throw ex;
        }
        Native.libc().close(probe);
        throw new IllegalArgumentException("the local VTEP address " + InetSockets.format(localAddress) +
            " is the host's own: over an underlay TAP it must be an address of the endpoint alone, which the host routes to the TAP");
    }

    /** The endpoint's MAC on the TAP: locally administered, 02:76 and the local address, so it outlives a restart. */
    static long endpointMac(final int localAddress)
    {
        return 0x0276_0000_0000L | (localAddress & 0xFFFF_FFFFL);
    }

    private static InetAddress inetAddress(final int address)
    {
        try
        {
            return InetAddress.getByAddress(new byte[] {
                (byte)(address >>> 24), (byte)(address >>> 16), (byte)(address >>> 8), (byte)address});
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** The host's side of the TAP: its MAC, which the outer Ethernet header goes to. */
    private static long mac(final RtNetlink.Link link)
    {
        return Long.parseLong(link.address().replace(":", ""), 16);
    }

    private static void putMac(final MutableDirectBuffer buffer, final int offset, final long mac)
    {
        buffer.putInt(offset, (int)(mac >>> 16), BIG_ENDIAN);
        buffer.putShort(offset + 4, (short)mac, BIG_ENDIAN);
    }

    // ---- receive ----

    /**
     * Reads until the burst has no {@link FrameBurst#hasReceiveRoom() room} or the TAP is empty, at most a burst's worth
     * of frames, dropped ones included.
     */
    @Override
    public int receive(final FrameBurst burst)
    {
        int received = 0;
        for (int reads = burst.capacity(); reads > 0 && burst.hasReceiveRoom() && 0 == fd.failure(); reads--)
        {
            rxIov.putLong(IOVEC_LENGTH, burst.nextFrameAddress());
            rxIov.putLong(IOVEC_LENGTH + 8, burst.frameCapacity());
            final long length = fd.readv(rxIov.addressOffset(), 2);
            if (length < 0)
            {
                break;
            }
            if (take(burst, (int)length))
            {
                received++;
            }
        }
        return received;
    }

    /** Checks a frame just read and appends its inner frame; false if it was dropped or answered. */
    private boolean take(final FrameBurst burst, final int length)
    {
        if (length < IP)
        {
            counters.dropped(DropReason.RUNT, 1);
            return false;
        }
        final int etherType = rxPrefix.getShort(ETHERNET + EthernetFlyweight.ETHER_TYPE_OFFSET, BIG_ENDIAN) & 0xFFFF;
        if (EthernetFlyweight.ETHER_TYPE_ARP == etherType)
        {
            answerArp(length);
            return false;
        }
        final int frameLength = length - PREFIX_LENGTH;
        final DropReason drop;
        if (EthernetFlyweight.ETHER_TYPE_IPV4 != etherType || length < PREFIX_LENGTH || !isVxlanToHere())
        {
            drop = DropReason.BAD_VXLAN;
        }
        else if (vxlanHeader.vni() != vni)
        {
            drop = DropReason.UNKNOWN_VNI;
        }
        else if (frameLength < EthernetFlyweight.HEADER_LENGTH)
        {
            drop = DropReason.RUNT;
        }
        else if (frameLength > burst.frameCapacity())
        {
            drop = DropReason.OVERSIZE;
        }
        else if (!innerNetHeader(burst, frameLength))
        {
            drop = DropReason.BAD_OFFLOAD;
        }
        else
        {
            // Last: a sender is learned as a peer only by a frame that goes on.
            final int peer = peer(rxPrefix.getInt(IP + 12, BIG_ENDIAN));
            if (Vtep.NO_PEER == peer)
            {
                drop = DropReason.UNKNOWN_PEER;
            }
            else
            {
                burst.commit(frameLength);
                burst.peer(burst.size() - 1, peer);
                return true;
            }
        }
        counters.dropped(drop, 1);
        return false;
    }

    /** IPv4 without options, not a fragment, UDP to the endpoint's address and port, a VXLAN header with the I flag. */
    private boolean isVxlanToHere()
    {
        vxlanHeader.wrap(rxPrefix, VXLAN, VxlanFlyweight.LENGTH);
        return 0x45 == rxPrefix.getByte(IP) &&
            0 == (rxPrefix.getShort(IP + 6, BIG_ENDIAN) & 0x3FFF) &&
            17 == rxPrefix.getByte(IP + 9) &&
            localAddress == rxPrefix.getInt(IP + 16, BIG_ENDIAN) &&
            udpPort == (rxPrefix.getShort(UDP + 2, BIG_ENDIAN) & 0xFFFF) &&
            vxlanHeader.isValid();
    }

    /** The peer a datagram came from, learned if the endpoint learns any. */
    private int peer(final int address)
    {
        int peer = peers.indexOf(address);
        if (Vtep.NO_PEER == peer && learnAnyPeer && 0 != address)
        {
            peer = peers.add(address, true);
        }
        return peer;
    }

    /**
     * The inner frame's virtio-net header, in front of it in its slot, from the tunnel header: offsets moved back by
     * the outer headers, the tunnel bit off. False if it cannot be: a GSO frame that is no tunnel's or has no
     * segment size, offsets inside the outer headers or a checksum field past the frame's end.
     */
    private boolean innerNetHeader(final FrameBurst burst, final int frameLength)
    {
        netHeader.wrap(burst.buffer(), burst.nextFrameOffset() - FrameBurst.NET_HEADER_LENGTH, FrameBurst.NET_HEADER_LENGTH).clear();
        final int gsoType = tunnelHeader.gsoType();
        final boolean partial = 0 != (tunnelHeader.flags() & VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM);
        final int csumStart = tunnelHeader.csumStart() - OUTER_LENGTH;
        final boolean innerPartial = partial && csumStart >= EthernetFlyweight.HEADER_LENGTH;
        if (innerPartial && csumStart + tunnelHeader.csumOffset() + 2 > frameLength)
        {
            return false;
        }
        if (VirtioNetHeaderFlyweight.GSO_NONE == gsoType)
        {
            // A partial checksum inside the outer headers is the outer UDP one, which goes with them: the inner is whole.
            if (innerPartial)
            {
                netHeader.flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM).csumStart(csumStart).csumOffset(tunnelHeader.csumOffset());
            }
            return true;
        }
        // hdr_len is the kernel's hint of the linear part's length (skb_headlen), not the headers' end: kept as a hint.
        final int hdrLen = Math.max(0, tunnelHeader.hdrLen() - OUTER_LENGTH);
        if (0 == (gsoType & (GSO_UDP_TUNNEL_IPV4 | GSO_UDP_TUNNEL_IPV6)) || !innerPartial || 0 == tunnelHeader.gsoSize() ||
            hdrLen > frameLength)
        {
            return false;
        }
        netHeader.flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM)
            .gsoType(gsoType & ~(GSO_UDP_TUNNEL_IPV4 | GSO_UDP_TUNNEL_IPV6))
            .hdrLen(hdrLen)
            .gsoSize(tunnelHeader.gsoSize())
            .csumStart(csumStart)
            .csumOffset(tunnelHeader.csumOffset());
        return true;
    }

    /** Answers the host's ARP request for the local address; anything else ARP is ignored. */
    private void answerArp(final int length)
    {
        arp.wrap(rxPrefix, IP, Math.min(length, PREFIX_LENGTH) - IP);
        if (!arp.isValid() || ArpFlyweight.OPERATION_REQUEST != arp.operation() || localAddress != arp.targetProtocolAddress())
        {
            return;
        }
        final long requester = arp.senderHardwareAddress();
        final int requesterAddress = arp.senderProtocolAddress();
        arpReply.setMemory(0, TUNNEL_HEADER_LENGTH, (byte)0);
        putMac(arpReply, ETHERNET, requester);
        putMac(arpReply, ETHERNET + EthernetFlyweight.SOURCE_OFFSET, endpointMac);
        arpReply.putShort(ETHERNET + EthernetFlyweight.ETHER_TYPE_OFFSET, (short)EthernetFlyweight.ETHER_TYPE_ARP, BIG_ENDIAN);
        arpReply.putShort(IP + ArpFlyweight.HARDWARE_TYPE_OFFSET, (short)ArpFlyweight.HARDWARE_TYPE_ETHERNET, BIG_ENDIAN);
        arpReply.putShort(IP + ArpFlyweight.PROTOCOL_TYPE_OFFSET, (short)ArpFlyweight.PROTOCOL_TYPE_IPV4, BIG_ENDIAN);
        arpReply.putByte(IP + ArpFlyweight.HARDWARE_LENGTH_OFFSET, (byte)ArpFlyweight.HARDWARE_LENGTH_ETHERNET);
        arpReply.putByte(IP + ArpFlyweight.PROTOCOL_LENGTH_OFFSET, (byte)ArpFlyweight.PROTOCOL_LENGTH_IPV4);
        arpReply.putShort(IP + ArpFlyweight.OPERATION_OFFSET, (short)ArpFlyweight.OPERATION_REPLY, BIG_ENDIAN);
        putMac(arpReply, IP + ArpFlyweight.SENDER_HARDWARE_ADDRESS_OFFSET, endpointMac);
        arpReply.putInt(IP + ArpFlyweight.SENDER_PROTOCOL_ADDRESS_OFFSET, localAddress, BIG_ENDIAN);
        putMac(arpReply, IP + ArpFlyweight.TARGET_HARDWARE_ADDRESS_OFFSET, requester);
        arpReply.putInt(IP + ArpFlyweight.TARGET_PROTOCOL_ADDRESS_OFFSET, requesterAddress, BIG_ENDIAN);
        fd.write(arpReply.addressOffset(), TUNNEL_HEADER_LENGTH + ARP_FRAME_LENGTH);
    }

    // ---- transmit ----

    @Override
    public void transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        final UnsafeBuffer buffer = burst.buffer();
        for (int i = 0; i < count; i++)
        {
            final int frame = indexes[i];
            final int peer = burst.peer(frame);
            if (Vtep.ALL_PEERS == peer ? 0 == peers.limit() : 0 == peers.address(peer))
            {
                counters.dropped(DropReason.NO_ROUTE, 1);
                continue;
            }
            final int offset = burst.frameOffset(frame);
            final int length = burst.frameLength(frame);
            netHeader.wrap(buffer, burst.netHeaderOffset(frame), FrameBurst.NET_HEADER_LENGTH);
            final boolean gso = VirtioNetHeaderFlyweight.GSO_NONE != netHeader.gsoType();
            if (gso && length > MAX_WHOLE_FRAME)
            {
                sendSegmented(buffer, offset, length, peer);
                continue;
            }
            if (!gso && !offload.completeChecksum(buffer, offset, length, netHeader))
            {
                counters.dropped(DropReason.BAD_OFFLOAD, 1);
                continue;
            }
            outerHeaders(buffer, offset, length, gso);
            if (Vtep.ALL_PEERS == peer)
            {
                for (int each = 0, limit = peers.limit(); each < limit; each++)
                {
                    send(peers.address(each), buffer.addressOffset() + offset, length);
                }
            }
            else
            {
                send(peers.address(peer), buffer.addressOffset() + offset, length);
            }
        }
    }

    /** The tunnel header and the outer headers' per-frame fields but the destination, for a frame sent whole. */
    private void outerHeaders(final UnsafeBuffer buffer, final int offset, final int length, final boolean gso)
    {
        txPrefix.setMemory(0, TUNNEL_HEADER_LENGTH, (byte)0);
        if (0 != (netHeader.flags() & VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM))
        {
            txPrefix.putByte(0, (byte)VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM);
            txPrefix.putShort(VirtioNetHeaderFlyweight.CSUM_START_OFFSET, (short)(netHeader.csumStart() + OUTER_LENGTH), ByteOrder.LITTLE_ENDIAN);
            txPrefix.putShort(VirtioNetHeaderFlyweight.CSUM_OFFSET_OFFSET, (short)netHeader.csumOffset(), ByteOrder.LITTLE_ENDIAN);
        }
        if (gso)
        {
            // Its VLAN tags (up to two) included; a frame too short for them is the kernel's to refuse.
            final int innerEthernet =
                Math.max(EthernetFlyweight.HEADER_LENGTH, innerEthernetHeader.wrap(buffer, offset, length).headerLength());
            txPrefix.putByte(VirtioNetHeaderFlyweight.GSO_TYPE_OFFSET, (byte)(netHeader.gsoType() | GSO_UDP_TUNNEL_IPV4));
            txPrefix.putShort(VirtioNetHeaderFlyweight.HDR_LEN_OFFSET, (short)(netHeader.hdrLen() + OUTER_LENGTH), ByteOrder.LITTLE_ENDIAN);
            txPrefix.putShort(VirtioNetHeaderFlyweight.GSO_SIZE_OFFSET, (short)netHeader.gsoSize(), ByteOrder.LITTLE_ENDIAN);
            txPrefix.putShort(OUTER_TH_OFFSET, (short)(UDP - TUNNEL_HEADER_LENGTH), ByteOrder.LITTLE_ENDIAN);
            txPrefix.putShort(INNER_NH_OFFSET, (short)(OUTER_LENGTH + innerEthernet), ByteOrder.LITTLE_ENDIAN);
        }
        txPrefix.putShort(UDP, (short)VtepSourcePorts.spreadPort(buffer, offset, length), BIG_ENDIAN);
    }

    /** Writes the frame at {@code frameAddress} behind the prefix to {@code address}, a peer's (0: gone meanwhile). */
    private void send(final int address, final long frameAddress, final int length)
    {
        if (0 == address)
        {
            return;
        }
        destination(address, length);
        txIov.putLong(IOVEC_LENGTH, frameAddress);
        txIov.putLong(IOVEC_LENGTH + 8, length);
        sent(fd.writev(txIov.addressOffset(), 2), length);
    }

    /** The outer IPv4 and UDP fields that depend on the peer and the inner frame's length. */
    private void destination(final int address, final int innerLength)
    {
        final int udpLength = 8 + VxlanFlyweight.LENGTH + innerLength;
        txPrefix.putShort(IP + 2, (short)(IP_LENGTH + udpLength), BIG_ENDIAN);
        txPrefix.putShort(IP + 10, (short)0);
        txPrefix.putInt(IP + 16, address, BIG_ENDIAN);
        txPrefix.putShort(IP + 10, (short)Checksums.checksum(txPrefix, IP, IP_LENGTH), BIG_ENDIAN);
        txPrefix.putShort(UDP + 4, (short)udpLength, BIG_ENDIAN);
    }

    private void sent(final long result, final int innerLength)
    {
        if (result < 0)
        {
            counters.dropped(DropReason.TX_ERROR, 1);
        }
        else
        {
            counters.sent(1, innerLength);
        }
    }

    /** A GSO frame whose outer packet would pass 65,535 bytes: its segments, each a plain frame, one write apiece. */
    private void sendSegmented(final MutableDirectBuffer buffer, final int offset, final int length, final int peer)
    {
        if (segments.cut(buffer, offset, length, netHeader) < 0)
        {
            counters.dropped(DropReason.BAD_OFFLOAD, 1);
            return;
        }
        txPrefix.setMemory(0, TUNNEL_HEADER_LENGTH, (byte)0);
        txPrefix.putShort(UDP, (short)VtepSourcePorts.spreadPort(buffer, offset, length), BIG_ENDIAN);
        if (Vtep.ALL_PEERS == peer)
        {
            for (int each = 0, limit = peers.limit(); each < limit; each++)
            {
                sendSegments(peers.address(each));
            }
        }
        else
        {
            sendSegments(peers.address(peer));
        }
    }

    private void sendSegments(final int address)
    {
        if (0 == address)
        {
            return;
        }
        for (int segment = 0; segment < segments.count(); segment++)
        {
            final int innerLength = segments.headerLength(segment) + segments.payloadLength(segment);
            destination(address, innerLength);
            txIov.putLong(IOVEC_LENGTH, segments.headerAddress(segment));
            txIov.putLong(IOVEC_LENGTH + 8, segments.headerLength(segment));
            txIov.putLong(2 * IOVEC_LENGTH, segments.payloadAddress(segment));
            txIov.putLong(2 * IOVEC_LENGTH + 8, segments.payloadLength(segment));
            sent(fd.writev(txIov.addressOffset(), 3), innerLength);
        }
    }

    // ---- the rest ----

    @Override
    public int pollFd()
    {
        return fd.value();
    }

    @Override
    public int failure()
    {
        return fd.failure();
    }

    /** The TAP's descriptor. */
    @Override
    public int[] descriptors()
    {
        return new int[] {fd.value()};
    }

    @Override
    public int[] sourcePorts()
    {
        return new int[0];
    }

    /** Nothing to leave: the adopting process holds the TAP open, so closing this copy keeps the device and route. */
    @Override
    public void handedOver()
    {
    }

    /** Closes the TAP: unless another process holds it, the kernel removes it and its route. */
    @Override
    public void close()
    {
        fd.close();
    }
}
