package io.vireo.vswitch.core;

import java.util.List;

/**
 * A router's load-balanced service, as users write it (API, CLI, config file).
 *
 * @param name      the service's name, a DNS label: its DNS name is {@code NAME.<domain>}.
 * @param vip       {@code IP:PORT}: the virtual address and port clients connect to.
 * @param protocol  {@code tcp} (default) or {@code udp}.
 * @param algorithm {@code rr} (default), {@code wrr}, {@code least-conn}, {@code source-hash} or {@code maglev}.
 * @param registry  take backends from this registry service too (null: none).
 * @param health    how backends are probed; null for the defaults.
 * @param backends  the static backends; in a request, those to add with the service.
 */
public record ServiceSpec(
    String name, String vip, String protocol, String algorithm, String registry, HealthCheck health, List<BackendSpec> backends)
{
    /**
     * A static backend.
     *
     * @param address {@code IP:PORT}.
     * @param weight  1 to {@link Service#MAX_WEIGHT}; null for 1.
     */
    public record BackendSpec(String address, Integer weight)
    {
    }

    /**
     * The health probe of a service's backends: from the router itself, through the dataplane, a TCP SYN
     * answered by a SYN/ACK within the timeout is a success; a reset (nothing listens on the port) or no
     * answer is a failure. A backend goes out of
     * selection after {@code fall} failures in a row and comes back after {@code rise} successes.
     *
     * @param enabled    false: every backend is always in selection (the only choice for UDP). Default true for TCP.
     * @param intervalMs between probes of one backend; default 2000. Probes go, and answers are taken, on the
     *                   conductor's tick (250 ms), so less acts as a tick.
     * @param timeoutMs  how long a probe waits for its answer; default 1000, less than the interval; a tick at least
     *                   in effect.
     * @param rise       successes that bring a backend back; default 2.
     * @param fall       failures that take it out; default 3.
     */
    public record HealthCheck(Boolean enabled, Long intervalMs, Long timeoutMs, Integer rise, Integer fall)
    {
    }
}
