package io.vireo.dataplane.port;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.InetSockets;
import io.vireo.dataplane.nativeio.MessageBatch;
import io.vireo.dataplane.nativeio.PacketSocket;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.offload.Offloads;

/**
 * An existing host interface (a NIC, a veth: a gateway's uplink) attached as a port through an
 * {@code AF_PACKET} socket, as Open vSwitch's netdev-linux and VPP's host-interface do. The port
 * never creates, configures or deletes the interface; it takes every frame the interface receives
 * (promiscuous, so frames for every MAC behind the bridge) and sends frames out of it.
 * <pre>
 *                      +------------------------------------------------------------+
 *  wire / veth peer    |  AfPacketPort                                              |
 *  --> NAME --> AF_PACKET TPACKET_V3 ring (mmap) --copy--> burst slots --> bridge   |
 *  <-- NAME <-- driver <-- sendmmsg, one call per burst <-- burst slots <-- bridge  |
 *                      |  virtio-net header on every frame both ways (GSO whole)    |
 *                      +------------------------------------------------------------+
 * </pre>
 * <b>Receive</b>: the kernel packs frames into blocks of a memory-mapped ring ({@link AfPacketRing});
 * a block is the port's once full or after a millisecond, so the first frame after a quiet spell waits
 * up to that long. Each frame is copied once, into its burst slot, with its virtio-net header.
 * <b>Transmit</b>: one {@code sendmmsg} per burst straight from the slots (header and frame as two
 * iovecs), past the interface's queueing discipline ({@code PACKET_QDISC_BYPASS}); frames the port
 * sends are not received back ({@code PACKET_IGNORE_OUTGOING}).
 * <b>Offloads</b>: the socket's virtio-net header carries GSO and partial checksums both ways, so a TCP
 * stream's 64 KB segments cross whole; the kernel segments and completes them for the wire when the
 * interface cannot.
 * <b>Failure</b>: the port fails for good (ENODEV) when its interface is deleted or leaves the
 * namespace; a link that goes down only costs the frames sent meanwhile.
 * <b>Handover</b> ({@code vireod --takeover}): the socket passes to the daemon taking over with its ring's
 * {@link #geometry} ({@link #adopt} there), then, once this port no longer polls, with the ring's
 * {@link #position} ({@link #resume} there; who owns which block meanwhile is drawn in {@link AfPacketRing});
 * {@link #letGo} makes closing leave the socket's options, promiscuous mode among them, to the other daemon.
 */
public final class AfPacketPort implements Port
{
    /** Bytes per ring block: holds three 64 KB GSO frames, or about two thousand small ones. */
    public static final int DEFAULT_BLOCK_SIZE = 1 << 18;
    /** Blocks in the ring: 8 MB in all. */
    public static final int DEFAULT_BLOCK_COUNT = 32;
    /** How long the kernel keeps a block that is not full: the latency a lone frame may see. */
    public static final int BLOCK_TIMEOUT_MILLIS = 1;

    private static final int TRANSMIT_BATCH = 64;
    private static final int SEND_BUFFER_BYTES = 4 << 20;
    private static final long ERROR_CHECK_INTERVAL_NS = 1_000_000L;

    private final String name;
    private final PacketSocket socket;
    private final Fd fd;
    private final AfPacketRing ring;
    private final int blockSize;
    private final int blockCount;
    /** True from {@link #adopt} until {@link #resume}: where to read is not known yet. */
    private boolean awaitsPosition;
    private final MessageBatch batch = new MessageBatch(TRANSMIT_BATCH, 2);
    private final int offloads;
    private long nextErrorCheckNs;
    private volatile int failure;
    private volatile long kernelDrops;

    private AfPacketPort(final String name, final PacketSocket socket, final int blockSize, final int blockCount)
    {
        this.name = name;
        this.socket = socket;
        this.fd = socket.fd();
        this.ring = new AfPacketRing(socket.ring(), blockSize, blockCount);
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        final int tcp = Offloads.CHECKSUM | Offloads.TCP4 | Offloads.TCP6 | Offloads.TCP_ECN;
        this.offloads = socket.takesUdpSegmentation() ? tcp | Offloads.UDP_L4 : tcp;
        for (int message = 0; message < TRANSMIT_BATCH; message++)
        {
            batch.unaddressed(message);
        }
    }

    /**
     * Attaches the existing interface {@code interfaceName} with a ring of {@link #DEFAULT_BLOCK_COUNT}
     * blocks of {@link #DEFAULT_BLOCK_SIZE} bytes.
     *
     * @throws IllegalArgumentException if the name is not a valid interface name.
     * @throws io.vireo.dataplane.nativeio.NativeException naming the interface and the cause: ENODEV if
     *         there is no such interface, ENETDOWN if it is down, EPERM without CAP_NET_RAW, or the socket
     *         option the kernel refused.
     */
    public static AfPacketPort open(final String interfaceName)
    {
        return open(interfaceName, DEFAULT_BLOCK_SIZE, DEFAULT_BLOCK_COUNT);
    }

    /**
     * Attaches the existing interface {@code interfaceName} with a ring of {@code blockCount} blocks of
     * {@code blockSize} bytes (a power of two, at least 4096); a frame longer than a block less about
     * 100 bytes of headers arrives truncated and is dropped.
     *
     * @throws IllegalArgumentException if the name or the ring geometry is invalid.
     * @throws io.vireo.dataplane.nativeio.NativeException as {@link #open(String)}.
     */
    public static AfPacketPort open(final String interfaceName, final int blockSize, final int blockCount)
    {
        InterfaceNames.validate(interfaceName);
        final PacketSocket socket = PacketSocket.open(interfaceName, blockSize, blockCount, BLOCK_TIMEOUT_MILLIS);
        InetSockets.buffers(socket.fd().value(), SEND_BUFFER_BYTES);
        return new AfPacketPort(interfaceName, socket, blockSize, blockCount);
    }

    /**
     * Takes the socket of an af-packet port another process handed over ({@code vireod --takeover}): the same
     * interface, ring and options. It is not read before {@link #resume} says where the other process stopped.
     *
     * @param fd       the socket's descriptor; the port owns it from now on, closed if this throws.
     * @param geometry the other port's {@link #geometry}.
     * @throws IllegalArgumentException if the name or the geometry is invalid.
     * @throws io.vireo.dataplane.nativeio.NativeException if the ring cannot be mapped or the interface is gone.
     */
    public static AfPacketPort adopt(final String interfaceName, final int fd, final String geometry)
    {
        final String[] words = geometry.split(",");
        if (3 != words.length)
        {
            UnixSocket.closeDescriptor(fd);
            throw new IllegalArgumentException("bad AF_PACKET ring geometry handed over for " + interfaceName + ": " + geometry);
        }
        final int blockSize;
        final int blockCount;
        try
        {
            InterfaceNames.validate(interfaceName);
            blockSize = Integer.parseInt(words[0]);
            blockCount = Integer.parseInt(words[1]);
        }
        catch (final IllegalArgumentException ex)
        {
            UnixSocket.closeDescriptor(fd);
            throw ex;
        }
        final PacketSocket socket = PacketSocket.adopt(interfaceName, fd, blockSize, blockCount, "1".equals(words[2]));
        final AfPacketPort port = new AfPacketPort(interfaceName, socket, blockSize, blockCount);
        port.awaitsPosition = true;
        return port;
    }

    /**
     * What a process taking the socket over needs to map its ring, one word: {@code blockSize,blockCount,udp}
     * (udp 1 if the socket takes UDP segmentation). The kernel does not tell a ring's geometry back.
     */
    public String geometry()
    {
        return blockSize + "," + blockCount + "," + (socket.takesUdpSegmentation() ? 1 : 0);
    }

    /**
     * Where the ring's reader is, {@code block:taken} ({@link AfPacketRing.Position}): for the process taking the
     * socket over. Only while no thread polls the port.
     */
    public String position()
    {
        return ring.position().toString();
    }

    /**
     * Goes on reading from where the process that handed the socket over stopped ({@link #position} there). Only
     * while no thread polls the port.
     *
     * @throws IllegalArgumentException if the position does not fit the ring as it is.
     */
    public void resume(final String position)
    {
        ring.resume(AfPacketRing.Position.parse(position));
        awaitsPosition = false;
    }

    /** True for a port {@link #adopt}ed whose {@link #resume} has not come: it must not be polled. */
    public boolean awaitsPosition()
    {
        return awaitsPosition;
    }

    /**
     * A handover failed after this port stopped polling: the process taking over may have read the ring meanwhile,
     * so the reader finds its place again ({@link AfPacketRing#resynchronize}). Only while no thread polls the port.
     */
    public void resumeAfterHandOver()
    {
        ring.resynchronize();
    }

    /** The socket was handed over: closing leaves its options (promiscuous mode) to the process that took it. */
    public void letGo()
    {
        socket.handedOver();
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public String type()
    {
        return "af-packet";
    }

    /** Checksum, TCP4/6 with ECN and, on kernels with the 12-byte header (6.2 on), UDP segmentation. */
    @Override
    public int offloads()
    {
        return offloads;
    }

    @Override
    public int receive(final FrameBurst burst)
    {
        if (0 != failure())
        {
            return 0;
        }
        final int received = ring.receive(burst);
        if (ring.takeLosing())
        {
            kernelDrops += socket.takeDrops();
        }
        if (0 == received)
        {
            checkSocketError();
        }
        return received;
    }

    /**
     * The kernel flags the socket with ENETDOWN when the interface goes down or away, and until that is
     * taken the descriptor polls readable: take it (at most once a millisecond, it is a system call) and
     * see whether the interface is still there.
     */
    private void checkSocketError()
    {
        final long now = System.nanoTime();
        if (now - nextErrorCheckNs >= 0)
        {
            nextErrorCheckNs = now + ERROR_CHECK_INTERVAL_NS;
            if (0 != socket.takeError() && !socket.interfaceExists())
            {
                failure = Errno.ENODEV;
            }
        }
    }

    @Override
    public int transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        int sent = 0;
        while (sent < count && 0 == failure())
        {
            final int chunk = Math.min(count - sent, TRANSMIT_BATCH);
            for (int message = 0; message < chunk; message++)
            {
                final int frame = indexes[sent + message];
                final long address = burst.frameAddress(frame);
                // The socket's header is the burst's 12 bytes less num_buffers: the first 10.
                batch.iov(message, 0, address - FrameBurst.NET_HEADER_LENGTH, PacketSocket.NET_HEADER_LENGTH);
                batch.iov(message, 1, address, burst.frameLength(frame));
            }
            final int result = (int)fd.check(batch.send(fd.value(), 0, chunk));
            if (-Errno.ENXIO == result)
            {
                // The bound interface has been unregistered.
                failure = Errno.ENODEV;
            }
            if (result <= 0)
            {
                break;
            }
            sent += result;
            if (result < chunk)
            {
                break;
            }
        }
        return sent;
    }

    /** The socket: readable when a ring block is the port's (or an error waits to be taken). */
    @Override
    public int pollFd()
    {
        return fd.value();
    }

    /** ENODEV once the interface is gone (deleted, or moved to another namespace); 0 while it works. */
    @Override
    public int failure()
    {
        final int descriptor = fd.failure();
        return 0 != descriptor ? descriptor : failure;
    }

    /** The interface's index, looked up when the port opened. */
    public int interfaceIndex()
    {
        return socket.interfaceIndex();
    }

    /** Frames the kernel dropped because no ring block was free (the port was not reading fast enough). */
    public long kernelDrops()
    {
        return kernelDrops;
    }

    /** Frames that did not fit a ring block, handed to the pipeline as oversize and dropped there. */
    public long truncatedFrames()
    {
        return ring.truncated();
    }

    /**
     * Leaves promiscuous mode (unless the socket was handed over, {@link #letGo}), unmaps the ring and closes the
     * descriptor; the interface stays. Idempotent.
     */
    @Override
    public void close()
    {
        socket.close();
    }

    @Override
    public String toString()
    {
        return "AfPacketPort{" + name + ", " + socket + ", offloads=" + Offloads.describe(offloads) + "}";
    }
}
