package io.vireo.vswitch.launch;

import java.nio.file.Path;
import java.util.Objects;

import io.vireo.vswitch.core.CountersFile;

/**
 * A daemon's run dir ({@code --run-dir}, the CNI config's {@code runDir}): what {@code vireod} keeps there and
 * where {@code vireoctl}, the CNI plugin and the Docker driver find it.
 * <pre>
 *  &lt;run-dir&gt;/vireo.sock     the control socket, HTTP/JSON
 *  &lt;run-dir&gt;/counters.dat   the counters, memory-mapped
 *  &lt;run-dir&gt;/vireod.lock    locked by the daemon that serves the dir
 *  &lt;run-dir&gt;/takeover.sock  where the daemon hands itself over to {@code vireod --takeover}
 *  &lt;run-dir&gt;/*.takeover     the control socket and counters of a daemon taking over, until it forwards
 * </pre>
 */
public record RunDir(Path path)
{
    /** {@code /run/vireo}. */
    public static final RunDir DEFAULT = new RunDir(Path.of("/run/vireo"));

    public RunDir
    {
        Objects.requireNonNull(path, "path");
    }

    /** The run dir at {@code path}, as given on a command line or in a config. */
    public static RunDir of(final String path)
    {
        return new RunDir(Path.of(path));
    }

    public Path controlSocket()
    {
        return path.resolve("vireo.sock");
    }

    public Path countersFile()
    {
        return path.resolve(CountersFile.FILE_NAME);
    }

    public Path lockFile()
    {
        return path.resolve("vireod.lock");
    }

    public Path takeoverSocket()
    {
        return path.resolve("takeover.sock");
    }

    /** Where a daemon taking over keeps one of these files until it takes the running daemon's place. */
    public static Path incoming(final Path file)
    {
        return file.resolveSibling(file.getFileName() + ".takeover");
    }

    /** The switch as it last ran on this run dir, containers' ports included (written after every change). */
    public Path stateFile()
    {
        return path.resolve("state.yaml");
    }

    /** The path, as operators write it: what {@code --help} shows as the default and messages name. */
    @Override
    public String toString()
    {
        return path.toString();
    }
}
