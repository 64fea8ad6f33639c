package io.vireo.vswitch.link;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.NetlinkException;
import io.vireo.dataplane.nativeio.RtNetlink;

/**
 * Placement and configuration of interfaces, as {@code vppctl create tap ... host-ns} does for a port: move
 * one into a network namespace (by name, or by path such as {@code /proc/PID/ns/net}), set MAC and MTU, add
 * addresses and routes, bring it up, read it back. It asks the kernel over rtnetlink ({@link RtNetlink}) in
 * the same messages as iproute2's {@code ip}, and a refusal reads as ip's would, after the command that
 * failed: {@code addr add 10.0.0.1/24 dev tapA in ns1: RTNETLINK answers: File exists}.
 */
public final class Links
{
    /** Where {@code ip netns add} puts named namespaces. */
    private static final Path NETNS_DIR = Path.of("/run/netns");

    private Links()
    {
    }

    /** A namespace is named (as {@code ip netns add} names them) or given by path (as CNI runtimes do). */
    static String namespacePath(final String netns)
    {
        return netns.startsWith("/") ? netns : NETNS_DIR.resolve(netns).toString();
    }

    public static boolean namespaceExists(final String netns)
    {
        final boolean plainName = !netns.isEmpty() && !netns.contains("/") && !".".equals(netns) && !"..".equals(netns);
        return (plainName || netns.startsWith("/")) && Files.exists(Path.of(namespacePath(netns)));
    }

    /** True if an interface called {@code name} exists in network namespace {@code netns}; false if it cannot be told. */
    public static boolean exists(final String netns, final String name)
    {
        try (RtNetlink netlink = open(netns))
        {
            return null != netlink.link(name);
        }
        catch (final LinkException | NetlinkException ex)
        {
            return false;
        }
    }

    /**
     * Moves {@code name} into {@code netns} (when not null), then sets MAC, MTU, address (each when not null)
     * and brings it up there.
     *
     * @return the interface as the kernel has it then.
     * @throws LinkException naming the step the kernel refused.
     */
    public static LinkState configure(
        final String name, final String netns, final String mac, final Integer mtu, final String cidr)
    {
        if (null != netns)
        {
            apply(null, List.of(new LinkOperation.Move(name, netns)));
        }
        final List<LinkOperation> operations = new ArrayList<>(List.of(new LinkOperation.SetLink(name, mac, mtu, true)));
        if (null != cidr)
        {
            operations.add(new LinkOperation.AddAddress(name, cidr));
        }
        try (RtNetlink netlink = open(netns))
        {
            apply(netlink, netns, operations);
            return state(netlink, netns, name);
        }
    }

    /**
     * Makes {@code operations}, in order, in network namespace {@code netns} (null: this process's); the
     * first that fails stops the rest.
     *
     * @throws LinkException naming the operation that failed and why.
     */
    public static void apply(final String netns, final List<LinkOperation> operations)
    {
        try (RtNetlink netlink = open(netns))
        {
            apply(netlink, netns, operations);
        }
    }

    /** An interface as the kernel reports it: MAC, MTU, whether it is up, its addresses. */
    public record LinkState(String mac, int mtu, boolean up, List<RtNetlink.Address> addresses)
    {
    }

    /**
     * Reads {@code name} in {@code netns} (null: this process's namespace).
     *
     * @throws LinkException if there is no such interface, or it cannot be read.
     */
    public static LinkState state(final String netns, final String name)
    {
        try (RtNetlink netlink = open(netns))
        {
            return state(netlink, netns, name);
        }
    }

    private static LinkState state(final RtNetlink netlink, final String netns, final String name)
    {
        final String command = "addr show dev " + name;
        try
        {
            final RtNetlink.Link link = netlink.link(name);
            if (null == link)
            {
                throw failed(command, netns, "Cannot find device \"" + name + "\"");
            }
            return new LinkState(link.address(), link.mtu(), link.up(), netlink.addresses(link.index()));
        }
        catch (final NetlinkException ex)
        {
            throw failed(command, netns, ex.answer());
        }
    }

    private static RtNetlink open(final String netns)
    {
        try
        {
            return RtNetlink.open(null == netns ? null : namespacePath(netns));
        }
        catch (final NativeException ex)
        {
            throw new LinkException(ex.getMessage());
        }
    }

    private static void apply(final RtNetlink netlink, final String netns, final List<LinkOperation> operations)
    {
        for (final LinkOperation operation : operations)
        {
            try
            {
                apply(netlink, netns, operation);
            }
            catch (final NetlinkException ex)
            {
                throw failed(operation.toString(), netns, ex.answer());
            }
            catch (final IllegalArgumentException ex)
            {
                throw failed(operation.toString(), netns, ex.getMessage());
            }
        }
    }

    private static void apply(final RtNetlink netlink, final String netns, final LinkOperation operation)
    {
        if (operation instanceof LinkOperation.SetLink set)
        {
            netlink.changeLink(index(netlink, netns, operation, set.device()),
                new RtNetlink.LinkChange(null, set.mac(), set.mtu(), set.up()));
        }
        else if (operation instanceof LinkOperation.Rename rename)
        {
            netlink.changeLink(index(netlink, netns, operation, rename.device()), RtNetlink.LinkChange.rename(rename.name()));
        }
        else if (operation instanceof LinkOperation.Move move)
        {
            netlink.moveLink(index(netlink, netns, operation, move.device()), namespacePath(move.netns()));
        }
        else if (operation instanceof LinkOperation.AddAddress add)
        {
            netlink.addAddress(index(netlink, netns, operation, add.device()), Cidr.address(add.cidr()),
                Cidr.prefixLength(add.cidr()));
        }
        else if (operation instanceof LinkOperation.AddRoute route)
        {
            addRoute(netlink, index(netlink, netns, operation, route.device()), route);
        }
    }

    /** Adds the route unless the table has one to its destination (EEXIST): that one wins. */
    private static void addRoute(final RtNetlink netlink, final int index, final LinkOperation.AddRoute route)
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

    private static int index(final RtNetlink netlink, final String netns, final LinkOperation operation, final String device)
    {
        final RtNetlink.Link link = netlink.link(device);
        if (null == link)
        {
            throw failed(operation.toString(), netns, "Cannot find device \"" + device + "\"");
        }
        return link.index();
    }

    private static LinkException failed(final String command, final String netns, final String answer)
    {
        return new LinkException(command + (null == netns ? "" : " in " + netns) + ": " + answer);
    }
}
