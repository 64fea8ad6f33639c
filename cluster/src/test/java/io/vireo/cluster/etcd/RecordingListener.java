package io.vireo.cluster.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A watch listener that keeps everything it is told, in order, for a test to wait on and check. */
final class RecordingListener implements EtcdClient.WatchListener
{
    private final List<EtcdClient.Event> events = new ArrayList<>();
    private final List<Long> revisions = new ArrayList<>();
    /** What was told, in order: "events N", "down", "up", "compacted R". */
    private final List<String> told = new ArrayList<>();
    private final List<String> threads = new ArrayList<>();
    private long compactRevision = -1;

    @Override
    public synchronized void events(final long revision, final List<EtcdClient.Event> events)
    {
        this.events.addAll(events);
        revisions.add(revision);
        told.add("events " + events.size());
        threads.add(Thread.currentThread().getName());
    }

    @Override
    public synchronized void compacted(final long compactRevision)
    {
        this.compactRevision = compactRevision;
        told.add("compacted " + compactRevision);
        threads.add(Thread.currentThread().getName());
    }

    @Override
    public synchronized void connection(final boolean up)
    {
        told.add(up ? "up" : "down");
        threads.add(Thread.currentThread().getName());
    }

    synchronized List<EtcdClient.Event> events()
    {
        return List.copyOf(events);
    }

    synchronized List<Long> revisions()
    {
        return List.copyOf(revisions);
    }

    synchronized List<String> told()
    {
        return List.copyOf(told);
    }

    synchronized List<String> threads()
    {
        return List.copyOf(threads);
    }

    synchronized long compactRevision()
    {
        return compactRevision;
    }

    synchronized int eventCount()
    {
        return events.size();
    }

    synchronized long count(final String what)
    {
        return told.stream().filter(what::equals).count();
    }

    /** The keys of the events so far, in order, with a "-" before a deletion's. */
    synchronized List<String> keys()
    {
        final List<String> keys = new ArrayList<>(events.size());
        for (final EtcdClient.Event event : events)
        {
            keys.add((event.type() == EtcdClient.Event.Type.DELETE ? "-" : "") + event.kv().key());
        }
        return keys;
    }

    void awaitEvents(final int count, final Duration timeout)
    {
        Conditions.await(count + " events", timeout, () -> eventCount() >= count, () -> "told " + told());
    }

    void awaitTold(final String what, final long times, final Duration timeout)
    {
        Conditions.await(what + " told " + times + " times", timeout, () -> count(what) >= times, () -> "told " + told());
    }
}
