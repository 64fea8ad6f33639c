package io.vireo.vswitch.docker;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.vireo.vswitch.control.ControlChannel;
import io.vireo.vswitch.launch.Commands;
import io.vireo.vswitch.launch.RunDir;
import io.vireo.vswitch.launch.StopSignal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vireo-docker}: the Docker network driver, in the foreground. Docker finds it by its socket
 * ({@code /run/docker/plugins/vireo.sock}: {@code docker network create -d vireo ...}); it drives the
 * {@code vireod} of {@code --run-dir}. SIGTERM or SIGINT stops it with exit status 0; the bridges and ports
 * it made stay with the daemon, and its state file lets it take over where it left off.
 */
@Command(name = "vireo-docker", mixinStandardHelpOptions = true, version = "vireo-docker 0.1.0",
    description = "Docker network driver (libnetwork remote driver protocol) backed by vireod.")
public final class VireoDocker implements Callable<Integer>
{
    @Option(names = "--run-dir", paramLabel = "DIR", description = "the daemon's run dir (default: ${DEFAULT-VALUE})")
    RunDir runDir = RunDir.DEFAULT;

    @Option(names = "--socket", paramLabel = "PATH", description = "where Docker finds the plugin (default: ${DEFAULT-VALUE})")
    Path socket = Path.of("/run/docker/plugins/vireo.sock");

    @Option(names = "--state", paramLabel = "FILE",
        description = "networks and endpoints, kept across restarts (default: ${DEFAULT-VALUE})")
    Path stateFile = Path.of("/var/lib/vireo/docker-driver.json");

    private final PrintStream out;
    private final PrintStream err;

    VireoDocker(final PrintStream out, final PrintStream err)
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
        return Commands.execute("vireo-docker", new VireoDocker(out, err), args, out, err);
    }

    @Override
    public Integer call()
    {
        final PluginServer server;
        try
        {
            final NetworkDriver driver = new NetworkDriver(
                ControlChannel.socket(runDir.controlSocket()), DriverState.load(stateFile));
            server = PluginServer.start(driver, socket);
        }
        catch (final IllegalStateException ex)
        {
            err.println("vireo-docker: " + ex.getMessage());
            return 1;
        }
        final StopSignal stop = StopSignal.install();
        out.println("vireo-docker: ready, pid " + ProcessHandle.current().pid() + ", plugin socket " + server.socketPath() +
            ", vireod " + runDir.controlSocket() + ", state " + stateFile);
        out.flush();
        stop.await();
        server.close();
        out.println("vireo-docker: stopped");
        return 0;
    }
}
