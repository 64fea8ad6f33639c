package io.vireo.gateway;

/**
 * The hash by which the gateway's tables of IP addresses ({@link io.vireo.gateway.router.NeighbourTable},
 * {@link io.vireo.gateway.suppression.SuppressionTable}) place a key: a word that says whose address it is
 * (bridge, family) and the address's two halves (an IPv4 address in the low one). Each word is
 * multiplied by its own odd constant, so addresses that differ in one bit land far apart in both the
 * high bits (for a multiply-shift reduction) and the low bits (for a mask).
 */
public final class AddressHash
{
    private AddressHash()
    {
    }

    /** A hash of the key: use its low bits with a mask, or its high 32 bits with a multiply-shift. */
    public static long of(final long owner, final long high, final long low)
    {
        final long hash = (owner * 0x9E3779B97F4A7C15L) ^ (high * 0xC2B2AE3D27D4EB4FL) ^ (low * 0xD6E8FEB86659FD93L);
        return hash ^ (hash >>> 29);
    }
}
