package io.vireo.gateway.route;

/**
 * IPv4 prefixes as text, for messages.
 */
final class Ipv4Prefixes
{
    private Ipv4Prefixes()
    {
    }

    /**
     * @return {@code a.b.c.d/length}.
     */
    static String format(final int prefix, final int length)
    {
        return (prefix >>> 24) + "." + ((prefix >>> 16) & 0xFF) + "." + ((prefix >>> 8) & 0xFF) + "." +
            (prefix & 0xFF) + "/" + length;
    }
}
