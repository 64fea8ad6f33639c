package io.vireo.vswitch.link;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.NetlinkException;
import io.vireo.dataplane.nativeio.RtNetlink;

/**
 * One rtnetlink socket in one network namespace, for several of {@link Links}' operations in a row: entering a
 * namespace (a thread of its own, {@code setns}: see {@link RtNetlink#open}) costs a millisecond or two, more on
 * a busy machine, so a caller with several things to ask or change there opens a session once. A socket in a
 * namespace sees an interface moved in after it was opened. One thread at a time; close it when done.
 */
public final class LinkSession implements AutoCloseable
{
    private final RtNetlink netlink;
    private final String netns;

    private LinkSession(final RtNetlink netlink, final String netns)
    {
        this.netlink = netlink;
        this.netns = netns;
    }

    /**
     * A session in network namespace {@code netns} (a name under /run/netns or a path; null: this process's).
     *
     * @throws LinkException if the namespace cannot be entered or the socket made.
     */
    public static LinkSession open(final String netns)
    {
        try
        {
            return new LinkSession(RtNetlink.open(null == netns ? null : Links.namespacePath(netns)), netns);
        }
        catch (final NativeException ex)
        {
            throw new LinkException(ex.getMessage());
        }
    }

    /**
     * A session in the calling thread's network namespace, which messages call {@code netns} (null: this
     * process's): for a thread that entered a namespace ({@link io.vireo.dataplane.nativeio.NetworkNamespace#call})
     * to do more there than configure links.
     *
     * @throws LinkException if the socket cannot be made.
     */
    public static LinkSession openHere(final String netns)
    {
        try
        {
            return new LinkSession(RtNetlink.open(null), netns);
        }
        catch (final NativeException ex)
        {
            throw new LinkException(ex.getMessage());
        }
    }

    /** True if an interface called {@code name} exists here; false if it cannot be told. */
    public boolean exists(final String name)
    {
        try
        {
            return null != netlink.link(name);
        }
        catch (final NetlinkException ex)
        {
            return false;
        }
    }

    /**
     * Makes {@code operations}, in order; the first that fails stops the rest.
     *
     * @throws LinkException naming the operation that failed and why.
     */
    public void apply(final List<LinkOperation> operations)
    {
        // Each device's index is asked for once (a request to the kernel each); a rename keeps the index.
        final Map<String, Integer> indexes = new HashMap<>();
        for (final LinkOperation operation : operations)
        {
            try
            {
                apply(operation, indexes);
            }
            catch (final NetlinkException ex)
            {
                throw failed(operation.toString(), ex.answer());
            }
            catch (final IllegalArgumentException ex)
            {
                throw failed(operation.toString(), ex.getMessage());
            }
        }
    }

    /**
     * Reads interface {@code name}.
     *
     * @throws LinkException if there is no such interface, or it cannot be read.
     */
    public Links.LinkState state(final String name)
    {
        final String command = "addr show dev " + name;
        try
        {
            final RtNetlink.Link link = netlink.link(name);
            if (null == link)
            {
                throw failed(command, "Cannot find device \"" + name + "\"");
            }
            return new Links.LinkState(link.address(), link.mtu(), link.up(), netlink.addresses(link.index()));
        }
        catch (final NetlinkException ex)
        {
            throw failed(command, ex.answer());
        }
    }

    @Override
    public void close()
    {
        netlink.close();
    }

    private void apply(final LinkOperation operation, final Map<String, Integer> indexes)
    {
        if (operation instanceof LinkOperation.SetLink set)
        {
            netlink.changeLink(
                index(operation, set.device(), indexes), new RtNetlink.LinkChange(null, set.mac(), set.mtu(), set.up()));
        }
        else if (operation instanceof LinkOperation.Rename rename)
        {
            final int index = index(operation, rename.device(), indexes);
            netlink.changeLink(index, RtNetlink.LinkChange.rename(rename.name()));
            indexes.remove(rename.device());
            indexes.put(rename.name(), index);
        }
        else if (operation instanceof LinkOperation.Move move)
        {
            netlink.moveLink(index(operation, move.device(), indexes), Links.namespacePath(move.netns()));
            indexes.remove(move.device());
        }
        else if (operation instanceof LinkOperation.AddAddress add)
        {
            netlink.addAddress(
                index(operation, add.device(), indexes), Cidr.address(add.cidr()), Cidr.prefixLength(add.cidr()));
        }
        else if (operation instanceof LinkOperation.AddRoute route)
        {
            addRoute(index(operation, route.device(), indexes), route);
        }
    }

    /** Adds the route unless the table has one to its destination (EEXIST): that one wins. */
    private void addRoute(final int index, final LinkOperation.AddRoute route)
    {
        try
        {
            netlink.addRoute(Cidr.address(route.destination()), Cidr.prefixLength(route.destination()),
                null == route.gateway() ? null : Cidr.literal(route.gateway()), index);
        }
        catch (final NetlinkException ex)
        {
            if (Errno.EEXIST != ex.errno())
            {
                throw ex;
            }
        }
    }

    private int index(final LinkOperation operation, final String device, final Map<String, Integer> indexes)
    {
        final Integer known = indexes.get(device);
        if (null != known)
        {
            return known;
        }
        final RtNetlink.Link link = netlink.link(device);
        if (null == link)
        {
            throw failed(operation.toString(), "Cannot find device \"" + device + "\"");
        }
        indexes.put(device, link.index());
        return link.index();
    }

    private LinkException failed(final String command, final String answer)
    {
        return new LinkException(command + (null == netns ? "" : " in " + netns) + ": " + answer);
    }
}
