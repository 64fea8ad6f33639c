package io.vireo.vswitch.core;

import java.util.List;

/**
 * A forwarding thread as the control plane reports it: its index, its name, the CPU it is pinned to (null: any),
 * its kernel thread id (null until it has started; {@code /proc/PID/task/TID}), and the ports it receives from.
 */
public record ThreadInfo(int index, String name, Integer cpu, Integer threadId, List<String> ports)
{
}
