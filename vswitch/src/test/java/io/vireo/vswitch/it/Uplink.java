package io.vireo.vswitch.it;

import static io.vireo.vswitch.it.Sandbox.check;

/** An "outside" host for gateway tests: a namespace behind a veth whose host end a bridge attaches as its uplink. */
final class Uplink
{
    private Uplink()
    {
    }

    /**
     * Creates a veth pair: one end in {@code outsideNamespace} with address {@code cidr}, up; the other in
     * this namespace, up, without an address, for {@code port add BRIDGE IFNAME --type af-packet}. Both go
     * with the namespace when the sandbox closes.
     *
     * @return the host end's name.
     */
    static String create(final Sandbox sandbox, final String outsideNamespace, final String cidr)
    {
        final String uplink = sandbox.ifname("up");
        final String far = sandbox.ifname("far");
        check(sandbox.run("ip", "link", "add", uplink, "type", "veth", "peer", "name", far, "netns", outsideNamespace));
        check(sandbox.run("ip", "link", "set", uplink, "up"));
        check(sandbox.inNetns(outsideNamespace, "ip", "addr", "add", cidr, "dev", far));
        check(sandbox.inNetns(outsideNamespace, "ip", "link", "set", far, "up"));
        return uplink;
    }

    /** A container namespace on a TAP port and an outside namespace behind the af-packet uplink, both of {@code br0}. */
    record ContainerAndOutside(String container, String tap, String outside, String uplink)
    {
    }

    /**
     * A container namespace on TAP port {@code br0} at {@code <subnet>.1/24} and an outside namespace at
     * {@code <subnet>.2/24} behind a veth ({@link #create}) whose host end is an af-packet port of {@code br0}.
     */
    static ContainerAndOutside containerAndOutside(final Sandbox sandbox, final Daemon daemon, final String subnet)
    {
        final String container = sandbox.namespace("c");
        final String tap = sandbox.ifname("tC");
        daemon.ok("port", "add", "br0", tap, "--netns", container, "--ip", subnet + ".1/24");
        final String outside = sandbox.namespace("o");
        final String uplink = create(sandbox, outside, subnet + ".2/24");
        daemon.ok("port", "add", "br0", uplink, "--type", "af-packet");
        return new ContainerAndOutside(container, tap, outside, uplink);
    }

    /**
     * How many hold the interface promiscuous ({@code ip -d link}'s promiscuity): an af-packet port's socket is one. The
     * PROMISC flag shows only what a user set, not a packet socket's membership.
     */
    static int promiscuity(final Sandbox sandbox, final String ifname)
    {
        final String link = check(sandbox.run("ip", "-d", "link", "show", "dev", ifname)).out();
        final int at = link.indexOf("promiscuity ");
        if (at < 0)
        {
            throw new AssertionError("no promiscuity in " + link);
        }
        return Integer.parseInt(link.substring(at + 12).split("\\s")[0]);
    }

    /**
     * An edge router as an operator sets it up before containers use it: {@code router} (added) on bridge
     * {@code wan} at 10.95.0.1/24, whose {@code af-packet} port is a veth to {@code outsideNamespace} at
     * 10.95.0.2, its default route via the outside host.
     */
    static void edgeRouter(final Sandbox sandbox, final Daemon daemon, final String outsideNamespace, final String router)
    {
        final String uplink = create(sandbox, outsideNamespace, "10.95.0.2/24");
        daemon.ok("bridge", "add", "wan");
        daemon.ok("port", "add", "wan", uplink, "--type", "af-packet");
        daemon.ok("router", "add", router);
        daemon.ok("router", "attach", router, "wan", "--ip", "10.95.0.1/24");
        daemon.ok("route", "add", router, "0.0.0.0/0", "--via", "10.95.0.2");
    }
}
