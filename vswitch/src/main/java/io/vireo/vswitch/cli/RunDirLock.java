package io.vireo.vswitch.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;

/**
 * The lock on a run dir's lock file that keeps two daemons off one run dir, as a daemon taking another's place
 * ({@code vireod --takeover}) waits for it and as the daemon taken over lets it go.
 */
final class RunDirLock
{
    /** How long a daemon that took another's place waits for the run dir's lock that one lets go. */
    static final long WAIT_MS = 30_000;

    private RunDirLock()
    {
    }

    /** The run dir's lock, once the daemon taken over lets it go; null if it does not within {@link #WAIT_MS}. */
    static FileLock await(final FileChannel lockFile)
    {
        final long deadline = System.nanoTime() + WAIT_MS * 1_000_000L;
        try
        {
            while (true)
            {
                final FileLock lock = lockFile.tryLock();
                if (null != lock || System.nanoTime() > deadline)
                {
                    return lock;
                }
                Thread.sleep(10);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot lock " + lockFile + ": " + ex.getMessage(), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static void release(final FileLock lock)
    {
        try
        {
            lock.release();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot unlock the run dir: " + ex.getMessage(), ex);
        }
    }
}
