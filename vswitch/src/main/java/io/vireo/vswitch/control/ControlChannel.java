package io.vireo.vswitch.control;

import java.nio.file.Path;

/**
 * How a client (the Docker driver, the CNI plugin) reaches the switch: the daemon's control socket in
 * production, a {@link ControlApi} in the same process in tests.
 */
@FunctionalInterface
public interface ControlChannel
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
