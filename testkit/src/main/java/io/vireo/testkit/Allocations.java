package io.vireo.testkit;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Checks that work done on the calling thread allocates nothing in steady state, by the bytes HotSpot
 * counts per thread ({@code com.sun.management.ThreadMXBean}). After a warm-up by time (the JIT's last
 * recompilations come by time more than by work), the work runs in {@link #WINDOWS} windows and this
 * thread's allocated bytes are read around each. Those recompilations can allocate a few kilobytes once
 * (when the JIT deoptimizes and rematerializes objects it had scalar-replaced), so up to
 * {@link #JIT_WINDOWS_ALLOWED} windows may show a one-off; any allocation per unit of work shows in every
 * window.
 */
public final class Allocations
{
    /** Measured windows; a test that means N units of work in all gives each window N / WINDOWS. */
    public static final int WINDOWS = 16;
    /** Windows that may allocate once, for the JIT's late recompilations. */
    public static final int JIT_WINDOWS_ALLOWED = 4;
    private static final long WARM_UP_NS = 2_000_000_000L;

    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    /** Where checksums go, so the JIT cannot drop the work that makes them. */
    private static volatile long sink;

    private Allocations()
    {
    }

    /**
     * Runs {@code window} for two seconds to warm up, then {@link #WINDOWS} times measured.
     *
     * @param what   the work of one window, for the failure message.
     * @param window one window's work; returns a checksum of it (a sum of lookups, a frame count), so
     *               the JIT cannot drop work whose results nothing else reads.
     * @throws AssertionError listing the bytes allocated in each window if more than
     *                        {@link #JIT_WINDOWS_ALLOWED} windows allocated.
     */
    public static void assertAllocatesNothing(final String what, final LongSupplier window)
    {
        long checksum = 0;
        final long warmUpEnd = System.nanoTime() + WARM_UP_NS;
        while (System.nanoTime() < warmUpEnd)
        {
            checksum += window.getAsLong();
        }
        final long[] allocated = new long[WINDOWS];
        for (int i = 0; i < WINDOWS; i++)
        {
            final long before = threadAllocatedBytes();
            checksum += window.getAsLong();
            allocated[i] = threadAllocatedBytes() - before;
        }
        sink = checksum;
        final long windowsThatAllocated = Arrays.stream(allocated).filter(bytes -> bytes > 0).count();
        if (windowsThatAllocated > JIT_WINDOWS_ALLOWED)
        {
            throw new AssertionError("bytes allocated per window of " + what + ": " + Arrays.toString(allocated));
        }
    }

    private static long threadAllocatedBytes()
    {
        return THREADS.getCurrentThreadAllocatedBytes();
    }
}
