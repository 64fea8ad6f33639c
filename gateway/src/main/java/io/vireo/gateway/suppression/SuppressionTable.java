package io.vireo.gateway.suppression;

import java.lang.invoke.VarHandle;

import io.vireo.gateway.AddressHash;
import io.vireo.gateway.AlignedMemory;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The addresses the switch answers ARP requests and IPv6 neighbour solicitations for itself (ARP/ND
 * suppression, as EVPN and Docker's overlay do): (bridge, IPv4 or IPv6 address) to the MAC of the
 * endpoint that has it, off heap, shared by every forwarding thread. Unlike the routers'
 * {@link io.vireo.gateway.router.NeighbourTable}, a cache that the forwarding threads fill from what
 * they hear, this table is what the control plane was told: one writer puts and removes entries, it
 * never evicts, and an entry lives until it is removed. It lives here, beside the neighbour table and the
 * answers it feeds, rather than in {@code flowtable}: its one reader, {@link SuppressionStage}, needs dataplane's
 * flyweights and {@link io.vireo.gateway.answer.RouterAnswers}, which {@code flowtable}, below dataplane, cannot see.
 *
 * <h2>Layout</h2>
 * A version word on a cache line of its own, then linear probing over {@link #slotCount()} = capacity +
 * capacity / 3 slots of 24 bytes, so the table is at most 75 % full:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |           Address, high 64 bits (0 for IPv4)                  |  0
 *  +---------------------------------------------------------------+
 *  |           Address, low 64 bits (IPv4: 0000:ffff:a.b.c.d)      |  8
 *  +-------------------------------+-------------------------------+
 *  |           Bridge id           |   MAC (48 bits)               |  16   (all zero: empty)
 *  +-------------------------------+                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 * An IPv4 address is kept as its IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}), which no
 * neighbour solicitation asks for: {@link #putIpv6} refuses one and {@link #lookupIpv6} never finds
 * one. A MAC is unicast and not zero, so a slot whose last word is zero is empty.
 * <p>
 * Memory: 24 bytes a slot, 4/3 slots an entry: 32 bytes per entry of capacity (and 64 for the version's
 * line). The switch's default, 200,000 entries (100,000 endpoints with an IPv4 and an IPv6 address
 * each), takes 6.4 MB.
 *
 * <h2>Concurrency</h2>
 * One writer at a time ({@link #putIpv4}, {@link #putIpv6}, {@link #removeIpv4}, {@link #removeIpv6}:
 * the caller serialises them, as the switch's control thread does under its lock); any number of
 * forwarding threads look up meanwhile and never lock. The writer makes the version odd, changes the
 * slots (a put one slot, a remove the slots it shifts back: removal leaves no tombstone), and makes it
 * even again, with release ordering. A reader reads the version, probes, and keeps what it found only if
 * the version is the same even number after: it never sees an entry half written or half moved. A
 * reader that keeps meeting changes gives up after {@value #READ_ATTEMPTS} tries and reports no MAC, as
 * it does for an address the table lacks: the request then goes on as if the table did not have it
 * (flooded), which is never wrong. Writes come at the control plane's pace, so that is rare.
 * Lookups allocate nothing, take no lock and throw nothing.
 */
public final class SuppressionTable implements AutoCloseable
{
    /** {@link #lookupIpv4}, {@link #lookupIpv6}: the table has no MAC for the address. */
    public static final long NO_MAC = -1;
    /** Largest capacity. */
    public static final int MAX_CAPACITY = 1 << 24;
    /** Largest bridge id. */
    public static final int MAX_BRIDGE_ID = 0xFFFF;

    static final int READ_ATTEMPTS = 16;
    private static final int VERSION = 0;
    private static final int SLOTS = AlignedMemory.LINE;
    private static final int SLOT = 24;
    private static final int HIGH = 0;
    private static final int LOW = 8;
    private static final int ENTRY = 16;
    private static final int BRIDGE_SHIFT = 48;
    private static final long MAC_MASK = 0xFFFF_FFFF_FFFFL;
    private static final long GROUP_BIT = 0x0100_0000_0000L;
    private static final long IPV4_MAPPED = 0xFFFF_0000_0000L;

    private final AlignedMemory memory;
    private final UnsafeBuffer buffer;
    private final int capacity;
    private final int slotCount;
    /** Entries; the writer's alone. */
    private int size;

    /**
     * @param capacity the most entries (addresses) the table holds, 1 to {@link #MAX_CAPACITY}.
     */
    public SuppressionTable(final int capacity)
    {
        if (capacity < 1 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("suppression table capacity must be 1.." + MAX_CAPACITY + ": " + capacity);
        }
        this.capacity = capacity;
        this.slotCount = capacity + Math.max(1, capacity / 3);
        this.memory = new AlignedMemory(SLOTS + slotCount * SLOT);
        this.buffer = memory.buffer;
    }

    /**
     * The MAC that has an IPv4 address on a bridge. Forwarding path.
     *
     * @return the MAC in the low 48 bits, or {@link #NO_MAC}.
     */
    public long lookupIpv4(final int bridgeId, final int address)
    {
        return lookup(bridgeId, 0, ipv4Low(address));
    }

    /**
     * The MAC that has an IPv6 address on a bridge. Forwarding path.
     *
     * @param high first 8 bytes of the address.
     * @param low  last 8 bytes of it.
     * @return the MAC in the low 48 bits, or {@link #NO_MAC} (always for an IPv4-mapped address).
     */
    public long lookupIpv6(final int bridgeId, final long high, final long low)
    {
        return isIpv4Mapped(high, low) ? NO_MAC : lookup(bridgeId, high, low);
    }

    /**
     * Answers for an IPv4 address on a bridge with {@code mac} from now on (replacing the MAC it had).
     * Writer.
     *
     * @return false if the table is full (nothing changed).
     * @throws IllegalArgumentException for a bridge id out of range or a MAC that is not unicast and non-zero.
     */
    public boolean putIpv4(final int bridgeId, final int address, final long mac)
    {
        return put(bridgeId, 0, ipv4Low(address), mac);
    }

    /**
     * As {@link #putIpv4}, for an IPv6 address.
     *
     * @throws IllegalArgumentException also for an IPv4-mapped address.
     */
    public boolean putIpv6(final int bridgeId, final long high, final long low, final long mac)
    {
        if (isIpv4Mapped(high, low))
        {
            throw new IllegalArgumentException("an IPv4-mapped IPv6 address is not a neighbour's address");
        }
        return put(bridgeId, high, low, mac);
    }

    /**
     * Stops answering for an IPv4 address on a bridge. Writer.
     *
     * @return true if the table had it.
     */
    public boolean removeIpv4(final int bridgeId, final int address)
    {
        return remove(bridgeId, 0, ipv4Low(address));
    }

    /** As {@link #removeIpv4}, for an IPv6 address. */
    public boolean removeIpv6(final int bridgeId, final long high, final long low)
    {
        return !isIpv4Mapped(high, low) && remove(bridgeId, high, low);
    }

    /** Entries in the table. Writer. */
    public int size()
    {
        return size;
    }

    public int capacity()
    {
        return capacity;
    }

    public int slotCount()
    {
        return slotCount;
    }

    /** Bytes of off-heap memory the table takes. */
    public long memoryBytes()
    {
        return SLOTS + (long)slotCount * SLOT;
    }

    /** Frees the memory; every thread must have stopped using the table. */
    @Override
    public void close()
    {
        memory.close();
    }

    private long lookup(final int bridgeId, final long high, final long low)
    {
        if ((bridgeId & ~MAX_BRIDGE_ID) != 0)
        {
            return NO_MAC;
        }
        final long owner = (long)bridgeId << BRIDGE_SHIFT;
        final int home = home(bridgeId, high, low);
        for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++)
        {
            final long version = buffer.getLongAcquire(VERSION);
            if (0 != (version & 1))
            {
                Thread.onSpinWait();
                continue;
            }
            long found = NO_MAC;
            int index = home;
            for (int probe = 0; probe < slotCount; probe++)
            {
                final int offset = SLOTS + index * SLOT;
                final long entry = buffer.getLong(offset + ENTRY);
                if (0 == entry)
                {
                    break;
                }
                if ((entry & ~MAC_MASK) == owner && buffer.getLong(offset + LOW) == low && buffer.getLong(offset + HIGH) == high)
                {
                    found = entry & MAC_MASK;
                    break;
                }
                index = next(index);
            }
            VarHandle.acquireFence();
            if (buffer.getLongVolatile(VERSION) == version)
            {
                return found;
            }
        }
        return NO_MAC;
    }

    private boolean put(final int bridgeId, final long high, final long low, final long mac)
    {
        checkBridge(bridgeId);
        if ((mac & ~MAC_MASK) != 0 || 0 == mac || 0 != (mac & GROUP_BIT))
        {
            throw new IllegalArgumentException("an answer needs a unicast, non-zero MAC: 0x" + Long.toHexString(mac));
        }
        final long entry = (long)bridgeId << BRIDGE_SHIFT | mac;
        final int offset = find(bridgeId, high, low);
        if (0 != buffer.getLong(offset + ENTRY))
        {
            if (buffer.getLong(offset + ENTRY) != entry)
            {
                final long version = beginWrite();
                buffer.putLong(offset + ENTRY, entry);
                endWrite(version);
            }
            return true;
        }
        if (size == capacity)
        {
            return false;
        }
        final long version = beginWrite();
        buffer.putLong(offset + HIGH, high);
        buffer.putLong(offset + LOW, low);
        buffer.putLong(offset + ENTRY, entry);
        endWrite(version);
        size++;
        return true;
    }

    /**
     * Removes the key's entry and closes the gap by backward-shift deletion: each entry after it in the
     * run that may live in the hole moves back into it, until an empty slot ends the run.
     */
    private boolean remove(final int bridgeId, final long high, final long low)
    {
        checkBridge(bridgeId);
        final int offset = find(bridgeId, high, low);
        if (0 == buffer.getLong(offset + ENTRY))
        {
            return false;
        }
        final long version = beginWrite();
        int hole = (offset - SLOTS) / SLOT;
        for (int index = next(hole); ; index = next(index))
        {
            final int from = SLOTS + index * SLOT;
            final long entry = buffer.getLong(from + ENTRY);
            if (0 == entry)
            {
                break;
            }
            final int home = home((int)(entry >>> BRIDGE_SHIFT), buffer.getLong(from + HIGH), buffer.getLong(from + LOW));
            if (distance(home, index) >= distance(hole, index))
            {
                buffer.putBytes(SLOTS + hole * SLOT, buffer, from, SLOT);
                hole = index;
            }
        }
        buffer.setMemory(SLOTS + hole * SLOT, SLOT, (byte)0);
        endWrite(version);
        size--;
        return true;
    }

    /** The offset of the key's slot, or of the empty slot that ends its run. Writer. */
    private int find(final int bridgeId, final long high, final long low)
    {
        final long owner = (long)bridgeId << BRIDGE_SHIFT;
        int index = home(bridgeId, high, low);
        while (true)
        {
            final int offset = SLOTS + index * SLOT;
            final long entry = buffer.getLong(offset + ENTRY);
            if (0 == entry ||
                (entry & ~MAC_MASK) == owner && buffer.getLong(offset + LOW) == low && buffer.getLong(offset + HIGH) == high)
            {
                return offset;
            }
            index = next(index);
        }
    }

    /** Odd version: readers from now on retry. Returns the odd version. */
    private long beginWrite()
    {
        final long version = buffer.getLong(VERSION) + 1;
        buffer.putLong(VERSION, version);
        VarHandle.storeStoreFence();
        return version;
    }

    private void endWrite(final long oddVersion)
    {
        buffer.putLongRelease(VERSION, oddVersion + 1);
    }

    private int home(final int bridgeId, final long high, final long low)
    {
        return (int)(((AddressHash.of(bridgeId, high, low) >>> 32) * slotCount) >>> 32);
    }

    private int next(final int index)
    {
        return index + 1 == slotCount ? 0 : index + 1;
    }

    /** Slots from {@code from} forward to {@code to}, wrapping. */
    private int distance(final int from, final int to)
    {
        return to >= from ? to - from : to - from + slotCount;
    }

    private static long ipv4Low(final int address)
    {
        return IPV4_MAPPED | (address & 0xFFFF_FFFFL);
    }

    private static boolean isIpv4Mapped(final long high, final long low)
    {
        return 0 == high && (low & ~0xFFFF_FFFFL) == IPV4_MAPPED;
    }

    private static void checkBridge(final int bridgeId)
    {
        if ((bridgeId & ~MAX_BRIDGE_ID) != 0)
        {
            throw new IllegalArgumentException("bridge id must be 0.." + MAX_BRIDGE_ID + ": " + bridgeId);
        }
    }
}
