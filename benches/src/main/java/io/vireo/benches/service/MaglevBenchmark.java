package io.vireo.benches.service;

import java.util.concurrent.TimeUnit;

import io.vireo.gateway.service.Maglev;
import io.vireo.gateway.service.ServiceView;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The time to build a service's Maglev table ({@link Maglev#DEFAULT_TABLE_SIZE} entries) for 100 and
 * 1,000 backends: what the control plane spends when a backend of a {@code maglev} service comes or
 * goes. {@link MaglevRemap} gives the share of clients that move.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MaglevBenchmark
{
    @Param({"100", "1000"})
    int backends;

    private long[] keys;

    @Setup
    public void setUp()
    {
        keys = MaglevRemap.keys(backends);
    }

    @Benchmark
    public int[] build()
    {
        return Maglev.build(keys, Maglev.DEFAULT_TABLE_SIZE);
    }

    /** Keys of backends 10.0.x.y:8080, as a service's would be. */
    static long key(final int backend)
    {
        return ServiceView.backendKey(0x0A00_0000 + backend, 8080);
    }
}
