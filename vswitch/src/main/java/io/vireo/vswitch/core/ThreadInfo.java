package io.vireo.vswitch.core;

import java.util.List;

/**
 * A forwarding thread as the control plane reports it: its index, its name, the CPU it is pinned to (null: any),
 * its kernel thread id (null until it has started; {@code /proc/PID/task/TID}), the ports it receives from, and
 * the bytes it has allocated on the heap since it started (the JVM's per-thread count, {@code
 * com.sun.management.ThreadMXBean#getThreadAllocatedBytes}; null until it has started, in
 * {@link ThreadingMode#INVOKER} mode, where the caller's thread runs it, and on a JVM that does not count).
 * Sampled twice, it gives the forwarding path's allocation rate, which should stay at zero.
 */
public record ThreadInfo(int index, String name, Integer cpu, Integer threadId, List<String> ports, Long allocatedBytes)
{
}
