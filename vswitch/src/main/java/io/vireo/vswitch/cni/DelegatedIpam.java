package io.vireo.vswitch.cni;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Address management delegated to the IPAM plugin named by {@code ipam.type} (host-local, dhcp, static...),
 * as the spec's section 4 says: the executable is looked up in {@code CNI_PATH} and run with this plugin's
 * environment (CNI_COMMAND set to the operation) and the complete network config on stdin; its stderr is
 * passed on, its errors are returned as they are.
 */
final class DelegatedIpam implements Ipam
{
    private static final long TIMEOUT_SECONDS = 60;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path executable;
    private final Map<String, String> env;
    private final byte[] config;
    private final PrintStream err;

    private DelegatedIpam(final Path executable, final Map<String, String> env, final byte[] config, final PrintStream err)
    {
        this.executable = executable;
        this.env = env;
        this.config = config;
        this.err = err;
    }

    /**
     * Finds the plugin {@code type} in {@code CNI_PATH}.
     *
     * @throws CniException code 4 if CNI_PATH is unset, 7 if no directory in it holds the plugin.
     */
    static DelegatedIpam locate(final String type, final Map<String, String> env, final byte[] config, final PrintStream err)
    {
        final String cniPath = env.get("CNI_PATH");
        if (null == cniPath || cniPath.isBlank())
        {
            throw new CniException(CniException.INVALID_ENVIRONMENT,
                "CNI_PATH is not set; it must list the directories holding the IPAM plugin " + type);
        }
        final List<String> searched = new ArrayList<>();
        for (final String dir : cniPath.split(":"))
        {
            if (!dir.isEmpty())
            {
                final Path candidate = Path.of(dir, type);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate))
                {
                    return new DelegatedIpam(candidate, env, config, err);
                }
                searched.add(dir);
            }
        }
        throw new CniException(CniException.INVALID_CONFIG,
            "IPAM plugin '" + type + "' (ipam.type) not found in CNI_PATH " + searched);
    }

    /**
     * Allocates addresses. If the plugin fails it is run again with DEL before the error is returned, so a
     * half-made allocation does not stay behind.
     */
    @Override
    public CniResult add()
    {
        final String out;
        try
        {
            out = exec("ADD");
        }
        catch (final CniException ex)
        {
            release();
            throw ex;
        }
        try
        {
            return CniResult.parse(JSON.readTree(out), "the result of IPAM plugin " + executable.getFileName());
        }
        catch (final IOException | CniException ex)
        {
            release();
            throw new CniException(CniException.DECODING_FAILURE,
                "IPAM plugin " + executable.getFileName() + " printed no CNI result", out.strip());
        }
    }

    @Override
    public boolean runsAProgram()
    {
        return true;
    }

    @Override
    public void check()
    {
        exec("CHECK");
    }

    @Override
    public void delete()
    {
        exec("DEL");
    }

    @Override
    public void release()
    {
        try
        {
            delete();
        }
        catch (final CniException ex)
        {
            err.println("vireo-cni: releasing the addresses failed: " + ex.getMessage());
        }
    }

    private String exec(final String command)
    {
        final Map<String, String> childEnv = new HashMap<>(env);
        childEnv.put("CNI_COMMAND", command);
        final Exec.Output output = Exec.run(List.of(executable.toString()), childEnv, config, TIMEOUT_SECONDS);
        err.print(output.stderr());
        if (0 != output.exit())
        {
            throw errorOf(command, output);
        }
        return output.stdout();
    }

    /**
     * True if the plugin speaks spec {@code version} (its VERSION answer lists it): STATUS and GC go only to a plugin
     * that knows them.
     */
    boolean speaks(final String version)
    {
        try
        {
            for (final JsonNode supported : JSON.readTree(exec("VERSION")).path("supportedVersions"))
            {
                if (version.equals(supported.asText()))
                {
                    return true;
                }
            }
            return false;
        }
        catch (final IOException ex)
        {
            throw new CniException(CniException.DECODING_FAILURE,
                "IPAM plugin " + executable.getFileName() + " answered VERSION with no version result");
        }
    }

    /** Runs the plugin's STATUS: its error, if it is not ready, as it gave it. */
    void status()
    {
        exec("STATUS");
    }

    /** Hands the plugin the GC call (with the valid attachments in the config) so it frees the addresses of the others. */
    void collectGarbage()
    {
        exec("GC");
    }

    /** The plugin's own error result when it printed one, else what it wrote on stderr. */
    private CniException errorOf(final String command, final Exec.Output output)
    {
        final String plugin = executable.getFileName().toString();
        try
        {
            final JsonNode error = JSON.readTree(output.stdout());
            if (null != error && error.path("code").canConvertToInt() && error.path("msg").isTextual())
            {
                return new CniException(error.get("code").asInt(), plugin + ": " + error.get("msg").asText(),
                    error.path("details").asText(""));
            }
        }
        catch (final IOException ignore)
        {
            // not JSON: fall back to the exit status and stderr
        }
        return new CniException(CniException.PLUGIN_SPECIFIC, plugin + " " + command + " failed with exit status " +
            output.exit(), (output.stdout() + output.stderr()).strip());
    }
}
