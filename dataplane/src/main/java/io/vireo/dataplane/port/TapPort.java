package io.vireo.dataplane.port;

import java.nio.file.Files;
import java.nio.file.Path;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.LibC;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.TunDevice;

/**
 * A TAP device read and written with one syscall per frame, straight into and out of the burst's
 * off-heap slots. The switch creates the device (and the kernel removes it when the port closes),
 * or attaches to a persistent TAP that already exists (which then outlives the port). Once open,
 * the interface may be moved to any network namespace; the file descriptor keeps working.
 */
public final class TapPort implements Port
{
    private final String name;
    private final int fd;
    private final boolean createdBySwitch;
    private final LibC libc;
    private volatile int failure;
    private boolean closed;

    private TapPort(final String name, final int fd, final boolean createdBySwitch)
    {
        this.name = name;
        this.fd = fd;
        this.createdBySwitch = createdBySwitch;
        this.libc = Native.libc();
    }

    /**
     * Creates or attaches to the TAP {@code name} in the caller's network namespace.
     *
     * @throws IllegalArgumentException if the name is invalid or an interface of another kind has it.
     * @throws io.vireo.dataplane.nativeio.NativeException if the kernel refuses.
     */
    public static TapPort open(final String name)
    {
        InterfaceNames.validate(name);
        final Path sysfs = Path.of("/sys/class/net", name);
        final boolean exists = Files.exists(sysfs);
        if (exists && !Files.exists(sysfs.resolve("tun_flags")))
        {
            throw new IllegalArgumentException("interface " + name + " exists and is not a TAP device");
        }
        return new TapPort(name, TunDevice.openTap(name, 0), !exists);
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
    public int receive(final FrameBurst burst)
    {
        int received = 0;
        while (!burst.isFull() && 0 == failure)
        {
            final long length = libc.read(fd, burst.nextFrameAddress(), burst.frameCapacity());
            if (length < 0)
            {
                checkError(Native.errno());
                break;
            }
            burst.commit((int)length);
            received++;
        }
        return received;
    }

    @Override
    public int transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        int sent = 0;
        while (sent < count && 0 == failure)
        {
            final int frame = indexes[sent];
            if (libc.write(fd, burst.frameAddress(frame), burst.frameLength(frame)) < 0)
            {
                checkError(Native.errno());
                break;
            }
            sent++;
        }
        return sent;
    }

    @Override
    public int pollFd()
    {
        return fd;
    }

    @Override
    public int failure()
    {
        return failure;
    }

    /** EAGAIN and EINTR are the normal life of a non-blocking fd; the device being gone is final. */
    private void checkError(final int errno)
    {
        if (errno == Errno.EBADFD || errno == Errno.EIO || errno == Errno.ENODEV || errno == Errno.EBADF)
        {
            failure = errno;
        }
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            libc.close(fd);
        }
    }

    @Override
    public String toString()
    {
        return "TapPort{" + name + ", fd=" + fd + ", created=" + createdBySwitch + "}";
    }
}
