package io.vireo.api;

import java.util.List;

/**
 * An endpoint of an overlay network: a MAC, its IPv4 and IPv6 addresses (no prefix length), and the
 * underlay address of the node it is on ({@link #LOCAL} for this node's own).
 *
 * @param mac       colon-separated, lower case.
 * @param addresses IPv4 and IPv6 addresses in their usual text forms; may be empty.
 * @param underlay  the node's underlay IPv4 address, or {@link #LOCAL}.
 */
public record Endpoint(String mac, List<String> addresses, String underlay)
{
    /** The underlay of an endpoint on this node. */
    public static final String LOCAL = "local";

    public Endpoint
    {
        addresses = List.copyOf(addresses);
    }

    public boolean isLocal()
    {
        return LOCAL.equals(underlay);
    }
}
