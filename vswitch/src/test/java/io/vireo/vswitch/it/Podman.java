package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's podman (4.3) on a setup of the test's own: storage (vfs), run root and temp dir in a temp dir, and a
 * containers.conf (given with {@code CONTAINERS_CONF}) for the CNI backend, runc and cgroupfs, whose CNI plugin dirs are
 * one holding {@code vireo} (scripts/vireo-cni) and /usr/lib/cni, and whose network config dir holds the test's
 * conflists. Containers run from a {@link BusyboxRootfs} ({@code --rootfs}) in the sandbox's cgroup
 * {@code /<prefix>-podman}. {@link #close()} removes them and whatever they left.
 */
final class Podman implements AutoCloseable
{
    private static final Path PODMAN = Path.of("/usr/bin/podman");

    private final Sandbox sandbox;
    private final BusyboxRootfs rootfs;
    private final Path networkConfigDir;
    private final String cgroup;
    private final List<String> command;
    private final RuntimeLeftovers leftovers;

    private Podman(
        final Sandbox sandbox, final BusyboxRootfs rootfs, final Path networkConfigDir, final String cgroup,
        final List<String> command, final RuntimeLeftovers leftovers)
    {
        this.sandbox = sandbox;
        this.rootfs = rootfs;
        this.networkConfigDir = networkConfigDir;
        this.cgroup = cgroup;
        this.command = command;
        this.leftovers = leftovers;
    }

    static Podman create(final Sandbox sandbox, final BusyboxRootfs rootfs) throws Exception
    {
        assertTrue(Files.isExecutable(PODMAN), "podman is missing: apt-get install podman runc (scripts/install-deps.sh)");
        HostLocal.assertInstalled();
        final Path home = sandbox.tempDir("podman");
        final Path cniBin = Files.createDirectory(home.resolve("cni-bin"));
        Daemon.installCniPlugin(sandbox, cniBin);
        final Path networkConfigDir = Files.createDirectory(home.resolve("networks"));
        final Path config = home.resolve("containers.conf");
        Files.writeString(config, """
            [containers]
            # Podman raises a root container's limits to 1048576 files and processes; without CAP_SYS_RESOURCE (as in
            # this VM) runc may not, and the container fails to start.
            default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            tmp_dir = "%s"

            [network]
            network_backend = "cni"
            cni_plugin_dirs = ["%s", "%s"]
            network_config_dir = "%s"
            """.formatted(home.resolve("tmp"), cniBin, HostLocal.PLUGIN_DIR, networkConfigDir));

        final String cgroup = "/" + sandbox.prefix + "-podman";
        final RuntimeLeftovers leftovers = new RuntimeLeftovers(sandbox, cgroup, List.of(home));
        // runc's state (in its default root: podman passes no other to the runc of a container's exit command) and
        // libcni's cache of results, which podman does not let a config move.
        leftovers.place(Path.of("/run/runc"));
        leftovers.place(Path.of("/var/lib/cni/results"));
        leftovers.place(Path.of("/var/lib/cni"));
        final List<String> command = List.of("env", "CONTAINERS_CONF=" + config, PODMAN.toString(),
            "--root", home.resolve("root").toString(), "--runroot", home.resolve("runroot").toString(), "--storage-driver", "vfs");
        return new Podman(sandbox, rootfs, networkConfigDir, cgroup, command, leftovers);
    }

    /** Network {@code name}: a conflist (CNI 1.0.0) of the one plugin config {@code plugin}, a JSON object. */
    void network(final String name, final String plugin) throws Exception
    {
        Files.writeString(networkConfigDir.resolve(name + ".conflist"),
            "{\"cniVersion\": \"1.0.0\", \"name\": \"" + name + "\", \"plugins\": [" + plugin + "]}");
    }

    Sandbox.Result podman(final String... args)
    {
        final List<String> full = new ArrayList<>(command);
        full.addAll(List.of(args));
        return sandbox.run(full.toArray(String[]::new));
    }

    /** {@code podman run -d} of a {@link Container#SLEEPER} on {@code network} with {@code options}. */
    Container start(final String name, final String network, final String... options)
    {
        final List<String> args = new ArrayList<>(List.of("--cgroup-parent", cgroup, "--network", network));
        args.addAll(List.of(options));
        args.addAll(List.of("--rootfs", rootfs.dir.toString()));
        args.addAll(Container.SLEEPER);
        final Container container = Container.start(sandbox, command, name, args);
        leftovers.container(container.id(), container.netns());
        return container;
    }

    /** {@code podman run --rm} of {@code program} on {@code network}, in the foreground. */
    Sandbox.Result runOnce(final String network, final String... program)
    {
        final List<String> args = new ArrayList<>(List.of("run", "--rm", "--cgroup-parent", cgroup, "--network", network,
            "--rootfs", rootfs.dir.toString()));
        args.addAll(List.of(program));
        return podman(args.toArray(String[]::new));
    }

    @Override
    public void close() throws Exception
    {
        podman("rm", "--all", "--force", "--time", "0");
        leftovers.clean();
    }
}
