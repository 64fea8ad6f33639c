package io.vireo.vswitch.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vireo.vswitch.core.CountersFile;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.vswitch.core.TableCounters;
import io.vireo.vswitch.pipeline.ThreadCounters;
import org.agrona.concurrent.status.CountersReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import static io.vireo.vswitch.cli.Vireoctl.JSON;

/** {@code vireoctl stats}: per-port counters and where the forwarding threads spend their time. */
@Command(name = "stats", description = "Per-port counters and where forwarding threads spend their time, "
    + "read from the daemon's counters file without disturbing it.",
    mixinStandardHelpOptions = true)
final class StatsCommand implements Callable<Integer>
{
    @ParentCommand
    Vireoctl root;

    @Option(names = "--json")
    boolean json;

    @Option(names = "--watch", description = "redraw every --interval seconds until interrupted")
    boolean watch;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1", description = "with --watch (default 1)")
    double interval;

    @Override
    public Integer call() throws JsonProcessingException, InterruptedException
    {
        if (!watch)
        {
            return printOnce();
        }
        while (true)
        {
            root.out.print("\033[H\033[2J"); // home and clear, as watch(1) does
            printOnce();
            root.out.flush();
            Thread.sleep((long)(Math.max(0.1, interval) * 1000));
        }
    }

    private int printOnce() throws JsonProcessingException
    {
        final Map<String, Map<String, Long>> byPort = new LinkedHashMap<>();
        final Map<String, Map<String, Long>> byThread = new LinkedHashMap<>();
        final Map<String, Long> table = new LinkedHashMap<>();
        try (CountersFile file = CountersFile.open(root.runDir.countersFile()))
        {
            if (!ProcessHandle.of(file.writerPid()).map(ProcessHandle::isAlive).orElse(false))
            {
                // A daemon that stopped leaves its counters for the next one (the port keeper's restarts).
                throw new IllegalStateException("no vireod is running with run dir " + root.runDir +
                    " (the counters there are those of pid " + file.writerPid() + ", which has stopped)");
            }
            final CountersReader reader = file.reader();
            reader.forEach((counterId, typeId, keyBuffer, label) ->
            {
                final String portMetric = PortCounters.metricName(typeId);
                final String threadMetric = ThreadCounters.metricName(typeId);
                final String tableMetric = TableCounters.metricName(typeId);
                if (null != tableMetric)
                {
                    table.put(tableMetric, reader.getCounterValue(counterId));
                }
                final Map<String, Map<String, Long>> owner = null != portMetric ? byPort : byThread;
                if (null != portMetric || null != threadMetric)
                {
                    owner.computeIfAbsent(keyBuffer.getStringAscii(0), name -> new LinkedHashMap<>())
                        .put(null != portMetric ? portMetric : threadMetric, reader.getCounterValue(counterId));
                }
            });
        }
        if (json)
        {
            final Map<String, Object> result = new LinkedHashMap<>();
            result.put("ports", rows("port", byPort));
            result.put("threads", rows("thread", byThread));
            result.put("fdb", table);
            root.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
            return 0;
        }
        final Vireoctl.Table ports = new Vireoctl.Table("PORT", "RX_PACKETS", "RX_BYTES", "TX_PACKETS", "TX_BYTES", "ARP/ND_ANSWERED",
            "IPV4_FRAGMENTS", "DROPS");
        byPort.forEach((port, values) ->
        {
            final List<String> drops = new ArrayList<>();
            values.forEach((metric, value) ->
            {
                if (metric.startsWith("drop_") && value != 0)
                {
                    drops.add(metric.substring(5) + "=" + value);
                }
            });
            ports.row(port, String.valueOf(values.get("rx_packets")), String.valueOf(values.get("rx_bytes")),
                String.valueOf(values.get("tx_packets")), String.valueOf(values.get("tx_bytes")),
                String.valueOf(values.getOrDefault("arp_nd_suppressed", 0L)),
                String.valueOf(values.getOrDefault("ipv4_fragments", 0L)), drops.isEmpty() ? "-" : String.join(",", drops));
        });
        ports.print(root.out);
        root.out.println();
        final Vireoctl.Table threads = new Vireoctl.Table("THREAD", "BUSY%", "LOOPS", "RX_POLLS", "RX_FRAMES", "FRAMES/BURST", "FRAMES/POLL",
            "FLOW_CACHE_HIT%");
        byThread.forEach((thread, values) ->
        {
            final long busy = values.getOrDefault("busy_ns", 0L);
            final long idle = values.getOrDefault("idle_ns", 0L);
            final long frames = values.getOrDefault("rx_frames", 0L);
            final long hits = values.getOrDefault("flow_cache_hits", 0L);
            threads.row(thread, ratio(100.0 * busy, busy + idle), String.valueOf(values.get("loops")),
                String.valueOf(values.get("rx_polls")), String.valueOf(frames),
                ratio(frames, values.getOrDefault("rx_bursts", 0L)), ratio(frames, values.getOrDefault("rx_polls", 0L)),
                ratio(100.0 * hits, hits + values.getOrDefault("flow_cache_misses", 0L)));
        });
        threads.print(root.out);
        root.out.println();
        root.out.println("FDB: " + table.getOrDefault("fdb_entries", 0L) + " entries of " +
            table.getOrDefault("fdb_capacity", 0L) + ", " + table.getOrDefault("fdb_table_full", 0L) +
            " learns refused (table full)");
        return 0;
    }

    private static String ratio(final double numerator, final long denominator)
    {
        return 0 == denominator ? "-" : String.format("%.2f", numerator / denominator);
    }

    private static List<Map<String, Object>> rows(final String key, final Map<String, Map<String, Long>> byOwner)
    {
        final List<Map<String, Object>> rows = new ArrayList<>();
        byOwner.forEach((owner, values) ->
        {
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put(key, owner);
            row.putAll(values);
            rows.add(row);
        });
        return rows;
    }
}
