package io.vireo.vswitch.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.cli.Vireoctl;
import io.vireo.vswitch.core.VireoContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A {@code vireod} process started through {@code scripts/vireod}, and {@code vireoctl} against it. */
final class Daemon
{
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path runDir;
    final Path log;
    final Process process;
    /** The network namespace it runs in; null: the test's own. */
    private final String netns;
    /** Its {@code --warm-up} option and value, which a daemon that takes over from it is given too. */
    private final List<String> warmUp;

    private Daemon(final String netns, final Path runDir, final Path log, final Process process, final List<String> warmUp)
    {
        this.netns = netns;
        this.warmUp = warmUp;
        this.runDir = runDir;
        this.log = log;
        this.process = process;
    }

    /**
     * Installs the CNI plugin into {@code dir} as {@code vireo}, as an operator does ({@code
     * scripts/install-cni-plugin DIR}), and returns its path.
     */
    static Path installCniPlugin(final Sandbox sandbox, final Path dir)
    {
        Sandbox.check(sandbox.run(ROOT.resolve("scripts/install-cni-plugin").toString(), dir.toString()));
        return dir.resolve("vireo");
    }

    /**
     * The warm-up a test's daemon runs unless the test gives {@code --warm-up} itself: a hundredth of the default's
     * bursts, enough that every phase of it runs (local ports, TAP, router, NAT, VXLAN endpoints), so its code is
     * tried in every daemon. The default's 20,000 have the JIT compile the forwarding path before the first frame,
     * which most tests do not look at, and took 1.5-2.5 s of every start on the 2-core AMD EPYC VM (vireod ready
     * 3.8-5.1 s after its start with them, 1.9-2.7 with none, 2.2-2.4 with 200; two runs, the counts taking turns).
     */
    private static final String TEST_WARM_UP_BURSTS = "200";
    /**
     * The options of the warm-up users get, for the tests that time an idle daemon's first frames or a takeover's
     * pause, which the warm-up is for.
     */
    static final String[] FULL_WARM_UP = {"--warm-up", Integer.toString(new VireoContext().warmUpBursts())};

    /** A JVM start, restoring a config's ports with `ip` commands, on a 2-core machine busy with other builds. */
    private static final int READY_SECONDS = 60;

    /** Asserts that {@code scripts/vireod} with these options exits non-zero, saying {@code message} in one line. */
    static void refusesToStart(final Sandbox sandbox, final String message, final String... options) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(ROOT.resolve("scripts/vireod").toString(),
            "--run-dir", sandbox.tempDir("run").toString(), "--metrics", "off"));
        command.addAll(List.of(options));
        final Sandbox.Result result = sandbox.run(command.toArray(String[]::new));
        assertNotEquals(0, result.exit(), result::all);
        assertTrue(result.err().contains(message), () -> "wanted '" + message + "': " + result.all());
        assertEquals(1, result.err().strip().lines().count(), result::all);
    }

    /**
     * Starts {@code scripts/vireod --run-dir runDir --metrics 127.0.0.1:0 [extra...]} (metrics on a free
     * port, so daemons run side by side) and waits until it is ready.
     */
    static Daemon start(final Sandbox sandbox, final Path runDir, final String... extra) throws IOException
    {
        return startIn(sandbox, null, runDir, extra);
    }

    /** As {@link #start}, inside network namespace {@code netns} (null: this process's). */
    static Daemon startIn(final Sandbox sandbox, final String netns, final Path runDir, final String... extra) throws IOException
    {
        final List<String> arguments = new ArrayList<>(List.of("--metrics", "127.0.0.1:0"));
        arguments.addAll(List.of(extra));
        return launch(sandbox, netns, runDir, arguments);
    }

    /** {@code scripts/vireod --run-dir runDir} and the tests' warm-up, nothing else, inside network namespace {@code netns}: its metrics where it puts them by default. */
    static Daemon startWithDefaultMetricsIn(final Sandbox sandbox, final String netns, final Path runDir) throws IOException
    {
        return launch(sandbox, netns, runDir, List.of());
    }

    private static Daemon launch(final Sandbox sandbox, final String netns, final Path runDir, final List<String> arguments)
        throws IOException
    {
        final Path log = sandbox.tempFile(".vireod.log");
        final List<String> command = new ArrayList<>();
        if (null != netns)
        {
            command.addAll(List.of("ip", "netns", "exec", netns));
        }
        command.addAll(List.of(ROOT.resolve("scripts/vireod").toString(), "--run-dir", runDir.toString()));
        command.addAll(arguments);
        final int warmUpAt = arguments.indexOf("--warm-up");
        final List<String> warmUp = warmUpAt < 0 ? List.of("--warm-up", TEST_WARM_UP_BURSTS) :
            List.copyOf(arguments.subList(warmUpAt, warmUpAt + 2));
        if (warmUpAt < 0)
        {
            command.addAll(warmUp);
        }
        final Process process = sandbox.start(log, command.toArray(String[]::new));
        sandbox.daemonRunsIn(runDir);
        final Daemon daemon = new Daemon(netns, runDir, log, process, warmUp);
        try
        {
            TapForwardingIT.waitFor(() ->
            {
                if (!process.isAlive())
                {
                    throw new AssertionError("vireod exited " + process.exitValue() + ": " + daemon.output());
                }
                return daemon.output().contains("vireod: ready");
            }, "vireod ready", READY_SECONDS);
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + "; it said: " + daemon.outputOrWhy() + "\n" + daemon.whereItIs(sandbox), ex);
        }
        return daemon;
    }

    /**
     * What a daemon that is late is doing, for the failure's message: the machine's load, the process (scripts/vireod
     * until it execs the JVM) and its children, and the JVM's threads if it is one.
     */
    private String whereItIs(final Sandbox sandbox)
    {
        final String pid = Long.toString(process.pid());
        final Path jcmd = Path.of(ProcessHandle.current().info().command().orElse("java")).resolveSibling("jcmd");
        final StringBuilder where = new StringBuilder();
        for (final String[] command : new String[][] {{"uptime"}, {"ps", "-o", "pid,stat,etime,time,args", "--pid", pid, "--ppid", pid},
            {jcmd.toString(), pid, "Thread.print"}})
        {
            try
            {
                where.append(String.join(" ", command)).append(":\n").append(sandbox.run(30, command).all());
            }
            catch (final AssertionError | RuntimeException ex)
            {
                where.append(ex.getMessage()).append('\n');
            }
        }
        return where.toString();
    }

    /**
     * Starts {@code vireod --takeover [extra...]} on this daemon's run dir, in its namespace, with this daemon's
     * warm-up unless {@code extra} gives one, waits until it is ready and this one has exited 0 (failing with this
     * one's output otherwise), and returns it.
     */
    Daemon takenOverBy(final Sandbox sandbox, final String... extra) throws IOException, InterruptedException
    {
        final List<String> options = new ArrayList<>(List.of("--takeover"));
        options.addAll(List.of(extra));
        if (!options.contains("--warm-up"))
        {
            options.addAll(warmUp);
        }
        final Daemon successor;
        try
        {
            successor = startIn(sandbox, netns, runDir, options.toArray(String[]::new));
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + "; the daemon taken over said: " + outputOrWhy(), ex);
        }
        if (!process.waitFor(20, TimeUnit.SECONDS))
        {
            throw new AssertionError("the daemon taken over did not exit: " + output());
        }
        assertEquals(0, process.exitValue(), this::outputOrWhy);
        return successor;
    }

    private String outputOrWhy()
    {
        try
        {
            return output();
        }
        catch (final IOException ex)
        {
            return "(its output cannot be read: " + ex + ")";
        }
    }

    /** The metrics URL the daemon printed when it became ready. */
    String metricsUrl() throws IOException
    {
        final java.util.regex.Matcher url = java.util.regex.Pattern.compile("metrics (http://\\S+/metrics)").matcher(output());
        if (!url.find())
        {
            throw new AssertionError("vireod printed no metrics address: " + output());
        }
        return url.group(1);
    }

    String output() throws IOException
    {
        return Sandbox.readUtf8(log);
    }

    /** SIGTERM; returns the exit code. */
    int terminate() throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS))
        {
            process.destroyForcibly().waitFor();
            throw new AssertionError("vireod did not stop within 20 s of SIGTERM");
        }
        return process.exitValue();
    }

    /** Runs vireoctl in this JVM against the daemon; exit code, stdout and stderr. */
    Sandbox.Result ctl(final String... args)
    {
        final List<String> full = new ArrayList<>(List.of("--run-dir", runDir.toString()));
        full.addAll(List.of(args));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Vireoctl.run(full.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Sandbox.Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The daemon's bridges, by name. */
    List<String> bridges() throws IOException
    {
        final List<String> names = new ArrayList<>();
        JSON.readTree(ok("bridge", "list", "--json").out()).forEach(bridge -> names.add(bridge.get("name").asText()));
        return names;
    }

    /** The bridges its routers have interfaces on. */
    List<String> routerBridges() throws IOException
    {
        final List<String> bridges = new ArrayList<>();
        JSON.readTree(ok("router", "list", "--json").out())
            .forEach(router -> router.get("interfaces").forEach(i -> bridges.add(i.get("bridge").asText())));
        return bridges;
    }

    /** Runs vireoctl, which must fail; what it said. */
    String fails(final String... args)
    {
        final Sandbox.Result result = ctl(args);
        assertNotEquals(0, result.exit(), () -> "vireoctl " + String.join(" ", args) + " succeeded: " + result.all());
        return result.all();
    }

    Sandbox.Result ok(final String... args)
    {
        final Sandbox.Result result = ctl(args);
        assertEquals(0, result.exit(), () -> "vireoctl " + String.join(" ", args) + ": " + result.all());
        return result;
    }
}
