package io.vireo.dataplane.pipeline;

import java.util.Arrays;

import io.vireo.dataplane.buffer.FrameBurst;

/**
 * A received burst on its way through the {@link Stage stages}, with the per-frame scratch they share
 * (VPP's vector with its per-buffer metadata). One per forwarding thread, reused for every burst; all
 * frames of a burst came from one port, so the ingress port and its bridge are per burst.
 * <pre>
 *  frame i:  | vlan[i] | source[i] | destination[i] | action[i] | routedBridge[i] |   and in the burst: length, peer
 *  action:   UNDECIDED --(a stage)--> FLOOD | a destination (&gt;= 0, {@link Destination}) | DROPPED
 * </pre>
 * The parse stage fills the VLAN and MACs; the stages after it decide each frame's action; the output
 * stage carries it out. A dropped frame is counted once, on the ingress port, under its reason.
 * <p>
 * A frame is switched on the ingress port's bridge unless a router stage {@link #route routes} it:
 * then it goes out on the bridge the router names, rewritten for it, and may leave through any port of
 * that bridge, the ingress port included (an answer the router gives goes back where the question
 * came from). A packet the router passes on rather than writes itself is {@link #forward forwarded}:
 * it enters its egress bridge as if from the router's interface there, so that bridge's policy checks
 * it; the router's own answers and solicitations are not.
 */
public final class BurstContext
{
    /** No stage has decided where the frame goes yet. */
    public static final int UNDECIDED = -1;
    /** To every port of the bridge but the ingress one. */
    public static final int FLOOD = -2;
    /** Dropped and counted; no later stage looks at it. */
    public static final int DROPPED = -3;

    private static final int NOT_ROUTED = -1;
    /** Marks a forwarded frame's routed bridge; bridge ids are far below it. */
    private static final int FORWARDED = 1 << 30;

    private final FrameBurst frames;
    private final int[] vlans;
    private final long[] sources;
    private final long[] destinations;
    private final int[] actions;
    private final int[] routedBridges;
    /** The ingress counters of appended frames (a held packet's are those of the port it came in by). */
    private final PortCounters[] appendedCounters;
    private int size;
    private int received;
    private int forwarded;
    private int ingressPort;
    private int bridgeId;
    private PortCounters ingressCounters;
    private long nowMs;

    public BurstContext(final FrameBurst frames)
    {
        this.frames = frames;
        final int capacity = frames.capacity();
        this.vlans = new int[capacity];
        this.sources = new long[capacity];
        this.destinations = new long[capacity];
        this.actions = new int[capacity];
        this.routedBridges = new int[capacity];
        this.appendedCounters = new PortCounters[capacity];
    }

    /** Starts a burst: the frames now in {@link #frames()}, received on {@code ingressPort} of {@code bridgeId}. */
    public void begin(final int ingressPort, final int bridgeId, final PortCounters ingressCounters, final long nowMs)
    {
        this.size = frames.size();
        this.received = size;
        this.forwarded = 0;
        this.ingressPort = ingressPort;
        this.bridgeId = bridgeId;
        this.ingressCounters = ingressCounters;
        this.nowMs = nowMs;
        Arrays.fill(actions, 0, size, UNDECIDED);
        Arrays.fill(routedBridges, 0, size, NOT_ROUTED);
    }

    public FrameBurst frames()
    {
        return frames;
    }

    /** Frames in the burst, dropped ones included. */
    public int size()
    {
        return size;
    }

    public int ingressPort()
    {
        return ingressPort;
    }

    public int bridgeId()
    {
        return bridgeId;
    }

    /** The counters of the port the burst came from. */
    public PortCounters ingressCounters()
    {
        return ingressCounters;
    }

    /** The forwarding thread's clock when the burst arrived, in ms. */
    public long nowMs()
    {
        return nowMs;
    }

    public int vlan(final int frame)
    {
        return vlans[frame];
    }

    public long source(final int frame)
    {
        return sources[frame];
    }

    public long destination(final int frame)
    {
        return destinations[frame];
    }

    /**
     * Every frame's VLAN, by frame index, for a stage that hands the burst to a table's burst call; valid
     * below {@link #size()}, not to be written.
     */
    public int[] vlans()
    {
        return vlans;
    }

    /** Every frame's source MAC, as {@link #vlans()}. */
    public long[] sources()
    {
        return sources;
    }

    /** Every frame's destination MAC, as {@link #vlans()}. */
    public long[] destinations()
    {
        return destinations;
    }

    /** Sets the parsed Ethernet fields of a frame: VLAN (0: untagged), source and destination MAC. */
    public void addresses(final int frame, final int vlan, final long source, final long destination)
    {
        vlans[frame] = vlan;
        sources[frame] = source;
        destinations[frame] = destination;
    }

    /**
     * A router sends the frame on, rewritten with a new destination MAC, untagged, on {@code bridgeId}:
     * the stages after it switch it there, from no port in particular.
     */
    public void route(final int frame, final int bridgeId, final long destination)
    {
        routedBridges[frame] = bridgeId;
        vlans[frame] = 0;
        destinations[frame] = destination;
        // Whatever the policy stage chose by the old destination no longer applies.
        actions[frame] = UNDECIDED;
    }

    /**
     * A router passes a packet on (not one it wrote): {@link #route} from {@code source}, the router's MAC
     * on {@code bridgeId}, and the frame is marked {@link #isForwarded forwarded}, for the egress bridge's
     * policy.
     */
    public void forward(final int frame, final int bridgeId, final long source, final long destination)
    {
        route(frame, bridgeId, destination);
        routedBridges[frame] = bridgeId | FORWARDED;
        sources[frame] = source;
        forwarded++;
    }

    /** True if a router {@link #route routed} the frame. */
    public boolean isRouted(final int frame)
    {
        return NOT_ROUTED != routedBridges[frame];
    }

    /** True if a router {@link #forward forwarded} the frame: a packet it passed on, not one of its own. */
    public boolean isForwarded(final int frame)
    {
        final int routed = routedBridges[frame];
        return NOT_ROUTED != routed && 0 != (routed & FORWARDED);
    }

    /** Frames {@link #forward forwarded} in this burst so far; a stage for them skips a burst without. */
    public int forwardedCount()
    {
        return forwarded;
    }

    /** The bridge the frame is switched on: the ingress bridge, or the one a router sent it to. */
    public int bridge(final int frame)
    {
        final int routed = routedBridges[frame];
        return NOT_ROUTED == routed ? bridgeId : routed & ~FORWARDED;
    }

    public int action(final int frame)
    {
        return actions[frame];
    }

    /** Sets where a frame goes: {@link #FLOOD} or a {@link Destination}. */
    public void action(final int frame, final int action)
    {
        actions[frame] = action;
    }

    public boolean isDropped(final int frame)
    {
        return DROPPED == actions[frame];
    }

    /**
     * Adds a frame a stage wrote into the next free slot of {@link #frames()} (at
     * {@link FrameBurst#nextFrameOffset()}, after {@link FrameBurst#clearNextNetHeader()}): routed on
     * {@code bridgeId} to {@code destination}, undecided for the stages after. The caller checks that
     * the burst is not {@link FrameBurst#isFull() full}.
     *
     * @return the new frame's index.
     */
    public int append(final int length, final int bridgeId, final long source, final long destination)
    {
        return append(length, bridgeId, source, destination, ingressCounters);
    }

    /**
     * {@link #append} a packet that came in by another port than this burst's (one a router held): a drop is
     * counted on {@code ingressCounters}, those of the port it came in by.
     *
     * @return the new frame's index.
     */
    public int append(
        final int length, final int bridgeId, final long source, final long destination, final PortCounters ingressCounters)
    {
        final int frame = size++;
        frames.commit(length);
        actions[frame] = UNDECIDED;
        sources[frame] = source;
        appendedCounters[frame] = ingressCounters;
        route(frame, bridgeId, destination);
        return frame;
    }

    /**
     * {@link #append} a packet the router passes on (a held one whose next hop is now known),
     * {@link #forward forwarded}; a drop is counted on {@code ingressCounters}, those of the port it came
     * in by.
     *
     * @return the new frame's index.
     */
    public int appendForwarded(
        final int length, final int bridgeId, final long source, final long destination, final PortCounters ingressCounters)
    {
        final int frame = append(length, bridgeId, source, destination, ingressCounters);
        forward(frame, bridgeId, source, destination);
        return frame;
    }

    /**
     * Counts a frame on the ingress port under {@code reason} without dropping it: a router consumed it
     * and the frame now holds its answer (an ICMP error).
     */
    public void countDrop(final DropReason reason)
    {
        ingressCounters.dropped(reason, 1);
    }

    /** Drops a frame, counted under {@code reason} on the port it came in by. */
    public void drop(final int frame, final DropReason reason)
    {
        actions[frame] = DROPPED;
        (frame < received ? ingressCounters : appendedCounters[frame]).dropped(reason, 1);
    }
}
