package io.vireo.vswitch.pipeline;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.offload.Ipv4Fragmenter;
import io.vireo.dataplane.offload.Offloads;
import io.vireo.dataplane.offload.SegmentSink;
import io.vireo.dataplane.offload.SoftwareOffload;
import io.vireo.dataplane.pipeline.DropReason;
import org.agrona.MutableDirectBuffer;

/**
 * Transmits to a port that does not take every offload (a TAP without {@code IFF_VNET_HDR}, a vhost-user
 * port whose driver did not negotiate them all, a loopback port, a VXLAN endpoint), or frames a router
 * marked to be fragmented: frames whose virtio-net header asks for a GSO the port does not take are cut
 * into segments, and frames with a partial checksum it cannot take are completed, by the one shared
 * {@link SoftwareOffload}; IPv4 packets with a {@link FrameBurst#fragmentMtu(int) fragment MTU} are cut
 * into fragments of at most that MTU (and the port's own, if it has one), their checksum completed
 * first, by {@link Ipv4Fragmenter}; the rest (also GSO frames of a kind the port takes) go out as they
 * are, all in their original order. One per forwarding thread; allocates nothing.
 */
final class SoftwareOffloadTransmitter implements SegmentSink
{
    private static final int SEGMENT_BURST = 64;
    private static final int SEGMENT_SLOT = 16_384;

    private final SoftwareOffload offload = new SoftwareOffload();
    private final Ipv4Fragmenter fragmenter = new Ipv4Fragmenter();
    private final VirtioNetHeaderFlyweight header = new VirtioNetHeaderFlyweight();
    private final FrameBurst segments = new FrameBurst(SEGMENT_BURST, SEGMENT_SLOT, FrameBurst.NET_HEADER_LENGTH);
    private final int[] segmentIndexes = new int[SEGMENT_BURST];
    private final int[] plain;
    private int plainCount;
    /** The peer of the frame being segmented, which each of its segments goes to. */
    private int segmentPeer;
    private PortEntry egress;
    private boolean segmentsRefused;

    SoftwareOffloadTransmitter(final int burstSize)
    {
        this.plain = new int[burstSize];
        for (int i = 0; i < SEGMENT_BURST; i++)
        {
            segmentIndexes[i] = i;
        }
    }

    /**
     * True if frame {@code frame} of the burst is to be fragmented, or carries offload work (GSO or a partial
     * checksum) that a port taking {@code accepted} cannot do.
     */
    static boolean needsWork(final FrameBurst burst, final int frame, final int accepted)
    {
        final int headerOffset = burst.netHeaderOffset(frame);
        return 0 != burst.fragmentMtu(frame) || Offloads.ALL != accepted && 0 != burst.buffer().getShort(headerOffset) &&
            !Offloads.covers(accepted, Offloads.required(burst.buffer(), headerOffset));
    }

    /**
     * Sends {@code egress}'s queued frames of {@code burst}, resolving the offloads it does not take
     * ({@code accepted}); counts on the port. Each frame's segments go to the frame's peer.
     */
    void transmit(final FrameBurst burst, final PortEntry egress, final int accepted)
    {
        this.egress = egress;
        final MutableDirectBuffer buffer = burst.buffer();
        plainCount = 0;
        for (int i = 0; i < egress.txCount; i++)
        {
            final int frame = egress.txIndexes[i];
            if (!needsWork(burst, frame, accepted))
            {
                plain[plainCount++] = frame;
                continue;
            }
            header.wrap(buffer, burst.netHeaderOffset(frame), FrameBurst.NET_HEADER_LENGTH);
            if (0 != burst.fragmentMtu(frame))
            {
                sendPlain(burst);
                final int mtu = burst.fragmentMtu(frame);
                fragment(burst, frame, 0 == egress.mtu ? mtu : Math.min(egress.mtu, mtu));
            }
            else if (VirtioNetHeaderFlyweight.GSO_NONE != header.gsoType())
            {
                sendPlain(burst);
                segmentsRefused = false;
                segmentPeer = burst.peer(frame);
                final int result = offload.segment(buffer, burst.frameOffset(frame), burst.frameLength(frame), header, this);
                if (result < 0)
                {
                    drop(DropReason.BAD_OFFLOAD, 1);
                }
                sendSegments();
            }
            else if (offload.completeChecksum(buffer, burst.frameOffset(frame), burst.frameLength(frame), header))
            {
                plain[plainCount++] = frame;
            }
            else
            {
                drop(DropReason.BAD_OFFLOAD, 1);
            }
        }
        sendPlain(burst);
        this.egress = null;
    }

    /**
     * Sends the frame's IPv4 packet cut into fragments of at most {@code mtu} bytes (its partial checksum
     * completed first: a fragment cannot carry one), each to the frame's peer; counts them on the port.
     */
    private void fragment(final FrameBurst burst, final int frame, final int mtu)
    {
        final MutableDirectBuffer buffer = burst.buffer();
        final int offset = burst.frameOffset(frame);
        final int length = burst.frameLength(frame);
        if (!offload.completeChecksum(buffer, offset, length, header))
        {
            drop(DropReason.BAD_OFFLOAD, 1);
            return;
        }
        final int count = fragmenter.fragmentCount(buffer, offset, length, mtu);
        if (count <= 1)
        {
            if (0 == count)
            {
                drop(DropReason.FRAGMENTATION_NEEDED, 1);
            }
            else
            {
                plain[plainCount++] = frame;
            }
            return;
        }
        segmentsRefused = false;
        segmentPeer = burst.peer(frame);
        for (int i = 0; i < count; i++)
        {
            segments.clearNextNetHeader();
            segments.commit(fragmenter.writeFragment(buffer, offset, length, mtu, i, segments.buffer(), segments.nextFrameOffset()));
            segments.peer(segments.size() - 1, segmentPeer);
            if (segments.isFull())
            {
                sendSegments();
            }
        }
        sendSegments();
        egress.counters.fragmented(count);
    }

    @Override
    public void onSegment(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (length > segments.frameCapacity())
        {
            drop(DropReason.OVERSIZE, 1);
            return;
        }
        segments.clearNextNetHeader();
        segments.buffer().putBytes(segments.nextFrameOffset(), buffer, offset, length);
        segments.commit(length);
        segments.peer(segments.size() - 1, segmentPeer);
        if (segments.isFull())
        {
            sendSegments();
        }
    }

    private void sendSegments()
    {
        final int count = segments.size();
        if (count > 0)
        {
            // After a refusal the rest of this frame's segments are dropped too: a TCP sender recovers
            // a whole lost GSO frame the same way as a partial one.
            final int sent = segmentsRefused ? 0 : egress.send(segments, segmentIndexes, count);
            segmentsRefused |= sent < count;
            egress.countTransmit(segments, segmentIndexes, sent, count);
            segments.clear();
        }
    }

    private void sendPlain(final FrameBurst burst)
    {
        if (plainCount > 0)
        {
            egress.transmit(burst, plain, plainCount);
            plainCount = 0;
        }
    }

    private void drop(final DropReason reason, final int frames)
    {
        egress.counters.dropped(reason, frames);
    }
}
