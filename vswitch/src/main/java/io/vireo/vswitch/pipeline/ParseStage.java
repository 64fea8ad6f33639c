package io.vireo.vswitch.pipeline;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.Stage;
import io.vireo.flowtable.MacAddress;

/**
 * The first stage: checks each frame's length and Ethernet header and fills the burst's VLAN and MAC
 * scratch. Drops a frame longer than its slot or than the switch's maximum frame length (unless it is
 * a GSO frame, longer by design: segmented on the way out if need be) as {@code oversize}, one too
 * short for its Ethernet header and tags as {@code runt}, one from a group or zero MAC as
 * {@code bad_source_mac}.
 */
final class ParseStage implements Stage
{
    /** virtio_net_hdr: flags u8, then gso_type u8. */
    private static final int GSO_TYPE_OFFSET = 1;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final int maxFrameLength;

    ParseStage(final int maxFrameLength)
    {
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    public void process(final BurstContext burst)
    {
        final FrameBurst frames = burst.frames();
        for (int frame = 0, size = burst.size(); frame < size; frame++)
        {
            final int length = frames.frameLength(frame);
            if (length > frames.frameCapacity() || (length > maxFrameLength && !isGso(frames, frame)))
            {
                burst.drop(frame, DropReason.OVERSIZE);
                continue;
            }
            ethernet.wrap(frames.buffer(), frames.frameOffset(frame), length);
            final int tags = ethernet.vlanTagCount();
            if (tags < 0)
            {
                burst.drop(frame, DropReason.RUNT);
                continue;
            }
            final long source = ethernet.source();
            if (MacAddress.isMulticast(source) || MacAddress.isZero(source))
            {
                burst.drop(frame, DropReason.BAD_SOURCE_MAC);
                continue;
            }
            burst.addresses(frame, 0 == tags ? 0 : ethernet.taggedVlanId(), source, ethernet.destination());
        }
    }

    private static boolean isGso(final FrameBurst frames, final int frame)
    {
        return 0 != frames.buffer().getByte(frames.netHeaderOffset(frame) + GSO_TYPE_OFFSET);
    }
}
