package io.vireo.flowtable;

/**
 * For a table's burst lookups that load the cache lines of a whole burst's keys first, so that their
 * cache misses overlap ({@code ForwardingTable}'s burst lookup, the NAT's connection table): those
 * loads are made only for their side effect, and this keeps them.
 */
public final class LoadsAhead
{
    private static final long KEEP = 0x5DEE_CE66_D1CE_F00DL;

    private LoadsAhead()
    {
    }

    /**
     * Keep a burst's loads ahead: the JIT drops a load whose value nothing uses, and a load it drops
     * brings no cache line in. Whatever the words are, this costs a compare; in the unlikely case that
     * they XOR to this one value, a spin-wait hint as well.
     *
     * @param loaded the XOR of the words loaded.
     */
    public static void keep(final long loaded)
    {
        if (KEEP == loaded)
        {
            Thread.onSpinWait();
        }
    }
}
