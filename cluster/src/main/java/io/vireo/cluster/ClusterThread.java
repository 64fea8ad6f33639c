package io.vireo.cluster;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one thread, {@code vireo-cluster}, that a {@link ClusterNode}'s state belongs to: its view, reconciler
 * and own keys need no lock because only tasks run here touch them. Callers on other threads hand it tasks
 * and, for the node's API, wait for their answer.
 */
final class ClusterThread
{
    static final long CALL_TIMEOUT_SECONDS = 30;

    private final ScheduledThreadPoolExecutor executor;
    private volatile Thread thread;

    ClusterThread()
    {
        executor = new ScheduledThreadPoolExecutor(1, task ->
        {
            thread = new Thread(task, "vireo-cluster");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    /** Queues {@code task}; dropped once the thread is stopped. */
    void execute(final Runnable task)
    {
        if (!executor.isShutdown())
        {
            executor.execute(task);
        }
    }

    /** Runs {@code task} now if this is the cluster thread (a replay from a call made on it), else queues it. */
    void submit(final Runnable task)
    {
        if (Thread.currentThread() == thread)
        {
            task.run();
        }
        else
        {
            execute(task);
        }
    }

    /** Runs {@code task} after {@code delayMs}; null once the thread is stopped. */
    ScheduledFuture<?> schedule(final Runnable task, final long delayMs)
    {
        return executor.isShutdown() ? null : executor.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    }

    void every(final long periodMs, final Runnable task)
    {
        executor.scheduleWithFixedDelay(task, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    boolean isStopped()
    {
        return executor.isShutdown();
    }

    /**
     * Runs {@code task} on the cluster thread and waits up to {@value #CALL_TIMEOUT_SECONDS} s for it; its
     * runtime exceptions are rethrown here.
     *
     * @throws StoreUnavailableException if it took longer (a store that answers too slowly).
     */
    <T> T call(final Callable<T> task)
    {
        final Future<T> future;
        try
        {
            future = executor.submit(task);
        }
        catch (final RejectedExecutionException ex)
        {
            throw new IllegalStateException("the cluster node is closed");
        }
        try
        {
            return future.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw new IllegalStateException(ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            future.cancel(true);
            throw new StoreUnavailableException("the cluster node did not answer within " + CALL_TIMEOUT_SECONDS + " s");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    /** Runs {@code last} on the cluster thread (best effort: it may be stuck), then stops the thread. */
    void stop(final Runnable last)
    {
        try
        {
            executor.submit(last).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final ExecutionException | TimeoutException | RejectedExecutionException ignored)
        {
            // stopping is best effort: the thread is stopped below either way
        }
        executor.shutdownNow();
    }
}
