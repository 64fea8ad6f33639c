package io.vireo.vswitch.link;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Placement and configuration of a port's interface, as {@code vppctl create tap ... host-ns} does:
 * move it into a network namespace (by name, or by path such as {@code /proc/PID/ns/net}), set MAC and
 * MTU, add an address, bring it up.
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

    /** True if an interface called {@code name} exists in network namespace {@code netns}. */
    public static boolean exists(final String netns, final String name)
    {
        try
        {
            IpCommand.run(netns, "link", "show", "dev", name);
            return true;
        }
        catch (final LinkException ex)
        {
            return false;
        }
    }

    /**
     * Moves {@code name} into {@code netns} (when not null), then sets MAC, MTU, address (each when
     * not null) and brings it up there.
     */
    public static void configure(
        final String name, final String netns, final String mac, final Integer mtu, final String cidr)
    {
        if (null != netns)
        {
            IpCommand.run(null, "link", "set", "dev", name, "netns", namespacePath(netns));
        }
        final List<String> set = new ArrayList<>(List.of("link", "set", "dev", name));
        if (null != mac)
        {
            set.add("address");
            set.add(mac);
        }
        if (null != mtu)
        {
            set.add("mtu");
            set.add(Integer.toString(mtu));
        }
        set.add("up");
        IpCommand.run(netns, set.toArray(String[]::new));
        if (null != cidr)
        {
            IpCommand.run(netns, "addr", "add", cidr, "dev", name);
        }
    }

    /** MAC and MTU of an interface as the kernel reports them. */
    public record LinkState(String mac, int mtu)
    {
    }

    /**
     * Reads MAC and MTU of {@code name} in {@code netns} (null: this process's namespace).
     *
     * @throws LinkException if the interface cannot be shown.
     */
    public static LinkState state(final String netns, final String name)
    {
        final String out = IpCommand.run(netns, "-o", "link", "show", "dev", name);
        return new LinkState(word(out, "link/ether"), Integer.parseInt(word(out, "mtu")));
    }

    /** The word after {@code key} in ip's one-line output. */
    private static String word(final String out, final String key)
    {
        final String[] words = out.trim().split("\\s+");
        for (int i = 0; i < words.length - 1; i++)
        {
            if (words[i].equals(key))
            {
                return words[i + 1];
            }
        }
        throw new LinkException("ip did not report " + key + ": " + out.trim());
    }
}
