package io.vireo.api;

/** Hears of endpoints attached to and detached from an overlay network's bridge on this node. */
public interface EndpointListener
{
    /** A port with {@code endpoint}'s MAC and addresses joined {@code network}. */
    void attached(String network, Endpoint endpoint);

    /** The port with {@code mac} left {@code network}. */
    void detached(String network, String mac);
}
