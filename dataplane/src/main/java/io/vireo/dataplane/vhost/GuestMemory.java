package io.vireo.dataplane.vhost;

import io.vireo.dataplane.nativeio.MappedMemory;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;

/**
 * The frontend's memory, mapped: a {@link RegionTable} and one shared mapping per region. Built and
 * closed by the control thread; read by the forwarding thread only between a publish and the next
 * quiesce of the port (see {@link VhostUserPort}), so it is never unmapped under a reader.
 */
final class GuestMemory implements AutoCloseable
{
    private final RegionTable table;
    private final MappedMemory[] mappings;

    private GuestMemory(final RegionTable table, final MappedMemory[] mappings)
    {
        this.table = table;
        this.mappings = mappings;
    }

    /**
     * Maps region {@code i} from {@code fds[i]}. Every descriptor is closed before this returns; the
     * mappings stay.
     *
     * @throws ViolationException ({@link Violation#MEMORY_TABLE}) if a descriptor cannot be mapped
     *                            (not a file, shorter than its region, refused by the kernel).
     */
    static GuestMemory map(final RegionTable table, final int[] fds)
    {
        final MappedMemory[] mappings = new MappedMemory[table.count()];
        try
        {
            for (int i = 0; i < mappings.length; i++)
            {
                mappings[i] = MappedMemory.mapShared(fds[i], table.mappingLength(i));
            }
            return new GuestMemory(table, mappings);
        }
        catch (final IllegalArgumentException | NativeException ex)
        {
            for (final MappedMemory mapping : mappings)
            {
                if (null != mapping)
                {
                    mapping.close();
                }
            }
            throw new ViolationException(Violation.MEMORY_TABLE, ex.getMessage());
        }
        finally
        {
            for (final int fd : fds)
            {
                UnixSocket.closeDescriptor(fd);
            }
        }
    }

    RegionTable table()
    {
        return table;
    }

    MappedMemory mapping(final int region)
    {
        return mappings[region];
    }

    /** @see RegionTable#findGuest */
    int findGuest(final long address, final long length)
    {
        return table.findGuest(address, length);
    }

    /** @see RegionTable#guestToMapping */
    long guestToMapping(final int region, final long address)
    {
        return table.guestToMapping(region, address);
    }

    @Override
    public void close()
    {
        for (final MappedMemory mapping : mappings)
        {
            mapping.close();
        }
    }

    @Override
    public String toString()
    {
        return table.toString();
    }
}
