package io.vireo.vswitch.core;

/**
 * Every test of {@link VireoInvokerTest} with two forwarding threads: each loopback port (one queue)
 * is polled by one of them and written by both, so frames cross from thread to thread.
 */
class VireoTwoThreadsInvokerTest extends VireoInvokerTest
{
    @Override
    int forwardingThreads()
    {
        return 2;
    }
}
