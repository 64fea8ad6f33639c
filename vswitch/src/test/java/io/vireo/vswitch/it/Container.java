package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A running container of podman or Docker, which take the same {@code run}, {@code exec} and {@code inspect}: its
 * name and id, its address on its first network, the network namespace the runtime made for it, and the runtime's
 * command line ({@code podman --root ...} or {@code docker -H ...}).
 */
record Container(Sandbox sandbox, List<String> runtime, String name, String id, String address, Path netns)
{
    /**
     * A command that waits to be stopped. It traps SIGTERM because PID 1 has no default action for it: a plain
     * {@code sleep} would make {@code stop} wait out its timeout and kill.
     */
    static final List<String> SLEEPER = List.of("sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait");

    /** {@code RUNTIME run -d --name NAME ARGS...} (options, then the image or root file system and the command). */
    static Container start(final Sandbox sandbox, final List<String> runtime, final String name, final List<String> args)
    {
        final List<String> run = new ArrayList<>(List.of("run", "-d", "--name", name));
        run.addAll(args);
        check(sandbox.run(command(runtime, run)));
        // `run -d` returns once the container has started, its network set up.
        final String[] state = check(sandbox.run(command(runtime, List.of("inspect", "--format",
            "{{.State.Running}} {{.Id}} {{.NetworkSettings.SandboxKey}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
            name)))).out().strip().split(" ");
        assertEquals("true", state[0], () -> name + " runs: " + String.join(" ", state));
        return new Container(sandbox, runtime, name, state[1], state[3], Path.of(state[2]));
    }

    Sandbox.Result exec(final String... command)
    {
        final List<String> exec = new ArrayList<>(List.of("exec", name));
        exec.addAll(List.of(command));
        return sandbox.run(command(runtime, exec));
    }

    /** Starts {@code command} in the container and returns at once. */
    void execDetached(final String... command)
    {
        final List<String> exec = new ArrayList<>(List.of("exec", "-d", name));
        exec.addAll(List.of(command));
        check(sandbox.run(command(runtime, exec)));
    }

    void ping(final String address)
    {
        check(exec("ping", "-c", "2", "-W", "10", address));
    }

    String mac()
    {
        return check(exec("cat", "/sys/class/net/eth0/address")).out().strip();
    }

    private static String[] command(final List<String> runtime, final List<String> args)
    {
        final List<String> command = new ArrayList<>(runtime);
        command.addAll(args);
        return command.toArray(String[]::new);
    }
}
