package io.vireo.vswitch.core;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The forwarding table's figures in the counters file: entries, capacity and learns refused because
 * the table was full. The conductor publishes them on every tick.
 */
public final class TableCounters implements AutoCloseable
{
    static final int TYPE_FDB_ENTRIES = 300;
    private static final String[] NAMES = {"fdb_entries", "fdb_capacity", "fdb_table_full"};

    private final AtomicCounter[] counters = new AtomicCounter[NAMES.length];

    TableCounters(final CountersManager manager)
    {
        for (int i = 0; i < NAMES.length; i++)
        {
            final int id = manager.allocate("switch " + NAMES[i], TYPE_FDB_ENTRIES + i, key -> key.putStringAscii(0, "fdb"));
            counters[i] = new AtomicCounter(manager.valuesBuffer(), id, manager);
        }
    }

    /** Name of a table counter type id, or null if the id is not one. */
    public static String metricName(final int typeId)
    {
        final int index = typeId - TYPE_FDB_ENTRIES;
        return index >= 0 && index < NAMES.length ? NAMES[index] : null;
    }

    void publish(final long entries, final long capacity, final long tableFull)
    {
        counters[0].setRelease(entries);
        counters[1].setRelease(capacity);
        counters[2].setRelease(tableFull);
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
