package io.vireo.vswitch.cni;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;

/**
 * vireod's side of the plugin: {@code scripts/vireo-cni} is a thin client that starts in milliseconds and
 * hands every call to the daemon, which runs it here, in a JVM that is already warm, against its own API
 * in the same process:
 * <pre>
 * POST /v1/cni  {"env": {"CNI_COMMAND": "ADD", ...the plugin's whole environment}, "config": "...stdin..."}
 *   200         EXIT STDOUT_BYTES\n STDOUT STDERR     (text: what the plugin prints, and its exit status;
 *                                                    framed so that a client in a few lines of C reads it)
 * </pre>
 * The environment goes to the delegated IPAM plugin as the runtime gave it. A body that is not such a
 * request is a 400 (JSON); everything about the CNI call itself, failures included, is in the 200's answer.
 */
public final class CniService
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ControlChannel control;

    /** @param control the switch this daemon runs, reached in the same process. */
    public CniService(final ControlChannel control)
    {
        this.control = control;
    }

    public ControlApi.Response handle(final String body)
    {
        final JsonNode request;
        try
        {
            request = JSON.readTree(body);
        }
        catch (final IOException ex)
        {
            return ControlApi.error(400, "malformed JSON: " + ex.getMessage());
        }
        if (null == request || !request.path("env").isObject() || !request.path("config").isTextual())
        {
            return ControlApi.error(400, "give {\"env\": {NAME: VALUE...}, \"config\": \"the network config\"}");
        }
        final Map<String, String> env = new HashMap<>();
        for (final Map.Entry<String, JsonNode> variable : request.get("env").properties())
        {
            if (!variable.getValue().isTextual())
            {
                return ControlApi.error(400, "env " + variable.getKey() + " must be a string");
            }
            env.put(variable.getKey(), variable.getValue().asText());
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit;
        try (PrintStream stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
            PrintStream stderr = new PrintStream(err, true, StandardCharsets.UTF_8))
        {
            exit = VireoCni.run(env, new ByteArrayInputStream(request.get("config").asText().getBytes(StandardCharsets.UTF_8)),
                stdout, stderr, socket -> control);
        }
        return new ControlApi.Response(200, exit + " " + out.size() + "\n" + out.toString(StandardCharsets.UTF_8) +
            err.toString(StandardCharsets.UTF_8));
    }
}
