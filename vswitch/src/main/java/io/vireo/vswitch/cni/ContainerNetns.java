package io.vireo.vswitch.cni;

import java.util.List;
import java.util.stream.Collectors;

import io.vireo.vswitch.link.LinkException;
import io.vireo.vswitch.link.LinkOperation;
import io.vireo.vswitch.link.LinkSession;
import io.vireo.vswitch.link.Links;

/**
 * The container's network namespace, given by path as CNI gives it (/proc/PID/ns/net, /run/netns/NAME), read
 * and configured over rtnetlink ({@link Links}). It enters the namespace once, on first use, and keeps that
 * socket ({@link LinkSession}) for the rest of the call: close it when the call is done.
 */
final class ContainerNetns implements AutoCloseable
{
    private final String path;
    private LinkSession session;

    ContainerNetns(final String path)
    {
        this.path = path;
    }

    String path()
    {
        return path;
    }

    /** True if {@code ifname} exists in the namespace; false if it cannot be told. */
    boolean hasInterface(final String ifname)
    {
        try
        {
            return session().exists(ifname);
        }
        catch (final LinkException ex)
        {
            return false;
        }
    }

    /** The interface (MAC, MTU, up or down, addresses), or null if there is no such interface. */
    Links.LinkState describe(final String ifname)
    {
        try
        {
            return session().state(ifname);
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
            session().apply(operations);
        }
        catch (final LinkException ex)
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, what + " failed: " + ex.getMessage(),
                operations.stream().map(LinkOperation::toString).collect(Collectors.joining("; ")));
        }
    }

    /** Lets the namespace's socket go; a later use opens another. */
    @Override
    public void close()
    {
        if (null != session)
        {
            session.close();
            session = null;
        }
    }

    /** The socket in the namespace, opened on first use (a namespace that could not be entered is tried again). */
    private LinkSession session()
    {
        if (null == session)
        {
            session = LinkSession.open(path);
        }
        return session;
    }
}
