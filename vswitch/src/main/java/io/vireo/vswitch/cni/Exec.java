package io.vireo.vswitch.cni;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Runs a helper program (an IPAM plugin) to completion, with a time limit. */
final class Exec
{
    /** Exit status and what the program printed. */
    record Output(int exit, String stdout, String stderr)
    {
    }

    /** A thread per pipe: a reader blocks until its program closes the pipe. */
    private static final ExecutorService READERS = Executors.newCachedThreadPool(runnable ->
    {
        final Thread thread = new Thread(runnable, "vireo-cni-pipe");
        thread.setDaemon(true);
        return thread;
    });

    private Exec()
    {
    }

    /**
     * Runs {@code command} with exactly {@code env} (null: this process's environment), feeds it
     * {@code stdin} (null: nothing) and waits at most {@code timeoutSeconds}.
     *
     * @throws CniException if it cannot be started or does not finish in time.
     */
    static Output run(final List<String> command, final Map<String, String> env, final byte[] stdin,
        final long timeoutSeconds)
    {
        final ProcessBuilder builder = new ProcessBuilder(command);
        if (null != env)
        {
            builder.environment().clear();
            builder.environment().putAll(env);
        }
        final Process process;
        try
        {
            process = builder.start();
        }
        catch (final IOException ex)
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, "cannot run " + command.get(0) + ": " + ex.getMessage());
        }
        // Both pipes drain while the program runs, so neither can fill up and stall it.
        final CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()), READERS);
        final CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()), READERS);
        try (OutputStream in = process.getOutputStream())
        {
            if (null != stdin)
            {
                in.write(stdin);
            }
        }
        catch (final IOException ignore)
        {
            // the program exited without reading its input; its exit status says how it went
        }
        try
        {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new CniException(CniException.PLUGIN_SPECIFIC,
                    String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Output(process.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
                new String(err.get(), StandardCharsets.UTF_8));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new CniException(CniException.PLUGIN_SPECIFIC, String.join(" ", command) + ": interrupted");
        }
        catch (final ExecutionException ex)
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC,
                "cannot read the output of " + command.get(0) + ": " + ex.getCause().getMessage());
        }
    }

    private static byte[] readAll(final InputStream in)
    {
        try (in)
        {
            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
