package io.vireo.vswitch.cli;

import java.util.List;

import io.vireo.vswitch.core.HandedPort;

/**
 * Whether a daemon taking over ({@link Takeover}) forwards with threads that suit the TAPs it is handed. A TAP of
 * a daemon with several threads has a queue per thread, and the queues are what pass over: a daemon with fewer
 * threads would leave queues the kernel still fills unread, one with more would need queues opened in the ports'
 * namespaces. So a TAP with several queues needs as many threads; a single-queue TAP suits any count (one thread
 * polls it, as after a restart with more threads). Checked by the new daemon, so a running vireod from before
 * this check is held to it too.
 */
final class TakeoverThreads
{
    private TakeoverThreads()
    {
    }

    /**
     * @throws Takeover.TakeoverException naming the threads to take over with, if a TAP's queues are not
     *                                    {@code threads}; the ports' descriptors are closed.
     */
    static void check(final List<HandedPort> ports, final int threads)
    {
        for (final HandedPort port : ports)
        {
            final int queues = port.fds().length;
            if (HandedPort.TAP.equals(port.type()) && queues > 1 && queues != threads)
            {
                throw new Takeover.TakeoverException("the running vireod's TAPs have a queue per forwarding thread, " +
                    queues + ", and this one would forward with " + threads + ": take over with --threads " + queues);
            }
        }
    }
}
