package io.vireo.vswitch.it;

import java.util.List;

import io.vireo.vswitch.link.LinkException;
import io.vireo.vswitch.link.LinkOperation;
import io.vireo.vswitch.link.Links;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Links} in this process against the kernel: a veth pair in a namespace of the test's own turned into a
 * container's {@code eth0} as the CNI plugin does it, and a veth moved out of this process's namespace as a TAP
 * port's is; what iproute2 then shows, and the messages of what the kernel refused.
 */
class LinksIT
{
    private Sandbox sandbox;
    private String ns;
    private String veth;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
        ns = sandbox.namespace("a");
        veth = sandbox.ifname("x0");
        check(sandbox.run("ip", "-n", ns, "link", "add", veth, "type", "veth", "peer", "name", sandbox.ifname("x1")));
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void operationsRunInOrderAsIpWouldRunThem()
    {
        check(sandbox.inNetns(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0"));
        Links.apply(ns, List.of(
            LinkOperation.down(veth),
            new LinkOperation.Rename(veth, "eth0"),
            LinkOperation.up("eth0"),
            new LinkOperation.AddAddress("eth0", "10.94.0.5/24"),
            new LinkOperation.AddAddress("eth0", "fd94::5/64"),
            new LinkOperation.AddRoute("10.95.0.0/16", "10.94.0.1", "eth0"),
            new LinkOperation.AddRoute("10.96.0.0/16", null, "eth0"),
            new LinkOperation.AddRoute("0.0.0.0/0", "10.94.0.1", "eth0"),
            new LinkOperation.AddRoute("::/0", "fd94::1", "eth0")));

        assertFalse(Links.exists(ns, veth));
        assertTrue(Links.exists(ns, "eth0"));
        final Links.LinkState eth0 = Links.state(ns, "eth0");
        assertTrue(eth0.up());
        assertEquals(1500, eth0.mtu());
        assertTrue(check(sandbox.inNetns(ns, "ip", "link", "show", "dev", "eth0")).out().contains("link/ether " + eth0.mac()));
        final List<String> addresses = eth0.addresses().stream().map(Object::toString).toList();
        assertTrue(addresses.containsAll(List.of("10.94.0.5/24", "fd94:0:0:0:0:0:0:5/64")), addresses::toString);
        final String routes = check(sandbox.inNetns(ns, "ip", "route", "show")).out();
        assertTrue(routes.contains("default via 10.94.0.1 dev eth0"), routes);
        assertTrue(routes.contains("10.95.0.0/16 via 10.94.0.1 dev eth0"), routes);
        assertTrue(routes.contains("10.96.0.0/16 dev eth0 scope link"), routes);
        assertTrue(check(sandbox.inNetns(ns, "ip", "-6", "route", "show")).out().contains("default via fd94::1 dev eth0"));
    }

    @Test
    void aRouteThatIsThereAlreadyWinsAsWithTheReferencePlugins()
    {
        Links.apply(ns, List.of(LinkOperation.up(veth), new LinkOperation.AddAddress(veth, "10.94.0.5/24"),
            new LinkOperation.AddRoute("0.0.0.0/0", "10.94.0.1", veth)));
        Links.apply(ns, List.of(new LinkOperation.AddRoute("0.0.0.0/0", "10.94.0.9", veth)));
        final String routes = check(sandbox.inNetns(ns, "ip", "route", "show", "default")).out();
        assertEquals(1, routes.lines().count(), routes);
        assertTrue(routes.startsWith("default via 10.94.0.1 dev " + veth), routes);
    }

    @Test
    void aRefusalNamesTheOperationAndStopsTheRest()
    {
        final String where = " in " + ns + ": ";
        Links.apply(ns, List.of(LinkOperation.up(veth), new LinkOperation.AddAddress(veth, "10.94.0.5/24")));

        final LinkException twice = assertThrows(LinkException.class, () -> Links.apply(ns, List.of(
            new LinkOperation.AddAddress(veth, "10.94.0.5/24"), new LinkOperation.AddAddress(veth, "10.94.0.6/24"))));
        assertEquals("addr add 10.94.0.5/24 dev " + veth + where + "Error: ipv4: Address already assigned.", twice.getMessage());
        assertEquals(List.of("10.94.0.5/24"), Links.state(ns, veth).addresses().stream().map(Object::toString).toList(),
            "the operation after the refused one was not made");

        final LinkException gateway = assertThrows(LinkException.class, () -> Links.apply(ns, List.of(
            new LinkOperation.AddRoute("10.6.0.0/16", "10.7.0.1", veth))));
        assertEquals("route add 10.6.0.0/16 via 10.7.0.1 dev " + veth + where + "Error: Nexthop has invalid gateway.",
            gateway.getMessage());
        final LinkException missing = assertThrows(LinkException.class, () -> Links.apply(ns, List.of(LinkOperation.up("nothere"))));
        assertEquals("link set dev nothere up" + where + "Cannot find device \"nothere\"", missing.getMessage());
        final LinkException unread = assertThrows(LinkException.class, () -> Links.state(ns, "nothere"));
        assertEquals("addr show dev nothere" + where + "Cannot find device \"nothere\"", unread.getMessage());

        final String gone = "/run/netns/" + sandbox.prefix + "-gone";
        assertFalse(Links.exists(gone, veth));
        final LinkException noNamespace = assertThrows(LinkException.class, () -> Links.apply(gone, List.of(LinkOperation.up(veth))));
        assertTrue(noNamespace.getMessage().startsWith("open network namespace " + gone + ": No such file or directory"),
            noNamespace::getMessage);
    }

    @Test
    void configureMovesAnInterfaceOutOfThisNamespaceAndSetsItUpThere()
    {
        final String host = sandbox.ifname("h0");
        // The peer in the namespace: deleting the namespace takes the pair with it, whatever happens here.
        check(sandbox.run("ip", "link", "add", host, "type", "veth", "peer", "name", sandbox.ifname("h1"), "netns", ns));
        final Links.LinkState configured = Links.configure(host, ns, "02:00:00:00:00:42", 1400, "10.96.0.2/24");
        assertFalse(Links.exists(null, host), "gone from this namespace");
        assertEquals("02:00:00:00:00:42", configured.mac());
        assertEquals(1400, configured.mtu());
        assertTrue(configured.up());
        assertTrue(configured.addresses().stream().map(Object::toString).toList().contains("10.96.0.2/24"), configured::toString);
        assertTrue(check(sandbox.inNetns(ns, "ip", "-o", "addr", "show", "dev", host)).out().contains("inet 10.96.0.2/24 "));
    }
}
