package io.vireo.gateway;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Zeroed off-heap memory that starts on a cache line, for the gateway's tables (connections, neighbours). Agrona's
 * {@code BufferUtil.allocateDirectAligned} gives a slice, which cannot be freed; this keeps the
 * whole buffer to free it.
 */
public final class AlignedMemory
{
    public static final int LINE = 64;

    public final UnsafeBuffer buffer;
    /** The address of {@link #buffer}'s first byte, for reads without bounds checks. */
    public final long address;
    private final ByteBuffer memory;

    public AlignedMemory(final int length)
    {
        memory = ByteBuffer.allocateDirect(length + LINE);
        final int padding = (int)(-BufferUtil.address(memory) & (LINE - 1));
        buffer = new UnsafeBuffer(memory, padding, length);
        address = buffer.addressOffset();
    }

    /**
     * Free the memory; later bounds-checked accesses through {@link #buffer} fail instead of touching it.
     */
    public void close()
    {
        buffer.wrap(new byte[0]);
        BufferUtil.free(memory);
    }
}
