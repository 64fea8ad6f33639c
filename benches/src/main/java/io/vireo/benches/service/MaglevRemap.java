package io.vireo.benches.service;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import io.vireo.gateway.service.Maglev;

/**
 * The share of clients a {@code maglev} service moves when one of N backends goes, against the 1/N that
 * must move (the clients of the backend that went), for N = 10, 100 and 1,000: a million random client
 * addresses looked up, as the service looks them up, in the table before and after.
 * <pre>
 *   java -cp benches/target/benchmarks.jar io.vireo.benches.service.MaglevRemap
 * </pre>
 */
public final class MaglevRemap
{
    private static final int CLIENTS = 1_000_000;

    private MaglevRemap()
    {
    }

    public static void main(final String[] args)
    {
        System.out.println("backends  moved      of which the removed backend's  1/N");
        for (final int count : new int[] {10, 100, 1000})
        {
            final long[] keys = keys(count);
            final long[] fewer = Arrays.copyOf(keys, count - 1);
            final int[] before = Maglev.build(keys, Maglev.DEFAULT_TABLE_SIZE);
            final int[] after = Maglev.build(fewer, Maglev.DEFAULT_TABLE_SIZE);
            final SplittableRandom random = new SplittableRandom(count);
            int moved = 0;
            int lost = 0;
            for (int i = 0; i < CLIENTS; i++)
            {
                final int entry = (int)Long.remainderUnsigned(Maglev.mix(random.nextInt()), Maglev.DEFAULT_TABLE_SIZE);
                final int from = before[entry];
                if (from == count - 1)
                {
                    lost++;
                    moved++;
                }
                else if (keys[from] != fewer[after[entry]])
                {
                    moved++;
                }
            }
            System.out.println(String.format(Locale.ROOT, "%8d  %.5f    %.5f                         %.5f",
                count, (double)moved / CLIENTS, (double)lost / CLIENTS, 1.0 / count));
        }
    }

    static long[] keys(final int count)
    {
        final long[] keys = new long[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = MaglevBenchmark.key(i);
        }
        return keys;
    }
}
