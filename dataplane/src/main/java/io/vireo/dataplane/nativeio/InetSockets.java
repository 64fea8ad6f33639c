package io.vireo.dataplane.nativeio;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Non-blocking, close-on-exec IPv4 datagram sockets for the data path, as raw descriptors to use
 * with {@link MessageBatch}: a UDP socket bound to an address and port (to receive, optionally with
 * {@link #receiveCoalesced UDP_GRO}, or to send with DF and a TTL and {@code UDP_SEGMENT}), and a raw
 * UDP socket that sends datagrams whose UDP header the caller writes (so it chooses the source port
 * per datagram).
 * Addresses are IPv4 as an int, first octet highest.
 */
public final class InetSockets
{
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int IPPROTO_UDP = 17;
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int SO_REUSEPORT = 15;
    private static final int SO_MARK = 36;
    private static final int SO_ATTACH_REUSEPORT_CBPF = 51;
    private static final int IPPROTO_IP = 0;
    private static final int IP_TTL = 2;
    private static final int IP_MTU_DISCOVER = 10;
    /** Always set DF; never fragment locally, EMSGSIZE instead. */
    private static final int IP_PMTUDISC_DO = 2;
    private static final int UDP_GRO = 104;

    private InetSockets()
    {
    }

    /**
     * A UDP socket bound to {@code address}:{@code port}.
     *
     * @throws NativeException naming the address (EADDRINUSE if another socket has it, EADDRNOTAVAIL
     *                         if no interface of this namespace owns the address).
     */
    public static int udp(final int address, final int port)
    {
        final int fd = open(SOCK_DGRAM, 0, address, port);
        bind(fd, address, port);
        return fd;
    }

    /**
     * A UDP socket bound to {@code address}:{@code port} with {@code SO_REUSEPORT}: it joins the kernel's group of
     * the sockets so bound (same user, all with the option), last of it; a socket bound there without the option
     * still makes the bind fail with EADDRINUSE. Which member takes a datagram: {@link #selectReusePort}.
     *
     * @throws NativeException as {@link #udp}.
     */
    public static int udpReusePort(final int address, final int port)
    {
        final int fd = open(SOCK_DGRAM, 0, address, port);
        setInt(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
        bind(fd, address, port);
        return fd;
    }

    /**
     * Attaches a classic BPF program to the {@code SO_REUSEPORT} group {@code fd} belongs to
     * ({@code SO_ATTACH_REUSEPORT_CBPF}), replacing the one it had: for each datagram it sees the UDP payload and
     * returns the index of the member to take it, an index out of range leaving the choice to the kernel's hash.
     *
     * @param program      {@code instructions} struct sock_filter of 8 bytes each, in native order.
     * @throws NativeException if the kernel refuses the program.
     */
    public static void selectReusePort(final int fd, final long program, final int instructions)
    {
        final UnsafeBuffer fprog = new UnsafeBuffer(BufferUtil.allocateDirectAligned(16, 8));
        fprog.putShort(0, (short)instructions);
        fprog.putLong(8, program);
        if (Native.libc().setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog.addressOffset(), 16) != 0)
        {
            throw new NativeException("setsockopt SO_ATTACH_REUSEPORT_CBPF", Native.errno());
        }
    }

    /** Sets the socket's mark ({@code SO_MARK}, needs CAP_NET_RAW or CAP_NET_ADMIN); false if refused. */
    public static boolean mark(final int fd, final int mark)
    {
        return trySetInt(fd, SOL_SOCKET, SO_MARK, mark);
    }

    /** The socket's mark ({@code SO_MARK}), 0 if it has none or the kernel does not say. */
    public static int mark(final int fd)
    {
        final UnsafeBuffer cell = new UnsafeBuffer(BufferUtil.allocateDirectAligned(16, 8));
        cell.putInt(8, 4);
        return Native.libc().getsockopt(fd, SOL_SOCKET, SO_MARK, cell.addressOffset(), cell.addressOffset() + 8) == 0 ?
            cell.getInt(0) : 0;
    }

    /**
     * A UDP socket bound to {@code address}:{@code port} to send from, with DF always set and time to
     * live {@code ttl}; messages may ask the kernel to cut them into datagrams
     * ({@link MessageBatch#segmentSize(int, int)}), with the UDP checksum computed.
     *
     * @throws NativeException as {@link #udp}.
     */
    public static int udpSender(final int address, final int port, final int ttl)
    {
        final int fd = udp(address, port);
        setInt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, "IP_MTU_DISCOVER");
        setInt(fd, IPPROTO_IP, IP_TTL, ttl, "IP_TTL");
        return fd;
    }

    /**
     * Lets the kernel hand a train of datagrams of one sender, all of one size but the last, as one
     * message ({@code UDP_GRO}; {@link MessageBatch#segmentSize(int)} reads the size).
     *
     * @throws NativeException if the kernel does not know the option (before Linux 5.0).
     */
    public static void receiveCoalesced(final int fd)
    {
        if (!trySetInt(fd, IPPROTO_UDP, UDP_GRO, 1))
        {
            throw new NativeException("setsockopt UDP_GRO=1", Native.errno());
        }
    }

    /**
     * A raw IPv4 socket for protocol UDP, bound to source {@code address}, with DF always set and
     * time to live {@code ttl}: what is written is the UDP header and payload, the kernel adds the IP
     * header and routes it. Needs CAP_NET_RAW.
     */
    public static int rawUdp(final int address, final int ttl)
    {
        final int fd = open(SOCK_RAW, IPPROTO_UDP, address, 0);
        bind(fd, address, 0);
        setInt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, "IP_MTU_DISCOVER");
        setInt(fd, IPPROTO_IP, IP_TTL, ttl, "IP_TTL");
        return fd;
    }

    /**
     * Asks for socket buffers of {@code bytes} each way, beyond the sysctl limits when privileged (a
     * burst of 64 KB frames replicated to every peer must not overflow the default), else up to
     * them; best effort, as a smaller buffer only costs drops under load.
     */
    public static void buffers(final int fd, final int bytes)
    {
        if (!trySetInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, bytes))
        {
            trySetInt(fd, SOL_SOCKET, SO_SNDBUF, bytes);
        }
        if (!trySetInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes))
        {
            trySetInt(fd, SOL_SOCKET, SO_RCVBUF, bytes);
        }
    }

    /** The dotted form of an IPv4 address given as an int. */
    public static String format(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    private static int open(final int type, final int protocol, final int address, final int port)
    {
        final int fd = Native.libc().socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            throw new NativeException("socket for " + format(address) + ":" + port, Native.errno());
        }
        return fd;
    }

    private static void bind(final int fd, final int address, final int port)
    {
        final UnsafeBuffer name = new UnsafeBuffer(BufferUtil.allocateDirectAligned(16, 8));
        name.putShort(0, (short)AF_INET);
        name.putShort(2, Short.reverseBytes((short)port));
        name.putInt(4, Integer.reverseBytes(address));
        if (Native.libc().bind(fd, name.addressOffset(), 16) < 0)
        {
            final int errno = Native.errno();
            Native.libc().close(fd);
            throw new NativeException("bind " + format(address) + (port == 0 ? "" : ":" + port), errno);
        }
    }

    private static void setInt(final int fd, final int level, final int option, final int value, final String what)
    {
        if (!trySetInt(fd, level, option, value))
        {
            final int errno = Native.errno();
            Native.libc().close(fd);
            throw new NativeException("setsockopt " + what + "=" + value, errno);
        }
    }

    private static boolean trySetInt(final int fd, final int level, final int option, final int value)
    {
        final UnsafeBuffer cell = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4, 4));
        cell.putInt(0, value);
        return Native.libc().setsockopt(fd, level, option, cell.addressOffset(), 4) == 0;
    }
}
