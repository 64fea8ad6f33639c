package io.vireo.dataplane.port;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.NetworkNamespace;
import io.vireo.dataplane.nativeio.TunDevice;
import io.vireo.dataplane.offload.Offloads;

/**
 * A TAP device read and written with one syscall per frame, straight into and out of the burst's
 * off-heap slots. With offloads ({@code IFF_VNET_HDR}, TSO/USO/checksum through
 * {@code TUNSETOFFLOAD}) the kernel hands over 64 KB GSO frames with their virtio-net header, which is
 * read into and written from the 12 bytes in front of the frame in its slot: one read and one write per
 * 64 KB. The switch creates the device (and the kernel removes it when the port closes),
 * or attaches to a persistent TAP that already exists (which then outlives the port). Once open,
 * the interface may be moved to any network namespace; the file descriptor keeps working.
 * <p>
 * A TAP meant for another namespace is best born there ({@link #createQueuesHere}): moving a device costs the
 * kernel RCU grace periods (15-35 ms), creating it inside costs nothing more. Its descriptors then hold that
 * namespace, which the kernel would otherwise destroy, device and all, when it is deleted; so such a port knows
 * the namespace by the path that named it ({@link #namespaceGone}) and its owner closes it once that is gone.
 * <p>
 * A multi-queue TAP ({@link #openQueues}, {@code IFF_MULTI_QUEUE}) is one device with a file
 * descriptor per queue, each a {@code TapPort} of its own, so each forwarding thread reads and writes
 * its own queue without a lock. The kernel puts all frames of a flow the interface sends on one queue,
 * so a flow stays in order; the device goes away when the last queue closes.
 */
public final class TapPort implements Port
{
    private static final int TCP_OFFLOADS = Offloads.CHECKSUM | Offloads.TCP4 | Offloads.TCP6 | Offloads.TCP_ECN;

    private final String name;
    private final Fd fd;
    private final boolean createdBySwitch;
    /** {@link Offloads} bits the device takes; 0 without {@code IFF_VNET_HDR}. */
    private final int accepted;
    private final int netHeaderLength;
    /** The namespace the device was born in or found in, watched by path; null: none to watch. */
    private final NetworkNamespace namespace;

    private TapPort(final String name, final int fd, final boolean createdBySwitch, final int accepted,
        final NetworkNamespace namespace)
    {
        this.name = name;
        this.namespace = namespace;
        this.fd = Fd.own(fd);
        this.createdBySwitch = createdBySwitch;
        this.accepted = accepted;
        this.netHeaderLength = 0 != accepted ? FrameBurst.NET_HEADER_LENGTH : 0;
    }

    /**
     * Creates or attaches to the TAP {@code name} in the caller's network namespace.
     *
     * @param offloads take GSO frames and partial checksums from the kernel and hand them back as they
     *                 are (TSO4/6 with ECN, USO4/6 where the kernel has it, checksum).
     * @throws IllegalArgumentException if the name is invalid or an interface of another kind has it.
     * @throws io.vireo.dataplane.nativeio.NativeException if the kernel refuses.
     */
    public static TapPort open(final String name, final boolean offloads)
    {
        return openQueues(name, offloads, 1).get(0);
    }

    /**
     * Creates or attaches to the TAP {@code name} with {@code queues} queues: with more than one, a
     * multi-queue device (an existing TAP must be one too).
     *
     * @param offloads as for {@link #open}.
     * @return one port per queue.
     * @throws IllegalArgumentException if the name is invalid or an interface of another kind has it.
     * @throws io.vireo.dataplane.nativeio.NativeException if the kernel refuses; no queue stays open.
     */
    public static List<TapPort> openQueues(final String name, final boolean offloads, final int queues)
    {
        if (queues < 1)
        {
            throw new IllegalArgumentException("a TAP needs at least one queue, got " + queues);
        }
        InterfaceNames.validate(name);
        final Path sysfs = Path.of("/sys/class/net", name);
        final boolean exists = Files.exists(sysfs);
        if (exists && !Files.exists(sysfs.resolve("tun_flags")))
        {
            throw new IllegalArgumentException("interface " + name + " exists and is not a TAP device");
        }
        return openAll(name, offloads, queues, !exists, null);
    }

    /**
     * Creates the TAP {@code name} with {@code queues} queues (as {@link #openQueues}) in the calling thread's
     * network namespace, one it entered ({@link NetworkNamespace#call}) at {@code namespacePath}: the device is
     * born there. The caller has made sure no interface there has the name (this process's {@code /sys} shows
     * its own namespace only). Each queue {@link #namespaceGone} once that path names the namespace no more.
     *
     * @throws IllegalArgumentException if the name is invalid.
     * @throws io.vireo.dataplane.nativeio.NativeException if the kernel refuses; no queue stays open.
     */
    public static List<TapPort> createQueuesHere(final String namespacePath, final String name, final boolean offloads,
        final int queues)
    {
        if (queues < 1)
        {
            throw new IllegalArgumentException("a TAP needs at least one queue, got " + queues);
        }
        InterfaceNames.validate(name);
        return openAll(name, offloads, queues, true, NetworkNamespace.current(namespacePath));
    }

    private static List<TapPort> openAll(final String name, final boolean offloads, final int queues,
        final boolean created, final NetworkNamespace namespace)
    {
        final List<TapPort> opened = new ArrayList<>();
        try
        {
            for (int queue = 0; queue < queues; queue++)
            {
                opened.add(openQueue(name, offloads, queues > 1, created, namespace));
            }
        }
        catch (final RuntimeException ex)
        {
            opened.forEach(TapPort::close);
            throw ex;
        }
        return opened;
    }

    private static TapPort openQueue(final String name, final boolean offloads, final boolean multiQueue,
        final boolean created, final NetworkNamespace namespace)
    {
        final int fd = TunDevice.openTap(name,
            (offloads ? TunDevice.IFF_VNET_HDR : 0) | (multiQueue ? TunDevice.IFF_MULTI_QUEUE : 0));
        int accepted = 0;
        if (offloads)
        {
            try
            {
                accepted = enableOffloads(fd);
            }
            catch (final NativeException ex)
            {
                Native.libc().close(fd);
                throw ex;
            }
        }
        return new TapPort(name, fd, created, accepted, namespace);
    }

    /**
     * A queue of a TAP whose descriptor stayed open elsewhere (the port keeper) while the switch restarted:
     * the switch owns {@code fd} from now on, and with it the device's life, wherever and under whatever
     * name the device is now.
     *
     * @param namespacePath the file that named the device's namespace when it was made, or null: the device's
     *                      namespace (whatever it is now) is watched by that path, as {@link #createQueuesHere}'s.
     * @throws io.vireo.dataplane.nativeio.NativeException if {@code fd} is not a TAP any more; {@code fd} is closed.
     */
    public static TapPort adopt(final String name, final int fd, final String namespacePath)
    {
        try
        {
            final boolean offloads = 0 != (TunDevice.flags(fd) & TunDevice.IFF_VNET_HDR);
            return new TapPort(name, fd, true, offloads ? enableOffloads(fd) : 0,
                null == namespacePath ? null : namespaceOf(fd, namespacePath));
        }
        catch (final NativeException ex)
        {
            Native.libc().close(fd);
            throw ex;
        }
    }

    private static NetworkNamespace namespaceOf(final int fd, final String path)
    {
        final int namespaceFd = TunDevice.namespace(fd);
        try
        {
            return NetworkNamespace.of(namespaceFd, path);
        }
        finally
        {
            Native.libc().close(namespaceFd);
        }
    }

    /**
     * A port that reads and writes frames, each behind a virtio-net header, on {@code fd}, a descriptor that keeps
     * each write one read as a TAP does ({@link io.vireo.dataplane.nativeio.UnixSocket#packetPair}): the same code
     * as a TAP's port, with no device. The forwarding path's warm-up runs real TAP code through it. Owns {@code fd}.
     */
    public static TapPort overPacketSocket(final String name, final int fd)
    {
        return new TapPort(name, fd, false, TCP_OFFLOADS | Offloads.UDP_L4, null);
    }

    /** Returns the offloads frames written to the device may use: what the kernel takes from us too. */
    private static int enableOffloads(final int fd)
    {
        TunDevice.setVnetHeaderSize(fd, FrameBurst.NET_HEADER_LENGTH);
        final int tcp = TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6 | TunDevice.TUN_F_TSO_ECN;
        try
        {
            TunDevice.setOffloads(fd, tcp | TunDevice.TUN_F_USO4 | TunDevice.TUN_F_USO6);
            return TCP_OFFLOADS | Offloads.UDP_L4;
        }
        catch (final NativeException ex)
        {
            // Kernels before 6.2 know no USO, neither to hand us nor to take from us: TCP offloads alone.
            TunDevice.setOffloads(fd, tcp);
            return TCP_OFFLOADS;
        }
    }

    /**
     * True if the device was born in (or adopted from) a namespace whose path no longer names it: the namespace
     * was deleted, or another took its name, and only this port's descriptors keep the old one. An open and an
     * fstat of the path; allocates nothing. One thread at a time.
     */
    public boolean namespaceGone()
    {
        return null != namespace && !namespace.isStillNamed();
    }

    /** The file that named the namespace {@link #namespaceGone} watches, or null: none watched. */
    public String namespacePath()
    {
        return null == namespace ? null : namespace.path();
    }

    /** True if the switch created the device, false if it attached to an existing persistent TAP. */
    public boolean createdBySwitch()
    {
        return createdBySwitch;
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public String type()
    {
        return "tap";
    }

    @Override
    public int offloads()
    {
        return accepted;
    }

    @Override
    public int receive(final FrameBurst burst)
    {
        int received = 0;
        while (burst.hasReceiveRoom() && 0 == fd.failure())
        {
            if (0 == netHeaderLength)
            {
                burst.clearNextNetHeader();
            }
            final long length = fd.read(burst.nextFrameAddress() - netHeaderLength, burst.frameCapacity() + netHeaderLength);
            if (length < 0)
            {
                break;
            }
            burst.commit((int)Math.max(0, length - netHeaderLength));
            received++;
        }
        return received;
    }

    @Override
    public int transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        int sent = 0;
        while (sent < count && 0 == fd.failure())
        {
            final int frame = indexes[sent];
            if (fd.write(burst.frameAddress(frame) - netHeaderLength, burst.frameLength(frame) + netHeaderLength) < 0)
            {
                break;
            }
            sent++;
        }
        return sent;
    }

    @Override
    public int pollFd()
    {
        return fd.value();
    }

    /**
     * The errno that ended the port ({@link Fd#isFatal}: the device is gone, EBADFD once its namespace is
     * deleted), 0 while it works. Any other error costs only the frame: EIO is what a write gets while the
     * link is down, for a moment whenever someone moves or renames the interface.
     */
    @Override
    public int failure()
    {
        return fd.failure();
    }

    /** Closes the queue's descriptor once; the kernel removes a device the switch created with its last queue. */
    @Override
    public void close()
    {
        fd.close();
    }

    @Override
    public String toString()
    {
        return "TapPort{" + name + ", fd=" + fd + ", created=" + createdBySwitch + ", offloads=" + Offloads.describe(accepted) + "}";
    }
}
