package io.vireo.dataplane.nativeio;

import java.nio.charset.StandardCharsets;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Opens TAP devices through {@code /dev/net/tun}.
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

    static final long TUNSETIFF = 0x400454caL;
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

        final Pointer ifreq = Memory.allocateDirect(Native.runtime(), IFREQ_LENGTH, true);
        final byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        ifreq.put(0, nameBytes, 0, nameBytes.length);
        ifreq.putShort(IFREQ_FLAGS_OFFSET, (short)(IFF_TAP | IFF_NO_PI | flags));
        if (libc.ioctl(fd, TUNSETIFF, ifreq) < 0)
        {
            final int errno = Native.errno();
            libc.close(fd);
            throw new NativeException("TUNSETIFF " + name, errno);
        }
        return fd;
    }
}
