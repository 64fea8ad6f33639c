package io.vireo.vswitch.core;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks that work done on this thread allocates nothing in steady state: after a warm-up by time
 * (the JIT's last recompilations come by time more than by work), the work runs in sixteen windows
 * and this thread's allocated bytes are read around each. Those recompilations can allocate a few
 * kilobytes once (when the JIT deoptimizes and rematerializes objects it had scalar-replaced), so up
 * to four windows may show a one-off; any allocation per unit of work shows in every window.
 */
final class AllocationWindows
{
    static final int WINDOWS = 16;
    private static final long WARM_UP_NS = 2_000_000_000L;
    private static final int JIT_WINDOWS_ALLOWED = 4;

    private AllocationWindows()
    {
    }

    /** Runs {@code window} until warm, then {@link #WINDOWS} times measured; fails if it allocates in more than four. */
    static void assertAllocatesNothing(final Runnable window, final String what)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long thread = Thread.currentThread().getId();
        final long warmUpEnd = System.nanoTime() + WARM_UP_NS;
        while (System.nanoTime() < warmUpEnd)
        {
            window.run();
        }
        final long[] allocated = new long[WINDOWS];
        for (int i = 0; i < WINDOWS; i++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            window.run();
            allocated[i] = threads.getThreadAllocatedBytes(thread) - before;
        }
        final long windowsThatAllocated = Arrays.stream(allocated).filter(bytes -> bytes > 0).count();
        assertTrue(windowsThatAllocated <= JIT_WINDOWS_ALLOWED,
            "bytes allocated per window of " + what + ": " + Arrays.toString(allocated));
    }
}
