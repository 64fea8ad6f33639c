package io.vireo.vswitch.core;

/**
 * A port's rate limit in one direction, as users give it (API, CLI, config file, the CNI {@code bandwidth}
 * capability): frames over it are dropped and counted as {@code rate_limited}.
 *
 * @param rate  bits per second; 0 removes the limit.
 * @param burst bytes that may pass at once above the rate (default: 10 ms at the rate, at least 64 KiB,
 *              so that a whole GSO frame fits).
 */
public record RateLimit(Long rate, Long burst)
{
    static final long MIN_DEFAULT_BURST = 64 * 1024;

    /** The burst given, or the default for the rate. */
    long burstOrDefault()
    {
        return null != burst ? burst : Math.max(MIN_DEFAULT_BURST, rate / 8 / 100);
    }
}
