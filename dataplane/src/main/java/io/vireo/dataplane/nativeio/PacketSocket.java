package io.vireo.dataplane.nativeio;

import java.nio.charset.StandardCharsets;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A raw {@code AF_PACKET} socket attached to one existing network interface, set up as a switch port
 * needs it: every frame of every protocol ({@code ETH_P_ALL}) of that interface only, in promiscuous
 * mode, received through a memory-mapped {@code TPACKET_V3} ring of blocks, each frame with a
 * virtio-net header in front ({@code PACKET_VNET_HDR}: GSO frames arrive whole), sent straight to the
 * driver ({@code PACKET_QDISC_BYPASS}), and never receiving back what it sent itself
 * ({@code PACKET_IGNORE_OUTGOING}). The socket is non-blocking; it is readable (POLLIN) when a block of
 * the ring is the reader's. What the structures look like (x86_64 / aarch64, host byte order unless
 * said otherwise):
 * <pre>
 * struct ifreq (40 B), for SIOCGIFINDEX / SIOCGIFFLAGS / SIOCGIFNAME:
 *   0 ifr_name[16] NUL-terminated   16 ifr_ifindex (int) or ifr_flags (u16)   20..39 unused
 * struct sockaddr_ll (20 B), for bind:
 *   0 family (u16) = AF_PACKET   2 protocol (u16, network order) = ETH_P_ALL   4 ifindex (int)
 *   8 hatype (u16)  10 pkttype (u8)  11 halen (u8)  12 addr[8]                 (all 0 for bind)
 * struct packet_mreq (16 B), for PACKET_ADD_MEMBERSHIP / PACKET_DROP_MEMBERSHIP:
 *   0 ifindex (int)   4 type (u16) = PACKET_MR_PROMISC   6 alen (u16) = 0   8 address[8] = 0
 * struct tpacket_req3 (28 B), for PACKET_RX_RING:
 *   0 block_size   4 block_nr   8 frame_size   12 frame_nr   16 retire_blk_tov (ms)
 *  20 sizeof_priv = 0   24 feature_req_word = 0                        (all u32)
 * struct tpacket_stats_v3 (12 B), from PACKET_STATISTICS (reading resets it):
 *   0 tp_packets   4 tp_drops   8 tp_freeze_q_cnt                      (all u32)
 * </pre>
 * The ring's own layout is drawn in {@code io.vireo.dataplane.port.AfPacketRing}. The socket never
 * creates, configures or deletes the interface; {@link #close()} gives back only what it took: the
 * promiscuous membership, the ring mapping and the socket. A socket handed to another process ({@link #adopt}
 * there, {@link #handedOver} here) keeps its membership: only the mapping and the descriptor go.
 */
public final class PacketSocket implements AutoCloseable
{
    /**
     * Bytes of virtio-net header in front of every frame both ways: {@code struct virtio_net_hdr}, the
     * 12-byte {@code virtio_net_hdr_v1} without {@code num_buffers}. The receive ring always has these
     * 10 bytes right before the frame, whatever PACKET_VNET_HDR_SZ says (measured on Linux 6.18).
     */
    public static final int NET_HEADER_LENGTH = 10;

    static final int AF_PACKET = 17;
    static final int SOCK_RAW = 3;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final short ETH_P_ALL = 0x0003;
    static final int SOL_SOCKET = 1;
    static final int SO_ERROR = 4;
    static final int SOL_PACKET = 263;
    static final int PACKET_ADD_MEMBERSHIP = 1;
    static final int PACKET_DROP_MEMBERSHIP = 2;
    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VERSION = 10;
    static final int PACKET_VNET_HDR = 15;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int PACKET_IGNORE_OUTGOING = 23;
    /** Linux 6.2 on; Debian 12's headers predate it. */
    static final int PACKET_VNET_HDR_SZ = 24;
    static final int TPACKET_V3 = 2;
    static final short PACKET_MR_PROMISC = 1;
    static final long SIOCGIFNAME = 0x8910L;
    static final long SIOCGIFFLAGS = 0x8913L;
    static final long SIOCGIFINDEX = 0x8933L;
    static final int IFF_UP = 0x1;

    private static final int IFREQ_LENGTH = 40;
    private static final int IFREQ_UNION_OFFSET = 16;
    private static final int SOCKADDR_LL_LENGTH = 20;
    private static final int PACKET_MREQ_LENGTH = 16;
    private static final int TPACKET_REQ3_LENGTH = 28;
    private static final int STATS_V3_LENGTH = 12;
    private static final int STATS_DROPS_OFFSET = 4;
    /** frame_size only has to divide the block for TPACKET_V3: frames are packed in a block as they come. */
    private static final int RING_FRAME_SIZE = 2048;
    /** Scratch: a structure at 0, its length (for getsockopt) at this offset. */
    private static final int SCRATCH_LENGTH_OFFSET = 48;
    private static final int SCRATCH_LENGTH = 64;

    private final String interfaceName;
    private final int interfaceIndex;
    private final Fd fd;
    private final LibC libc;
    private final UnsafeBuffer scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(SCRATCH_LENGTH, 16));
    private MappedMemory ring;
    private boolean udpSegmentation;
    private boolean promiscuous;
    private boolean closed;

    private PacketSocket(final String interfaceName, final int fd)
    {
        this.interfaceName = interfaceName;
        this.fd = Fd.own(fd);
        this.libc = Native.libc();
        try
        {
            this.interfaceIndex = lookUpIndex();
        }
        catch (final NativeException ex)
        {
            this.fd.close();
            throw ex;
        }
    }

    /**
     * Opens a packet socket on the existing interface {@code interfaceName}, which must be up.
     *
     * @param blockSize          bytes per ring block: a power of two, at least a page; a frame longer
     *                           than a block (less its 48-byte header and alignment) arrives truncated.
     * @param blockCount         blocks in the ring.
     * @param blockTimeoutMillis how long the kernel keeps a block that is not full before handing it over.
     * @throws NativeException naming the interface, what was refused and the errno: ENODEV if there is no
     *                         such interface, ENETDOWN if it is down, EPERM without CAP_NET_RAW.
     */
    public static PacketSocket open(
        final String interfaceName, final int blockSize, final int blockCount, final int blockTimeoutMillis)
    {
        if (Integer.bitCount(blockSize) != 1 || blockSize < 4096 || blockCount < 1 || blockTimeoutMillis < 0 ||
            (long)blockSize * blockCount > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("bad AF_PACKET ring for " + interfaceName + ": " + blockCount +
                " blocks of " + blockSize + " bytes, timeout " + blockTimeoutMillis + " ms");
        }
        // Protocol 0 until bind: nothing is queued from other interfaces meanwhile.
        final int fd = Native.libc().socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new NativeException("AF_PACKET socket for " + interfaceName, Native.errno());
        }
        final PacketSocket socket = new PacketSocket(interfaceName, fd);
        try
        {
            socket.setUp(blockSize, blockCount, blockTimeoutMillis);
        }
        catch (final RuntimeException ex)
        {
            socket.close();
            throw ex;
        }
        return socket;
    }

    /**
     * Takes a socket another process set up with {@link #open} and handed over (its descriptor passed with
     * {@code SCM_RIGHTS}, {@code vireod --takeover}): maps the same receive ring, which is the socket's and still
     * holds what the kernel put there. The kernel does not tell a ring's geometry back, so it comes with the
     * descriptor; a wrong size is refused by mmap. Every socket option, the promiscuous membership among them,
     * is the socket's and stays as it was; {@link #close()} does not drop the membership this process did not add,
     * the kernel does when the last descriptor of the socket closes.
     *
     * @param fd              the descriptor; this socket owns it from now on, closed if this throws.
     * @param udpSegmentation what {@link #takesUdpSegmentation()} said in the process that set it up.
     * @throws NativeException if there is no interface of that name any more, or the ring cannot be mapped.
     */
    public static PacketSocket adopt(final String interfaceName, final int fd, final int blockSize, final int blockCount,
        final boolean udpSegmentation)
    {
        if (Integer.bitCount(blockSize) != 1 || blockSize < 4096 || blockCount < 1 ||
            (long)blockSize * blockCount > Integer.MAX_VALUE)
        {
            UnixSocket.closeDescriptor(fd);
            throw new IllegalArgumentException("bad AF_PACKET ring handed over for " + interfaceName + ": " + blockCount +
                " blocks of " + blockSize + " bytes");
        }
        final PacketSocket socket = new PacketSocket(interfaceName, fd);
        try
        {
            socket.ring = MappedMemory.mapRing(fd, (long)blockSize * blockCount);
        }
        catch (final RuntimeException ex)
        {
            socket.close();
            throw ex;
        }
        socket.udpSegmentation = udpSegmentation;
        return socket;
    }

    private void setUp(final int blockSize, final int blockCount, final int blockTimeoutMillis)
    {
        if (0 == (interfaceFlags() & IFF_UP))
        {
            throw new NativeException("AF_PACKET on " + interfaceName + ": the interface is down", Errno.ENETDOWN);
        }
        setInt(PACKET_VERSION, TPACKET_V3, "PACKET_VERSION=TPACKET_V3");
        // The header option must come before the ring, which the kernel lays out for it. Kernels that know
        // PACKET_VNET_HDR_SZ (6.2 on) are those whose virtio-net header parsing knows UDP segmentation.
        udpSegmentation = trySetInt(PACKET_VNET_HDR_SZ, NET_HEADER_LENGTH);
        if (!udpSegmentation)
        {
            setInt(PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
        }
        scratch.setMemory(0, TPACKET_REQ3_LENGTH, (byte)0);
        scratch.putInt(0, blockSize);
        scratch.putInt(4, blockCount);
        scratch.putInt(8, RING_FRAME_SIZE);
        scratch.putInt(12, blockSize / RING_FRAME_SIZE * blockCount);
        scratch.putInt(16, blockTimeoutMillis);
        setOption(PACKET_RX_RING, TPACKET_REQ3_LENGTH, "PACKET_RX_RING " + blockCount + " x " + blockSize + " B");
        ring = MappedMemory.mapRing(fd.value(), (long)blockSize * blockCount);
        setInt(PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
        setInt(PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
        if (!promiscuity(PACKET_ADD_MEMBERSHIP))
        {
            throw failure("setsockopt PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC");
        }
        promiscuous = true;

        scratch.setMemory(0, SOCKADDR_LL_LENGTH, (byte)0);
        scratch.putShort(0, (short)AF_PACKET);
        scratch.putShort(2, Short.reverseBytes(ETH_P_ALL));
        scratch.putInt(4, interfaceIndex);
        if (libc.bind(fd.value(), scratch.addressOffset(), SOCKADDR_LL_LENGTH) < 0)
        {
            throw failure("bind to ifindex " + interfaceIndex);
        }
    }

    /** The interface's name, as given. */
    public String interfaceName()
    {
        return interfaceName;
    }

    /** The interface's index, looked up when the socket was opened. */
    public int interfaceIndex()
    {
        return interfaceIndex;
    }

    /** The descriptor: readable when the ring has a block for the reader; sendmmsg to transmit. */
    public Fd fd()
    {
        return fd;
    }

    /** The receive ring, {@code blockCount * blockSize} bytes. */
    public MappedMemory ring()
    {
        return ring;
    }

    /** True if the kernel takes UDP segmentation ({@code GSO_UDP_L4}) in a sent frame's virtio-net header (6.2 on). */
    public boolean takesUdpSegmentation()
    {
        return udpSegmentation;
    }

    /**
     * Frames the kernel dropped for want of a free block since the last call ({@code PACKET_STATISTICS},
     * which the read resets). A system call: for when the ring says it is losing frames.
     */
    public long takeDrops()
    {
        scratch.putInt(SCRATCH_LENGTH_OFFSET, STATS_V3_LENGTH);
        if (libc.getsockopt(fd.value(), SOL_PACKET, PACKET_STATISTICS, scratch.addressOffset(),
            scratch.addressOffset() + SCRATCH_LENGTH_OFFSET) < 0)
        {
            return 0;
        }
        return Integer.toUnsignedLong(scratch.getInt(STATS_DROPS_OFFSET));
    }

    /**
     * Takes the socket's pending error ({@code SO_ERROR}), 0 if none. The kernel sets ENETDOWN when the
     * interface goes down or away; until taken, the socket polls as readable (POLLERR).
     */
    public int takeError()
    {
        scratch.putInt(SCRATCH_LENGTH_OFFSET, 4);
        if (libc.getsockopt(fd.value(), SOL_SOCKET, SO_ERROR, scratch.addressOffset(),
            scratch.addressOffset() + SCRATCH_LENGTH_OFFSET) < 0)
        {
            return Native.errno();
        }
        return scratch.getInt(0);
    }

    /** True while an interface with the socket's index exists in the socket's network namespace. */
    public boolean interfaceExists()
    {
        scratch.setMemory(0, IFREQ_LENGTH, (byte)0);
        scratch.putInt(IFREQ_UNION_OFFSET, interfaceIndex);
        return libc.ioctl(fd.value(), SIOCGIFNAME, scratch.addressOffset()) >= 0;
    }

    private int lookUpIndex()
    {
        ifreq(SIOCGIFINDEX, "SIOCGIFINDEX");
        return scratch.getInt(IFREQ_UNION_OFFSET);
    }

    private int interfaceFlags()
    {
        ifreq(SIOCGIFFLAGS, "SIOCGIFFLAGS");
        return scratch.getShort(IFREQ_UNION_OFFSET) & 0xFFFF;
    }

    private void ifreq(final long request, final String what)
    {
        scratch.setMemory(0, IFREQ_LENGTH, (byte)0);
        final byte[] name = interfaceName.getBytes(StandardCharsets.US_ASCII);
        scratch.putBytes(0, name, 0, Math.min(name.length, IFREQ_UNION_OFFSET - 1));
        // The structure's address passed as the by-value argument: what C passes for a pointer anyway.
        if (libc.ioctl(fd.value(), request, scratch.addressOffset()) < 0)
        {
            throw failure(what);
        }
    }

    /** Adds or drops the socket's promiscuous membership of the interface. */
    private boolean promiscuity(final int option)
    {
        scratch.setMemory(0, PACKET_MREQ_LENGTH, (byte)0);
        scratch.putInt(0, interfaceIndex);
        scratch.putShort(4, PACKET_MR_PROMISC);
        return libc.setsockopt(fd.value(), SOL_PACKET, option, scratch.addressOffset(), PACKET_MREQ_LENGTH) == 0;
    }

    private void setInt(final int option, final int value, final String what)
    {
        if (!trySetInt(option, value))
        {
            throw failure("setsockopt " + what);
        }
    }

    private boolean trySetInt(final int option, final int value)
    {
        scratch.putInt(0, value);
        return libc.setsockopt(fd.value(), SOL_PACKET, option, scratch.addressOffset(), 4) == 0;
    }

    private void setOption(final int option, final int length, final String what)
    {
        if (libc.setsockopt(fd.value(), SOL_PACKET, option, scratch.addressOffset(), length) < 0)
        {
            throw failure("setsockopt " + what);
        }
    }

    private NativeException failure(final String what)
    {
        return new NativeException("AF_PACKET on " + interfaceName + ": " + what, Native.errno());
    }

    /**
     * The socket is another process's too from now on ({@link #adopt} there): {@link #close()} unmaps this
     * process's view of the ring and closes its descriptor, and leaves the promiscuous membership, which is the
     * socket's, and every other option as they are. The interface stays promiscuous while the socket lives.
     */
    public void handedOver()
    {
        promiscuous = false;
    }

    /**
     * Leaves promiscuous mode (the kernel keeps a count, so other users keep theirs), unmaps the ring and
     * closes the socket; idempotent. The interface itself stays as it is.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (promiscuous)
        {
            // Best effort: an interface that has gone took the membership with it.
            promiscuity(PACKET_DROP_MEMBERSHIP);
        }
        if (null != ring)
        {
            ring.close();
        }
        fd.close();
    }

    @Override
    public String toString()
    {
        return "PacketSocket{" + interfaceName + ", ifindex=" + interfaceIndex + ", fd=" + fd + "}";
    }
}
