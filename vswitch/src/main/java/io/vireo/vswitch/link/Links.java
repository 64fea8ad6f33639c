package io.vireo.vswitch.link;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.nativeio.RtNetlink;

/**
 * Placement and configuration of interfaces, as {@code vppctl create tap ... host-ns} does for a port: move
 * one into a network namespace (by name, or by path such as {@code /proc/PID/ns/net}), set MAC and MTU, add
 * addresses and routes, bring it up, read it back. It asks the kernel over rtnetlink ({@link RtNetlink}) in
 * the same messages as iproute2's {@code ip}, and a refusal reads as ip's would, after the command that
 * failed: {@code addr add 10.0.0.1/24 dev tapA in ns1: RTNETLINK answers: File exists}. Each call here opens
 * a socket in the namespace and closes it; a {@link LinkSession} keeps one for several calls.
 */
public final class Links
{
    /** Where {@code ip netns add} puts named namespaces. */
    private static final Path NETNS_DIR = Path.of("/run/netns");

    private Links()
    {
    }

    /** A namespace is named (as {@code ip netns add} names them) or given by path (as CNI runtimes do): its path. */
    public static String namespacePath(final String netns)
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
        try (LinkSession session = LinkSession.open(netns))
        {
            return session.exists(name);
        }
        catch (final LinkException ex)
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
        try (LinkSession there = LinkSession.open(netns))
        {
            if (null != netns)
            {
                apply(null, List.of(new LinkOperation.Move(name, netns)));
            }
            return configure(there, name, mac, mtu, cidr);
        }
    }

    /**
     * Sets MAC, MTU, address (each when not null) of {@code name} and brings it up, over {@code there}, a session
     * open in the namespace the interface is in.
     *
     * @return the interface as the kernel has it then.
     * @throws LinkException naming the step the kernel refused.
     */
    public static LinkState configure(final LinkSession there,
        final String name, final String mac, final Integer mtu, final String cidr)
    {
        final List<LinkOperation> operations = new ArrayList<>(List.of(new LinkOperation.SetLink(name, mac, mtu, true)));
        if (null != cidr)
        {
            operations.add(new LinkOperation.AddAddress(name, cidr));
        }
        there.apply(operations);
        return there.state(name);
    }

    /**
     * Makes {@code operations}, in order, in network namespace {@code netns} (null: this process's); the
     * first that fails stops the rest.
     *
     * @throws LinkException naming the operation that failed and why.
     */
    public static void apply(final String netns, final List<LinkOperation> operations)
    {
        try (LinkSession session = LinkSession.open(netns))
        {
            session.apply(operations);
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
        try (LinkSession session = LinkSession.open(netns))
        {
            return session.state(name);
        }
    }
}
