package io.vireo.vswitch.cni;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;

/** The plugin's requests to vireod's control API, and what vireod's answers mean to a CNI caller. */
final class DaemonRequests
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private DaemonRequests()
    {
    }

    /** A request to vireod; it being unreachable is worth trying again later (code 11). */
    static ControlApi.Response call(final ControlChannel control, final String method, final String path, final Object body)
    {
        try
        {
            return control.request(method, path, null == body ? null : JSON.writeValueAsString(body));
        }
        catch (final IllegalStateException ex)
        {
            throw new CniException(CniException.TRY_AGAIN_LATER, "vireod is not reachable: " + ex.getMessage());
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * The daemon refused: a request it found invalid points at the network config, one it could not serve
     * for now (503: the cluster store is away) is worth trying again later, anything else is its own.
     */
    static CniException refused(final ControlApi.Response response, final String what)
    {
        final int code = 400 == response.status() || 404 == response.status() ? CniException.INVALID_CONFIG :
            503 == response.status() ? CniException.TRY_AGAIN_LATER : CniException.PLUGIN_SPECIFIC;
        return new CniException(code, what + ": " + json(response).path("error").asText(response.body()));
    }

    static JsonNode json(final ControlApi.Response response)
    {
        try
        {
            return JSON.readTree(response.body());
        }
        catch (final IOException ex)
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, "vireod answered something that is not JSON",
                response.body());
        }
    }
}
