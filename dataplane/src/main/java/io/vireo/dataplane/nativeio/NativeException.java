package io.vireo.dataplane.nativeio;

/** A failed system call on the control path, carrying errno and a message naming the call and its object. */
public final class NativeException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errno;

    public NativeException(final String what, final int errno)
    {
        super(what + ": " + Native.strerror(errno));
        this.errno = errno;
    }

    public int errno()
    {
        return errno;
    }
}
