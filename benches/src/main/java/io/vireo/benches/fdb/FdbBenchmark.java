package io.vireo.benches.fdb;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.vireo.flowtable.fdb.ForwardingTable;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The forwarding database against {@code HashMap<Long,Long>} and Agrona's {@code Long2LongHashMap}
 * holding the same keys, and against a bare random read of memory the size of the table.
 * <p>
 * The table holds {@code entries} random unicast MACs of one bridge. With {@code sizing} {@code full}
 * it is created with capacity {@code entries}: the worst case, 75 % of its slots in use. With
 * {@code likeAgrona} its capacity is {@code entries * 25 / 16}, so its slots are as full as those of
 * the {@code Long2LongHashMap} here (48 %, created for {@code entries * 2} at load factor 0.65): the
 * same sizing for both, as an operator who gives the switch room for growth has it. Lookups walk a pre-generated array of
 * random picks from the stored MACs (or of MACs never stored, for misses), so from 1 M entries on
 * nearly every lookup leaves the CPU caches, as on a switch with that many active stations. The
 * key array is read in order, which the prefetcher hides.
 * <p>
 * {@code lookupHitBurst} and {@code learnRefreshBurst} take 32 keys per call, the pipeline's burst,
 * with {@link ForwardingTable#lookupBurst} and {@link ForwardingTable#learnBurst}, and are reported
 * per key. The learn benchmarks refresh known stations on their own ports, the common case, with a
 * clock that advances once per 32 keys as a pipeline reads it once per burst, so nearly every
 * refresh stores a new time. Three baselines over memory the size of the table bound what any
 * lookup can do:
 * <ul>
 *   <li>{@code randomReadBaseline}: one random 8-byte read, what a lookup cannot go below;</li>
 *   <li>{@code lineCompareBaseline}: the least work of a lookup that finds its key in one cache line,
 *   a random 64-byte line whose four 16-byte slots are compared with the key, branch-free, with no
 *   check of state, VLAN or concurrent change (so it is no usable table);</li>
 *   <li>{@code dependentReadBaseline}: a chain of random reads, each address read from the line
 *   before, which is the memory latency: the reads of independent lookups overlap, so a lookup costs
 *   this latency divided by how many lookups the CPU keeps in flight.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class FdbBenchmark
{
    static final int BRIDGE_ID = 1;
    static final int VLAN = 0;
    static final int BURST = 32;
    static final int DESTINATIONS = 64;
    static final int LINE = 64;

    /** The stored MACs and the lookup sequences, shared by every structure measured. */
    @State(Scope.Thread)
    public static class Keys
    {
        @Param({"1000", "1000000", "4000000"})
        int entries;

        long[] stored;
        long[] hits;
        long[] misses;
        int mask;
        int next;

        @Setup
        public void setUp()
        {
            final SplittableRandom random = new SplittableRandom(42);
            final LongHashSet unique = new LongHashSet(entries * 2);
            stored = new long[entries];
            for (int i = 0; i < entries; )
            {
                final long mac = randomMac(random);
                if (unique.add(mac))
                {
                    stored[i++] = mac;
                }
            }

            final int length = Math.max(BURST, Integer.highestOneBit(entries - 1) << 1);
            mask = length - 1;
            hits = new long[length];
            misses = new long[length];
            for (int i = 0; i < length; i++)
            {
                hits[i] = stored[random.nextInt(entries)];
                long absent;
                do
                {
                    absent = randomMac(random);
                }
                while (unique.contains(absent));
                misses[i] = absent;
            }
        }

        long nextHit()
        {
            return hits[next++ & mask];
        }

        long nextMiss()
        {
            return misses[next++ & mask];
        }

        private static long randomMac(final SplittableRandom random)
        {
            return (random.nextLong() & 0xFCFF_FFFF_FFFFL) | 0x0200_0000_0000L;
        }
    }

    /** The FDB, full to capacity or sized as Agrona's map is, with scratch arrays for a burst. */
    @State(Scope.Thread)
    public static class Fdb
    {
        @Param({"full", "likeAgrona"})
        String sizing;

        ForwardingTable fdb;
        long keysLearned;
        final int[] bridgeIds = new int[BURST];
        final int[] vlans = new int[BURST];
        final long[] macs = new long[BURST];
        final int[] destinations = new int[BURST];
        final int[] results = new int[BURST];

        @Setup
        public void setUp(final Keys keys)
        {
            fdb = new ForwardingTable("full".equals(sizing) ? keys.entries : (int)((long)keys.entries * 25 / 16));
            for (final long mac : keys.stored)
            {
                if (ForwardingTable.LEARNED != fdb.learn(BRIDGE_ID, VLAN, mac, destination(mac), 0))
                {
                    throw new IllegalStateException("could not fill the table");
                }
            }
            java.util.Arrays.fill(bridgeIds, BRIDGE_ID);
        }

        @TearDown
        public void tearDown()
        {
            fdb.close();
        }
    }

    /** {@code HashMap<Long,Long>} with the same keys; lookups use pre-boxed keys so nothing allocates. */
    @State(Scope.Thread)
    public static class JdkMap
    {
        HashMap<Long, Long> map;
        Long[] hits;

        @Setup
        public void setUp(final Keys keys)
        {
            map = new HashMap<>(keys.entries * 2);
            for (final long mac : keys.stored)
            {
                map.put(key(mac), (long)destination(mac));
            }
            hits = new Long[keys.hits.length];
            for (int i = 0; i < hits.length; i++)
            {
                hits[i] = key(keys.hits[i]);
            }
        }
    }

    /** Agrona's open-addressing {@code Long2LongHashMap} with the same keys. */
    @State(Scope.Thread)
    public static class AgronaMap
    {
        Long2LongHashMap map;

        @Setup
        public void setUp(final Keys keys)
        {
            map = new Long2LongHashMap(keys.entries * 2, 0.65f, -1);
            for (final long mac : keys.stored)
            {
                map.put(key(mac), destination(mac));
            }
        }
    }

    /**
     * Memory the size of the FDB's slots, random 8-byte-aligned offsets in it, and a random cycle
     * through its cache lines: the first int of each line holds the offset of the next line.
     */
    @State(Scope.Thread)
    public static class Footprint
    {
        ByteBuffer memory;
        UnsafeBuffer buffer;
        int[] offsets;
        int lines;
        int chase;

        @Setup
        public void setUp(final Fdb fdb, final Keys keys)
        {
            final int length = (int)fdb.fdb.memoryBytes();
            memory = ByteBuffer.allocateDirect(length);
            buffer = new UnsafeBuffer(memory);
            final SplittableRandom random = new SplittableRandom(7);
            offsets = new int[keys.hits.length];
            for (int i = 0; i < offsets.length; i++)
            {
                offsets[i] = random.nextInt(length / Long.BYTES) * Long.BYTES;
            }

            lines = length / LINE;
            final int[] order = new int[lines];
            for (int i = 0; i < lines; i++)
            {
                order[i] = i;
            }
            for (int i = lines - 1; i > 0; i--)
            {
                final int j = random.nextInt(i + 1);
                final int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
            for (int i = 0; i < lines; i++)
            {
                buffer.putInt(order[i] * LINE, order[(i + 1) % lines] * LINE);
            }
        }

        @TearDown
        public void tearDown()
        {
            BufferUtil.free(memory);
        }
    }

    @Benchmark
    public int lookupHit(final Keys keys, final Fdb fdb)
    {
        return fdb.fdb.lookup(BRIDGE_ID, VLAN, keys.nextHit());
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int lookupHitBurst(final Keys keys, final Fdb fdb)
    {
        nextHitBurst(keys, fdb);
        fdb.fdb.lookupBurst(fdb.bridgeIds, fdb.vlans, fdb.macs, BURST, fdb.results);
        return fdb.results[BURST - 1];
    }

    @Benchmark
    public int lookupMiss(final Keys keys, final Fdb fdb)
    {
        return fdb.fdb.lookup(BRIDGE_ID, VLAN, keys.nextMiss());
    }

    /** A known station seen again on its port: the common case, a refresh of its last-seen time. */
    @Benchmark
    public int learnRefresh(final Keys keys, final Fdb fdb)
    {
        final long mac = keys.nextHit();
        return fdb.fdb.learn(BRIDGE_ID, VLAN, mac, destination(mac), ++fdb.keysLearned / BURST);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int learnRefreshBurst(final Keys keys, final Fdb fdb)
    {
        nextHitBurst(keys, fdb);
        for (int i = 0; i < BURST; i++)
        {
            fdb.destinations[i] = destination(fdb.macs[i]);
        }
        fdb.keysLearned += BURST;
        fdb.fdb.learnBurst(
            fdb.bridgeIds, fdb.vlans, fdb.macs, fdb.destinations, BURST, fdb.keysLearned / BURST, fdb.results);
        return fdb.results[BURST - 1];
    }

    @Benchmark
    public Long hashMapLookupHit(final Keys keys, final JdkMap map)
    {
        return map.map.get(map.hits[keys.next++ & keys.mask]);
    }

    @Benchmark
    public long agronaMapLookupHit(final Keys keys, final AgronaMap map)
    {
        return map.map.get(key(keys.nextHit()));
    }

    @Benchmark
    public long randomReadBaseline(final Keys keys, final Footprint footprint)
    {
        return footprint.buffer.getLong(footprint.offsets[keys.next++ & keys.mask]);
    }

    @Benchmark
    public long lineCompareBaseline(final Keys keys, final Footprint footprint)
    {
        final long key = key(keys.nextHit());
        final int line = (int)(((key * 0x9E3779B97F4A7C15L >>> 32) * footprint.lines) >>> 32);
        final long address = footprint.buffer.addressOffset() + (long)line * LINE;
        final long k0 = UnsafeApi.getLong(address);
        final long k1 = UnsafeApi.getLong(address + 16);
        final long k2 = UnsafeApi.getLong(address + 32);
        final long k3 = UnsafeApi.getLong(address + 48);
        long value = k3 == key ? UnsafeApi.getLong(address + 56) : 0;
        value = k2 == key ? UnsafeApi.getLong(address + 40) : value;
        value = k1 == key ? UnsafeApi.getLong(address + 24) : value;
        return k0 == key ? UnsafeApi.getLong(address + 8) : value;
    }

    @Benchmark
    public int dependentReadBaseline(final Footprint footprint)
    {
        footprint.chase = footprint.buffer.getInt(footprint.chase);
        return footprint.chase;
    }

    private static void nextHitBurst(final Keys keys, final Fdb fdb)
    {
        final int from = keys.next & keys.mask;
        keys.next += BURST;
        System.arraycopy(keys.hits, from, fdb.macs, 0, BURST);
    }

    static int destination(final long mac)
    {
        return (int)(mac % DESTINATIONS);
    }

    static long key(final long mac)
    {
        return ((long)BRIDGE_ID << 48) | mac;
    }
}
