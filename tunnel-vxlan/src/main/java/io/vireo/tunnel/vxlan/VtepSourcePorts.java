package io.vireo.tunnel.vxlan;

import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.InetSockets;
import io.vireo.dataplane.nativeio.NativeException;
import org.agrona.DirectBuffer;

/**
 * The UDP source ports a {@link Vtep} sends from, {@value #COUNT} of them in the dynamic range
 * 49152-65535 (RFC 7348 section 5), each with a UDP socket bound to it on the local address, with DF
 * and the endpoint's TTL. A flow is one of them, chosen by a hash of the inner frame's headers
 * ({@link #flow}): its plain frames carry that port in the UDP header the raw socket sends, its
 * segmented GSO frames leave through that port's socket, so all of a flow's datagrams share one
 * outer 5-tuple, as ECMP and the receiver's GRO want. A socket per port is the price of
 * {@code UDP_SEGMENT}, which only a UDP socket offers, and a UDP socket sends from one port.
 * <p>
 * The ports are taken from a start that depends on the local address and port, skipping ports in
 * use, so endpoints sharing an address get different ones.
 */
final class VtepSourcePorts implements AutoCloseable
{
    static final int COUNT = 32;
    private static final int RANGE_BASE = 49_152;
    private static final int RANGE_SIZE = 16_384;
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private final Fd[] sockets = new Fd[COUNT];
    private final int[] ports = new int[COUNT];

    /**
     * @throws NativeException if the address is not local, or fewer than {@link #COUNT} ports of the
     *                         range are free.
     */
    VtepSourcePorts(final int localAddress, final int udpPort, final int ttl)
    {
        int candidate = (int)(((localAddress * 0x9E3779B97F4A7C15L) ^ udpPort) >>> 50) & (RANGE_SIZE - 1);
        int opened = 0;
        try
        {
            for (int tried = 0; opened < COUNT; tried++, candidate = (candidate + 1) & (RANGE_SIZE - 1))
            {
                if (tried == RANGE_SIZE)
                {
                    throw new NativeException("no " + COUNT + " free UDP source ports on " + InetSockets.format(localAddress), Errno.EADDRINUSE);
                }
                final int port = RANGE_BASE + candidate;
                final int fd;
                try
                {
                    fd = InetSockets.udpSender(localAddress, port, ttl);
                }
                catch (final NativeException ex)
                {
                    if (Errno.EADDRINUSE == ex.errno())
                    {
                        continue;
                    }
                    throw ex;
                }
                InetSockets.buffers(fd, SOCKET_BUFFER_BYTES);
                sockets[opened] = Fd.own(fd);
                ports[opened++] = port;
            }
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /** The sockets of source ports another endpoint opened ({@link Vtep#adopt}): {@code fds[i]} is bound to {@code ports[i]}. */
    VtepSourcePorts(final int[] fds, final int[] ports)
    {
        for (int i = 0; i < COUNT; i++)
        {
            sockets[i] = Fd.own(fds[i]);
            this.ports[i] = ports[i];
        }
    }

    /**
     * The flow of an inner frame, 0 to {@link #COUNT} - 1: a hash of its MACs and, in frames long
     * enough, bytes 26 to 37, which for untagged IPv4 without options are the addresses and the TCP or
     * UDP ports (for other frames just some bytes of the same flow's headers).
     */
    static int flow(final DirectBuffer frame, final int offset, final int length)
    {
        return (int)(hash(frame, offset, length) >>> 59);
    }

    /**
     * A source port of the whole range for an inner frame, by the same hash as {@link #flow}: for an endpoint that
     * writes its UDP headers itself (over a TAP) and needs no socket per port.
     */
    static int spreadPort(final DirectBuffer frame, final int offset, final int length)
    {
        return RANGE_BASE + (int)(hash(frame, offset, length) >>> 50);
    }

    private static long hash(final DirectBuffer frame, final int offset, final int length)
    {
        long hash = frame.getLong(offset) * 0x9E3779B97F4A7C15L ^ frame.getInt(offset + 8);
        if (length >= 38)
        {
            hash = (hash ^ frame.getLong(offset + 26)) * 0x9E3779B97F4A7C15L ^ frame.getInt(offset + 34);
        }
        return hash * 0x9E3779B97F4A7C15L;
    }

    /** The source port of a flow. */
    int port(final int flow)
    {
        return ports[flow];
    }

    /** The socket that sends from a flow's port. */
    Fd socket(final int flow)
    {
        return sockets[flow];
    }

    @Override
    public void close()
    {
        for (final Fd socket : sockets)
        {
            if (null != socket)
            {
                socket.close();
            }
        }
    }
}
