package io.vireo.flowtable;

import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Measures what the forwarding path allocates once the JIT has settled.
 */
public final class Allocations
{
    private static final int RUNS = 5;

    private Allocations()
    {
    }

    /**
     * Run {@code work} once to warm up, then up to five more times, and report the fewest bytes the
     * current thread allocated in one run. A compilation finishing during a run can allocate a few
     * bytes once; anything the work itself allocates shows in every run.
     *
     * @param work returns a checksum so the JIT cannot drop it.
     * @return bytes allocated by the best run: 0 in steady state.
     */
    public static long steadyState(final LongSupplier work)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        long checksum = work.getAsLong();
        long least = Long.MAX_VALUE;
        for (int run = 0; run < RUNS && 0 != least; run++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            checksum += work.getAsLong();
            least = Math.min(least, threads.getCurrentThreadAllocatedBytes() - before);
        }
        return 0 == checksum ? least + 1 : least;
    }
}
