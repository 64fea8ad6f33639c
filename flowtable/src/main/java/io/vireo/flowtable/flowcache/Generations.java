package io.vireo.flowtable.flowcache;

import io.vireo.flowtable.fdb.ForwardingTable;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One generation number per bridge id: how {@link FlowCache} entries learn that what they were
 * computed from has changed. Whoever changes what decides a bridge's forwarding (the FDB learns a
 * new MAC, a MAC moves or is removed, a port goes, the bridge's policy changes) calls
 * {@link #bump} once the change is visible; every flow-cache entry of that bridge, on every
 * forwarding thread, is stale from then on.
 * <p>
 * Counters start at 0 and only grow; at 64 bits they never wrap, so a stale entry can never look
 * current again. They live off-heap, one {@code long} per bridge id ({@code 512 KiB} for all
 * 65536).
 *
 * <h2>Memory ordering</h2>
 * {@link #bump} is an atomic add (a full fence), done <em>after</em> the change it announces is
 * published. {@link #current} is an acquire load. A forwarding thread reads the generation
 * <em>before</em> it reads the FDB and policy to compute an action, and caches the action under the
 * generation it read. If it read the bumped value, the acquire guarantees it then sees the change;
 * if it read the old value, its entry carries the old generation and is stale as soon as the bump
 * lands. Either way no entry computed from old state is ever current after a bump.
 * <p>
 * Any thread may call either method; bumps from several threads (forwarding threads learning) add
 * up without loss.
 */
public final class Generations
{
    /** Largest bridge id, as for {@link ForwardingTable}. */
    public static final int MAX_BRIDGE_ID = ForwardingTable.MAX_BRIDGE_ID;

    private static final int ALIGNMENT = 64;

    private final UnsafeBuffer counters = new UnsafeBuffer(
        BufferUtil.allocateDirectAligned((MAX_BRIDGE_ID + 1) * Long.BYTES, ALIGNMENT));
    private final long address = counters.addressOffset();

    /**
     * The generation a cached action must carry to be valid. Forwarding path: no allocation, no
     * lock, no exception. Read by address: masking the id keeps it in range, so no bounds check is
     * needed.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}, as {@link FlowKey#bridgeId()} returns it; higher
     *                 bits are ignored.
     * @return the bridge's current generation.
     */
    public long current(final int bridgeId)
    {
        return UnsafeApi.getLongAcquire(null, address + (long)(bridgeId & MAX_BRIDGE_ID) * Long.BYTES);
    }

    /**
     * Make every cached action of a bridge stale. Call after the change is visible to other threads.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @return the new generation.
     * @throws IllegalArgumentException if the bridge id is out of range.
     */
    public long bump(final int bridgeId)
    {
        if ((bridgeId & ~MAX_BRIDGE_ID) != 0)
        {
            throw new IllegalArgumentException("bridge id must be 0.." + MAX_BRIDGE_ID + ": " + bridgeId);
        }
        return counters.getAndAddLong(bridgeId * Long.BYTES, 1) + 1;
    }
}
