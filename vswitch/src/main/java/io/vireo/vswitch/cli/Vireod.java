package io.vireo.vswitch.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import io.vireo.cluster.ClusterConfig;
import io.vireo.cluster.ClusterNode;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.vswitch.cni.CniService;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlServer;
import io.vireo.vswitch.control.MetricsServer;
import io.vireo.vswitch.core.BridgeInfo;
import io.vireo.vswitch.core.ClusterSwitch;
import io.vireo.vswitch.core.CountersFile;
import io.vireo.vswitch.core.CpuList;
import io.vireo.vswitch.core.IdleMode;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import io.vireo.vswitch.core.VireoException;
import io.vireo.vswitch.launch.Commands;
import io.vireo.vswitch.launch.RunDir;
import io.vireo.vswitch.launch.StopSignal;
import io.vireo.vswitch.registry.LeaseEvictor;
import io.vireo.vswitch.registry.ServiceRegistry;
import org.agrona.concurrent.SystemNanoClock;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code vireod}: the switch daemon, in the foreground. With no config it starts from the run dir's saved
 * state ({@code state.yaml}, written after every change), or the embedded default (one bridge {@code br0})
 * if there is none. With {@code --config FILE} it builds the switch from
 * the file (the embedded default if there is no file yet) and saves every change made through the control
 * API there ({@link StateFile}). Control socket {@code <run-dir>/vireo.sock}, counters
 * {@code <run-dir>/counters.dat} ({@link RunDir}), Prometheus metrics on {@code 127.0.0.1:9477/metrics}. SIGTERM (or SIGINT) deletes every port, which removes the
 * interfaces the daemon created, and exits 0. A lock file keeps two daemons off one run dir.
 * <p>
 * The daemon keeps a service registry ({@code /v1/registry}): a thread of its own evicts the instances whose
 * lease ran out, every second, and tells the registry's listeners of changes. Instances with no lease are saved
 * with the switch and come back at the next start; those with a lease do not (their clients register again when
 * a heartbeat is answered 404).
 */
@Command(name = "vireod", mixinStandardHelpOptions = true, version = "vireod 0.1.0",
    description = "Vireo userspace virtual switch daemon (runs in the foreground).")
public final class Vireod implements Callable<Integer>
{
    @Option(names = "--run-dir", paramLabel = "DIR", description = "control socket and counters (default: ${DEFAULT-VALUE})")
    RunDir runDir = RunDir.DEFAULT;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file of bridges, ports and policies to create at start, and to save changes to")
    Path config;

    @Option(names = "--metrics", paramLabel = "HOST:PORT|off",
        description = "Prometheus metrics address (default: ${DEFAULT-VALUE}); off: none")
    String metrics = "127.0.0.1:9477";

    @Option(names = "--idle", paramLabel = "MODE", converter = IdleModeConverter.class,
        description = "how forwarding threads wait when idle: busy, backoff or adaptive (default: ${DEFAULT-VALUE})")
    IdleMode idle = IdleMode.ADAPTIVE;

    @Option(names = "--threads", paramLabel = "N",
        description = "forwarding threads; with more than one every TAP is multi-queue, a queue per thread (default: ${DEFAULT-VALUE})")
    int threads = 1;

    @Option(names = "--burst", paramLabel = "N",
        description = "most frames a forwarding thread takes from a port at once, 1 to 256 (default: ${DEFAULT-VALUE})")
    int burst = new VireoContext().burstSize();

    @Option(names = "--warm-up", paramLabel = "BURSTS",
        description = "bursts of synthetic frames run through a private copy of the forwarding path before ready, so " +
            "that it is compiled before the first real frame; fewer start sooner (0: none, about 2 s sooner on 2 cores) " +
            "and leave the first real frames slower (default: ${DEFAULT-VALUE})")
    int warmUpBursts = new VireoContext().warmUpBursts();

    @Option(names = "--conntrack-capacity", paramLabel = "N",
        description = "connections the routers' NAT tracks at once; beyond, new ones are refused (default: ${DEFAULT-VALUE})")
    int conntrackCapacity = new VireoContext().connectionCapacity();

    @Option(names = "--no-port-keeper", negatable = false,
        description = "let TAP ports go when vireod stops, instead of keeping them (and the containers' interfaces) " +
            "for the next vireod on this run dir")
    boolean noPortKeeper;

    @Option(names = "--takeover", negatable = false,
        description = "take the place of the vireod running with this run dir: its TAP ports, VXLAN sockets, " +
            "vhost-user connections, learned and remote MACs and a cluster node's lease pass to this one, which forwards " +
            "at once, and it exits 0; if that " +
            "cannot be done it goes on and this one exits 1. The switch is the running one's (--config only says where " +
            "changes go); --threads must be the running one's")
    boolean takeover;

    @Option(names = "--cpus", paramLabel = "LIST",
        description = "pin forwarding thread i to the i-th CPU of LIST, one CPU per thread, e.g. 1 or 0,1 or 2-3 (default: not pinned)")
    String cpus;

    @Option(names = "--fdb-capacity", paramLabel = "N",
        description = "MACs the forwarding table holds, learned and remote (default: 65536; 262144 with --cluster, " +
            "where every endpoint of the cluster is one; 32 bytes each)")
    Integer fdbCapacity;

    @Mixin
    ClusterOptions clusterOptions = new ClusterOptions();

    /** A cluster node's default forwarding table: room for the endpoints of a cluster of 100,000 and more. */
    private static final int CLUSTER_FDB_CAPACITY = 262_144;

    static final class IdleModeConverter implements CommandLine.ITypeConverter<IdleMode>
    {
        @Override
        public IdleMode convert(final String value)
        {
            return IdleMode.parse(value);
        }
    }

    private final PrintStream out;
    private final PrintStream err;

    Vireod(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    public static void main(final String[] args)
    {
        System.exit(run(args, System.out, System.err));
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        return Commands.execute("vireod", new Vireod(out, err), args, out, err);
    }

    @Override
    public Integer call()
    {
        try
        {
            return serve();
        }
        catch (final VireoException | IllegalStateException | IllegalArgumentException ex)
        {
            err.println("vireod: " + ex.getMessage());
            return 1;
        }
    }

    private int serve()
    {
        if (!Privileges.isRoot())
        {
            err.println("vireod: must run as root (it creates TAP devices and configures network namespaces)");
            return 1;
        }
        if (!Native.isAvailable())
        {
            err.println("vireod: " + Native.unavailableReason());
            return 1;
        }
        final DaemonConfig configured = loadConfig();
        clusterOptions.check();
        createRunDir();
        if (takeover)
        {
            return takeOver();
        }
        try (FileChannel lockFile = FileChannel.open(runDir.lockFile(),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockFile.tryLock())
        {
            if (null == lock)
            {
                err.println("vireod: another vireod is running with run dir " + runDir);
                return 1;
            }
            return serveLocked(configured, lockFile, lock, null);
        }
        catch (final IOException ex)
        {
            err.println("vireod: cannot lock " + runDir.lockFile() + ": " + ex.getMessage());
            return 1;
        }
    }

    private DaemonConfig loadConfig()
    {
        return null == config || !Files.exists(config) ? null : DaemonConfig.load(config);
    }

    /**
     * Takes the place of the daemon running with the run dir ({@link Takeover}): this one starts and warms up its
     * forwarding path while that one forwards, then takes its ports, builds the switch from the run dir's state (or
     * {@code --config}) as it is once that daemon refuses changes, then the handover itself; the run dir's lock
     * comes last, when that daemon lets it go.
     */
    private int takeOver()
    {
        try (FileChannel lockFile = FileChannel.open(runDir.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE))
        {
            final FileLock probe = lockFile.tryLock();
            if (null != probe)
            {
                probe.release();
                err.println("vireod: --takeover: no vireod is running with run dir " + runDir + ": nothing to take over");
                return 1;
            }
            try (Takeover.Client client = Takeover.Client.connect(runDir.takeoverSocket()))
            {
                return serveLocked(loadConfig(), lockFile, null, client);
            }
        }
        catch (final Takeover.TakeoverException | VireoException | IllegalStateException | IllegalArgumentException ex)
        {
            err.println("vireod: takeover failed: " + ex.getMessage() + "; the running vireod goes on forwarding");
            return 1;
        }
        catch (final IOException ex)
        {
            err.println("vireod: cannot open " + runDir.lockFile() + ": " + ex.getMessage());
            return 1;
        }
    }

    /**
     * Builds the switch and serves it. The switch comes from {@code --config} when it names a file; else from the
     * run dir's state, the switch as an earlier vireod on this run dir left it; else from the embedded default.
     * Containers' ports come back from the run dir's state in either case, taking back the TAPs the port
     * keeper held for them, so their interfaces never went away.
     */
    private int serveLocked(final DaemonConfig configured, final FileChannel lockFile, final FileLock heldLock,
        final Takeover.Client takeover)
    {
        DaemonConfig earlier = runState();
        DaemonConfig daemonConfig = null == takeover ? chosen(configured, earlier) : takenOver(earlier);
        final DaemonConfig.ClusterSection clusterSection = clusterOptions.section(daemonConfig);
        final ClusterConfig clusterConfig = null == clusterSection ? null : ClusterOptions.config(clusterSection);
        final VireoContext context = new VireoContext()
            .idleMode(idle)
            .forwardingThreads(threads)
            .burstSize(burst)
            .warmUpBursts(warmUpBursts)
            .forwardingCpus(null == cpus ? null : cpuList(cpus))
            .connectionCapacity(conntrackCapacity)
            .fdbCapacity(null != fdbCapacity ? fdbCapacity : null != clusterConfig ? CLUSTER_FDB_CAPACITY :
                new VireoContext().fdbCapacity())
            .countersFile(null == takeover ? runDir.countersFile() : RunDir.incoming(runDir.countersFile()))
            .portKeeperDir(noPortKeeper ? null : runDir.path());
        if (null != daemonConfig.agingSeconds())
        {
            context.defaultAgingSeconds(daemonConfig.agingSeconds());
        }
        final Vireo vireo = Vireo.launch(context);
        final ScheduledThreadPoolExecutor registryThread = new ScheduledThreadPoolExecutor(1, task ->
        {
            final Thread thread = new Thread(task, "vireo-registry");
            thread.setDaemon(true);
            return thread;
        });
        // An eviction brought forward cancels the one scheduled: out of the queue at once, not at its time.
        registryThread.setRemoveOnCancelPolicy(true);
        final ServiceRegistry registry = new ServiceRegistry(SystemNanoClock.INSTANCE, registryThread,
            ex -> err.println("vireod: a service registry listener failed: " + ex));
        // The routers' DNS names and the services with --from-registry follow the registry's live instances.
        registry.addListener(listing -> vireo.gateway().registryChanged(listing.service(), listing.instances().stream()
            .map(instance -> instance.address().contains(":") ? "[" + instance.address() + "]:" + instance.port() :
                instance.address() + ":" + instance.port())
            .toList()));
        LeaseEvictor.start(registry, registryThread, SystemNanoClock.INSTANCE);
        final StateFile stateFile;
        final StateFile runStateFile;
        final ControlApi.ChangeListener changes;
        final ControlServer server;
        MetricsServer metricsServer;
        ClusterNode clusterNode = null;
        try
        {
            final Takeover.Handed handed = null == takeover ? null : takeover.hello(threads);
            if (null != handed)
            {
                vireo.handover().takePorts(handed.ports());
                // the switch as the running daemon has it, now that it takes no more changes
                earlier = runState();
                daemonConfig = takenOver(earlier);
            }
            daemonConfig.applyTo(vireo, err);
            if (null != earlier && earlier != daemonConfig)
            {
                earlier.applyContainerPortsTo(vireo, err);
            }
            if (null != handed)
            {
                handed.installOverlay(vireo);
            }
            if (null != takeover && !vireo.handover().unclaimedPorts().isEmpty())
            {
                throw new IllegalStateException("ports " + vireo.handover().unclaimedPorts() + " were handed over, but " +
                    "the switch built from " + runDir.stateFile() + " has none of that name");
            }
            if (!vireo.handover().unclaimedPorts().isEmpty())
            {
                err.println("vireod: the TAPs of ports " + vireo.handover().unclaimedPorts() + " were kept, but no " +
                    "port claims them now: let go");
                vireo.handover().releaseUnclaimedPorts();
            }
            daemonConfig.applyRegistryTo(registry, vireo, err);
            if (null != earlier && earlier != daemonConfig)
            {
                earlier.applyContainerInstancesTo(registry, vireo, err);
            }
            stateFile = null == config ? null : openStateFile(vireo, registry, daemonConfig);
            if (null != takeover && null != stateFile && stateFile.replaceIfOther())
            {
                err.println("vireod: --takeover: " + stateFile.path() + " was not the running switch; it wins, and the file " +
                    "holds it now");
            }
            // the run dir's copy keeps the cluster this daemon joined, flags or file: one restarted there joins it again
            runStateFile = openRunStateFile(vireo, registry, daemonConfig.withCluster(clusterSection));
            // the config file is saved even when the run dir's copy cannot be (a full /run)
            changes = null == stateFile ? runStateFile : () ->
            {
                try
                {
                    runStateFile.switchChanged();
                }
                finally
                {
                    stateFile.switchChanged();
                }
            };
            if (null != clusterConfig)
            {
                clusterNode = new ClusterNode(clusterConfig, new ClusterSwitch(vireo, clusterConfig.underlay()));
                if (null == takeover)
                {
                    clusterNode.start();
                }
            }
            // a daemon taking over binds the metrics address once the running one has let it go
            metricsServer = "off".equals(metrics) || null != takeover ? null :
                MetricsServer.start(vireo, clusterNode, metricsAddress(metrics));
            try
            {
                final ControlApi api = new ControlApi(vireo, registry, clusterNode, changes);
                server = ControlServer.start(api, new CniService(api::handle)::handle,
                    null == takeover ? runDir.controlSocket() : RunDir.incoming(runDir.controlSocket()));
            }
            catch (final RuntimeException ex)
            {
                if (null != metricsServer)
                {
                    metricsServer.close();
                }
                throw ex;
            }
        }
        catch (final RuntimeException ex)
        {
            closeCluster(clusterNode);
            registryThread.shutdownNow();
            vireo.close();
            deleteIncomingCounters(takeover);
            throw ex;
        }

        FileLock lock = heldLock;
        String tookOver = "";
        if (null != takeover)
        {
            try
            {
                final long goNs = System.nanoTime();
                final Takeover.Stopped stopped = takeover.go();
                final int skipped = vireo.handover().startForwarding(stopped.learned(), stopped.ports(),
                    CountersFile.earlierValues(runDir.countersFile()));
                // forwarding goes on from here: the renames (8-50 ms on a first, cold call) are not part of the pause
                final long pausedMs = (System.nanoTime() - goNs) / 1_000_000;
                if (null != clusterNode)
                {
                    // it forwards with what the running daemon's node installed; this one adopts its lease and
                    // reconciles that to the store's state, changing only what differs
                    clusterNode.start();
                }
                server.moveTo(runDir.controlSocket());
                vireo.handover().moveCountersFile(runDir.countersFile());
                tookOver = ", took over (forwarding paused " + pausedMs + " ms" +
                    (0 == skipped ? "" : ", " + skipped + " learned MACs not taken") + ")";
            }
            catch (final RuntimeException ex)
            {
                server.close();
                closeCluster(clusterNode);
                registryThread.shutdownNow();
                vireo.close();
                deleteIncomingCounters(takeover);
                throw ex;
            }
            if (!takeover.started())
            {
                err.println("vireod: the vireod taken over did not confirm it let go; waiting for the run dir's lock");
            }
            lock = RunDirLock.await(lockFile);
            if (null == lock)
            {
                err.println("vireod: the run dir's lock was not let go within " + RunDirLock.WAIT_MS + " ms; stopping");
                server.close();
                closeCluster(clusterNode);
                registryThread.shutdownNow();
                vireo.close();
                return 1;
            }
            metricsServer = "off".equals(metrics) ? null : MetricsServer.start(vireo, clusterNode, metricsAddress(metrics));
        }

        final StopSignal stop = StopSignal.install();
        final MetricsServer metricsToLetGo = metricsServer;
        final FileLock lockToLetGo = lock;
        final ClusterNode cluster = clusterNode;
        final Takeover.Server takeoverServer = Takeover.Server.start(runDir.takeoverSocket(), vireo,
            () -> ClusterHandover.pause(cluster, runStateFile), () -> ClusterHandover.resume(cluster), () ->
            {
                if (null != metricsToLetGo)
                {
                    metricsToLetGo.close();
                }
                RunDirLock.release(lockToLetGo);
            }, stop::release, err);
        out.println("vireod: ready, pid " + ProcessHandle.current().pid() + ", control socket " + server.socketPath() +
            ", metrics " + (null == metricsServer ? "off" : "http://" + metricsServer.address().getHostString() + ":" +
            metricsServer.address().getPort() + "/metrics") +
            ", bridges " + vireo.bridges().stream().map(BridgeInfo::name).toList() +
            ", changes " + (null == stateFile ? "not saved (no --config)" : "saved to " + stateFile.path()) +
            (null == clusterNode ? "" : ", cluster node " + clusterConfig.node() + " on " + clusterConfig.endpoints()) +
            tookOver);
        out.flush();
        stop.await();
        takeoverServer.close();
        if (0 != takeoverServer.successor())
        {
            // The control socket's path is the new daemon's now, and closing the server would delete it (Netty removes
            // the path it bound): the process's exit closes the socket. The ports close here; their devices stay.
            registryThread.shutdownNow();
            vireo.close();
            out.println("vireod: stopped, handed over to pid " + takeoverServer.successor());
            return 0;
        }
        server.close();
        closeCluster(clusterNode);
        registryThread.shutdownNow();
        if (null != metricsServer)
        {
            metricsServer.close();
        }
        vireo.close();
        out.println("vireod: stopped");
        return 0;
    }

    private static void closeCluster(final ClusterNode cluster)
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    /**
     * The switch a daemon taking over builds: the running one's, as the run dir's state has it, whatever
     * {@code --config} holds (that file is where changes are saved from now on); the embedded default if the run
     * dir has no state.
     */
    private static DaemonConfig takenOver(final DaemonConfig earlier)
    {
        return null != earlier ? earlier : DaemonConfig.embeddedDefault();
    }

    /** The switch to build: {@code --config}'s, else the run dir's state, else the embedded default. */
    private DaemonConfig chosen(final DaemonConfig configured, final DaemonConfig earlier)
    {
        return null != configured ? configured : null == config && null != earlier ? earlier : DaemonConfig.embeddedDefault();
    }

    private void deleteIncomingCounters(final Takeover.Client takeover)
    {
        if (null != takeover)
        {
            try
            {
                Files.deleteIfExists(RunDir.incoming(runDir.countersFile()));
            }
            catch (final IOException ex)
            {
                err.println("vireod: cannot delete " + RunDir.incoming(runDir.countersFile()) + ": " + ex.getMessage());
            }
        }
    }

    /** The run dir's state an earlier vireod left, or null: none, or one that cannot be read (logged). */
    private DaemonConfig runState()
    {
        if (!Files.exists(runDir.stateFile()))
        {
            return null;
        }
        try
        {
            return DaemonConfig.load(runDir.stateFile());
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("vireod: ignoring " + runDir.stateFile() + ": " + ex.getMessage());
            return null;
        }
    }

    private StateFile openRunStateFile(final Vireo vireo, final ServiceRegistry registry, final DaemonConfig daemonConfig)
    {
        try
        {
            return StateFile.openRunState(runDir.stateFile(), vireo, registry, daemonConfig.agingSeconds(),
                daemonConfig.cluster(), err);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex.getMessage(), ex);
        }
    }

    private StateFile openStateFile(final Vireo vireo, final ServiceRegistry registry, final DaemonConfig daemonConfig)
    {
        try
        {
            return StateFile.open(config, vireo, registry, daemonConfig.agingSeconds(), daemonConfig.cluster(), err);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex.getMessage(), ex);
        }
    }

    private static InetSocketAddress metricsAddress(final String text)
    {
        final int colon = text.lastIndexOf(':');
        try
        {
            if (colon <= 0)
            {
                throw new NumberFormatException();
            }
            final int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 0 || port > 65_535)
            {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(text.substring(0, colon), port);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("invalid --metrics '" + text + "': use HOST:PORT, e.g. 127.0.0.1:9477, or off");
        }
    }

    private void createRunDir()
    {
        try
        {
            Files.createDirectories(runDir.path());
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot create run dir " + runDir + ": " + ex.getMessage(), ex);
        }
    }

    private static int[] cpuList(final String text)
    {
        try
        {
            return CpuList.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new VireoException(VireoException.Kind.INVALID, "--cpus: " + ex.getMessage());
        }
    }
}
