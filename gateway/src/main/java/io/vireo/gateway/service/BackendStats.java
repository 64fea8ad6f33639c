package io.vireo.gateway.service;

import java.util.concurrent.atomic.AtomicIntegerArray;

import io.vireo.gateway.ThreadCounts;
import io.vireo.gateway.conntrack.ConnectionTable;

/**
 * What the load balancer counts per backend, by the backend's slot (0 to {@link #MAX_BACKENDS} - 1,
 * given out by the control plane, one per backend of any service of any router): connections open now
 * (shared, for {@code least-conn}), and connections made, packets and bytes, each thread counting its own
 * ({@link ThreadCounters}) and the control plane summing them. A connection carries its backend's slot
 * + 1 as its {@link ConnectionTable} label; the table tells this class when a connection that was still
 * open goes, so the open count falls whether the connection closed or timed out.
 * <p>
 * Counts only grow: a slot given to a new backend starts from the figures its previous owner left, which
 * the control plane subtracts.
 */
public final class BackendStats implements ConnectionTable.RemovalListener
{
    /** Backends of all services of a switch together. */
    public static final int MAX_BACKENDS = 4096;

    private static final int CONNECTIONS = 0;
    private static final int PACKETS = 1;
    private static final int BYTES = 2;
    private static final int PER_BACKEND = 3;

    private final AtomicIntegerArray open = new AtomicIntegerArray(MAX_BACKENDS);
    private final ThreadCounts counts = new ThreadCounts(MAX_BACKENDS * PER_BACKEND);

    /** The counters of one more forwarding thread. */
    public ThreadCounters newThreadCounters()
    {
        return new ThreadCounters(this, counts.newWriter());
    }

    /** Connections to the backend in the slot that are open now. */
    public int open(final int slot)
    {
        return open.get(slot);
    }

    /** Connections made to it, all threads together. */
    public long connections(final int slot)
    {
        return sum(slot, CONNECTIONS);
    }

    /** Packets of its connections, both directions. */
    public long packets(final int slot)
    {
        return sum(slot, PACKETS);
    }

    /** Bytes of IP packets of its connections, both directions. */
    public long bytes(final int slot)
    {
        return sum(slot, BYTES);
    }

    /** A labelled connection left the connection table; an open one no longer counts. */
    @Override
    public void removed(final int zone, final int label, final boolean wasOpen)
    {
        if (wasOpen && label > 0 && label <= MAX_BACKENDS)
        {
            open.decrementAndGet(label - 1);
        }
    }

    /** The connection label that stands for a backend slot. */
    public static int label(final int slot)
    {
        return slot + 1;
    }

    private long sum(final int slot, final int field)
    {
        return counts.sum(slot * PER_BACKEND + field);
    }

    /** One forwarding thread's counters: written by it alone, read by the control plane. */
    public static final class ThreadCounters
    {
        private final BackendStats stats;
        private final ThreadCounts.Writer writer;

        private ThreadCounters(final BackendStats stats, final ThreadCounts.Writer writer)
        {
            this.stats = stats;
            this.writer = writer;
        }

        /** The figures these counters belong to. */
        public BackendStats stats()
        {
            return stats;
        }

        /** A new connection to the backend, open from now. */
        public void connected(final int slot)
        {
            stats.open.incrementAndGet(slot);
            add(slot, CONNECTIONS, 1);
        }

        /** A packet of a connection labelled {@code label}: counted if the label is a backend's. */
        public void packet(final int label, final int bytes)
        {
            if (label > 0 && label <= MAX_BACKENDS)
            {
                add(label - 1, PACKETS, 1);
                add(label - 1, BYTES, bytes);
            }
        }

        /** A packet ended the open life of a connection labelled {@code label} (its first FIN or RST). */
        public void ended(final int label)
        {
            if (label > 0 && label <= MAX_BACKENDS)
            {
                stats.open.decrementAndGet(label - 1);
            }
        }

        private void add(final int slot, final int field, final long delta)
        {
            writer.add(slot * PER_BACKEND + field, delta);
        }
    }
}
