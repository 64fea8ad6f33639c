package io.vireo.dataplane.nativeio;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rtnetlink client against the kernel, in two namespaces of the test's own (needs root): a veth pair in
 * the first, configured as iproute2 would and checked with iproute2; moved into the second; a veth made in
 * this process's namespace moved out of it. Everything is named {@code vn<4 hex>...} and removed after.
 */
class RtNetlinkIT
{
    private final String prefix = "vn" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    private final String first = prefix + "-a";
    private final String second = prefix + "-b";
    private final String veth = prefix + "x0";
    private final String hostVeth = prefix + "h0";

    @BeforeEach
    void setUp()
    {
        assertEquals("root", System.getProperty("user.name"), "namespace tests need root (scripts/test.sh)");
        ip("netns", "add", first);
        ip("netns", "add", second);
        ip("-n", first, "link", "add", veth, "type", "veth", "peer", "name", prefix + "x1");
    }

    @AfterEach
    void tearDown()
    {
        exit("ip", "netns", "del", first);
        exit("ip", "netns", "del", second);
        exit("ip", "link", "del", hostVeth);
    }

    @Test
    void looksUpALinkAsIpShowsIt() throws Exception
    {
        try (RtNetlink netlink = RtNetlink.open(namespacePath(first)))
        {
            final RtNetlink.Link link = netlink.link(veth);
            final String shown = ip("-n", first, "-o", "link", "show", "dev", veth);
            assertTrue(shown.startsWith(link.index() + ": " + veth + "@"), shown);
            assertTrue(shown.contains("link/ether " + link.address() + " "), shown);
            assertTrue(shown.contains(" mtu 1500 "), shown);
            assertEquals(1500, link.mtu());
            assertEquals("veth", link.kind());
            assertFalse(link.up());
            assertNull(netlink.link(prefix + "none"), "no such link");
            assertEquals(link, CompletableFuture.supplyAsync(() -> netlink.link(veth)).get(10, TimeUnit.SECONDS),
                "the socket stays in its namespace, whichever thread asks");
        }
    }

    @Test
    void opensItsSocketInTheNamespaceWithoutMovingTheCaller() throws Exception
    {
        final Path own = Path.of("/proc/thread-self/ns/net");
        final Path before = Files.readSymbolicLink(own);
        try (RtNetlink netlink = RtNetlink.open(namespacePath(first)))
        {
            assertNotNull(netlink.link(veth));
        }
        assertEquals(before, Files.readSymbolicLink(own));
        try (RtNetlink netlink = RtNetlink.open(null))
        {
            assertNull(netlink.link(veth), "this process's namespace has no such link");
            assertNotNull(netlink.link("lo"));
        }

        final NativeException missing = assertThrows(NativeException.class, () -> RtNetlink.open(namespacePath(prefix + "-c")));
        assertEquals(Errno.ENOENT, missing.errno());
        assertTrue(missing.getMessage().startsWith("open network namespace /run/netns/" + prefix + "-c: "), missing::getMessage);
        final NativeException notANamespace = assertThrows(NativeException.class, () -> RtNetlink.open("/proc/self/status"));
        assertEquals(Errno.EINVAL, notANamespace.errno(), notANamespace::getMessage);
        assertEquals(before, Files.readSymbolicLink(own));
    }

    @Test
    void changesMacMtuNameAndStateAsIpLinkSetDoes()
    {
        try (RtNetlink netlink = RtNetlink.open(namespacePath(first)))
        {
            final int index = netlink.link(veth).index();
            netlink.changeLink(index, new RtNetlink.LinkChange(null, "02:00:00:00:00:07", 1400, true));
            final RtNetlink.Link changed = netlink.link(veth);
            assertEquals("02:00:00:00:00:07", changed.address());
            assertEquals(1400, changed.mtu());
            assertTrue(changed.up());
            assertTrue(ip("-n", first, "-o", "link", "show", "dev", veth).contains("link/ether 02:00:00:00:00:07 "));

            netlink.changeLink(index, RtNetlink.LinkChange.state(false));
            netlink.changeLink(index, RtNetlink.LinkChange.rename(prefix + "eth"));
            netlink.changeLink(index, RtNetlink.LinkChange.state(true));
            assertNull(netlink.link(veth));
            final RtNetlink.Link renamed = netlink.link(prefix + "eth");
            assertEquals(index, renamed.index());
            assertTrue(renamed.up());
        }
    }

    @Test
    void addsAndListsAddressesAsIpAddrDoes() throws Exception
    {
        try (RtNetlink netlink = RtNetlink.open(namespacePath(first)))
        {
            final int index = netlink.link(veth).index();
            netlink.addAddress(index, InetAddress.getByName("10.1.2.3"), 24);
            netlink.addAddress(index, InetAddress.getByName("fd00::5"), 64);
            final String shown = ip("-n", first, "-o", "addr", "show", "dev", veth);
            assertTrue(shown.contains("inet 10.1.2.3/24 "), shown);
            assertTrue(shown.contains("inet6 fd00::5/64 "), shown);
            assertTrue(shown.contains("tentative"), "IPv6 duplicate address detection, as ip addr add leaves it: " + shown);
            assertEquals(List.of("10.1.2.3/24", "fd00:0:0:0:0:0:0:5/64"),
                netlink.addresses(index).stream().map(RtNetlink.Address::toString).toList());
            assertEquals(List.of(), netlink.addresses(netlink.link("lo").index()), "lo is down: no address yet");

            final NetlinkException twice = assertThrows(NetlinkException.class,
                () -> netlink.addAddress(index, InetAddress.getByName("10.1.2.3"), 24));
            assertEquals(Errno.EEXIST, twice.errno());
            assertEquals("add address 10.1.2.3/24 to link " + index + ": Error: ipv4: Address already assigned.",
                twice.getMessage(), "the kernel's own words, as ip prints them");
            assertEquals(index, netlink.link(veth).index(), "the next request is answered as usual");
        }
    }

    @Test
    void addsRoutesAsIpRouteDoesAndSaysWhatTheKernelRefused() throws Exception
    {
        try (RtNetlink netlink = RtNetlink.open(namespacePath(first)))
        {
            final int index = netlink.link(veth).index();
            netlink.changeLink(index, RtNetlink.LinkChange.state(true));
            netlink.addAddress(index, InetAddress.getByName("10.1.2.3"), 24);
            netlink.addRoute(InetAddress.getByName("10.9.0.0"), 16, InetAddress.getByName("10.1.2.1"), index);
            netlink.addRoute(InetAddress.getByName("0.0.0.0"), 0, InetAddress.getByName("10.1.2.1"), index);
            netlink.addRoute(InetAddress.getByName("10.5.0.0"), 16, null, index);
            final String routes = ip("-n", first, "route", "show");
            assertTrue(routes.contains("default via 10.1.2.1 dev " + veth), routes);
            assertTrue(routes.contains("10.9.0.0/16 via 10.1.2.1 dev " + veth), routes);
            assertTrue(routes.contains("10.5.0.0/16 dev " + veth + " scope link"), routes);

            final NetlinkException exists = assertThrows(NetlinkException.class,
                () -> netlink.addRoute(InetAddress.getByName("0.0.0.0"), 0, InetAddress.getByName("10.1.2.9"), index));
            assertEquals(Errno.EEXIST, exists.errno());
            assertEquals("RTNETLINK answers: File exists (EEXIST, errno 17)", exists.answer(), "no words of its own: errno's");
            final NetlinkException unreachable = assertThrows(NetlinkException.class,
                () -> netlink.addRoute(InetAddress.getByName("10.6.0.0"), 16, InetAddress.getByName("10.7.0.1"), index));
            assertEquals("Error: Nexthop has invalid gateway.", unreachable.answer());

            netlink.addAddress(index, InetAddress.getByName("fd00::5"), 64);
            netlink.addRoute(InetAddress.getByName("fd00:1::"), 64, InetAddress.getByName("fd00::1"), index);
            netlink.addRoute(InetAddress.getByName("::"), 0, InetAddress.getByName("fd00::1"), index);
            final String routes6 = ip("-n", first, "-6", "route", "show");
            assertTrue(routes6.contains("fd00:1::/64 via fd00::1 dev " + veth), routes6);
            assertTrue(routes6.contains("default via fd00::1 dev " + veth), routes6);
        }
    }

    @Test
    void movesLinksBetweenNamespaces()
    {
        try (RtNetlink netlink = RtNetlink.open(namespacePath(first)); RtNetlink other = RtNetlink.open(namespacePath(second)))
        {
            netlink.moveLink(netlink.link(veth).index(), namespacePath(second));
            assertNull(netlink.link(veth));
            assertEquals("veth", other.link(veth).kind());
        }

        ip("link", "add", hostVeth, "type", "veth", "peer", "name", prefix + "h1", "netns", first);
        try (RtNetlink host = RtNetlink.open(null))
        {
            host.moveLink(host.link(hostVeth).index(), namespacePath(second));
            assertNull(host.link(hostVeth));
        }
        assertTrue(ip("-n", second, "-o", "link", "show").contains(hostVeth + "@"));
    }

    private static String namespacePath(final String name)
    {
        return "/run/netns/" + name;
    }

    /** Runs iproute2; fails the test with its output unless it exits 0. */
    private static String ip(final String... args)
    {
        final String[] command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        final StringBuilder output = new StringBuilder();
        assertEquals(0, exit(output, command), () -> String.join(" ", command) + ": " + output);
        return output.toString();
    }

    private static int exit(final String... command)
    {
        return exit(new StringBuilder(), command);
    }

    private static int exit(final StringBuilder output, final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            output.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
