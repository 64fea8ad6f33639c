package io.vireo.dataplane.offload;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The smallest switch between a TAP with offloads and one without, run by the test thread: GSO
 * frames from the offloading side are segmented and partial checksums completed on the way to
 * the plain side; frames from the plain side get a zeroed virtio-net header in front.
 */
final class Forwarder implements SegmentSink
{
    private static final int BUFFER_LENGTH = 1 << 17;
    private static final int NET_HEADER_LENGTH = VirtioNetHeaderFlyweight.LENGTH;

    private final KernelSandbox.Tap offloading;
    private final KernelSandbox.Tap plain;
    private final SoftwareOffload offload = new SoftwareOffload();
    private final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(BUFFER_LENGTH, 64));
    private final VirtioNetHeaderFlyweight header = new VirtioNetHeaderFlyweight().wrap(buffer, 0, NET_HEADER_LENGTH);
    private final int captureLimit;

    /** The first GSO frames seen, with their virtio-net header, up to the capture limit. */
    final List<GsoFrame> captured = new ArrayList<>();
    long gsoFrames;
    long segments;
    long checksumsCompleted;
    long toPlain;
    long toOffloading;
    long refused;
    int lastRefusal;

    Forwarder(final KernelSandbox.Tap offloading, final KernelSandbox.Tap plain, final int captureLimit)
    {
        this.offloading = offloading;
        this.plain = plain;
        this.captureLimit = captureLimit;
    }

    /** Move what is waiting on both sides, a bounded number of frames each. @return frames moved. */
    int poll()
    {
        int moved = 0;
        for (int i = 0; i < 64; i++)
        {
            final int read = offloading.read(buffer, 0, BUFFER_LENGTH);
            if (0 == read)
            {
                break;
            }
            fromOffloading(read - NET_HEADER_LENGTH);
            moved++;
        }
        for (int i = 0; i < 64; i++)
        {
            final int read = plain.read(buffer, NET_HEADER_LENGTH, BUFFER_LENGTH - NET_HEADER_LENGTH);
            if (0 == read)
            {
                break;
            }
            header.clear();
            offloading.write(buffer, 0, NET_HEADER_LENGTH + read);
            toOffloading++;
            moved++;
        }
        return moved;
    }

    private void fromOffloading(final int frameLength)
    {
        if (VirtioNetHeaderFlyweight.GSO_NONE != header.gsoType())
        {
            if (captured.size() < captureLimit)
            {
                final byte[] bytes = new byte[NET_HEADER_LENGTH + frameLength];
                buffer.getBytes(0, bytes);
                captured.add(new GsoFrame(Arrays.copyOf(bytes, NET_HEADER_LENGTH),
                    Arrays.copyOfRange(bytes, NET_HEADER_LENGTH, bytes.length)));
            }
            final int result = offload.segment(buffer, NET_HEADER_LENGTH, frameLength, header, this);
            if (result < 0)
            {
                refused++;
                lastRefusal = result;
            }
            else
            {
                gsoFrames++;
                segments += result;
            }
            return;
        }
        if ((header.flags() & VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM) != 0)
        {
            if (!offload.completeChecksum(buffer, NET_HEADER_LENGTH, frameLength, header))
            {
                refused++;
                return;
            }
            checksumsCompleted++;
        }
        plain.write(buffer, NET_HEADER_LENGTH, frameLength);
        toPlain++;
    }

    @Override
    public void onSegment(final MutableDirectBuffer segmentBuffer, final int offset, final int length)
    {
        plain.write(segmentBuffer, offset, length);
        toPlain++;
    }
}
