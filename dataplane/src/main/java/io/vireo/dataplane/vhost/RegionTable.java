package io.vireo.dataplane.vhost;

/**
 * The frontend's memory as SET_MEM_TABLE describes it: up to 8 regions, each known by three
 * addresses. Rings are given as the frontend's user (virtual) addresses, descriptors carry guest
 * physical addresses; both translate to an offset in the region's mapping of its file.
 * <pre>
 *  guest physical   [guestAddress, guestAddress + size)  --+
 *  frontend virtual [userAddress,  userAddress + size)   --+--> mapping offset mmapOffset + (addr - start)
 *  file             [0, mmapOffset + size) mapped shared
 * </pre>
 * Validated on construction (counts, no empty region, no wrap-around, no overlap), so translation is
 * unambiguous and its arithmetic cannot overflow. All addresses and sizes are unsigned 64-bit.
 */
final class RegionTable
{
    private final long[] guestAddress;
    private final long[] userAddress;
    private final long[] size;
    private final long[] mmapOffset;

    private RegionTable(final long[] guestAddress, final long[] size, final long[] userAddress, final long[] mmapOffset)
    {
        this.guestAddress = guestAddress;
        this.size = size;
        this.userAddress = userAddress;
        this.mmapOffset = mmapOffset;
    }

    /**
     * @throws ViolationException ({@link Violation#MEMORY_TABLE}) naming the first thing wrong.
     */
    static RegionTable of(
        final long[] guestAddress, final long[] size, final long[] userAddress, final long[] mmapOffset)
    {
        final int count = guestAddress.length;
        if (count < 1 || count > VhostUserMessage.MAX_REGIONS ||
            size.length != count || userAddress.length != count || mmapOffset.length != count)
        {
            throw new ViolationException(Violation.MEMORY_TABLE, count + " regions, 1 to 8 expected");
        }
        for (int i = 0; i < count; i++)
        {
            // Sizes and offsets stay below 2^63 so a mapping length is a positive long.
            if (size[i] <= 0 || mmapOffset[i] < 0 || size[i] > Long.MAX_VALUE - mmapOffset[i])
            {
                throw new ViolationException(Violation.MEMORY_TABLE,
                    "region " + i + " has size 0x" + Long.toHexString(size[i]) +
                    " at mmap offset 0x" + Long.toHexString(mmapOffset[i]));
            }
            if (wraps(guestAddress[i], size[i]) || wraps(userAddress[i], size[i]))
            {
                throw new ViolationException(Violation.MEMORY_TABLE, "region " + i + " wraps around 2^64");
            }
            for (int j = 0; j < i; j++)
            {
                if (overlap(guestAddress[i], size[i], guestAddress[j], size[j]) ||
                    overlap(userAddress[i], size[i], userAddress[j], size[j]))
                {
                    throw new ViolationException(Violation.MEMORY_TABLE, "regions " + j + " and " + i + " overlap");
                }
            }
        }
        return new RegionTable(guestAddress.clone(), size.clone(), userAddress.clone(), mmapOffset.clone());
    }

    private static boolean wraps(final long start, final long size)
    {
        return Long.compareUnsigned(size - 1, -1L - start) > 0;
    }

    private static boolean overlap(final long startA, final long sizeA, final long startB, final long sizeB)
    {
        return Long.compareUnsigned(startA - startB, sizeB) < 0 || Long.compareUnsigned(startB - startA, sizeA) < 0;
    }

    /** Region {@code i} as the memory table gave it: guest address, size, user address, mmap offset. */
    long[] region(final int i)
    {
        return new long[] {guestAddress[i], size[i], userAddress[i], mmapOffset[i]};
    }

    int count()
    {
        return guestAddress.length;
    }

    /** Bytes of the region's file to map: its mmap offset plus its size. */
    long mappingLength(final int region)
    {
        return mmapOffset[region] + size[region];
    }

    /** The region holding guest physical {@code [address, address + length)} whole, or -1. */
    int findGuest(final long address, final long length)
    {
        return find(guestAddress, address, length);
    }

    /** The region holding frontend virtual {@code [address, address + length)} whole, or -1. */
    int findUser(final long address, final long length)
    {
        return find(userAddress, address, length);
    }

    private int find(final long[] starts, final long address, final long length)
    {
        for (int i = 0; i < starts.length; i++)
        {
            // Unsigned: an address below the start wraps to a huge delta and fails the first test.
            final long delta = address - starts[i];
            if (Long.compareUnsigned(delta, size[i]) < 0 && Long.compareUnsigned(length, size[i] - delta) <= 0)
            {
                return i;
            }
        }
        return -1;
    }

    /** Offset in the region's mapping of a guest physical address {@link #findGuest found} in it. */
    long guestToMapping(final int region, final long address)
    {
        return mmapOffset[region] + (address - guestAddress[region]);
    }

    /** Offset in the region's mapping of a frontend virtual address {@link #findUser found} in it. */
    long userToMapping(final int region, final long address)
    {
        return mmapOffset[region] + (address - userAddress[region]);
    }

    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder("RegionTable{");
        for (int i = 0; i < guestAddress.length; i++)
        {
            text.append(i > 0 ? ", " : "")
                .append("guest=0x").append(Long.toHexString(guestAddress[i]))
                .append(" user=0x").append(Long.toHexString(userAddress[i]))
                .append(" size=0x").append(Long.toHexString(size[i]))
                .append(" offset=0x").append(Long.toHexString(mmapOffset[i]));
        }
        return text.append('}').toString();
    }
}
