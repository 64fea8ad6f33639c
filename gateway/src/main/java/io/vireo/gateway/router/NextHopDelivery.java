package io.vireo.gateway.router;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.flowtable.MacAddress;
import io.vireo.gateway.answer.RouterAnswers;
import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.route.Ipv6RouteTable;

import static io.vireo.gateway.router.RouterReplies.consume;

/**
 * The last step of routing: a routed frame goes to its next hop's MAC on the egress bridge, or, while
 * that MAC is unknown, waits in {@link HeldPackets} (up to {@link RouterStage#HOLD_MS} ms) behind an ARP
 * request or neighbour solicitation (at most one a second per neighbour, {@link NeighbourTable}). A
 * routed packet is {@link BurstContext#forward forwarded}, so the egress bridge's policy checks it (a held
 * one when it goes); the router's solicitations are its own. One per router stage.
 */
final class NextHopDelivery
{
    private static final long SOLICITED_NODE_MAC = 0x3333_FF00_0000L;
    /** The largest packet held: a frame of the largest MTU, not a GSO frame. */
    static final int HOLD_MAX_LENGTH = 9_216 + EthernetFlyweight.HEADER_LENGTH;

    private final NeighbourTable neighbours;
    private final RouterAnswers answers;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final HeldPackets held = new HeldPackets(
        RouterStage.HOLD_CAPACITY, FrameBurst.NET_HEADER_LENGTH + HOLD_MAX_LENGTH);

    NextHopDelivery(final NeighbourTable neighbours, final RouterAnswers answers)
    {
        this.neighbours = neighbours;
        this.answers = answers;
    }

    /** The next hop a route lookup named, or null for {@link Ipv4RouteTable#NO_ROUTE} (the IPv6 table's is the same). */
    static NextHop nextHop(final RouterView router, final int index)
    {
        return Ipv4RouteTable.NO_ROUTE == index || Ipv6RouteTable.NO_ROUTE == index ? null : router.nextHops()[index];
    }

    /** The router's interface a next hop leaves by, or null if it is gone. */
    static RouterInterface egress(final RouterDirectory.Snapshot snapshot, final RouterView router, final NextHop nextHop)
    {
        final RouterInterface out = null == nextHop ? null : snapshot.interfaceOn(nextHop.bridgeId());
        return null == out || out.routerId() != router.id() ? null : out;
    }

    /**
     * Sends a routed frame (its TTL and checksum rewritten already) from the egress interface's MAC to
     * its next hop on that interface's bridge, or holds it and solicits the next hop if its MAC is not known.
     */
    void deliver(
        final BurstContext burst, final int frame, final RouterInterface out, final boolean isIpv6, final long high,
        final long low)
    {
        final FrameBurst frames = burst.frames();
        ethernet.wrap(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame)).source(out.mac());
        final long mac = resolve(out, isIpv6, high, low, burst.nowMs());
        if (NeighbourTable.UNRESOLVED == mac)
        {
            hold(burst, frame, out, high, low, isIpv6);
            solicit(burst, out, isIpv6, high, low);
            return;
        }
        ethernet.destination(mac);
        burst.forward(frame, out.bridgeId(), out.mac(), mac);
    }

    boolean holdsPackets()
    {
        return !held.isEmpty();
    }

    /**
     * Sends the held packets whose next hop is now known (while the burst has room), drops those that
     * waited {@link RouterStage#HOLD_MS}, and solicits again for the others.
     */
    void releaseHeld(final BurstContext burst, final RouterDirectory.Snapshot snapshot)
    {
        final FrameBurst frames = burst.frames();
        final long now = burst.nowMs();
        for (int i = held.count() - 1; i >= 0; i--)
        {
            final RouterInterface out = snapshot.interfaceOn(held.bridgeId(i));
            final boolean isIpv6 = held.isIpv6(i);
            final long high = held.targetHigh(i);
            final long low = held.targetLow(i);
            final long mac = null == out ? NeighbourTable.UNRESOLVED : resolve(out, isIpv6, high, low, now);
            if (NeighbourTable.UNRESOLVED != mac && !frames.isFull())
            {
                final int length = held.copyOut(i, frames);
                ethernet.wrap(frames.buffer(), frames.nextFrameOffset(), length).destination(mac);
                final int frame = burst.appendForwarded(length, out.bridgeId(), out.mac(), mac, held.counters(i));
                frames.fragmentMtu(frame, held.fragmentMtu(i));
                held.remove(i);
            }
            else if (null == out || now - held.heldAtMs(i) > RouterStage.HOLD_MS)
            {
                held.counters(i).dropped(DropReason.NEIGHBOUR_UNRESOLVED, 1);
                held.remove(i);
            }
            else if (NeighbourTable.UNRESOLVED == mac)
            {
                solicit(burst, out, isIpv6, high, low);
            }
        }
    }

    private long resolve(final RouterInterface out, final boolean isIpv6, final long high, final long low, final long nowMs)
    {
        return isIpv6 ? neighbours.resolveIpv6(out.bridgeId(), high, low, nowMs) :
            neighbours.resolveIpv4(out.bridgeId(), (int)low, nowMs);
    }

    private void hold(
        final BurstContext burst, final int frame, final RouterInterface out, final long high, final long low,
        final boolean isIpv6)
    {
        final FrameBurst frames = burst.frames();
        if (held.hold(frames, frame, out.bridgeId(), isIpv6, high, low, burst.nowMs(), burst.ingressCounters()))
        {
            consume(burst, frame);
        }
        else
        {
            burst.drop(frame, DropReason.NEIGHBOUR_UNRESOLVED);
        }
    }

    private void solicit(final BurstContext burst, final RouterInterface out, final boolean isIpv6, final long high, final long low)
    {
        if (isIpv6)
        {
            solicitIpv6(burst, out, high, low);
        }
        else
        {
            solicitIpv4(burst, out, (int)low);
        }
    }

    private void solicitIpv4(final BurstContext burst, final RouterInterface out, final int target)
    {
        final FrameBurst frames = burst.frames();
        if (!frames.isFull() && neighbours.solicitIpv4(out.bridgeId(), target, burst.nowMs()))
        {
            frames.clearNextNetHeader();
            final int length = answers.arpRequest(frames.buffer(), frames.nextFrameOffset(), out.mac(), out.primaryIpv4(), target);
            burst.append(length, out.bridgeId(), out.mac(), MacAddress.BROADCAST);
        }
    }

    private void solicitIpv6(final BurstContext burst, final RouterInterface out, final long high, final long low)
    {
        final FrameBurst frames = burst.frames();
        if (!frames.isFull() && neighbours.solicitIpv6(out.bridgeId(), high, low, burst.nowMs()))
        {
            frames.clearNextNetHeader();
            final int length = answers.neighbourSolicitation(frames.buffer(), frames.nextFrameOffset(), out.mac(),
                out.ipv6High()[0], out.ipv6Low()[0], high, low);
            burst.append(length, out.bridgeId(), out.mac(), SOLICITED_NODE_MAC | (low & 0xFF_FFFF));
        }
    }
}
