package io.vireo.vswitch.cni;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.Subprocess;

/**
 * Runs a helper program (an IPAM plugin) to completion, with a time limit, in the calling thread
 * ({@link Subprocess}).
 */
final class Exec
{
    /** Exit status and what the program printed. */
    record Output(int exit, String stdout, String stderr)
    {
    }

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
        final Subprocess.Result result;
        try
        {
            result = Subprocess.run(command, null == env ? System.getenv() : env, stdin, timeoutSeconds * 1_000L);
        }
        catch (final NativeException ex)
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, ex.getMessage());
        }
        if (null == result)
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC,
                String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
        }
        return new Output(result.exit(), new String(result.stdout(), StandardCharsets.UTF_8),
            new String(result.stderr(), StandardCharsets.UTF_8));
    }
}
