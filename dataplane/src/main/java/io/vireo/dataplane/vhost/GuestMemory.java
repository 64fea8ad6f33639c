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
    private final int[] fds;

    private GuestMemory(final RegionTable table, final MappedMemory[] mappings, final int[] fds)
    {
        this.table = table;
        this.mappings = mappings;
        this.fds = fds;
    }

    /**
     * Maps region {@code i} from {@code fds[i]}, which this takes: they stay open with their mappings, for
     * another process that takes the port over ({@link VhostUserHandover}) to map them the same way, and are
     * closed with them; on failure they are closed before this throws.
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
            return new GuestMemory(table, mappings, fds.clone());
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
            closeAll(fds);
            throw new ViolationException(Violation.MEMORY_TABLE, ex.getMessage());
        }
    }

    private static void closeAll(final int[] fds)
    {
        for (final int fd : fds)
        {
            UnixSocket.closeDescriptor(fd);
        }
    }

    /** The regions' descriptors, region {@code i}'s at {@code i}; still this memory's. */
    int[] fds()
    {
        return fds.clone();
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
        closeAll(fds);
    }

    @Override
    public String toString()
    {
        return table.toString();
    }
}
