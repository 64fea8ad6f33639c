package io.vireo.dataplane.nativeio;

import java.util.BitSet;

/** Which CPUs a thread may run on: {@code sched_setaffinity} and {@code sched_getaffinity}. */
public final class CpuAffinity
{
    /** CPUs the mask covers, as glibc's {@code cpu_set_t}. */
    public static final int MAX_CPUS = 1024;
    private static final int MASK_WORDS = MAX_CPUS / Long.SIZE;

    private CpuAffinity()
    {
    }

    /** The CPUs the calling thread may run on now. */
    public static BitSet allowedCpus()
    {
        final long[] mask = new long[MASK_WORDS];
        if (Native.libc().sched_getaffinity(0, mask.length * (long)Long.BYTES, mask) < 0)
        {
            throw new NativeException("sched_getaffinity", Native.errno());
        }
        return BitSet.valueOf(mask);
    }

    /** Lets the calling thread run on {@code cpu} only. */
    public static void pinCurrentThread(final int cpu)
    {
        if (cpu < 0 || cpu >= MAX_CPUS)
        {
            throw new IllegalArgumentException("CPU must be 0.." + (MAX_CPUS - 1) + ": " + cpu);
        }
        final long[] mask = new long[MASK_WORDS];
        mask[cpu / Long.SIZE] = 1L << (cpu % Long.SIZE);
        if (Native.libc().sched_setaffinity(0, mask.length * (long)Long.BYTES, mask) < 0)
        {
            throw new NativeException("sched_setaffinity to CPU " + cpu, Native.errno());
        }
    }

    /** The calling thread's kernel id. */
    public static int currentThreadId()
    {
        return Native.libc().gettid();
    }
}
