package io.vireo.vswitch.core;

import io.vireo.tunnel.vxlan.Vtep;
import io.vireo.tunnel.vxlan.VxlanDrop;

/** A VXLAN endpoint's sends and drops, kept in its port's counters. */
final class VtepCounters implements Vtep.Listener
{
    private static final DropReason[] REASONS = new DropReason[VxlanDrop.values().length];

    static
    {
        REASONS[VxlanDrop.BAD_HEADER.ordinal()] = DropReason.BAD_VXLAN;
        REASONS[VxlanDrop.UNKNOWN_VNI.ordinal()] = DropReason.UNKNOWN_VNI;
        REASONS[VxlanDrop.UNKNOWN_PEER.ordinal()] = DropReason.UNKNOWN_PEER;
        REASONS[VxlanDrop.RUNT.ordinal()] = DropReason.RUNT;
        REASONS[VxlanDrop.OVERSIZE.ordinal()] = DropReason.OVERSIZE;
        REASONS[VxlanDrop.NO_PEER.ordinal()] = DropReason.NO_ROUTE;
        REASONS[VxlanDrop.TX_ERROR.ordinal()] = DropReason.TX_ERROR;
    }

    private final PortCounters counters;

    VtepCounters(final PortCounters counters)
    {
        this.counters = counters;
    }

    @Override
    public void onDrop(final VxlanDrop reason, final int frames)
    {
        counters.drops[REASONS[reason.ordinal()].ordinal()].getAndAddRelease(frames);
    }

    @Override
    public void onSent(final int datagrams, final long frameBytes)
    {
        counters.txPackets.getAndAddRelease(datagrams);
        counters.txBytes.getAndAddRelease(frameBytes);
    }
}
