package io.vireo.vswitch.cli;

/**
 * What a running vireod asks of one that would take its place ({@link Takeover}) beyond what its ports say: a
 * cluster node cannot be handed over yet, and the new daemon forwards with as many threads as this one, since a
 * multi-queue TAP's queues, one per thread, are what pass over (a daemon with fewer threads would leave queues the
 * kernel still fills unread, one with more would need queues opened in the ports' namespaces).
 *
 * @param clusterNode whether this daemon is a cluster node.
 * @param threads     this daemon's forwarding threads.
 */
record TakeoverTerms(boolean clusterNode, int threads)
{
    /**
     * Why this daemon refuses a successor that forwards with {@code successorThreads} threads (0: it did not say,
     * as a vireod from before this check), or null if it hands over.
     */
    String refusal(final int successorThreads)
    {
        if (clusterNode)
        {
            return "a cluster node cannot be handed over yet";
        }
        if (0 != successorThreads && successorThreads != threads)
        {
            return "it forwards with " + threads + " thread" + (1 == threads ? "" : "s") + " (a TAP queue each) and " +
                "this one would with " + successorThreads + ": take over with --threads " + threads;
        }
        return null;
    }
}
