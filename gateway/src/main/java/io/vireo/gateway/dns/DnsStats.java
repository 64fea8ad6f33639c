package io.vireo.gateway.dns;

import io.vireo.gateway.ThreadCounts;

/**
 * How the routers' DNS answered, by {@link DnsResponder} outcome, all routers together: each forwarding
 * thread counts into its own {@link ThreadCounts.Writer}, the control plane sums them.
 */
public final class DnsStats
{
    private final ThreadCounts counts = new ThreadCounts(DnsResponder.OUTCOMES);

    /** The counters of one more forwarding thread. */
    public ThreadCounts.Writer newThreadCounters()
    {
        return counts.newWriter();
    }

    /** Queries that ended in this outcome, {@link DnsResponder#ANSWERED} .. {@link DnsResponder#DROPPED}. */
    public long count(final int outcome)
    {
        return counts.sum(outcome);
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
