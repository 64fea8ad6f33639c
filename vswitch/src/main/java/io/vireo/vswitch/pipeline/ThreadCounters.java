package io.vireo.vswitch.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * Where a forwarding thread's time goes, as Open vSwitch's {@code pmd-perf-show}: duty cycles, busy
 * and idle nanoseconds, receive polls, non-empty bursts and frames, and its flow cache's hits and misses. The thread accumulates in plain
 * fields and publishes at most once a millisecond, so the hot loop pays two clock reads and no
 * shared-memory writes per cycle. The counter key holds the thread's role name.
 */
public final class ThreadCounters implements AutoCloseable
{
    static final int TYPE_LOOPS = 200;
    static final int TYPE_BUSY_LOOPS = 201;
    static final int TYPE_BUSY_NS = 202;
    static final int TYPE_IDLE_NS = 203;
    static final int TYPE_RX_POLLS = 204;
    static final int TYPE_RX_BURSTS = 205;
    static final int TYPE_RX_FRAMES = 206;
    static final int TYPE_FLOW_CACHE_HITS = 207;
    static final int TYPE_FLOW_CACHE_MISSES = 208;
    private static final String[] NAMES =
        {"loops", "busy_loops", "busy_ns", "idle_ns", "rx_polls", "rx_bursts", "rx_frames", "flow_cache_hits", "flow_cache_misses"};
    private static final long PUBLISH_INTERVAL_NS = 1_000_000;

    private final AtomicCounter[] counters = new AtomicCounter[NAMES.length];
    private final long[] values = new long[NAMES.length];
    private long lastEndNs;
    private long lastPublishNs;

    public ThreadCounters(final CountersManager manager, final String role)
    {
        for (int i = 0; i < NAMES.length; i++)
        {
            final int id = manager.allocate(
                "thread " + role + " " + NAMES[i], TYPE_LOOPS + i, key -> key.putStringAscii(0, role));
            counters[i] = new AtomicCounter(manager.valuesBuffer(), id, manager);
        }
    }

    /** Name of a thread counter type id, or null if the id is not one. */
    public static String metricName(final int typeId)
    {
        final int index = typeId - TYPE_LOOPS;
        return index >= 0 && index < NAMES.length ? NAMES[index] : null;
    }

    void onPoll(final int frames)
    {
        values[TYPE_RX_POLLS - TYPE_LOOPS]++;
        if (frames > 0)
        {
            values[TYPE_RX_BURSTS - TYPE_LOOPS]++;
            values[TYPE_RX_FRAMES - TYPE_LOOPS] += frames;
        }
    }

    /** The flow cache's totals so far. */
    void onFlowCache(final long hits, final long misses)
    {
        values[TYPE_FLOW_CACHE_HITS - TYPE_LOOPS] = hits;
        values[TYPE_FLOW_CACHE_MISSES - TYPE_LOOPS] = misses;
    }

    /** One duty cycle from {@code startNs} to {@code endNs}; the gap since the last one was idle time. */
    void onCycle(final long startNs, final long endNs, final int work)
    {
        if (0 != lastEndNs)
        {
            values[TYPE_IDLE_NS - TYPE_LOOPS] += startNs - lastEndNs;
        }
        values[TYPE_LOOPS - TYPE_LOOPS]++;
        if (work > 0)
        {
            values[TYPE_BUSY_LOOPS - TYPE_LOOPS]++;
            values[TYPE_BUSY_NS - TYPE_LOOPS] += endNs - startNs;
        }
        else
        {
            values[TYPE_IDLE_NS - TYPE_LOOPS] += endNs - startNs;
        }
        lastEndNs = endNs;
        if (endNs - lastPublishNs >= PUBLISH_INTERVAL_NS)
        {
            lastPublishNs = endNs;
            for (int i = 0; i < values.length; i++)
            {
                counters[i].setRelease(values[i]);
            }
        }
    }

    /** The published values by name, as another thread sees them. */
    public Map<String, Long> snapshot()
    {
        final Map<String, Long> values = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.length; i++)
        {
            values.put(NAMES[i], counters[i].get());
        }
        return values;
    }

    @Override
    public void close()
    {
        for (final AtomicCounter counter : counters)
        {
            counter.close();
        }
    }
}
