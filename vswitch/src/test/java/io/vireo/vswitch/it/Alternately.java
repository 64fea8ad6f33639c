package io.vireo.vswitch.it;

import java.util.ArrayList;
import java.util.List;

/**
 * Times two ways of doing one thing in turns (the runtime tests start a container on a Vireo network and on a
 * reference one): a warm-up round first, then {@code rounds}, each timed; taking turns keeps a machine whose
 * speed drifts from favouring either. The figures are for reading, not for asserting.
 */
final class Alternately
{
    private Alternately()
    {
    }

    /** {@code "A median M (MIN-MAX) ms, B median ..."} of {@code rounds} timed runs of each. */
    static String time(final String nameA, final Runnable a, final String nameB, final Runnable b, final int rounds)
    {
        final List<Long> timesA = new ArrayList<>();
        final List<Long> timesB = new ArrayList<>();
        for (int round = 0; round <= rounds; round++)
        {
            final long millisA = millis(a);
            final long millisB = millis(b);
            if (round > 0)
            {
                timesA.add(millisA);
                timesB.add(millisB);
            }
        }
        return nameA + " " + summary(timesA) + ", " + nameB + " " + summary(timesB);
    }

    private static long millis(final Runnable run)
    {
        final long start = System.nanoTime();
        run.run();
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static String summary(final List<Long> millis)
    {
        final List<Long> sorted = millis.stream().sorted().toList();
        return "median " + sorted.get(sorted.size() / 2) + " (" + sorted.get(0) + "-" + sorted.get(sorted.size() - 1) + ") ms";
    }
}
