package io.vireo.vswitch.core;

import java.util.List;

/**
 * A router as the API shows it.
 *
 * @param name       its name.
 * @param interfaces its interfaces, one per bridge.
 * @param routes     how many routes it has, connected ones included.
 */
public record RouterInfo(String name, List<InterfaceInfo> interfaces, int routes)
{
    /**
     * @param bridge    the bridge the interface is on.
     * @param mac       its MAC.
     * @param mtu       its MTU.
     * @param addresses its addresses, {@code ADDRESS/LENGTH}.
     */
    public record InterfaceInfo(String bridge, String mac, int mtu, List<String> addresses)
    {
    }
}
