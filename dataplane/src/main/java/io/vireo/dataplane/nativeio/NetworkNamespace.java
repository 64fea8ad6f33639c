package io.vireo.dataplane.nativeio;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Supplier;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A network namespace as the file that names it ({@code /run/netns/NAME}, {@code /proc/PID/ns/net}) and as
 * what that file was when this was made: its device and inode, which are the namespace's identity. Also the
 * way into a namespace: {@link #call} runs a task on a short-lived thread that entered it ({@code setns}), so
 * no thread of the caller's ever changes namespace.
 * <p>
 * Why watch a path: something opened inside a namespace (a netlink socket, a TAP) holds that namespace for as
 * long as it is open, so the kernel does not destroy a namespace that is deleted meanwhile (its bind mount
 * gone, its processes ended). Its holder asks {@link #isStillNamed} from time to time and lets go once the
 * path names nothing, or another namespace. A check is an open, an fstat and a close into buffers made here
 * once: it allocates nothing. One thread at a time.
 */
public final class NetworkNamespace
{
    static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    /** At least sizeof(struct stat) (144 bytes on x86_64, 128 on arm64). */
    private static final int STAT_LENGTH = 256;
    /** st_dev and st_ino, 8 bytes each, at the start of struct stat on x86_64 and arm64 alike. */
    private static final int STAT_DEVICE_OFFSET = 0;
    private static final int STAT_INODE_OFFSET = 8;
    private static final String THIS_THREADS = "/proc/thread-self/ns/net";

    private final String path;
    private final UnsafeBuffer pathBytes;
    private final UnsafeBuffer stat = new UnsafeBuffer(BufferUtil.allocateDirectAligned(STAT_LENGTH, 8));
    private final long device;
    private final long inode;

    private NetworkNamespace(final String path, final String identifiedBy)
    {
        this.path = path;
        this.pathBytes = nulTerminated(path);
        final int fd = open(identifiedBy);
        try
        {
            fstat(fd, identifiedBy);
        }
        finally
        {
            Native.libc().close(fd);
        }
        this.device = stat.getLong(STAT_DEVICE_OFFSET);
        this.inode = stat.getLong(STAT_INODE_OFFSET);
    }

    /**
     * The namespace the calling thread is in, to be known from now on by {@code path} (the file that named it
     * when the thread entered it).
     *
     * @throws NativeException if the thread's namespace cannot be read.
     */
    public static NetworkNamespace current(final String path)
    {
        return new NetworkNamespace(path, THIS_THREADS);
    }

    /**
     * The namespace whose descriptor is {@code namespaceFd} (which stays the caller's), to be known by {@code path}.
     *
     * @throws NativeException if the descriptor cannot be read.
     */
    public static NetworkNamespace of(final int namespaceFd, final String path)
    {
        return new NetworkNamespace(path, "/proc/self/fd/" + namespaceFd);
    }

    /** The file that named the namespace. */
    public String path()
    {
        return path;
    }

    /**
     * True while {@link #path()} still names this namespace: false once it names nothing (ENOENT, ENOTDIR), or
     * another one. A check that fails for any other reason (no descriptor left, no memory) answers true: its holder
     * deletes a container's port on false, which only a namespace that is really gone may cost.
     */
    public boolean isStillNamed()
    {
        final LibC libc = Native.libc();
        final int fd = libc.open(pathBytes.addressOffset(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
        {
            final int errno = Native.errno();
            return Errno.ENOENT != errno && Errno.ENOTDIR != errno;
        }
        final boolean read = libc.fstat(fd, stat.addressOffset()) >= 0;
        libc.close(fd);
        return !read || device == stat.getLong(STAT_DEVICE_OFFSET) && inode == stat.getLong(STAT_INODE_OFFSET);
    }

    /**
     * Runs {@code task} on a short-lived thread that entered the network namespace at {@code path}, and returns
     * what it returned; what it threw is thrown here. The task must start no thread, not even lazily inside a
     * library (jnr-ffi's {@code Memory} does, on first use): a thread inherits its creator's namespace and would
     * hold this one for as long as it lived. The caller waits even if interrupted (what the task opens
     * must not be left behind), and keeps the interrupt.
     *
     * @throws NativeException naming the namespace if it cannot be opened or entered (ENOENT: no such file;
     *                         EINVAL: not a network namespace).
     */
    public static <T> T call(final String path, final Supplier<T> task)
    {
        final int target = open(path);
        try
        {
            final FutureTask<T> inside = new FutureTask<>(() ->
            {
                if (Native.libc().setns(target, CLONE_NEWNET) < 0)
                {
                    throw new NativeException("enter network namespace " + path, Native.errno());
                }
                return task.get();
            });
            final Thread thread = new Thread(inside, "vireo-netns");
            thread.setDaemon(true);
            thread.start();
            return awaitUninterruptibly(inside);
        }
        finally
        {
            Native.libc().close(target);
        }
    }

    private static <T> T awaitUninterruptibly(final FutureTask<T> task)
    {
        boolean interrupted = false;
        try
        {
            while (true)
            {
                try
                {
                    return task.get();
                }
                catch (final InterruptedException ex)
                {
                    interrupted = true;
                }
            }
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof RuntimeException failure)
            {
                throw failure;
            }
            throw new IllegalStateException(ex.getCause());
        }
        finally
        {
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A descriptor of the namespace at {@code path}, the caller's to close. */
    static int open(final String path)
    {
        final int fd = Native.libc().open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
        {
            throw new NativeException("open network namespace " + path, Native.errno());
        }
        return fd;
    }

    private void fstat(final int fd, final String what)
    {
        if (Native.libc().fstat(fd, stat.addressOffset()) < 0)
        {
            throw new NativeException("fstat " + what, Native.errno());
        }
    }

    private static UnsafeBuffer nulTerminated(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(bytes.length + 1, 8));
        buffer.putBytes(0, bytes);
        buffer.putByte(bytes.length, (byte)0);
        return buffer;
    }

    @Override
    public String toString()
    {
        return path + " (device " + device + ", inode " + inode + ")";
    }
}
