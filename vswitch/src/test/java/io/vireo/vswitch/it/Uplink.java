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
}
