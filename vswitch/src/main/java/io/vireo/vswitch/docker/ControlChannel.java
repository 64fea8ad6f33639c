package io.vireo.vswitch.docker;

import java.nio.file.Path;

import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlClient;

/**
 * How the driver reaches the switch: the daemon's control socket in production, a {@link ControlApi} in the
 * same process in tests.
 */
@FunctionalInterface
interface ControlChannel
{
    /**
     * One control API request.
     *
     * @throws IllegalStateException with a one-line reason if the switch cannot be reached.
     */
    ControlApi.Response request(String method, String path, String body);

    static ControlChannel socket(final Path socket)
    {
        return (method, path, body) -> ControlClient.request(socket, method, path, body);
    }
}
