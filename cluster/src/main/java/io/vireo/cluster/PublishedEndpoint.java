package io.vireo.cluster;

import java.util.List;

/** An endpoint as its node publishes it: its MAC, its addresses, and the node it is on. */
public record PublishedEndpoint(String mac, List<String> addresses, String node)
{
    public PublishedEndpoint
    {
        addresses = null == addresses ? List.of() : List.copyOf(addresses);
    }
}
