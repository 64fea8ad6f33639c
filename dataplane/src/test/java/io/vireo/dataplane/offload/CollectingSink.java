package io.vireo.dataplane.offload;

import java.util.ArrayList;
import java.util.List;

import org.agrona.MutableDirectBuffer;

/** Keeps a copy of every segment, and where it was, for tests. */
final class CollectingSink implements SegmentSink
{
    final List<byte[]> segments = new ArrayList<>();
    final List<int[]> positions = new ArrayList<>();
    MutableDirectBuffer buffer;

    @Override
    public void onSegment(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        segments.add(copy);
        positions.add(new int[] {offset, length});
    }

    void clear()
    {
        segments.clear();
        positions.clear();
    }
}
