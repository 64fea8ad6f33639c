package io.vireo.vswitch.core;

import io.vireo.dataplane.pipeline.TokenBucket;

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

    /** A port's limit in one direction as its bucket has it, or null if it has none. */
    static RateLimit of(final TokenBucket bucket)
    {
        return bucket.limited() ? new RateLimit(bucket.rate(), bucket.burst()) : null;
    }

    /**
     * Checks a limit given for a direction ({@code ingress}, {@code egress}); null (no change) passes.
     *
     * @throws VireoException (invalid) for a rate or burst out of range.
     */
    static void check(final RateLimit limit, final String direction)
    {
        if (null == limit)
        {
            return;
        }
        if (null == limit.rate())
        {
            throw VireoException.invalid(direction + " rate limit: give rate in bits per second (0 removes the limit)");
        }
        try
        {
            TokenBucket.check(limit.rate(), 0 == limit.rate() ? 0 : limit.burstOrDefault());
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.invalid(direction + " rate limit: " + ex.getMessage());
        }
    }

    /** Sets a checked limit on a port's bucket; null leaves the bucket as it is. */
    static void apply(final TokenBucket bucket, final RateLimit limit)
    {
        if (null != limit)
        {
            bucket.set(limit.rate(), 0 == limit.rate() ? 0 : limit.burstOrDefault());
        }
    }
}
