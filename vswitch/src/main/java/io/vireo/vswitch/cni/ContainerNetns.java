package io.vireo.vswitch.cni;

import java.util.List;
import java.util.stream.Collectors;

import io.vireo.vswitch.link.LinkException;
import io.vireo.vswitch.link.LinkOperation;
import io.vireo.vswitch.link.Links;

/**
 * The container's network namespace, given by path as CNI gives it (/proc/PID/ns/net, /run/netns/NAME), read
 * and configured over rtnetlink ({@link Links}).
 */
final class ContainerNetns
{
    private final String path;

    ContainerNetns(final String path)
    {
        this.path = path;
    }

    String path()
    {
        return path;
    }

    /** True if {@code ifname} exists in the namespace. */
    boolean hasInterface(final String ifname)
    {
        return Links.exists(path, ifname);
    }

    /** The interface (MAC, MTU, up or down, addresses), or null if there is no such interface. */
    Links.LinkState describe(final String ifname)
    {
        try
        {
            return Links.state(path, ifname);
        }
        catch (final LinkException ex)
        {
            return null;
        }
    }

    /**
     * Makes {@code operations} in the namespace, in order; the first that fails stops the rest.
     *
     * @throws CniException code 999 naming the operation that failed and why.
     */
    void apply(final List<LinkOperation> operations, final String what)
    {
        try
        {
            Links.apply(path, operations);
        }
        catch (final LinkException ex)
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, what + " failed: " + ex.getMessage(),
                operations.stream().map(LinkOperation::toString).collect(Collectors.joining("; ")));
        }
    }
}
