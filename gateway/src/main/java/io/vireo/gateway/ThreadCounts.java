package io.vireo.gateway;

import java.util.concurrent.CopyOnWriteArrayList;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Counts that forwarding threads add to without sharing a cache line: each thread gets a {@link Writer}
 * of its own ({@link #newWriter}), writes its counters with ordered stores, and the control plane sums the
 * writers' values ({@link #sum}). Counts only grow.
 */
public final class ThreadCounts
{
    private final int counters;
    private final CopyOnWriteArrayList<Writer> writers = new CopyOnWriteArrayList<>();

    /**
     * @param counters how many counters each writer has.
     */
    public ThreadCounts(final int counters)
    {
        this.counters = counters;
    }

    /** The counters of one more forwarding thread. */
    public Writer newWriter()
    {
        final Writer writer = new Writer(counters);
        writers.add(writer);
        return writer;
    }

    /** A counter summed over every writer. Any thread. */
    public long sum(final int counter)
    {
        long sum = 0;
        for (final Writer writer : writers)
        {
            sum += writer.buffer.getLongVolatile(counter * Long.BYTES);
        }
        return sum;
    }

    /** One thread's counters: written by it alone. */
    public static final class Writer
    {
        private final UnsafeBuffer buffer;

        private Writer(final int counters)
        {
            buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(counters * Long.BYTES, 64));
        }

        /** Adds to a counter. Forwarding path: an ordered store, no allocation. */
        public void add(final int counter, final long delta)
        {
            final int offset = counter * Long.BYTES;
            buffer.putLongOrdered(offset, buffer.getLong(offset) + delta);
        }
    }
}
