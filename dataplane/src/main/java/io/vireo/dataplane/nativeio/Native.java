package io.vireo.dataplane.nativeio;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * The one door to native code: loads the C library once, says whether that worked, and gives
 * errno and error text. Nothing outside this package handles a raw pointer.
 */
public final class Native
{
    private static final LibC LIBC;
    private static final Runtime RUNTIME;
    private static final String UNAVAILABLE_REASON;

    static
    {
        LibC libc = null;
        Runtime runtime = null;
        String reason = null;
        if (!"Linux".equals(System.getProperty("os.name")))
        {
            reason = "Vireo's native I/O needs Linux, this is " + System.getProperty("os.name");
        }
        else
        {
            try
            {
                libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
                runtime = Runtime.getRuntime(libc);
            }
            catch (final LinkageError | RuntimeException ex)
            {
                reason = "cannot load libc through jnr-ffi: " + ex;
            }
        }
        LIBC = libc;
        RUNTIME = runtime;
        UNAVAILABLE_REASON = reason;
    }

    private Native()
    {
    }

    public static boolean isAvailable()
    {
        return null == UNAVAILABLE_REASON;
    }

    /** Why native calls cannot be made here, or null when they can. */
    public static String unavailableReason()
    {
        return UNAVAILABLE_REASON;
    }

    /** The bound C library; throws {@link IllegalStateException} with the reason if it is not available. */
    public static LibC libc()
    {
        if (null == LIBC)
        {
            throw new IllegalStateException(UNAVAILABLE_REASON);
        }
        return LIBC;
    }

    static Runtime runtime()
    {
        libc();
        return RUNTIME;
    }

    /** errno of the last call made through {@link LibC} on this thread. */
    public static int errno()
    {
        return RUNTIME.getLastError();
    }

    /** The C library's text for {@code errno} and its name where {@link Errno} knows it: {@code No such device (ENODEV, errno 19)}. */
    public static String strerror(final int errno)
    {
        final String name = Errno.name(errno);
        final String number = (null == name ? "" : name + ", ") + "errno " + errno;
        return null == LIBC ? number : LIBC.strerror(errno) + " (" + number + ")";
    }
}
