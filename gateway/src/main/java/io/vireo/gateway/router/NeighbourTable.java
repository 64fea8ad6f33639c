package io.vireo.gateway.router;

import java.lang.invoke.VarHandle;

import io.vireo.gateway.AddressHash;
import io.vireo.gateway.AlignedMemory;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The routers' neighbours: (bridge, IP address) to MAC, learned from ARP and IPv6 neighbour
 * discovery, shared by every forwarding thread, off heap. A cache, as the kernel's neighbour table
 * is: an address whose slots are all taken evicts the neighbour heard from longest ago.
 * <p>
 * Open addressing over {@link #WINDOW}-slot windows; a slot is one 64-byte cache line:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |               Version (odd while a writer owns it)            |  0
 *  +-------------------------------+---------------------------+---+
 *  |           Bridge id           |            0              |Fam|  8   (Fam: 4 or 6; 0 = empty)
 *  +-------------------------------+---------------------------+---+
 *  |           Address, high 64 bits (IPv6; 0 for IPv4)            |  16
 *  +---------------------------------------------------------------+
 *  |           Address, low 64 bits (IPv6; the IPv4 address)       |  24
 *  +---------------------------------------------------------------+
 *  |           MAC (low 48 bits), 0 while unresolved               |  32
 *  +---------------------------------------------------------------+
 *  |           Confirmed: when the MAC was last heard, ms          |  40
 *  +---------------------------------------------------------------+
 *  |           Requested: when a solicitation was last sent, ms    |  48
 *  +---------------------------------------------------------------+
 * </pre>
 * Writers (any forwarding thread) own a slot by a CAS of its version from even to odd, write, and
 * release it with the next even version; readers read seqlock style and retry a slot that changed
 * under them, so nobody sees half an entry. Two threads that learn one new neighbour at once may
 * leave it in two slots: reads and writes both go to the first, the other ages out. Nothing here
 * allocates or blocks; a writer waits only for another writer's few stores.
 */
public final class NeighbourTable implements AutoCloseable
{
    /** {@link #resolve}: no MAC known. */
    public static final long UNRESOLVED = -1;
    /** Slots a key may live in, from its home slot on. */
    public static final int WINDOW = 8;
    /** How long a MAC is used without being heard again. */
    public static final long REACHABLE_MS = 60_000;
    /** The least time between two solicitations for one neighbour. */
    public static final long SOLICIT_INTERVAL_MS = 1_000;

    private static final int SLOT = 64;
    private static final int VERSION = 0;
    private static final int KEY = 8;
    private static final int HIGH = 16;
    private static final int LOW = 24;
    private static final int MAC = 32;
    private static final int CONFIRMED = 40;
    private static final int REQUESTED = 48;
    private static final int IPV4 = 4;
    private static final int IPV6 = 6;
    private static final int READ_ATTEMPTS = 64;

    private final AlignedMemory memory;
    private final UnsafeBuffer slots;
    private final int slotCount;

    /**
     * @param capacity neighbours the table holds, rounded up to a power of two (at least {@link #WINDOW}).
     */
    public NeighbourTable(final int capacity)
    {
        if (capacity < 1 || capacity > 1 << 24)
        {
            throw new IllegalArgumentException("neighbour table capacity must be 1..16777216: " + capacity);
        }
        slotCount = Math.max(WINDOW, Integer.highestOneBit(capacity - 1) << 1);
        memory = new AlignedMemory(slotCount * SLOT);
        slots = memory.buffer;
    }

    /**
     * The MAC of an IPv4 neighbour on a bridge, if it was heard within {@link #REACHABLE_MS}.
     *
     * @return the MAC, or {@link #UNRESOLVED}.
     */
    public long resolveIpv4(final int bridgeId, final int address, final long nowMs)
    {
        return resolve(key(bridgeId, IPV4), 0, address & 0xFFFF_FFFFL, nowMs);
    }

    /** {@link #resolveIpv4} for an IPv6 neighbour. */
    public long resolveIpv6(final int bridgeId, final long high, final long low, final long nowMs)
    {
        return resolve(key(bridgeId, IPV6), high, low, nowMs);
    }

    /** Records that an IPv4 neighbour has this MAC, heard now. */
    public void learnIpv4(final int bridgeId, final int address, final long mac, final long nowMs)
    {
        learn(key(bridgeId, IPV4), 0, address & 0xFFFF_FFFFL, mac, nowMs);
    }

    /** Records that an IPv6 neighbour has this MAC, heard now. */
    public void learnIpv6(final int bridgeId, final long high, final long low, final long mac, final long nowMs)
    {
        learn(key(bridgeId, IPV6), high, low, mac, nowMs);
    }

    /**
     * Whether to solicit an IPv4 neighbour now: true at most once per {@link #SOLICIT_INTERVAL_MS} for
     * one neighbour, across all threads (it records the time).
     */
    public boolean solicitIpv4(final int bridgeId, final int address, final long nowMs)
    {
        return solicit(key(bridgeId, IPV4), 0, address & 0xFFFF_FFFFL, nowMs);
    }

    /** {@link #solicitIpv4} for an IPv6 neighbour. */
    public boolean solicitIpv6(final int bridgeId, final long high, final long low, final long nowMs)
    {
        return solicit(key(bridgeId, IPV6), high, low, nowMs);
    }

    /**
     * Forgets every neighbour on a bridge (its router interface went away). Control thread.
     */
    public void removeBridge(final int bridgeId)
    {
        for (int slot = 0; slot < slotCount; slot++)
        {
            final int offset = slot * SLOT;
            final long version = own(offset);
            if ((slots.getLong(offset + KEY) >>> 32) == bridgeId)
            {
                slots.setMemory(offset + KEY, SLOT - KEY, (byte)0);
            }
            release(offset, version);
        }
    }

    /**
     * Every resolved neighbour, a consistent copy of each. Control thread.
     */
    public void forEach(final NeighbourConsumer consumer)
    {
        for (int slot = 0; slot < slotCount; slot++)
        {
            final int offset = slot * SLOT;
            long version;
            long key;
            long high;
            long low;
            long mac;
            long confirmed;
            do
            {
                version = stableVersion(offset);
                key = slots.getLong(offset + KEY);
                high = slots.getLong(offset + HIGH);
                low = slots.getLong(offset + LOW);
                mac = slots.getLong(offset + MAC);
                confirmed = slots.getLong(offset + CONFIRMED);
                VarHandle.acquireFence();
            }
            while (slots.getLongVolatile(offset + VERSION) != version);

            if (0 != key && 0 != mac)
            {
                consumer.accept((int)(key >>> 32), IPV6 == (int)(key & 0xFF), high, low, mac, confirmed);
            }
        }
    }

    @Override
    public void close()
    {
        memory.close();
    }

    /**
     * One resolved neighbour: for IPv4, {@code high} is 0 and {@code low} holds the address.
     */
    @FunctionalInterface
    public interface NeighbourConsumer
    {
        void accept(int bridgeId, boolean ipv6, long high, long low, long mac, long confirmedMs);
    }

    private long resolve(final long key, final long high, final long low, final long nowMs)
    {
        final int home = home(key, high, low);
        for (int i = 0; i < WINDOW; i++)
        {
            final int offset = ((home + i) & (slotCount - 1)) * SLOT;
            for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++)
            {
                final long version = slots.getLongAcquire(offset + VERSION);
                if (0 != (version & 1))
                {
                    Thread.onSpinWait();
                    continue;
                }
                final long slotKey = slots.getLong(offset + KEY);
                final long slotHigh = slots.getLong(offset + HIGH);
                final long slotLow = slots.getLong(offset + LOW);
                final long mac = slots.getLong(offset + MAC);
                final long confirmed = slots.getLong(offset + CONFIRMED);
                VarHandle.acquireFence();
                if (slots.getLongVolatile(offset + VERSION) != version)
                {
                    continue;
                }
                if (0 == slotKey)
                {
                    return UNRESOLVED;
                }
                if (slotKey == key && slotHigh == high && slotLow == low)
                {
                    return 0 != mac && nowMs - confirmed <= REACHABLE_MS ? mac : UNRESOLVED;
                }
                break;
            }
        }
        return UNRESOLVED;
    }

    private void learn(final long key, final long high, final long low, final long mac, final long nowMs)
    {
        final int offset = ownSlotFor(key, high, low);
        final long version = slots.getLong(offset + VERSION);
        slots.putLong(offset + MAC, mac);
        slots.putLong(offset + CONFIRMED, nowMs);
        release(offset, version);
    }

    private boolean solicit(final long key, final long high, final long low, final long nowMs)
    {
        final int offset = ownSlotFor(key, high, low);
        final long version = slots.getLong(offset + VERSION);
        final long requested = slots.getLong(offset + REQUESTED);
        final boolean due = 0 == requested || nowMs - requested >= SOLICIT_INTERVAL_MS;
        if (due)
        {
            slots.putLong(offset + REQUESTED, nowMs);
        }
        release(offset, version);
        return due;
    }

    /**
     * Own the slot holding the key, or a slot for it: the first empty one of its window, else the one
     * heard from (or solicited) longest ago, which is cleared. The caller releases it.
     */
    private int ownSlotFor(final long key, final long high, final long low)
    {
        final int home = home(key, high, low);
        int oldest = -1;
        long oldestTime = Long.MAX_VALUE;
        for (int i = 0; i < WINDOW; i++)
        {
            final int offset = ((home + i) & (slotCount - 1)) * SLOT;
            own(offset);
            final long slotKey = slots.getLong(offset + KEY);
            if (0 == slotKey || (slotKey == key && slots.getLong(offset + HIGH) == high && slots.getLong(offset + LOW) == low))
            {
                if (0 == slotKey)
                {
                    write(offset, key, high, low);
                }
                return offset;
            }
            final long heard = Math.max(slots.getLong(offset + CONFIRMED), slots.getLong(offset + REQUESTED));
            if (heard < oldestTime)
            {
                oldestTime = heard;
                oldest = offset;
            }
            release(offset, slots.getLong(offset + VERSION));
        }

        own(oldest);
        write(oldest, key, high, low);
        return oldest;
    }

    private void write(final int offset, final long key, final long high, final long low)
    {
        slots.putLong(offset + KEY, key);
        slots.putLong(offset + HIGH, high);
        slots.putLong(offset + LOW, low);
        slots.putLong(offset + MAC, 0);
        slots.putLong(offset + CONFIRMED, 0);
        slots.putLong(offset + REQUESTED, 0);
    }

    /** Spin until this thread owns the slot (version odd); returns the odd version. */
    private long own(final int offset)
    {
        while (true)
        {
            final long version = slots.getLongVolatile(offset + VERSION);
            if (0 == (version & 1) && slots.compareAndSetLong(offset + VERSION, version, version + 1))
            {
                VarHandle.releaseFence();
                return version + 1;
            }
            Thread.onSpinWait();
        }
    }

    private void release(final int offset, final long ownedVersion)
    {
        slots.putLongRelease(offset + VERSION, ownedVersion + 1);
    }

    private long stableVersion(final int offset)
    {
        while (true)
        {
            final long version = slots.getLongAcquire(offset + VERSION);
            if (0 == (version & 1))
            {
                return version;
            }
            Thread.onSpinWait();
        }
    }

    private int home(final long key, final long high, final long low)
    {
        return (int)AddressHash.of(key, high, low) & (slotCount - 1);
    }

    private static long key(final int bridgeId, final int family)
    {
        return ((long)bridgeId << 32) | family;
    }
}
