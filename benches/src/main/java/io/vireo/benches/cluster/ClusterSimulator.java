package io.vireo.benches.cluster;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.cluster.ClusterConfig;
import io.vireo.cluster.ClusterKeys;
import io.vireo.cluster.Member;
import io.vireo.cluster.Network;
import io.vireo.cluster.PublishedEndpoint;
import io.vireo.cluster.etcd.EtcdClient;

/**
 * Simulated nodes of a Vireo cluster, written straight into etcd in the layout {@link ClusterKeys} describes, for
 * {@code benches/cluster-scale.sh}: what a thousand real nodes would publish, without a thousand switches.
 * <pre>
 *   network URL NAME VNI SUBNET
 *       puts /vireo/networks/NAME ({"name","vni","subnet","blockPrefix": 26}), as vireoctl network add does
 *   range URL
 *       reads every key under /vireo/ with EtcdClient.range, as a node starting does, and prints how long it took
 *   write URL NETWORK SUBNET NODES ENDPOINTS WRITERS [LEASE_SECONDS [TXN_OPS]]
 *       grants NODES leases of LEASE_SECONDS (default 600) and warms up (20,000 puts and a delete outside the
 *       cluster's prefix, which no node watches), untimed (with VIREO_SIMULATOR_WAIT set, then prints "waiting" and
 *       waits for a line on its input); then puts, timed, for each node sim-NNNN its
 *       member record (/vireo/members/sim-NNNN under its lease, underlay 10.100.X.Y, VXLAN port 4789) followed
 *       by its ENDPOINTS endpoints (/vireo/endpoints/NETWORK/MAC under its lease: a unique MAC, see mac(), and
 *       one IPv4 address of SUBNET, unique across nodes, from the subnet's 256th on); the nodes split into
 *       WRITERS contiguous shares, each written by a thread of its own with EtcdClient.putAll, in transactions
 *       of TXN_OPS puts (default 128, etcd's default --max-txn-ops; more needs an etcd started with more)
 * </pre>
 * The simulated underlay addresses are never sent to: the real node only adds them as VXLAN peers, and no frame
 * enters its bridges. Prints {@code result NAME VALUE} lines: {@code first_write_ms} and {@code last_write_ms}
 * (the wall clock, epoch ms, when the first transaction was sent and when the last was answered), {@code puts},
 * {@code write_s}, {@code puts_per_s}, {@code last_revision}, {@code cpu_s} (the simulator's own CPU time meanwhile).
 */
public final class ClusterSimulator
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final int BLOCK_PREFIX = 26;
    /** Endpoint addresses start this far into the subnet, clear of the gateway's. */
    private static final int FIRST_HOST = 256;
    /** With this set in the environment, write prints "waiting" before the timed writes and waits for a line. */
    private static final String WAIT = "VIREO_SIMULATOR_WAIT";
    private static final int WARM_UP_KEYS = 20_000;
    private static final String WARM_UP_PREFIX = "/vireo-simulator-warm-up/";

    private ClusterSimulator()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length >= 5 && "network".equals(args[0]))
        {
            network(URI.create(args[1]), args[2], Integer.parseInt(args[3]), args[4]);
        }
        else if (args.length >= 2 && "range".equals(args[0]))
        {
            range(URI.create(args[1]));
        }
        else if (args.length >= 7 && "write".equals(args[0]))
        {
            write(URI.create(args[1]), args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                Integer.parseInt(args[6]), args.length > 7 ? Integer.parseInt(args[7]) : 600,
                args.length > 8 ? Integer.parseInt(args[8]) : EtcdClient.DEFAULT_MAX_TXN_OPS);
        }
        else
        {
            System.err.println("usage: ClusterSimulator network URL NAME VNI SUBNET\n" +
                "       ClusterSimulator range URL\n" +
                "       ClusterSimulator write URL NETWORK SUBNET NODES ENDPOINTS WRITERS [LEASE_SECONDS [TXN_OPS]]");
            System.exit(2);
        }
    }

    private static void network(final URI url, final String name, final int vni, final String subnet) throws Exception
    {
        try (EtcdClient store = new EtcdClient(List.of(url), REQUEST_TIMEOUT))
        {
            final ClusterKeys keys = new ClusterKeys(ClusterConfig.DEFAULT_PREFIX);
            final long revision = store.put(keys.network(name), json(new Network(name, vni, subnet, BLOCK_PREFIX)), 0);
            System.out.println("result network_revision " + revision);
        }
    }

    private static void range(final URI url) throws Exception
    {
        try (EtcdClient store = new EtcdClient(List.of(url), REQUEST_TIMEOUT))
        {
            final long start = System.nanoTime();
            final EtcdClient.Range range = store.range(ClusterConfig.DEFAULT_PREFIX);
            final double seconds = (System.nanoTime() - start) / 1e9;
            System.out.println("result range_keys " + range.kvs().size());
            System.out.println("result range_s " + String.format(Locale.ROOT, "%.3f", seconds));
        }
    }

    private static void write(
        final URI url, final String network, final String subnet, final int nodes, final int endpoints, final int writers,
        final int leaseSeconds, final int txnOps)
        throws Exception
    {
        if (nodes < 1 || nodes > 0xFFFF || endpoints < 0 || endpoints > 0xFFFF || writers < 1)
        {
            throw new IllegalArgumentException("nodes 1..65535, endpoints 0..65535, writers 1 or more");
        }
        final int slash = subnet.indexOf('/');
        final int prefix = Integer.parseInt(subnet.substring(slash + 1));
        final int base = ipv4(subnet.substring(0, slash)) & (int)(0xFFFF_FFFFL << (32 - prefix));
        if (FIRST_HOST + (long)nodes * endpoints >= 1L << (32 - prefix))
        {
            throw new IllegalArgumentException(subnet + " is too small for " + nodes + " x " + endpoints + " endpoints");
        }
        final ClusterKeys keys = new ClusterKeys(ClusterConfig.DEFAULT_PREFIX);
        final ExecutorService pool = Executors.newFixedThreadPool(writers);
        try (EtcdClient store = new EtcdClient(List.of(url), REQUEST_TIMEOUT))
        {
            // untimed: the leases and every value, so the timed part is the writes alone
            final long[] leases = new long[nodes];
            final List<Future<?>> granted = new ArrayList<>();
            for (int w = 0; w < writers; w++)
            {
                final int writer = w;
                granted.add(pool.submit(() ->
                {
                    for (int node = writer; node < nodes; node += writers)
                    {
                        leases[node] = store.grantLease(leaseSeconds);
                    }
                    return null;
                }));
            }
            for (final Future<?> future : granted)
            {
                future.get();
            }
            final List<List<EtcdClient.Put>> shares = new ArrayList<>();
            for (int w = 0; w < writers; w++)
            {
                final List<EtcdClient.Put> share = new ArrayList<>();
                for (int node = nodes * w / writers; node < nodes * (w + 1) / writers; node++)
                {
                    final String name = nodeName(node);
                    share.add(new EtcdClient.Put(keys.member(name),
                        json(new Member(name, underlay(node), ClusterConfig.DEFAULT_VTEP_PORT)), leases[node]));
                    for (int e = 0; e < endpoints; e++)
                    {
                        final String mac = mac(node, e);
                        final String address = text(base + FIRST_HOST + node * endpoints + e);
                        share.add(new EtcdClient.Put(keys.endpoint(network, mac),
                            json(new PublishedEndpoint(mac, List.of(address), name)), leases[node]));
                    }
                }
                shares.add(share);
            }

            warmUp(store, pool, writers);
            if (null != System.getenv(WAIT))
            {
                // the caller samples what it measures (CPU times, a recording) just before the timed writes
                System.out.println("waiting");
                System.out.flush();
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            }

            final long[] revisions = new long[writers];
            final long cpuBefore = processCpuNanos();
            final long first = System.currentTimeMillis();
            final long start = System.nanoTime();
            final List<Future<?>> written = new ArrayList<>();
            for (int w = 0; w < writers; w++)
            {
                final int writer = w;
                written.add(pool.submit(() ->
                {
                    revisions[writer] = store.putAll(shares.get(writer), txnOps);
                    return null;
                }));
            }
            for (final Future<?> future : written)
            {
                future.get();
            }
            final long elapsed = System.nanoTime() - start;
            final long last = System.currentTimeMillis();
            final long cpu = processCpuNanos() - cpuBefore;
            final long puts = (long)nodes * (1 + endpoints);
            final double seconds = elapsed / 1e9;
            long lastRevision = 0;
            for (final long revision : revisions)
            {
                lastRevision = Math.max(lastRevision, revision);
            }
            System.out.println("result first_write_ms " + first);
            System.out.println("result last_write_ms " + last);
            System.out.println("result puts " + puts);
            System.out.println("result write_s " + String.format(Locale.ROOT, "%.3f", seconds));
            System.out.println("result puts_per_s " + Math.round(puts / seconds));
            System.out.println("result last_revision " + lastRevision);
            System.out.println("result cpu_s " + String.format(Locale.ROOT, "%.3f", cpu / 1e9));
        }
        finally
        {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Untimed: puts and deletes {@link #WARM_UP_KEYS} keys outside the cluster's prefix, which no node watches, from
     * every writer, so that the timed writes run compiled code: the simulator's own JIT compilation would otherwise
     * take CPU from the node under test on a small machine.
     */
    private static void warmUp(final EtcdClient store, final ExecutorService pool, final int writers) throws Exception
    {
        final List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++)
        {
            final int writer = w;
            done.add(pool.submit(() ->
            {
                final List<EtcdClient.Put> puts = new ArrayList<>();
                for (int i = 0; i < WARM_UP_KEYS / writers; i++)
                {
                    final String mac = mac(writer, i);
                    puts.add(new EtcdClient.Put(WARM_UP_PREFIX + writer + '/' + mac,
                        json(new PublishedEndpoint(mac, List.of(text(i)), nodeName(writer))), 0));
                }
                store.putAll(puts);
                return null;
            }));
        }
        for (final Future<?> future : done)
        {
            future.get();
        }
        store.deletePrefix(WARM_UP_PREFIX);
    }

    /** The CPU time this process has used, all threads (JIT and GC included). */
    private static long processCpuNanos()
    {
        return ((com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static String nodeName(final int node)
    {
        return String.format(Locale.ROOT, "sim-%04d", node);
    }

    /** 10.100.X.Y: 250 nodes per /24, .1 to .250. */
    static String underlay(final int node)
    {
        return "10.100." + (node / 250) + '.' + (node % 250 + 1);
    }

    /**
     * A locally administered unicast MAC, 02:XX:XX:XX:XX:XX, unique per (node, endpoint) and scattered as random
     * ones are (the kernel gives a TAP or veth a random address): the index node x 65536 + endpoint through a
     * bijection of 40 bits (odd multiplications and an xor-shift). A MAC with the node and the endpoint in fields
     * of their own (02:00:NN:NN:EE:EE) would be unlike any real one, and would fold onto a few thousand hash
     * codes as a Long (its two 16-bit fields cancel in Long.hashCode's xor).
     */
    static String mac(final int node, final int endpoint)
    {
        final long mask = (1L << 40) - 1;
        long x = (((long)node << 16 | endpoint) * 0x9E3779B97FL) & mask;
        x ^= x >>> 20;
        x = (x * 0xC2B2AE3D27L) & mask;
        return String.format(Locale.ROOT, "02:%02x:%02x:%02x:%02x:%02x",
            x >>> 32 & 0xFF, x >>> 24 & 0xFF, x >>> 16 & 0xFF, x >>> 8 & 0xFF, x & 0xFF);
    }

    private static int ipv4(final String text)
    {
        final String[] parts = text.split("\\.");
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int address = 0;
        for (final String part : parts)
        {
            address = address << 8 | Integer.parseInt(part);
        }
        return address;
    }

    private static String text(final int address)
    {
        return (address >>> 24) + "." + (address >>> 16 & 0xFF) + '.' + (address >>> 8 & 0xFF) + '.' + (address & 0xFF);
    }

    private static byte[] json(final Object value)
    {
        try
        {
            return JSON.writeValueAsBytes(value);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
