package io.vireo.benches.etcd;

import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * One client's figures against one etcd, printed as {@code result CLIENT METRIC VALUE} lines for
 * benches/etcd-client-bench.sh to tabulate. Modes:
 * <pre>
 *   load ENDPOINT KEYS              the keys ranged later (/bench/range/%06d, 100-byte values, in transactions
 *                                   of 100 puts) and /bench/first; through the gateway with the JDK's client
 *   first-get CLIENT ENDPOINT       in a fresh JVM: ms from the JVM's start to the first get's answer
 *   suite CLIENT ENDPOINT PUTS RANGE_KEYS WATCH_KEYS
 *                                   put latency, create (txn) rate, range of the loaded keys, watch rates
 * </pre>
 * CLIENT is {@code gateway} (Vireo's EtcdClient) or {@code jetcd}. Both do the same work the same way: blocking
 * calls one at a time (jetcd's futures are waited for), a range in pages of 5000 at the first page's revision,
 * a watch that counts events.
 */
public final class EtcdClientBench
{
    static final byte[] VALUE = new byte[100];
    static final int PAGE = 5000;
    private static final int WRITER_BATCH = 100;
    private static final HttpClient RAW = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private EtcdClientBench()
    {
    }

    /** What the suite asks of a client. */
    interface Driver extends AutoCloseable
    {
        boolean get(String key) throws Exception;

        long put(String key, byte[] value) throws Exception;

        boolean create(String key, byte[] value) throws Exception;

        /** Every key under the prefix at one revision, in pages; the list is returned to be measured. */
        List<?> range(String prefix) throws Exception;

        AutoCloseable watch(String prefix, long fromRevision, LongConsumer events) throws Exception;
    }

    static Driver driver(final String client, final URI endpoint)
    {
        return switch (client)
        {
            case "gateway" -> new GatewayDriver(endpoint);
            case "jetcd" -> new JetcdDriver(endpoint);
            default -> throw new IllegalArgumentException("client: gateway or jetcd, not " + client);
        };
    }

    public static void main(final String[] args) throws Exception
    {
        final long mainNs = System.nanoTime();
        switch (args[0])
        {
            case "load" -> load(URI.create(args[1]), Integer.parseInt(args[2]));
            case "first-get" -> firstGet(args[1], URI.create(args[2]), mainNs);
            case "suite" -> suite(args[1], URI.create(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]));
            default -> throw new IllegalArgumentException("mode: load, first-get or suite");
        }
        System.exit(0);
    }

    private static void result(final String client, final String metric, final Object value)
    {
        System.out.println("result " + client + " " + metric + " " + value);
    }

    private static void firstGet(final String client, final URI endpoint, final long mainNs) throws Exception
    {
        try (Driver driver = driver(client, endpoint))
        {
            if (!driver.get("/bench/first"))
            {
                throw new IllegalStateException("/bench/first not found: load first");
            }
        }
        final long nowMs = System.currentTimeMillis();
        final long inMainMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - mainNs);
        result(client, "first_get_ms", nowMs - ManagementFactory.getRuntimeMXBean().getStartTime());
        result(client, "first_get_in_main_ms", inMainMs);
        result(client, "first_get_classes", ManagementFactory.getClassLoadingMXBean().getTotalLoadedClassCount());
    }

    private static void suite(
        final String client, final URI endpoint, final int puts, final int rangeKeys, final int watchKeys) throws Exception
    {
        try (Driver driver = driver(client, endpoint))
        {
            putLatency(client, driver, puts);
            createRate(client, driver, puts);
            range(client, driver, rangeKeys);
            watch(client, driver, endpoint, watchKeys);
        }
    }

    private static void putLatency(final String client, final Driver driver, final int puts) throws Exception
    {
        for (int i = 0; i < 1000; i++)
        {
            driver.put(String.format("/bench/put/warm/%06d", i), VALUE);
        }
        final long[] ns = new long[puts];
        for (int i = 0; i < puts; i++)
        {
            final long start = System.nanoTime();
            driver.put(String.format("/bench/put/%06d", i), VALUE);
            ns[i] = System.nanoTime() - start;
        }
        Arrays.sort(ns);
        result(client, "put_p50_us", ns[puts / 2] / 1000);
        result(client, "put_p99_us", ns[(int)(puts * 0.99)] / 1000);
    }

    private static void createRate(final String client, final Driver driver, final int creates) throws Exception
    {
        final String prefix = "/bench/create/" + System.nanoTime() + "/";
        final long start = System.nanoTime();
        for (int i = 0; i < creates; i++)
        {
            if (!driver.create(String.format("%sone/%06d", prefix, i), VALUE))
            {
                throw new IllegalStateException("a fresh key existed");
            }
        }
        result(client, "create_per_s_1_thread", Math.round(creates / ((System.nanoTime() - start) / 1e9)));

        final int threads = 4;
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final long parallelStart = System.nanoTime();
            final List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int thread = t;
                done.add(pool.submit(() ->
                {
                    for (int i = 0; i < creates / threads; i++)
                    {
                        if (!driver.create(String.format("%st%d/%06d", prefix, thread, i), VALUE))
                        {
                            throw new IllegalStateException("a fresh key existed");
                        }
                    }
                    return null;
                }));
            }
            for (final Future<?> future : done)
            {
                future.get();
            }
            result(client, "create_per_s_4_threads",
                Math.round(threads * (creates / threads) / ((System.nanoTime() - parallelStart) / 1e9)));
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    private static void range(final String client, final Driver driver, final int keys) throws Exception
    {
        check(driver.range("/bench/range/").size(), keys);
        final long[] ms = new long[5];
        for (int i = 0; i < ms.length; i++)
        {
            final long start = System.nanoTime();
            check(driver.range("/bench/range/").size(), keys);
            ms[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        Arrays.sort(ms);
        result(client, "range_ms", ms[ms.length / 2]);

        // the heap the result holds, and what reading it allocated on every thread (the client's own too)
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long usedBefore = usedAfterGc();
        final long allocatedBefore = Arrays.stream(threads.getThreadAllocatedBytes(threads.getAllThreadIds())).sum();
        final List<?> result = driver.range("/bench/range/");
        final long allocated = Arrays.stream(threads.getThreadAllocatedBytes(threads.getAllThreadIds())).sum() - allocatedBefore;
        final long retained = usedAfterGc() - usedBefore;
        Reference.reachabilityFence(result);
        result(client, "range_retained_mb", String.format("%.1f", retained / 1e6));
        result(client, "range_allocated_mb", String.format("%.1f", allocated / 1e6));
    }

    private static void check(final int got, final int expected)
    {
        if (got != expected)
        {
            throw new IllegalStateException("range: " + got + " keys, not " + expected);
        }
    }

    private static long usedAfterGc() throws InterruptedException
    {
        for (int i = 0; i < 3; i++)
        {
            System.gc();
            Thread.sleep(100);
        }
        final Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /**
     * Live: a writer (the JDK's HTTP client on this thread, the same for both) puts {@code keys} keys in
     * transactions of 100 while the watch counts: events/s from the first write to the last event, and how far
     * the watch was behind when the writer finished. Catch-up: a second watch from the same start revision
     * reads the whole history: events/s.
     */
    private static void watch(final String client, final Driver driver, final URI endpoint, final int keys) throws Exception
    {
        final String prefix = "/bench/watch/";
        final long from = driver.put("/bench/watch-start", VALUE) + 1;
        final AtomicLong live = new AtomicLong();
        try (AutoCloseable watch = driver.watch(prefix, from, live::addAndGet))
        {
            // the watch is open once it has seen an event: the first batch goes in before the clock starts
            putBatch(endpoint, prefix, 0, WRITER_BATCH);
            await(live, WRITER_BATCH);
            final long start = System.nanoTime();
            for (int first = WRITER_BATCH; first < keys; first += WRITER_BATCH)
            {
                putBatch(endpoint, prefix, first, Math.min(WRITER_BATCH, keys - first));
            }
            final long written = System.nanoTime();
            await(live, keys);
            final long end = System.nanoTime();
            result(client, "watch_live_events_per_s", Math.round((keys - WRITER_BATCH) / ((end - start) / 1e9)));
            result(client, "watch_live_writer_per_s", Math.round((keys - WRITER_BATCH) / ((written - start) / 1e9)));
            result(client, "watch_live_lag_ms", TimeUnit.NANOSECONDS.toMillis(end - written));
        }

        final AtomicLong catchUp = new AtomicLong();
        final long start = System.nanoTime();
        try (AutoCloseable watch = driver.watch(prefix, from, catchUp::addAndGet))
        {
            await(catchUp, keys);
            result(client, "watch_catchup_events_per_s", Math.round(keys / ((System.nanoTime() - start) / 1e9)));
        }
    }

    private static void await(final AtomicLong count, final long target) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (count.get() < target)
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("watch: " + count.get() + " events of " + target);
            }
            Thread.sleep(1);
        }
    }

    private static void load(final URI endpoint, final int keys) throws Exception
    {
        for (int first = 0; first < keys; first += WRITER_BATCH)
        {
            putBatch(endpoint, "/bench/range/", first, Math.min(WRITER_BATCH, keys - first));
        }
        post(endpoint, "/v3/kv/put", "{\"key\":\"" + b64("/bench/first") + "\",\"value\":\"" + b64("first") + "\"}");
    }

    /** Puts keys prefix%06d from first on, count of them, in one transaction, through the gateway. */
    private static void putBatch(final URI endpoint, final String prefix, final int first, final int count) throws Exception
    {
        final String value = Base64.getEncoder().encodeToString(VALUE);
        final StringBuilder txn = new StringBuilder("{\"success\":[");
        for (int i = first; i < first + count; i++)
        {
            txn.append(i == first ? "" : ",").append("{\"request_put\":{\"key\":\"").append(b64(String.format("%s%06d", prefix, i)))
                .append("\",\"value\":\"").append(value).append("\"}}");
        }
        post(endpoint, "/v3/kv/txn", txn.append("]}").toString());
    }

    private static void post(final URI endpoint, final String path, final String json) throws Exception
    {
        final HttpResponse<String> response = RAW.send(
            HttpRequest.newBuilder(URI.create(endpoint + path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200)
        {
            throw new IllegalStateException(path + ": HTTP " + response.statusCode() + " " + response.body());
        }
    }

    private static String b64(final String text)
    {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The prefix's range end: its last byte that is not 0xff plus one. */
    static byte[] prefixEnd(final byte[] prefix)
    {
        for (int i = prefix.length - 1; i >= 0; i--)
        {
            if (prefix[i] != (byte)0xff)
            {
                final byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return new byte[] { 0 };
    }
}
