package io.vireo.vswitch.launch;

import java.io.PrintStream;
import java.io.PrintWriter;

import picocli.CommandLine;

/**
 * How every Vireo command runs: picocli writing to the given streams, a usage error as one line
 * ({@code NAME: message (see NAME --help)}, exit 2) and an unexpected failure as one line
 * ({@code NAME: message}, exit 1). A {@link RunDir} option takes the path as given.
 */
public final class Commands
{
    private Commands()
    {
    }

    /** Runs {@code command} (a picocli-annotated object) on {@code args}; returns the exit code. */
    public static int execute(
        final String name, final Object command, final String[] args, final PrintStream out, final PrintStream err)
    {
        return execute(name, new CommandLine(command), args, out, err);
    }

    /**
     * Runs a command line on {@code args}; returns the exit code. Its subcommands must all be added: the streams,
     * converters and handlers set here reach only those added before.
     */
    public static int execute(
        final String name, final CommandLine commandLine, final String[] args, final PrintStream out, final PrintStream err)
    {
        commandLine.registerConverter(RunDir.class, RunDir::of);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setExecutionExceptionHandler((ex, cmd, parsed) ->
        {
            err.println(name + ": " + ex.getMessage());
            return 1;
        });
        commandLine.setParameterExceptionHandler((ex, arguments) ->
        {
            err.println(name + ": " + ex.getMessage() + " (see " + name + " --help)");
            return 2;
        });
        return commandLine.execute(args);
    }
}
