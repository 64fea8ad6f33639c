package io.vireo.dataplane.pipeline;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Per-bridge feature bits: which optional {@link Stage stages} run on a bridge's frames (as VPP's
 * per-interface feature arcs). The control thread sets and clears them; forwarding threads read a
 * bridge's bits once per burst, so a change applies from the next burst on, with no command.
 */
public final class Features
{
    /** The bridge has endpoint policy: rules, or a default other than allow. */
    public static final int POLICY = 1;
    /** A router has an interface on the bridge. */
    public static final int ROUTER = 2;
    /** The switch answers ARP requests and neighbour solicitations for some addresses on the bridge itself. */
    public static final int SUPPRESSION = 4;

    private final AtomicIntegerArray bits;

    public Features(final int maxBridges)
    {
        this.bits = new AtomicIntegerArray(maxBridges);
    }

    /** The bits of bridge {@code bridgeId}; any thread. */
    public int of(final int bridgeId)
    {
        return bits.get(bridgeId);
    }

    /** Switches {@code feature} on or off for a bridge. */
    public void set(final int bridgeId, final int feature, final boolean on)
    {
        int current;
        do
        {
            current = bits.get(bridgeId);
        }
        while (!bits.compareAndSet(bridgeId, current, on ? current | feature : current & ~feature));
    }

    /** Clears every bit of a bridge (it was deleted). */
    public void clear(final int bridgeId)
    {
        bits.set(bridgeId, 0);
    }
}
