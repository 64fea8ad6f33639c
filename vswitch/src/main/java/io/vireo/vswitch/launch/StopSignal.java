package io.vireo.vswitch.launch;

import java.util.concurrent.CountDownLatch;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT, which end a foreground process ({@code vireod}, {@code vireo-docker}) in order:
 * {@link #install} before saying "ready", so a signal sent as soon as that line is read is not lost, then
 * {@link #await}, then shut down and exit 0.
 */
public final class StopSignal
{
    private final CountDownLatch stopRequested = new CountDownLatch(1);

    private StopSignal()
    {
    }

    /** From now on SIGTERM and SIGINT no longer end the process; they release {@link #await}. */
    public static StopSignal install()
    {
        final StopSignal stop = new StopSignal();
        final SignalHandler handler = signal -> stop.stopRequested.countDown();
        Signal.handle(new Signal("TERM"), handler);
        Signal.handle(new Signal("INT"), handler);
        return stop;
    }

    /** Releases {@link #await} as the signals do: for a process whose place another took. */
    public void release()
    {
        stopRequested.countDown();
    }

    /** Returns once either signal has come, or when the thread is interrupted (its interrupt flag set again). */
    public void await()
    {
        try
        {
            stopRequested.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
