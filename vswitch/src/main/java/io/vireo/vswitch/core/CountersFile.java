package io.vireo.vswitch.core;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.HashMap;

import org.agrona.BufferUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * The switch's counters in a memory-mapped file, so {@code vireoctl stats} and the metrics endpoint
 * read them from another process without touching the forwarding threads (as Aeron's {@code cnc.dat}).
 * <pre>
 *  0         4         8                   16        20        24                  64
 * +---------+---------+-------------------+---------+---------+-------------------+
 * |  magic  | version |   pid of writer   | metaLen | valueLen|     reserved      |
 * +---------+---------+-------------------+---------+---------+-------------------+
 * |  counters metadata (metaLen bytes, Agrona CountersManager layout)             |
 * +-------------------------------------------------------------------------------+
 * |  counter values (valueLen bytes)                                              |
 * +-------------------------------------------------------------------------------+
 * </pre>
 */
public final class CountersFile implements AutoCloseable
{
    public static final String FILE_NAME = "counters.dat";
    static final int MAGIC = 0x5649524f; // "VIRO"
    static final int VERSION = 1;
    static final int HEADER_LENGTH = 64;
    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 4;
    private static final int PID_OFFSET = 8;
    private static final int META_LENGTH_OFFSET = 16;
    private static final int VALUES_LENGTH_OFFSET = 20;

    private Path path;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer metaData;
    private final UnsafeBuffer values;
    private final boolean owner;

    private CountersFile(final Path path, final MappedByteBuffer mapped, final boolean owner)
    {
        this.path = path;
        this.mapped = mapped;
        this.owner = owner;
        final UnsafeBuffer header = new UnsafeBuffer(mapped);
        final int metaLength = header.getInt(META_LENGTH_OFFSET);
        final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET);
        this.metaData = new UnsafeBuffer(mapped, HEADER_LENGTH, metaLength);
        this.values = new UnsafeBuffer(mapped, HEADER_LENGTH + metaLength, valuesLength);
    }

    /** Creates (replacing any stale file) a counters file with room for {@code maxCounters}. */
    public static CountersFile create(final Path path, final int maxCounters)
    {
        final int metaLength = maxCounters * CountersReader.METADATA_LENGTH;
        final int valuesLength = maxCounters * CountersReader.COUNTER_LENGTH;
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot replace " + path + ": " + ex.getMessage(), ex);
        }
        final MappedByteBuffer mapped = IoUtil.mapNewFile(path.toFile(), HEADER_LENGTH + metaLength + valuesLength);
        final UnsafeBuffer header = new UnsafeBuffer(mapped);
        header.putInt(VERSION_OFFSET, VERSION);
        header.putLong(PID_OFFSET, ProcessHandle.current().pid());
        header.putInt(META_LENGTH_OFFSET, metaLength);
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        header.putIntRelease(MAGIC_OFFSET, MAGIC);
        return new CountersFile(path, mapped, true);
    }

    /** Maps an existing counters file written by a running daemon, for reading. */
    public static CountersFile open(final Path path)
    {
        if (!Files.isReadable(path))
        {
            throw new IllegalStateException("no counters file at " + path + " (is vireod running with this --run-dir?)");
        }
        final MappedByteBuffer mapped = IoUtil.mapExistingFile(path.toFile(), "vireo counters");
        final UnsafeBuffer header = new UnsafeBuffer(mapped);
        if (mapped.capacity() < HEADER_LENGTH || header.getIntAcquire(MAGIC_OFFSET) != MAGIC ||
            header.getInt(VERSION_OFFSET) != VERSION)
        {
            IoUtil.unmap(mapped);
            throw new IllegalStateException(path + " is not a Vireo counters file of version " + VERSION);
        }
        return new CountersFile(path, mapped, false);
    }

    /**
     * The values in the counters file an earlier daemon left at {@code path}, by counter label; empty if
     * there is none or it is not one.
     */
    public static Map<String, Long> earlierValues(final Path path)
    {
        final Map<String, Long> values = new HashMap<>();
        if (Files.isReadable(path))
        {
            try
            {
                final CountersFile earlier = open(path);
                try
                {
                    final CountersReader reader = earlier.reader();
                    reader.forEach((counterId, typeId, key, label) -> values.put(label, reader.getCounterValue(counterId)));
                }
                finally
                {
                    IoUtil.unmap(earlier.mapped);
                }
            }
            catch (final IllegalStateException ex)
            {
                values.clear();
            }
        }
        return values;
    }

    /** Counters in this process's memory only, for an embedded switch without a run dir. */
    public static CountersManager inMemory(final int maxCounters)
    {
        return new CountersManager(
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(maxCounters * CountersReader.METADATA_LENGTH, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(maxCounters * CountersReader.COUNTER_LENGTH, 64)));
    }

    public long writerPid()
    {
        return new UnsafeBuffer(mapped).getLong(PID_OFFSET);
    }

    public CountersManager manager()
    {
        return new CountersManager(metaData, values);
    }

    public CountersReader reader()
    {
        return new CountersReader(metaData, values);
    }

    public Path path()
    {
        return path;
    }

    /**
     * Renames the file to {@code target}, replacing what is there in one step (a reader that maps the path gets
     * either file, whole): a daemon taking another's place counts into a file of its own until it forwards.
     */
    public void moveTo(final Path target)
    {
        try
        {
            Files.move(path, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot move " + path + " to " + target + ": " + ex.getMessage(), ex);
        }
        path = target;
    }

    @Override
    public void close()
    {
        close(false);
    }

    /** Unmaps the file; the writer deletes it unless {@code keep} (its values are for the next daemon). */
    public void close(final boolean keep)
    {
        IoUtil.unmap(mapped);
        if (owner && !keep)
        {
            IoUtil.deleteIfExists(path.toFile());
        }
    }
}
