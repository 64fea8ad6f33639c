package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dockerd of the test's own (Debian's docker.io, 20.10): its config file, data root, exec root (where it runs its
 * own containerd), API socket and pidfile in a temp dir; vfs storage, no iptables, no default bridge; its containers
 * in the sandbox's cgroup {@code /<prefix>-docker}. Network plugins are found where every dockerd looks, so
 * {@link #plugin} writes a spec file in /etc/docker/plugins. {@link #close()} removes the containers and networks,
 * stops the daemon and removes whatever it left.
 */
final class DockerEngine implements AutoCloseable
{
    private static final Path DOCKERD = Path.of("/usr/sbin/dockerd");
    /** The package's client; this image also has a newer one in /usr/local/bin. */
    private static final Path DOCKER = Path.of("/usr/bin/docker");
    private static final Path PLUGIN_SPECS = Path.of("/etc/docker/plugins");
    static final String IMAGE = "busybox-rootfs";

    private final Sandbox sandbox;
    private final Process dockerd;
    private final List<String> command;
    private final RuntimeLeftovers leftovers;

    private DockerEngine(final Sandbox sandbox, final Process dockerd, final List<String> command, final RuntimeLeftovers leftovers)
    {
        this.sandbox = sandbox;
        this.dockerd = dockerd;
        this.command = command;
        this.leftovers = leftovers;
    }

    /** Starts dockerd, waits until it answers, and imports {@code rootfs} as its one image. */
    static DockerEngine start(final Sandbox sandbox, final BusyboxRootfs rootfs) throws Exception
    {
        assertTrue(Files.isExecutable(DOCKERD) && Files.isExecutable(DOCKER),
            "dockerd is missing: apt-get install docker.io (scripts/install-deps.sh)");
        final Path home = sandbox.tempDir("docker");
        final Path dataRoot = home.resolve("data");
        final Path execRoot = home.resolve("exec");
        final Path socket = home.resolve("docker.sock");
        final Path config = home.resolve("daemon.json");
        // Its identity key would go to /etc/docker/key.json otherwise.
        Files.writeString(config, "{\"deprecated-key-path\": \"" + home.resolve("key.json") + "\"}");

        final String cgroup = "/" + sandbox.prefix + "-docker";
        final RuntimeLeftovers leftovers = new RuntimeLeftovers(sandbox, cgroup, List.of(dataRoot, execRoot));
        // Fixed in containerd and dockerd: the shims' sockets, and the managed plugins' root.
        leftovers.place(Path.of("/run/containerd/s"));
        leftovers.place(Path.of("/run/containerd"));
        leftovers.place(Path.of("/run/docker/plugins"));
        leftovers.place(Path.of("/run/docker"));
        final Process dockerd = sandbox.start(home.resolve("dockerd.log"), DOCKERD.toString(), "--config-file", config.toString(),
            "--data-root", dataRoot.toString(), "--exec-root", execRoot.toString(), "-H", "unix://" + socket,
            "--pidfile", home.resolve("docker.pid").toString(), "--storage-driver", "vfs", "--iptables=false",
            "--ip6tables=false", "--bridge=none", "--cgroup-parent", cgroup);
        final DockerEngine engine = new DockerEngine(sandbox, dockerd, List.of(DOCKER.toString(), "-H", "unix://" + socket), leftovers);
        TapForwardingIT.waitFor(() ->
        {
            if (!dockerd.isAlive())
            {
                throw new AssertionError("dockerd exited " + dockerd.exitValue() + ": " + Sandbox.readUtf8(home.resolve("dockerd.log")));
            }
            return 0 == engine.docker("version").exit();
        }, "dockerd answers", 60);
        check(engine.docker("import", rootfs.tarball(sandbox).toString(), IMAGE));
        return engine;
    }

    /** Makes the network driver serving {@code socket} Docker's plugin {@code name}; its spec file goes at close. */
    void plugin(final String name, final Path socket) throws Exception
    {
        final Path spec = PLUGIN_SPECS.resolve(name + ".spec");
        leftovers.place(spec);
        leftovers.place(PLUGIN_SPECS);
        leftovers.place(PLUGIN_SPECS.getParent());
        Files.createDirectories(PLUGIN_SPECS);
        Files.writeString(spec, "unix://" + socket + "\n");
    }

    Sandbox.Result docker(final String... args)
    {
        final List<String> full = new ArrayList<>(command);
        full.addAll(List.of(args));
        return sandbox.run(full.toArray(String[]::new));
    }

    /** {@code docker run -d} of a {@link Container#SLEEPER} on {@code network} with {@code options}. */
    Container start(final String name, final String network, final String... options)
    {
        final List<String> args = new ArrayList<>(List.of("--network", network));
        args.addAll(List.of(options));
        args.add(IMAGE);
        args.addAll(Container.SLEEPER);
        final Container container = Container.start(sandbox, command, name, args);
        leftovers.container(container.id(), container.netns());
        return container;
    }

    @Override
    public void close() throws Exception
    {
        if (dockerd.isAlive())
        {
            final String containers = docker("ps", "--all", "--quiet").out().strip();
            if (!containers.isEmpty())
            {
                final List<String> remove = new ArrayList<>(List.of("rm", "--force"));
                remove.addAll(containers.lines().toList());
                docker(remove.toArray(String[]::new));
            }
            // While the driver still runs, so that it takes its bridges and router interfaces back.
            final String networks = docker("network", "ls", "--quiet", "--filter", "type=custom").out().strip();
            if (!networks.isEmpty())
            {
                final List<String> remove = new ArrayList<>(List.of("network", "rm"));
                remove.addAll(networks.lines().toList());
                docker(remove.toArray(String[]::new));
            }
        }
        Sandbox.stop(dockerd);
        leftovers.clean();
    }
}
