package io.vireo.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real etcd ({@code /usr/bin/etcd}, Debian's etcd-server) for tests: one member, or one of the members of a
 * cluster, as a child process, optionally in a network namespace ({@code ip netns exec NS etcd ...}).
 * <ul>
 *   <li>Its files live in a temporary directory of its own ({@code vireo-etcd-NAME-*}): the data dir
 *   ({@code data}, made by etcd itself, mode 0700) and its log ({@code etcd.log}). {@link #close()} removes
 *   it.</li>
 *   <li>Outside a namespace, the client and peer URLs default to free loopback ports (picked at random below
 *   the kernel's ephemeral range, so no outgoing connection takes one while the member is stopped; kept
 *   across restarts; picked again if etcd finds one taken when it starts).</li>
 *   <li>{@link #start()} launches it and waits until {@code /health} says true (it has a leader), polling
 *   every 50 ms for up to the start timeout (60 s by default: a loaded 2-core machine). A member of a
 *   cluster only gets a leader with a quorum, so start a cluster's members with {@link #launch()} and then
 *   {@link #awaitHealthy()} each, as {@link #startCluster} does.</li>
 *   <li>{@link #stop()} sends SIGTERM to its pid and SIGKILL after 10 s; {@link #kill()} sends SIGKILL.
 *   {@link #start()} again restarts it on the same data dir and URLs. Processes are only ever signalled by
 *   their own pid; one the test left running is killed when the JVM exits.</li>
 * </ul>
 * Raft timings are the builder's ({@link EtcdServerBuilder#heartbeatMs}, {@link EtcdServerBuilder#electionMs}):
 * short ones let a test see a failover in a second. Ports come from {@link LoopbackPorts}, the health check
 * from {@link EtcdHealth}, the process's signals from {@link ChildProcess}.
 */
public final class EtcdServer implements AutoCloseable
{
    /** The etcd binary. */
    public static final Path ETCD = Path.of("/usr/bin/etcd");
    /** How long {@link #start()} waits for {@code /health} unless the builder says otherwise. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final long POLL_MS = 50;
    private static final int PORT_ATTEMPTS = 3;
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    /**
     * @return true if the etcd binary is installed.
     */
    public static boolean isAvailable()
    {
        return Files.isExecutable(ETCD);
    }

    /**
     * @return a builder of one member, by default a single-member cluster on free loopback ports.
     */
    public static EtcdServerBuilder builder()
    {
        return new EtcdServerBuilder();
    }

    /**
     * Starts a cluster of {@code members} members on free loopback ports and waits until each is healthy.
     *
     * @param heartbeatMs raft heartbeat (etcd's default: 100).
     * @param electionMs  raft election timeout (etcd's default: 1000); at least 5 heartbeats.
     * @return the members, all running; close each.
     */
    public static List<EtcdServer> startCluster(final int members, final int heartbeatMs, final int electionMs)
    {
        for (int attempt = 1; ; attempt++)
        {
            final List<EtcdServer> servers = new ArrayList<>(members);
            try
            {
                launchCluster(servers, members, heartbeatMs, electionMs);
                for (final EtcdServer server : servers)
                {
                    server.awaitHealthy();
                }
                return servers;
            }
            catch (final RuntimeException | Error ex)
            {
                // another process took a port picked for it between the pick and etcd's bind: pick again
                final boolean portTaken = servers.stream().anyMatch(
                    server -> !server.isRunning() && server.logTail(50).contains("address already in use"));
                servers.forEach(EtcdServer::close);
                if (!portTaken || attempt == PORT_ATTEMPTS)
                {
                    throw ex;
                }
            }
        }
    }

    private static void launchCluster(
        final List<EtcdServer> servers, final int members, final int heartbeatMs, final int electionMs)
    {
        final int sequence = SEQUENCE.incrementAndGet();
        final String prefix = "vireo-etcd-" + ProcessHandle.current().pid() + "-" + sequence;
        final int[] ports = LoopbackPorts.free(2 * members);
        final StringBuilder initialCluster = new StringBuilder();
        for (int i = 0; i < members; i++)
        {
            initialCluster.append(i == 0 ? "" : ",").append(prefix).append("-m").append(i)
                .append("=http://127.0.0.1:").append(ports[2 * i + 1]);
        }
        for (int i = 0; i < members; i++)
        {
            final EtcdServer server = builder()
                .name(prefix + "-m" + i)
                .clientUrl(URI.create("http://127.0.0.1:" + ports[2 * i]))
                .peerUrl(URI.create("http://127.0.0.1:" + ports[2 * i + 1]))
                .initialCluster(initialCluster.toString())
                .clusterToken(prefix)
                .heartbeatMs(heartbeatMs)
                .electionMs(electionMs)
                .build();
            servers.add(server);
            server.launch();
        }
    }

    private final String name;
    private final String netns;
    private final String initialCluster;
    private final String initialClusterState;
    private final String clusterToken;
    private final int heartbeatMs;
    private final int electionMs;
    private final Duration startTimeout;
    private final List<String> extraArgs;
    /** The URLs were picked here (free loopback ports), and may be picked again if another process took one. */
    private final boolean portsPicked;
    private final Path dir;
    private final Path dataDir;
    private final Path logFile;
    private final EtcdHealth health = new EtcdHealth();
    private volatile URI clientUrl;
    private volatile URI peerUrl;
    private volatile ChildProcess process;

    EtcdServer(final EtcdServerBuilder builder)
    {
        if (builder.netns != null && (builder.clientUrl == null || builder.peerUrl == null))
        {
            throw new IllegalArgumentException("an etcd in a namespace needs its client and peer URLs");
        }
        this.name = builder.name != null ? builder.name :
            "vireo-etcd-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
        this.netns = builder.netns;
        this.portsPicked = builder.clientUrl == null && builder.peerUrl == null && builder.initialCluster == null;
        if (builder.clientUrl == null || builder.peerUrl == null)
        {
            final int[] ports = LoopbackPorts.free(2);
            this.clientUrl = builder.clientUrl != null ? builder.clientUrl : URI.create("http://127.0.0.1:" + ports[0]);
            this.peerUrl = builder.peerUrl != null ? builder.peerUrl : URI.create("http://127.0.0.1:" + ports[1]);
        }
        else
        {
            this.clientUrl = builder.clientUrl;
            this.peerUrl = builder.peerUrl;
        }
        this.initialCluster = builder.initialCluster;
        this.initialClusterState = builder.initialClusterState;
        this.clusterToken = builder.clusterToken != null ? builder.clusterToken : name;
        this.heartbeatMs = builder.heartbeatMs;
        this.electionMs = builder.electionMs;
        this.startTimeout = builder.startTimeout;
        this.extraArgs = List.copyOf(builder.extraArgs);
        try
        {
            final Path base = builder.baseDir != null ? builder.baseDir : Path.of(System.getProperty("java.io.tmpdir"));
            this.dir = Files.createTempDirectory(base, "vireo-etcd-" + name + "-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot make a directory for etcd " + name, ex);
        }
        this.dataDir = dir.resolve("data");
        this.logFile = dir.resolve("etcd.log");
    }

    /**
     * Launches etcd if it is not running and waits until it is healthy; outside a namespace, if one of the
     * ports it picked was taken meanwhile, picks others.
     *
     * @throws IllegalStateException if it exits or is not healthy within the start timeout, with its log's end.
     */
    public synchronized void start()
    {
        for (int attempt = 1; ; attempt++)
        {
            launch();
            try
            {
                awaitHealthy();
                return;
            }
            catch (final IllegalStateException ex)
            {
                if (!portsPicked || attempt == PORT_ATTEMPTS || isRunning() || !logTail(50).contains("address already in use"))
                {
                    throw ex;
                }
                final int[] ports = LoopbackPorts.free(2);
                clientUrl = URI.create("http://127.0.0.1:" + ports[0]);
                peerUrl = URI.create("http://127.0.0.1:" + ports[1]);
            }
        }
    }

    /**
     * Launches etcd if it is not running, without waiting for it.
     */
    public synchronized void launch()
    {
        if (isRunning())
        {
            return;
        }
        if (process != null)
        {
            process.forget();
        }
        final List<String> command = new ArrayList<>();
        if (netns != null)
        {
            // ip execs etcd in the namespace: the pid is etcd's own
            command.addAll(List.of("ip", "netns", "exec", netns));
        }
        command.add(ETCD.toString());
        command.addAll(List.of(
            "--name", name,
            "--data-dir", dataDir.toString(),
            "--listen-client-urls", clientUrl.toString(),
            "--advertise-client-urls", clientUrl.toString(),
            "--listen-peer-urls", peerUrl.toString(),
            "--initial-advertise-peer-urls", peerUrl.toString(),
            "--initial-cluster", initialCluster != null ? initialCluster : name + "=" + peerUrl,
            "--initial-cluster-state", initialClusterState,
            "--initial-cluster-token", clusterToken,
            "--heartbeat-interval", Integer.toString(heartbeatMs),
            "--election-timeout", Integer.toString(electionMs),
            "--logger", "zap",
            "--log-outputs", "stderr"));
        command.addAll(extraArgs);
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().keySet().removeIf(key -> key.startsWith("ETCD_"));
        try
        {
            process = ChildProcess.start(builder);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start " + command, ex);
        }
    }

    /**
     * Waits until {@code /health} answers true, polling every 50 ms, for the start timeout.
     *
     * @throws IllegalStateException if it exits or is not healthy in time, with its log's end.
     */
    public void awaitHealthy()
    {
        final long deadline = System.nanoTime() + startTimeout.toNanos();
        while (true)
        {
            final ChildProcess running = process;
            if (running == null || !running.isAlive())
            {
                throw new IllegalStateException("etcd " + name + " exited (" +
                    (running == null ? "not started" : "status " + running.exitValue()) + "); its log ends:\n" + logTail(30));
            }
            if (isHealthy())
            {
                return;
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("etcd " + name + " not healthy after " + startTimeout.toSeconds() +
                    " s at " + clientUrl + "; its log ends:\n" + logTail(30));
            }
            try
            {
                Thread.sleep(POLL_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for etcd " + name, ex);
            }
        }
    }

    /**
     * @return true if {@code /health} answers true now (it runs and has a leader).
     */
    public boolean isHealthy()
    {
        return health.isHealthy(clientUrl, netns);
    }

    /**
     * Stops etcd: SIGTERM to its pid, SIGKILL if it has not exited 10 s later. Nothing if it is not running.
     */
    public synchronized void stop()
    {
        final ChildProcess running = process;
        if (running == null)
        {
            return;
        }
        running.stop(STOP_GRACE);
        process = null;
    }

    /**
     * Kills etcd: SIGKILL to its pid, and waits for it to be gone.
     */
    public synchronized void kill()
    {
        final ChildProcess running = process;
        if (running == null)
        {
            return;
        }
        running.kill(STOP_GRACE);
        process = null;
    }

    /**
     * @return true if its process runs.
     */
    public boolean isRunning()
    {
        final ChildProcess running = process;
        return running != null && running.isAlive();
    }

    /**
     * @return its pid (of the {@code ip netns exec} that became etcd, in a namespace).
     * @throws IllegalStateException if it is not running.
     */
    public long pid()
    {
        final ChildProcess running = process;
        if (running == null)
        {
            throw new IllegalStateException("etcd " + name + " is not running");
        }
        return running.pid();
    }

    public String name()
    {
        return name;
    }

    public URI clientUrl()
    {
        return clientUrl;
    }

    public URI peerUrl()
    {
        return peerUrl;
    }

    public Path dataDir()
    {
        return dataDir;
    }

    public Path logFile()
    {
        return logFile;
    }

    /**
     * @return the last {@code lines} lines of its log (empty if there is none).
     */
    public String logTail(final int lines)
    {
        try
        {
            if (!Files.exists(logFile))
            {
                return "";
            }
            final List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
        catch (final IOException ex)
        {
            return "(cannot read " + logFile + ": " + ex + ")";
        }
    }

    /**
     * Stops etcd (SIGTERM, then SIGKILL) and removes its directory.
     */
    @Override
    public synchronized void close()
    {
        stop();
        try (Stream<Path> paths = Files.walk(dir))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (final IOException ex)
        {
            // already gone
        }
    }

    @Override
    public String toString()
    {
        return "etcd " + name + " at " + clientUrl + (netns == null ? "" : " in " + netns);
    }
}
