package io.vireo.dataplane.nativeio;

import java.nio.charset.StandardCharsets;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Opens TAP devices through {@code /dev/net/tun}. The ioctls' structures live in Agrona direct buffers, passed
 * by address: jnr-ffi's {@code Memory} would start its reference-reaping thread on first use, and a thread
 * started by one that entered a container's namespace ({@link NetworkNamespace#call}) would live, and hold
 * that namespace, for as long as the process.
 * <pre>
 * struct ifreq as TUNSETIFF reads it (40 bytes):
 *  0                   16      18                          40
 * +-------------------+-------+---------------------------+
 * | ifr_name[16] NUL  | flags |        (unused)           |
 * +-------------------+-------+---------------------------+
 *                      u16 little-endian
 * </pre>
 */
public final class TunDevice
{
    public static final int IFF_TAP = 0x0002;
    public static final int IFF_NO_PI = 0x1000;
    public static final int IFF_VNET_HDR = 0x4000;
    public static final int IFF_MULTI_QUEUE = 0x0100;

    /** TUNSETOFFLOAD flags: what the kernel may hand us unsegmented / without checksum. */
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNGETIFF = 0x800454d2L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final long TUNGETDEVNETNS = 0x54e3L;
    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    private static final int IFREQ_LENGTH = 40;
    private static final int IFREQ_FLAGS_OFFSET = 16;

    private TunDevice()
    {
    }

    /**
     * Creates the TAP {@code name}, or attaches to it if it already exists as a persistent TAP, and
     * returns a non-blocking file descriptor for it.
     *
     * @throws NativeException naming the device and the reason when the kernel refuses.
     */
    public static int openTap(final String name, final int flags)
    {
        final LibC libc = Native.libc();
        final int fd = libc.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
        {
            throw new NativeException("open /dev/net/tun", Native.errno());
        }

        final UnsafeBuffer ifreq = ifreq();
        final byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        ifreq.putBytes(0, nameBytes);
        ifreq.putShort(IFREQ_FLAGS_OFFSET, (short)(IFF_TAP | IFF_NO_PI | flags));
        if (libc.ioctl(fd, TUNSETIFF, ifreq.addressOffset()) < 0)
        {
            final int errno = Native.errno();
            libc.close(fd);
            throw new NativeException("TUNSETIFF " + name, errno);
        }
        return fd;
    }

    /**
     * The {@code IFF_*} flags a TAP descriptor was opened with ({@code TUNGETIFF}).
     *
     * @throws NativeException EBADFD once the kernel removed the device (its namespace was deleted).
     */
    public static int flags(final int fd)
    {
        return interfaceRequest(fd).getShort(IFREQ_FLAGS_OFFSET) & 0xFFFF;
    }

    /**
     * The name of a TAP descriptor's device now ({@code TUNGETIFF}).
     *
     * @throws NativeException EBADFD once the kernel removed the device.
     */
    public static String name(final int fd)
    {
        final UnsafeBuffer ifreq = interfaceRequest(fd);
        int length = 0;
        while (length < IFREQ_FLAGS_OFFSET && 0 != ifreq.getByte(length))
        {
            length++;
        }
        return ifreq.getStringWithoutLengthAscii(0, length);
    }

    private static UnsafeBuffer interfaceRequest(final int fd)
    {
        final UnsafeBuffer ifreq = ifreq();
        if (Native.libc().ioctl(fd, TUNGETIFF, ifreq.addressOffset()) < 0)
        {
            throw new NativeException("TUNGETIFF", Native.errno());
        }
        return ifreq;
    }

    /**
     * A new descriptor of the network namespace the TAP's device is in ({@code TUNGETDEVNETNS}, Linux 5.2), the
     * caller's to close.
     *
     * @throws NativeException EBADFD once the kernel removed the device.
     */
    public static int namespace(final int fd)
    {
        final int namespaceFd = Native.libc().ioctl(fd, TUNGETDEVNETNS, 0L);
        if (namespaceFd < 0)
        {
            throw new NativeException("TUNGETDEVNETNS", Native.errno());
        }
        return namespaceFd;
    }

    /** Sets the size of the virtio-net header that precedes every frame of an {@link #IFF_VNET_HDR} TAP. */
    public static void setVnetHeaderSize(final int fd, final int size)
    {
        final UnsafeBuffer value = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4, 4));
        value.putInt(0, size);
        if (Native.libc().ioctl(fd, TUNSETVNETHDRSZ, value.addressOffset()) < 0)
        {
            throw new NativeException("TUNSETVNETHDRSZ " + size, Native.errno());
        }
    }

    /** A zeroed struct ifreq (a new direct buffer is all zeros). */
    private static UnsafeBuffer ifreq()
    {
        return new UnsafeBuffer(BufferUtil.allocateDirectAligned(IFREQ_LENGTH, 8));
    }

    /**
     * Tells the kernel which offloads the reader handles (the flags go by value, not by pointer);
     * this also turns on checksum, TSO and USO offload on the interface.
     */
    public static void setOffloads(final int fd, final int flags)
    {
        if (Native.libc().ioctl(fd, TUNSETOFFLOAD, (long)flags) < 0)
        {
            throw new NativeException("TUNSETOFFLOAD 0x" + Integer.toHexString(flags), Native.errno());
        }
    }
}
