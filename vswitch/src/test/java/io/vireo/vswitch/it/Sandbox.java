package io.vireo.vswitch.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What an integration test creates on the machine: network namespaces and processes, all named
 * with a unique prefix, all removed on {@link #close()} (processes by handle, namespaces by name),
 * whether the test passed or not.
 */
final class Sandbox implements AutoCloseable
{
    /** Output and exit status of a finished command. */
    record Result(int exit, String out, String err)
    {
        String all()
        {
            return out + err;
        }
    }

    /**
     * vt, the number of the failsafe JVM it runs in (two run at once: their prefixes never meet; 0 outside failsafe),
     * and three random hex digits.
     */
    final String prefix = "vt" + Integer.toHexString(Integer.getInteger("vireo.it.fork", 0) & 0xf) +
        String.format("%03x", ThreadLocalRandom.current().nextInt(0x1000));
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> hostInterfaces = new ArrayList<>();
    private final Deque<Process> processes = new ArrayDeque<>();
    private final List<Path> files = new ArrayList<>();
    /** Run dirs of daemons started here, whose port keepers outlive them and are stopped at close. */
    private final java.util.Set<Path> runDirs = new java.util.LinkedHashSet<>();

    Sandbox()
    {
        if (!"root".equals(System.getProperty("user.name")))
        {
            fail("integration tests create namespaces and TAP devices: run them as root (scripts/test.sh)");
        }
    }

    /** Creates namespace {@code <prefix>-<suffix>} with IPv6 off (no stray router solicitations) and lo up. */
    String namespace(final String suffix)
    {
        final String name = prefix + "-" + suffix;
        check(run("ip", "netns", "add", name));
        namespaces.add(name);
        check(run("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1"));
        check(run("ip", "-n", name, "link", "set", "lo", "up"));
        return name;
    }

    /**
     * Gives a namespace of this sandbox its own resolver configuration: {@code ip netns exec} mounts
     * {@code /etc/netns/NAME/resolv.conf} over {@code /etc/resolv.conf}. Removed at close.
     */
    void resolvConf(final String netns, final String content) throws IOException
    {
        final Path dir = Path.of("/etc/netns", netns);
        Files.createDirectories(dir);
        files.add(dir);
        Files.writeString(dir.resolve("resolv.conf"), content);
    }

    /** Forgets a namespace the test deleted itself. */
    void namespaceDeleted(final String name)
    {
        namespaces.remove(name);
    }

    /** An interface name with the sandbox prefix (at most 15 characters). */
    String ifname(final String suffix)
    {
        return prefix + suffix;
    }

    /**
     * An interface name with the sandbox prefix for something the test runs to create in this namespace (a CNI
     * plugin's bridge), deleted at close if it is there.
     */
    String hostInterface(final String suffix)
    {
        final String name = ifname(suffix);
        hostInterfaces.add(name);
        return name;
    }

    Path tempFile(final String suffix) throws IOException
    {
        final Path file = Files.createTempFile(prefix, suffix);
        files.add(file);
        return file;
    }

    Path tempDir(final String suffix) throws IOException
    {
        final Path dir = Files.createTempDirectory(prefix + suffix);
        files.add(dir);
        return dir;
    }

    Result run(final String... command)
    {
        return run(60, command);
    }

    Result run(final long timeoutSeconds, final String... command)
    {
        try
        {
            final Path out = Files.createTempFile(prefix, ".out");
            final Path err = Files.createTempFile(prefix, ".err");
            try
            {
                final Process process = new ProcessBuilder(command)
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                process.getOutputStream().close();
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
                {
                    process.destroyForcibly().waitFor();
                    fail("timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
                }
                return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
            }
            finally
            {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    Result inNetns(final String netns, final String... command)
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    /**
     * A DPDK {@code --file-prefix} of this sandbox; DPDK's runtime directory
     * {@code /var/run/dpdk/<prefix>}, which the application leaves behind, is removed at close.
     */
    String dpdkFilePrefix(final String suffix)
    {
        final String filePrefix = prefix + suffix;
        files.add(Path.of("/var/run/dpdk", filePrefix));
        return filePrefix;
    }

    /** Starts a background process, stopped (with its children) at close. Output goes to {@code log}. */
    Process start(final Path log, final String... command) throws IOException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.push(process);
        return process;
    }

    static Result check(final Result result)
    {
        assertEquals(0, result.exit(), result::all);
        return result;
    }

    static String readUtf8(final Path file) throws IOException
    {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    /** A daemon runs on {@code runDir}: its port keeper (which outlives it) is stopped at close. */
    void daemonRunsIn(final Path runDir)
    {
        runDirs.add(runDir);
    }

    @Override
    public void close()
    {
        while (!processes.isEmpty())
        {
            stop(processes.pop());
        }
        runDirs.forEach(Sandbox::stopPortKeeper);
        for (final String ns : namespaces)
        {
            run("ip", "netns", "del", ns);
        }
        namespaces.clear();
        for (final String name : hostInterfaces)
        {
            if (Files.exists(Path.of("/sys/class/net", name)))
            {
                run("ip", "link", "del", name);
            }
        }
        for (final Path file : files)
        {
            run("rm", "-rf", file.toString());
        }
    }

    /** Stops the port keeper of a run dir by the pid it wrote there (see {@link #stopPortKeeper(long, Path)}). */
    private static void stopPortKeeper(final Path runDir)
    {
        try
        {
            stopPortKeeper(portKeeperPid(runDir), runDir);
        }
        catch (final IOException | NumberFormatException ex)
        {
            // no keeper runs there (it wrote no pid file, or removed it as it exited)
        }
    }

    /** The pid the port keeper of {@code runDir} wrote there. */
    static long portKeeperPid(final Path runDir) throws IOException
    {
        return Long.parseLong(Files.readString(runDir.resolve("keeper.pid")).strip());
    }

    /**
     * Stops process {@code pid} if it is the port keeper of {@code runDir}, as its command line shows (a pid is
     * reused once its process is gone), and waits until it has exited.
     */
    static void stopPortKeeper(final long pid, final Path runDir)
    {
        ProcessHandle.of(pid)
            .filter(keeper -> isPortKeeper(keeper, runDir))
            .ifPresent(keeper ->
            {
                keeper.destroy();
                keeper.onExit().orTimeout(20, TimeUnit.SECONDS).exceptionally(timeout -> keeper).join();
                keeper.destroyForcibly();
            });
    }

    /** True while {@code process} runs the port keeper of {@code runDir} (an exited one, a zombie, has no command line). */
    static boolean isPortKeeper(final ProcessHandle process, final Path runDir)
    {
        return process.info().commandLine().orElse("").contains(runDir.resolve("port-keeper.py").toString());
    }

    /** SIGTERM, then SIGKILL after 20 s; descendants too (ip netns exec keeps the child's pid tree). */
    static void stop(final Process process)
    {
        final List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try
        {
            if (!process.waitFor(20, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    static Path resource(final String name)
    {
        try
        {
            return Path.of(Sandbox.class.getResource("/" + name).toURI());
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("missing test resource " + name, ex);
        }
    }

    /**
     * Runs a command as a CNI runtime runs a plugin: this process's environment plus {@code env}, and
     * {@code stdin} as its standard input.
     */
    Result runWithInput(final java.util.Map<String, String> env, final String stdin, final String... command)
    {
        try
        {
            final Path in = Files.createTempFile(prefix, ".in");
            final Path out = Files.createTempFile(prefix, ".out");
            final Path err = Files.createTempFile(prefix, ".err");
            try
            {
                Files.writeString(in, stdin);
                final ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
                builder.environment().putAll(env);
                final Process process = builder.start();
                if (!process.waitFor(60, TimeUnit.SECONDS))
                {
                    process.destroyForcibly().waitFor();
                    fail("timed out after 60 s: " + String.join(" ", command));
                }
                return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
            }
            finally
            {
                Files.deleteIfExists(in);
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
