package io.vireo.gateway.dns;

import java.util.concurrent.CopyOnWriteArrayList;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * How the routers' DNS answered, by {@link DnsResponder} outcome, all routers together: each forwarding
 * thread counts into its own {@link ThreadCounters}, the control plane sums them.
 */
public final class DnsStats
{
    private final CopyOnWriteArrayList<ThreadCounters> threads = new CopyOnWriteArrayList<>();

    /** The counters of one more forwarding thread. */
    public ThreadCounters newThreadCounters()
    {
        final ThreadCounters counters = new ThreadCounters();
        threads.add(counters);
        return counters;
    }

    /** Queries that ended in this outcome, {@link DnsResponder#ANSWERED} .. {@link DnsResponder#DROPPED}. */
    public long count(final int outcome)
    {
        long sum = 0;
        for (final ThreadCounters counters : threads)
        {
            sum += counters.buffer.getLongVolatile(outcome * Long.BYTES);
        }
        return sum;
    }

    /** One forwarding thread's counts: written by it alone. */
    public static final class ThreadCounters
    {
        private final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(DnsResponder.OUTCOMES * Long.BYTES, 64));

        private ThreadCounters()
        {
        }

        public void count(final int outcome)
        {
            final int offset = outcome * Long.BYTES;
            buffer.putLongOrdered(offset, buffer.getLong(offset) + 1);
        }
    }

    /** A name for an outcome, as metrics label it. */
    public static String name(final int outcome)
    {
        return switch (outcome)
        {
            case DnsResponder.ANSWERED -> "answered";
            case DnsResponder.NODATA -> "nodata";
            case DnsResponder.NXDOMAIN -> "nxdomain";
            case DnsResponder.TRUNCATED -> "truncated";
            case DnsResponder.REFUSED -> "refused";
            case DnsResponder.FORMERR -> "formerr";
            case DnsResponder.NOTIMP -> "notimp";
            case DnsResponder.BADVERS -> "badvers";
            case DnsResponder.FORWARDED -> "forwarded";
            default -> "dropped";
        };
    }
}
