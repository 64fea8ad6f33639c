package io.vireo.vswitch.docker;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;
import io.vireo.vswitch.control.NetworkGateway;

import static io.vireo.vswitch.docker.DriverMessages.JSON;

/** What the driver asks vireod, over its control API; a failure is a {@link DriverException} saying what failed. */
final class VireodCalls
{
    private final ControlChannel control;

    VireodCalls(final ControlChannel control)
    {
        this.control = control;
    }

    /** The router {@code router} as the driver sets up networks' gateways and published ports on it. */
    NetworkGateway gateway(final String router)
    {
        return new NetworkGateway(control, router);
    }

    /** Adds the bridge unless it exists. */
    void ensureBridge(final String bridge)
    {
        expect(call("POST", "/v1/bridges", JSON.createObjectNode().put("name", bridge).toString()),
            "adding bridge " + bridge, 201, 409);
    }

    /** Deletes the port if it is there. */
    void deletePort(final String port)
    {
        expect(call("DELETE", "/v1/ports/" + port, null), "deleting port " + port, 200, 404);
    }

    /** One request to vireod, whatever its status. */
    ControlApi.Response call(final String method, final String path, final String body)
    {
        try
        {
            return control.request(method, path, body);
        }
        catch (final IllegalStateException ex)
        {
            throw new DriverException("vireod is not reachable: " + ex.getMessage());
        }
    }

    /** The response if its status is one of {@code statuses}; else a failure of {@code what} with vireod's error. */
    static ControlApi.Response expect(final ControlApi.Response response, final String what, final int... statuses)
    {
        for (final int status : statuses)
        {
            if (status == response.status())
            {
                return response;
            }
        }
        throw new DriverException(what + ": " + json(response).path("error").asText(response.body()));
    }

    /** The response's body as JSON. */
    static JsonNode json(final ControlApi.Response response)
    {
        try
        {
            return JSON.readTree(response.body());
        }
        catch (final IOException ex)
        {
            throw new DriverException("vireod answered something that is not JSON: " + response.body());
        }
    }
}
