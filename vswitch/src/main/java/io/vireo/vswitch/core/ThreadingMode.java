package io.vireo.vswitch.core;

/** How the switch's agents run, as Aeron's {@code ThreadingMode}. */
public enum ThreadingMode
{
    /** Each forwarding agent and the conductor get a thread of their own. */
    DEDICATED,
    /**
     * No threads: the caller drives every agent with {@link Vireo#invoke()} and makes every other call
     * on the switch from that same thread. For tests and for embedders with their own loop.
     */
    INVOKER
}
