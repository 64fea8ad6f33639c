package io.vireo.cluster;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A value built on the cluster thread for other threads to read (what {@link ClusterNode#status} answers):
 * rebuilt by {@link #update} at once if the last build was {@link #INTERVAL_MS} ago, else once that interval
 * is over, so a storm of watch events does not rebuild it for every batch.
 */
final class Published<T>
{
    static final long INTERVAL_MS = 100;

    private final ClusterThread thread;
    private final Supplier<T> build;
    private volatile T value;
    private long builtAt = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private boolean pending;

    Published(final ClusterThread thread, final Supplier<T> build)
    {
        this.thread = thread;
        this.build = build;
        this.value = build.get();
    }

    /** The last value built; any thread. */
    T get()
    {
        return value;
    }

    /** The state changed: rebuild now or soon. On the cluster thread. */
    void update()
    {
        final long now = System.nanoTime();
        if (now - builtAt >= TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS))
        {
            builtAt = now;
            value = build.get();
        }
        else if (!pending && !thread.isStopped())
        {
            pending = true;
            thread.schedule(() ->
            {
                pending = false;
                builtAt = System.nanoTime();
                value = build.get();
            }, INTERVAL_MS);
        }
    }
}
