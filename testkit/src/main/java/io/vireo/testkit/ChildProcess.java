package io.vireo.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A process a test started, signalled only by its own pid; one still running when the JVM exits is
 * killed then.
 */
final class ChildProcess
{
    /** Processes still running, killed (by pid) when the JVM exits. */
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static
    {
        Runtime.getRuntime().addShutdownHook(new Thread(
            () -> RUNNING.forEach(Process::destroyForcibly), "vireo-etcd-server-reaper"));
    }

    private final Process process;

    private ChildProcess(final Process process)
    {
        this.process = process;
    }

    static ChildProcess start(final ProcessBuilder builder) throws IOException
    {
        final ChildProcess child = new ChildProcess(builder.start());
        RUNNING.add(child.process);
        return child;
    }

    boolean isAlive()
    {
        return process.isAlive();
    }

    int exitValue()
    {
        return process.exitValue();
    }

    long pid()
    {
        return process.pid();
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code grace}; waits up to {@code grace} more for it to go. */
    void stop(final Duration grace)
    {
        process.destroy();
        if (!waitFor(grace))
        {
            process.destroyForcibly();
            waitFor(grace);
        }
        RUNNING.remove(process);
    }

    /** SIGKILL, and waits up to {@code grace} for it to be gone. */
    void kill(final Duration grace)
    {
        process.destroyForcibly();
        waitFor(grace);
        RUNNING.remove(process);
    }

    /** No longer to be killed when the JVM exits: it exited by itself and is replaced. */
    void forget()
    {
        RUNNING.remove(process);
    }

    private boolean waitFor(final Duration timeout)
    {
        try
        {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
