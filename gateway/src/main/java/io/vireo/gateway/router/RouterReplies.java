package io.vireo.gateway.router;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.gateway.answer.RouterAnswers;

/**
 * How the router stage ends a frame that was for the router itself: an answer written over it goes
 * back to its sender on the ingress bridge ({@link RouterAnswers}), an ICMP error from the ingress
 * interface's address, or the frame is consumed or dropped. One per router stage.
 */
final class RouterReplies
{
    private final RouterAnswers answers;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();

    RouterReplies(final RouterAnswers answers)
    {
        this.answers = answers;
    }

    /**
     * Sends the answer now in the frame's slot back to its sender on the ingress bridge, or drops the
     * frame under {@code reason} if no answer was due ({@link RouterAnswers#NONE}).
     */
    void answer(final BurstContext burst, final int frame, final int length, final RouterInterface in, final DropReason reason)
    {
        if (RouterAnswers.NONE == length)
        {
            burst.drop(frame, reason);
            return;
        }
        final FrameBurst frames = burst.frames();
        frames.frameLength(frame, length);
        frames.clearNetHeader(frame);
        burst.route(frame, in.bridgeId(), ethernet.wrap(frames.buffer(), frames.frameOffset(frame), length).destination());
    }

    /** {@link #answer} with an ICMP error, which is counted under {@code reason} whether it goes or not. */
    void answerError(final BurstContext burst, final int frame, final int length, final RouterInterface in, final DropReason reason)
    {
        answer(burst, frame, length, in, reason);
        if (RouterAnswers.NONE != length)
        {
            burst.countDrop(reason);
        }
    }

    /** An ICMP error about the IPv4 frame from the interface's first address; dropped if it has none. */
    void ipv4Error(
        final BurstContext burst, final int frame, final RouterInterface in, final int type, final int code,
        final int mtu, final DropReason reason)
    {
        if (0 == in.ipv4().length)
        {
            burst.drop(frame, reason);
            return;
        }
        final FrameBurst frames = burst.frames();
        answerError(burst, frame, answers.ipv4Error(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame),
            frames.frameCapacity(), in.mac(), in.primaryIpv4(), type, code, mtu), in, reason);
    }

    /** An ICMPv6 error about the IPv6 frame from the interface's first address; dropped if it has none. */
    void ipv6Error(
        final BurstContext burst, final int frame, final RouterInterface in, final int type, final int code,
        final int mtu, final DropReason reason)
    {
        if (0 == in.ipv6High().length)
        {
            burst.drop(frame, reason);
            return;
        }
        final FrameBurst frames = burst.frames();
        answerError(burst, frame, answers.ipv6Error(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame),
            frames.frameCapacity(), in.mac(), in.ipv6High()[0], in.ipv6Low()[0], type, code, mtu), in, reason);
    }

    /** A packet to one of the router's addresses: an echo request is answered, anything else dropped. */
    void forRouter(final BurstContext burst, final int frame, final RouterInterface in, final boolean echoRequest)
    {
        if (echoRequest)
        {
            final FrameBurst frames = burst.frames();
            answer(burst, frame, answers.echoReply(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame),
                in.mac()), in, DropReason.ROUTER_LOCAL);
        }
        else
        {
            burst.drop(frame, DropReason.ROUTER_LOCAL);
        }
    }

    /** The router took the frame (an ARP reply, an advertisement, a held packet): nothing goes out, nothing is counted. */
    static void consume(final BurstContext burst, final int frame)
    {
        burst.action(frame, BurstContext.DROPPED);
    }
}
