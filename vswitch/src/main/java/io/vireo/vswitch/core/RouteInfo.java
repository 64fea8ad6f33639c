package io.vireo.vswitch.core;

/**
 * A route of a router as the API shows it.
 *
 * @param prefix    the destination prefix.
 * @param via       the gateway, or null for a connected route.
 * @param bridge    the bridge of the interface it leaves by.
 * @param connected true for the route of an interface's own subnet.
 */
public record RouteInfo(String prefix, String via, String bridge, boolean connected)
{
}
