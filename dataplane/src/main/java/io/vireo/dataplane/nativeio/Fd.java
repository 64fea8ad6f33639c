package io.vireo.dataplane.nativeio;

/**
 * A file descriptor this process owns: {@code read(2)} and {@code write(2)} without allocation, one
 * reading of errno for every descriptor Vireo does I/O on (TAP queues, eventfds, unix and UDP sockets),
 * the failure that ends a port, and a close that happens once.
 * <p>
 * A call's <em>result</em> is what it returned when that is 0 or more, otherwise minus its errno
 * ({@link #result}), read on the calling thread right after the call. Results say:
 * <ul>
 *   <li>{@link #isTransient}: EAGAIN (nothing to read, no room to write on a non-blocking descriptor) or
 *       EINTR (a signal came first). Nothing moved; the call may simply be made again later.
 *       {@link #read} and {@link #write} retry EINTR themselves: EAGAIN is the only transient result they give.</li>
 *   <li>{@link #isFatal}: the descriptor or its device is gone for good (EBADF, EBADFD once a TAP's
 *       namespace is deleted, ENODEV). {@link #read}, {@link #write} and {@link #check} keep the first
 *       such errno as the descriptor's {@link #failure()}: a port whose descriptor failed has failed.</li>
 *   <li>any other errno (EIO of a TAP whose link is down for a moment, EMSGSIZE, EHOSTUNREACH): this
 *       frame or datagram is lost, the descriptor is not.</li>
 * </ul>
 * One thread does the I/O; any thread may read {@link #failure()}.
 */
public final class Fd implements AutoCloseable
{
    private final int value;
    private final LibC libc;
    private volatile int failure;
    private boolean closed;

    private Fd(final int value, final LibC libc)
    {
        this.value = value;
        this.libc = libc;
    }

    /** Takes ownership of {@code fd}: {@link #close()} closes it. */
    public static Fd own(final int fd)
    {
        return new Fd(fd, Native.libc());
    }

    /** The descriptor's number, for the calls this class does not wrap. */
    public int value()
    {
        return value;
    }

    /**
     * Reads up to {@code length} bytes into native memory at {@code address}, retrying EINTR.
     *
     * @return bytes read, or minus the errno ({@code -EAGAIN} when nothing is waiting).
     */
    public long read(final long address, final long length)
    {
        long result;
        do
        {
            result = result(libc.read(value, address, length));
        }
        while (-Errno.EINTR == result);
        return check(result);
    }

    /**
     * Writes {@code length} bytes of native memory at {@code address}, retrying EINTR.
     *
     * @return bytes written, or minus the errno ({@code -EAGAIN} when there is no room).
     */
    public long write(final long address, final long length)
    {
        long result;
        do
        {
            result = result(libc.write(value, address, length));
        }
        while (-Errno.EINTR == result);
        return check(result);
    }

    /**
     * Reads into {@code count} {@code struct iovec}s at native address {@code iov} (a TAP: one frame, its first
     * bytes into the first buffer), retrying EINTR.
     *
     * @return bytes read, or minus the errno ({@code -EAGAIN} when there is nothing to read).
     */
    public long readv(final long iov, final int count)
    {
        long result;
        do
        {
            result = result(libc.readv(value, iov, count));
        }
        while (-Errno.EINTR == result);
        return check(result);
    }

    /**
     * Writes from {@code count} {@code struct iovec}s at native address {@code iov} (a TAP: one frame gathered from
     * them), retrying EINTR.
     *
     * @return bytes written, or minus the errno ({@code -EAGAIN} when there is no room).
     */
    public long writev(final long iov, final int count)
    {
        long result;
        do
        {
            result = result(libc.writev(value, iov, count));
        }
        while (-Errno.EINTR == result);
        return check(result);
    }

    /**
     * Keeps {@code result}, of a call made on this descriptor by other code (a {@link MessageBatch}), as
     * the {@link #failure()} if it is fatal and none was kept before.
     *
     * @return {@code result}.
     */
    public long check(final long result)
    {
        if (isFatal(result) && 0 == failure)
        {
            failure = (int)-result;
        }
        return result;
    }

    /** The errno that made the descriptor unusable (see {@link #isFatal}); 0 while it works. */
    public int failure()
    {
        return failure;
    }

    /** The result of a {@link LibC} call that has just returned {@code returned} on this thread. */
    public static long result(final long returned)
    {
        return returned >= 0 ? returned : -Native.errno();
    }

    /** True if {@code result} is EAGAIN or EINTR: nothing moved, and nothing is wrong. */
    public static boolean isTransient(final long result)
    {
        return -Errno.EAGAIN == result || -Errno.EINTR == result;
    }

    /** True if {@code result} is EBADF, EBADFD or ENODEV: the descriptor or its device is gone for good. */
    public static boolean isFatal(final long result)
    {
        return -Errno.EBADF == result || -Errno.EBADFD == result || -Errno.ENODEV == result;
    }

    /** Closes the descriptor the first time; later calls do nothing. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            libc.close(value);
        }
    }

    @Override
    public String toString()
    {
        return Integer.toString(value);
    }
}
