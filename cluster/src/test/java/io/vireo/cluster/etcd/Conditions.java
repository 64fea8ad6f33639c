package io.vireo.cluster.etcd;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting for a condition in tests: polled every 20 ms up to a generous deadline, never a fixed sleep. */
final class Conditions
{
    private Conditions()
    {
    }

    /**
     * @param what      for the failure message.
     * @param timeout   how long to wait at most.
     * @param condition polled until true.
     * @param state     what to show on failure.
     */
    static void await(final String what, final Duration timeout, final BooleanSupplier condition, final Supplier<String> state)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what + "; " + state.get());
            }
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, ex);
            }
        }
    }

    static void await(final String what, final Duration timeout, final BooleanSupplier condition)
    {
        await(what, timeout, condition, () -> "");
    }
}
