package io.vireo.dataplane.vhost;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * DPDK's {@code dpdk-testpmd} as a vhost-user frontend: a {@code net_virtio_user} port with its
 * memory in a memfd (no hugepages, no PCI), driven interactively through its stdin, so a test can
 * start and stop forwarding while the port stays up and read exact totals. It is always stopped
 * through its own process handle, and its DPDK runtime directory is removed.
 */
final class Testpmd implements AutoCloseable
{
    static final Path BINARY = Path.of("/usr/bin/dpdk-testpmd");
    static final String PACKAGES = "dpdk-dev librte-net-vhost23 librte-net-virtio23 librte-mempool-ring23";

    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final String TOTALS = "Accumulated forward statistics for all ports";
    private static final Pattern COUNTS = Pattern.compile(
        "RX-packets:\\s+(\\d+)\\s+RX-dropped:\\s+(\\d+).*?TX-packets:\\s+(\\d+)\\s+TX-dropped:\\s+(\\d+)", Pattern.DOTALL);
    private static final String PORT_STATS = "NIC statistics for port 0";
    private static final Pattern PORT_COUNTS = Pattern.compile(
        "RX-packets:\\s+(\\d+)\\s+RX-missed:\\s+(\\d+).*?RX-errors:\\s+(\\d+)\\s+RX-nombuf:\\s+(\\d+)" +
        "\\s+TX-packets:\\s+(\\d+)\\s+TX-errors:\\s+(\\d+)", Pattern.DOTALL);
    private static final long COMMAND_TIMEOUT_MILLIS = 10_000;

    private final Process process;
    private final OutputStream commands;
    private final String prefix;
    private final StringBuilder output = new StringBuilder();
    private final Thread reader;
    private int stopMark;
    private int portStatsMark;

    /** What testpmd counted on its port between {@code start} and {@code stop}. */
    record Totals(long rxPackets, long rxDropped, long txPackets, long txDropped)
    {
    }

    /**
     * Port 0's counters since it started ({@code show port stats 0}), readable while forwarding runs. The
     * virtio PMD counts a frame it takes from its ring in {@code rxPackets}, or in {@code rxErrors} if it
     * drops it, and mbufs it could not allocate in {@code rxNoMbufs}; what it frees from its ring while the
     * port starts, it counts nowhere.
     */
    record PortStats(long rxPackets, long rxMissed, long rxErrors, long rxNoMbufs, long txPackets, long txErrors)
    {
    }

    private Testpmd(final Process process, final String prefix)
    {
        this.process = process;
        this.commands = process.getOutputStream();
        this.prefix = prefix;
        this.reader = new Thread(this::collect, "testpmd-output-" + prefix);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts testpmd on {@code socket}, listening there itself if {@code server}, with the given
     * options after {@code --}. Forwarding waits for {@link #startForwarding}.
     */
    static Testpmd start(final Path socket, final boolean server, final String... options)
    {
        if (!Files.isExecutable(BINARY))
        {
            throw new AssertionError(BINARY + " is missing: apt-get install -y --no-install-recommends " + PACKAGES);
        }
        final String prefix = "vireo-vhost-test-" + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet();
        // Line-buffered output (stdbuf execs testpmd, so the handle's pid is testpmd's).
        final List<String> command = new ArrayList<>(List.of(
            "stdbuf", "-oL", BINARY.toString(), "-l", "0,1", "--no-huge", "-m", "512", "--file-prefix", prefix,
            "--no-pci", "--vdev", "net_virtio_user0,path=" + socket + ",queues=1" + (server ? ",server=1" : ""),
            "--", "-i", "--nb-cores=1", "--total-num-mbufs=32768"));
        command.addAll(List.of(options));
        try
        {
            return new Testpmd(new ProcessBuilder(command).redirectErrorStream(true).start(), prefix);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start " + command, ex);
        }
    }

    private void collect()
    {
        try (BufferedReader lines = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = lines.readLine()))
            {
                synchronized (output)
                {
                    output.append(line).append('\n');
                }
            }
        }
        catch (final IOException ex)
        {
            // The process is gone; what was read is kept.
        }
    }

    String output()
    {
        synchronized (output)
        {
            return output.toString();
        }
    }

    boolean isAlive()
    {
        return process.isAlive();
    }

    /** {@code start}, or {@code start tx_first} to put a first burst on the wire. */
    void startForwarding(final boolean txFirst)
    {
        command(txFirst ? "start tx_first" : "start");
    }

    /**
     * {@code stop}: forwarding stops (the port stays up) and testpmd prints what it counted, which
     * {@link #totals()} returns once it has. The caller keeps polling its port meanwhile.
     */
    void requestStop()
    {
        stopMark = output().length();
        command("stop");
    }

    /** The totals printed since {@link #requestStop()}, or null while they have not been. */
    Totals totals()
    {
        final Matcher counts = printedSince(stopMark, TOTALS, COUNTS);
        return null == counts ? null : new Totals(count(counts, 1), count(counts, 2), count(counts, 3), count(counts, 4));
    }

    /**
     * {@code show port stats 0}, which {@link #portStats()} returns once testpmd has answered. testpmd
     * reads commands one at a time, so the answer also means every command before it has completed.
     */
    void requestPortStats()
    {
        portStatsMark = output().length();
        command("show port stats 0");
    }

    /** The port counters printed since {@link #requestPortStats()}, or null while they have not been. */
    PortStats portStats()
    {
        final Matcher counts = printedSince(portStatsMark, PORT_STATS, PORT_COUNTS);
        return null == counts ? null : new PortStats(count(counts, 1), count(counts, 2), count(counts, 3),
            count(counts, 4), count(counts, 5), count(counts, 6));
    }

    /** {@code counts} matched in what testpmd printed from {@code heading} on, since {@code mark}; or null. */
    private Matcher printedSince(final int mark, final String heading, final Pattern counts)
    {
        final String since = output().substring(mark);
        final int at = since.indexOf(heading);
        if (at < 0)
        {
            return null;
        }
        final Matcher matcher = counts.matcher(since.substring(at));
        return matcher.find() ? matcher : null;
    }

    private static long count(final Matcher counts, final int group)
    {
        return Long.parseLong(counts.group(group));
    }

    private void command(final String line)
    {
        try
        {
            commands.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            commands.flush();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("testpmd gone before '" + line + "':\n" + output(), ex);
        }
    }

    /** SIGKILL: the frontend dies without a word, as a crashed VM would. */
    void kill()
    {
        process.toHandle().destroyForcibly();
        waitForExit();
    }

    private boolean waitForExit()
    {
        try
        {
            return process.waitFor(COMMAND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * {@code quit} (testpmd stops its port, GET_VRING_BASE, and exits), or SIGKILL if it has not exited
     * in time; then removes its DPDK runtime directory.
     */
    @Override
    public void close()
    {
        if (process.isAlive())
        {
            try
            {
                command("quit");
            }
            catch (final UncheckedIOException ex)
            {
                // Already on its way out.
            }
            if (!waitForExit())
            {
                kill();
            }
        }
        final Path runtime = Path.of("/var/run/dpdk", prefix);
        if (Files.exists(runtime))
        {
            try (Stream<Path> files = Files.walk(runtime))
            {
                for (final Path file : files.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.deleteIfExists(file);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot remove " + runtime, ex);
            }
        }
    }
}
