package io.vireo.vswitch.core;

import java.util.BitSet;

import io.vireo.gateway.service.BackendStats;

/**
 * Gives each backend of every service a {@link BackendStats} slot, and shows its figures from the moment
 * it got the slot: the counts a slot's earlier owners left are subtracted. Called under {@link Vireo}'s lock.
 */
final class BackendSlots
{
    private final BackendStats stats;
    private final BitSet used = new BitSet(BackendStats.MAX_BACKENDS);
    private final long[] connectionsBefore = new long[BackendStats.MAX_BACKENDS];
    private final long[] packetsBefore = new long[BackendStats.MAX_BACKENDS];
    private final long[] bytesBefore = new long[BackendStats.MAX_BACKENDS];

    BackendSlots(final BackendStats stats)
    {
        this.stats = stats;
    }

    /**
     * @throws VireoException (conflict) when every slot is taken.
     */
    int allocate()
    {
        final int slot = used.nextClearBit(0);
        if (slot >= BackendStats.MAX_BACKENDS)
        {
            throw VireoException.conflict("the switch has " + BackendStats.MAX_BACKENDS + " backends already, the most it takes");
        }
        used.set(slot);
        connectionsBefore[slot] = stats.connections(slot);
        packetsBefore[slot] = stats.packets(slot);
        bytesBefore[slot] = stats.bytes(slot);
        return slot;
    }

    /** Gives a slot back; its backend's connections must be gone from the connection table. */
    void free(final int slot)
    {
        used.clear(slot);
    }

    int open(final int slot)
    {
        return Math.max(0, stats.open(slot));
    }

    long connections(final int slot)
    {
        return stats.connections(slot) - connectionsBefore[slot];
    }

    long packets(final int slot)
    {
        return stats.packets(slot) - packetsBefore[slot];
    }

    long bytes(final int slot)
    {
        return stats.bytes(slot) - bytesBefore[slot];
    }
}
