package io.vireo.vswitch.cni;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vireo.dataplane.nativeio.RtNetlink;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;
import io.vireo.vswitch.core.PortKeeper;
import io.vireo.vswitch.core.VireoException;
import io.vireo.vswitch.link.LinkOperation;
import io.vireo.vswitch.link.Links;

import static io.vireo.vswitch.cni.DaemonRequests.json;
import static io.vireo.vswitch.cni.DaemonRequests.refused;

/**
 * One CNI attachment — a (container id, interface name) pair on one network — made of a Vireo TAP port.
 * <p>
 * ADD asks the daemon for a TAP port under a host-unique name ({@code vc} and 12 hex digits of a hash of the
 * pair, so DEL finds it again from the same pair): the daemon creates it in the container's namespace, sets
 * MAC and MTU there and attaches it to the bridge, while an IPAM plugin allocates the addresses ({@link
 * Allocation}). The plugin then renames it to {@code CNI_IFNAME} inside the namespace (the daemon's file
 * descriptor does not care about names), adds the addresses and the routes the IPAM plugin returned, and
 * tells the daemon the port's first IPv4 address. Anything that fails undoes what came before it, addresses
 * included.
 * <p>
 * The MTU is the config's {@code mtu}; on a VXLAN bridge the overlay's MTU (the daemon reports it; 1450 on a
 * 1500-byte underlay) when the config gives none or a larger one. The result reports it ({@code mtu} of the
 * interface, as CNI 1.1 has it).
 * <p>
 * With services in the config, ADD registers the container in the daemon's service registry under each, as
 * instance {@code CONTAINERID:IFNAME} at its first IPv4 address (its first IPv6 one if it has none), with no
 * lease and owner {@code cni:PORT}; DEL deregisters every instance of that owner. That and what the network's
 * router does for the container are its {@link Publication}.
 */
final class Attachment
{
    private static final String PORT_PREFIX = "vc";
    private static final int PORT_HASH_BYTES = 6;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where IPAM plugins run while their ADD makes the port ({@link Allocation}). */
    private static final ExecutorService IPAM_THREADS = Executors.newCachedThreadPool(runnable ->
    {
        final Thread thread = new Thread(runnable, "vireo-cni-ipam");
        thread.setDaemon(true);
        return thread;
    });

    private final NetworkConfig config;
    private final CniArgs args;
    private final String containerId;
    private final String ifname;
    private final ContainerNetns netns;
    private final Ipam ipam;
    private final PrintStream err;
    private final ControlChannel control;
    private final String portName;
    private final Publication publication;

    /**
     * @param netns the container's namespace; may be null for DEL only.
     * @param args    what {@code CNI_ARGS} gave (its MAC when the config's runtimeConfig gives none).
     * @param ipam    where the addresses come from (an IPAM plugin, the cluster), or null when the config has none.
     * @param control the switch serving the config's run dir.
     */
    Attachment(final NetworkConfig config, final CniArgs args, final String containerId, final String ifname,
        final ContainerNetns netns, final Ipam ipam, final PrintStream err, final ControlChannel control)
    {
        this.config = config;
        this.args = args;
        this.containerId = containerId;
        this.ifname = ifname;
        this.netns = netns;
        this.ipam = ipam;
        this.err = err;
        this.control = control;
        this.portName = portName(containerId, ifname);
        this.publication = new Publication(config, control, err, containerId, ifname, portName);
    }

    /** The daemon's port name for an attachment: fits IFNAMSIZ and is the same for every call about it. */
    static String portName(final String containerId, final String ifname)
    {
        try
        {
            final byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest((containerId + "/" + ifname).getBytes(StandardCharsets.UTF_8));
            return PORT_PREFIX + HexFormat.of().formatHex(digest, 0, PORT_HASH_BYTES);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every Java runtime has SHA-256", ex);
        }
    }

    CniResult add()
    {
        final CniResult previous = null == config.prevResult() ? null : CniResult.parse(config.prevResult(), "prevResult");
        if (200 == call("GET", "/v1/ports/" + portName, null).status())
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, "container " + containerId + " already has " + ifname +
                " on vireo (port " + portName + "); DEL it first");
        }
        // The IPAM plugin starts here, the checks below and the port run while it does; the check above comes first
        // because a failure gives back what was allocated, which for an attachment that exists may be its address.
        final Allocation allocation = new Allocation(ipam);
        final Integer mtu;
        final CniResult assigned;
        final JsonNode port;
        try
        {
            mtu = effectiveMtu(requireBridge());
            if (netns.hasInterface(ifname))
            {
                throw new CniException(CniException.PLUGIN_SPECIFIC,
                    "an interface named " + ifname + " already exists in " + netns.path());
            }
            port = attachPort(allocation, mtu);
            assigned = allocation.assigned();
        }
        catch (final RuntimeException ex)
        {
            allocation.release();
            throw ex;
        }
        try
        {
            try
            {
                publication.publish(assigned);
            }
            catch (final RuntimeException ex)
            {
                publication.takeBackQuietly();
                detachQuietly();
                throw ex;
            }
            final CniResult made = new CniResult(
                List.of(new CniResult.Interface(ifname, port.path("mac").asText(), netns.path(), null != mtu ? mtu :
                    port.path("mtu").isInt() ? Integer.valueOf(port.get("mtu").asInt()) : linkMtu())),
                assigned.ips().stream().map(ip -> ip.onInterface(0)).toList(),
                assigned.routes(),
                null != config.dns() ? config.dns() : assigned.dns());
            return null == previous ? made : previous.followedBy(made);
        }
        catch (final RuntimeException ex)
        {
            allocation.release();
            throw ex;
        }
    }

    /**
     * The container's addresses, with the default route the config asks for. An IPAM plugin (a program of its
     * own: about 10 ms) runs on a thread of its own while the bridge and the namespace are checked and the switch
     * makes the port; the cluster's blocks, a call into this daemon, are asked at once, so the port is made with
     * its address as before.
     */
    private final class Allocation
    {
        private final CompletableFuture<CniResult> result;

        Allocation(final Ipam ipam)
        {
            result = null == ipam ? CompletableFuture.completedFuture(CniResult.EMPTY) :
                ipam.runsAProgram() ? CompletableFuture.supplyAsync(ipam::add, IPAM_THREADS) :
                CompletableFuture.completedFuture(ipam.add());
        }

        /** True once the addresses are known (they were when the port was asked for, unless a program allocates them). */
        boolean isKnown()
        {
            return result.isDone() && !result.isCompletedExceptionally();
        }

        /** The addresses, once the IPAM plugin has answered; its failure as it failed. */
        CniResult assigned()
        {
            return withDefaultRoute(joined(result));
        }

        /** Runs {@code step} with the addresses on an IPAM thread once the plugin has answered. */
        CompletableFuture<Void> whenAssigned(final Consumer<CniResult> step)
        {
            return result.thenAcceptAsync(step, IPAM_THREADS);
        }

        /** Gives back what was allocated on the way out of a failed ADD (a failed allocation left nothing). */
        void release()
        {
            try
            {
                result.join();
            }
            catch (final CompletionException ex)
            {
                return;
            }
            if (null != ipam)
            {
                ipam.release();
            }
        }
    }

    /** Checks the port, the interface, its MAC, MTU and addresses against the prevResult, then the IPAM plugin. */
    void check()
    {
        if (!config.supportsCheck())
        {
            throw new CniException(CniException.INCOMPATIBLE_VERSION,
                "CHECK needs cniVersion 0.4.0 or later; the config says " + config.cniVersion());
        }
        if (null == config.prevResult())
        {
            throw new CniException(CniException.INVALID_CONFIG, "CHECK needs the prevResult of the ADD in the config");
        }
        final CniResult expected = CniResult.parse(config.prevResult(), "prevResult");
        final int index = interfaceIndex(expected);
        final JsonNode port = port();
        if (!config.bridge().equals(port.path("bridge").asText()))
        {
            throw failed("port " + portName + " is on bridge " + port.path("bridge").asText() + ", not " + config.bridge());
        }
        if (!"up".equals(port.path("state").asText()))
        {
            throw failed("port " + portName + " is " + port.path("state").asText());
        }
        final Links.LinkState link = netns.describe(ifname);
        if (null == link)
        {
            throw failed("there is no interface " + ifname + " in " + netns.path());
        }
        final String mac = expected.interfaces().get(index).mac();
        if (null != mac && !mac.equalsIgnoreCase(link.mac()))
        {
            throw failed(ifname + " has MAC " + link.mac() + ", the ADD gave it " + mac);
        }
        if (!link.up())
        {
            throw failed(ifname + " in " + netns.path() + " is down");
        }
        final Integer mtu = null != expected.interfaces().get(index).mtu() ? expected.interfaces().get(index).mtu() : config.mtu();
        if (null != mtu && link.mtu() != mtu)
        {
            throw failed(ifname + " has MTU " + link.mtu() + ", the ADD gave it " + mtu);
        }
        for (final CniResult.IpConfig ip : expected.ips())
        {
            if (null != ip.interfaceIndex() && index == ip.interfaceIndex() && !hasAddress(link, ip.address()))
            {
                throw failed(ifname + " in " + netns.path() + " lacks its address " + ip.address());
            }
        }
        if (null != ipam)
        {
            ipam.check();
        }
    }

    /**
     * Takes back the attachment's published ports, deletes the port and releases the addresses; whatever is
     * already gone counts as done. The gateway and the masquerade stay: they are the network's.
     */
    void del()
    {
        CniException failure = null;
        try
        {
            publication.takeBack();
            detach();
        }
        catch (final CniException ex)
        {
            failure = ex;
        }
        if (null != ipam)
        {
            try
            {
                ipam.delete();
            }
            catch (final CniException ex)
            {
                failure = null == failure ? ex : failure;
            }
        }
        if (null != failure)
        {
            throw failure;
        }
    }

    /** With isDefaultGateway, a default route through the gateway of each family, unless IPAM gave one. */
    private CniResult withDefaultRoute(final CniResult assigned)
    {
        if (!config.isDefaultGateway())
        {
            return assigned;
        }
        final List<CniResult.Route> routes = new ArrayList<>(assigned.routes());
        for (final String dst : List.of("0.0.0.0/0", "::/0"))
        {
            final boolean ipv6 = dst.contains(":");
            final boolean hasFamily = assigned.ips().stream().anyMatch(ip -> ip.isIpv6() == ipv6 && null != ip.gateway());
            if (hasFamily && routes.stream().noneMatch(route -> dst.equals(route.dst())))
            {
                routes.add(new CniResult.Route(dst, assigned.gatewayFor(dst)));
            }
        }
        return new CniResult(assigned.interfaces(), assigned.ips(), List.copyOf(routes), assigned.dns());
    }

    /** The config's MTU, bounded by the overlay's on a VXLAN bridge; null: the kernel's default. */
    private Integer effectiveMtu(final JsonNode bridge)
    {
        final JsonNode overlay = bridge.path("vxlan").path("mtu");
        if (!overlay.isInt())
        {
            return config.mtu();
        }
        return null == config.mtu() ? overlay.asInt() : Math.min(config.mtu(), overlay.asInt());
    }

    /** The interface's MTU as the kernel has it now, or null if it cannot be read. */
    private Integer linkMtu()
    {
        final Links.LinkState link = netns.describe(ifname);
        return null == link ? null : link.mtu();
    }

    /** The daemon's description of the config's bridge; a CNI error if it has none. */
    private JsonNode requireBridge()
    {
        final ControlApi.Response response = call("GET", "/v1/bridges", null);
        if (200 != response.status())
        {
            throw refused(response, "listing bridges");
        }
        for (final JsonNode bridge : json(response))
        {
            if (config.bridge().equals(bridge.path("name").asText()))
            {
                return bridge;
            }
        }
        throw new CniException(CniException.INVALID_CONFIG, "vireod at " + config.runDir() + " has no bridge named " +
            config.bridge() + " (vireoctl bridge add " + config.bridge() + ")");
    }

    /**
     * Creates the port and finishes the interface inside the container; returns the port as the daemon has it
     * then (its MAC, and its MTU as the kernel had it once configured). The daemon sets the port's first IPv4
     * address if the allocation knows it already; else the port is made meanwhile, the plugin sets every address
     * and tells the daemon the port's address ({@code PATCH location}, from an IPAM thread, as it sets them).
     * Renaming takes the link down for a moment; the daemon's TAP port loses what it writes then (EIO) and goes on.
     */
    private JsonNode attachPort(final Allocation allocation, final Integer mtu)
    {
        final boolean knownFirst = allocation.isKnown();
        final String knownAddress = knownFirst ? firstIpv4(allocation.assigned()) : null;
        final ObjectNode request = JSON.createObjectNode()
            .put("bridge", config.bridge())
            .put("name", portName)
            .put("type", "tap")
            .put("owner", "cni")
            .put("netns", netns.path())
            .put("ip", knownAddress)
            .put("mac", null != config.mac() ? config.mac() : args.mac())
            .put("mtu", mtu);
        // The container's ingress is what the switch sends the port: the port's egress, and the other way round.
        limit(request, "egress", config.bandwidth().ingressRate(), config.bandwidth().ingressBurst());
        limit(request, "ingress", config.bandwidth().egressRate(), config.bandwidth().egressBurst());
        final ControlApi.Response created = call("POST", "/v1/ports", request);
        if (201 != created.status())
        {
            throw refused(created, "adding port " + portName + " to bridge " + config.bridge());
        }
        // The daemon records the address (and saves its state) while the interface is configured.
        final CompletableFuture<Void> located = knownFirst ? CompletableFuture.completedFuture(null) :
            allocation.whenAssigned(assigned -> locate(firstIpv4(assigned)));
        try
        {
            final CniResult assigned = allocation.assigned();
            netns.apply(containerSide(assigned, knownAddress), "configuring " + ifname);
            joined(located);
            final JsonNode port = port();
            final String state = port.path("state").asText();
            if (!"up".equals(state))
            {
                throw failed("port " + portName + " is " + state + " after " + ifname + " was configured");
            }
            return port;
        }
        catch (final RuntimeException ex)
        {
            located.exceptionally(failure -> null).join();
            detachQuietly();
            throw ex;
        }
    }

    /** The first IPv4 address of an allocation ({@code ADDRESS/LENGTH}), the one the daemon keeps for the port. */
    private static String firstIpv4(final CniResult assigned)
    {
        return assigned.ips().stream().filter(ip -> !ip.isIpv6()).map(CniResult.IpConfig::address).findFirst().orElse(null);
    }

    /** Tells the daemon the port's address, set by the plugin. */
    private void locate(final String address)
    {
        final ObjectNode location = JSON.createObjectNode();
        location.putObject("location").put("netns", netns.path()).put("ip", address);
        final ControlApi.Response response = call("PATCH", "/v1/ports/" + portName, location);
        if (200 != response.status())
        {
            throw refused(response, "recording the address of port " + portName);
        }
    }

    /** Adds a rate limit to a port request: {@code rate} bits/s with a burst of {@code burstBits} bits (null: default). */
    private static void limit(final ObjectNode request, final String direction, final Long rate, final Long burstBits)
    {
        if (null != rate)
        {
            final ObjectNode limit = request.putObject(direction).put("rate", rate);
            if (null != burstBits)
            {
                limit.put("burst", Math.max(1, burstBits / 8));
            }
        }
    }

    /**
     * What turns the daemon's TAP into CNI_IFNAME with all its addresses and routes. A route to a destination
     * the namespace has a route to already (another network's default route) is left to that one.
     */
    private List<LinkOperation> containerSide(final CniResult assigned, final String daemonAddress)
    {
        final List<LinkOperation> operations = new ArrayList<>(List.of(
            LinkOperation.down(portName),
            new LinkOperation.Rename(portName, ifname),
            LinkOperation.up(ifname)));
        for (final CniResult.IpConfig ip : assigned.ips())
        {
            if (!ip.address().equals(daemonAddress))
            {
                operations.add(new LinkOperation.AddAddress(ifname, ip.address()));
            }
        }
        for (final CniResult.Route route : assigned.routes())
        {
            final String gateway = null != route.gw() ? route.gw() : assigned.gatewayFor(route.dst());
            operations.add(new LinkOperation.AddRoute(route.dst(), gateway, ifname));
        }
        return operations;
    }

    private JsonNode port()
    {
        final ControlApi.Response response = call("GET", "/v1/ports/" + portName, null);
        if (404 == response.status())
        {
            throw failed("vireod has no port " + portName + " for container " + containerId + ", " + ifname);
        }
        if (200 != response.status())
        {
            throw refused(response, "reading port " + portName);
        }
        return json(response);
    }

    private void detach()
    {
        final ControlApi.Response response;
        try
        {
            if (!Files.exists(config.controlSocket()))
            {
                throw new CniException(CniException.TRY_AGAIN_LATER, "no vireod at " + config.controlSocket());
            }
            response = call("DELETE", "/v1/ports/" + portName, null);
        }
        catch (final CniException ex)
        {
            if (CniException.TRY_AGAIN_LATER != ex.code())
            {
                throw ex;
            }
            // No daemon serves this run dir: the port keeper may hold the TAP for the next one; let it go.
            err.println("vireo-cni: " + ex.getMessage() + (releaseKept() ?
                "; its port keeper let the TAP of " + portName + " go" : ", so no port to delete"));
            return;
        }
        if (200 != response.status() && 404 != response.status())
        {
            throw refused(response, "deleting port " + portName);
        }
    }

    private boolean releaseKept()
    {
        try
        {
            return PortKeeper.release(config.runDir().path(), portName);
        }
        catch (final VireoException ex)
        {
            throw new CniException(CniException.TRY_AGAIN_LATER, "the port keeper of " + config.runDir() + ": " +
                ex.getMessage());
        }
    }

    private void detachQuietly()
    {
        try
        {
            detach();
        }
        catch (final CniException ex)
        {
            err.println("vireo-cni: cleaning up port " + portName + " failed: " + ex.getMessage());
        }
    }

    private int interfaceIndex(final CniResult expected)
    {
        for (int i = 0; i < expected.interfaces().size(); i++)
        {
            final CniResult.Interface candidate = expected.interfaces().get(i);
            if (ifname.equals(candidate.name()) && netns.path().equals(candidate.sandbox()))
            {
                return i;
            }
        }
        throw failed("the prevResult lists no interface " + ifname + " in " + netns.path());
    }

    private static boolean hasAddress(final Links.LinkState link, final String cidr)
    {
        final int slash = cidr.indexOf('/');
        return link.addresses().contains(
            new RtNetlink.Address(literal(cidr.substring(0, slash)), Integer.parseInt(cidr.substring(slash + 1))));
    }

    /** Parses an address literal (never a DNS lookup: CniResult only admits literals). */
    private static InetAddress literal(final String address)
    {
        try
        {
            return InetAddress.getByName(address);
        }
        catch (final UnknownHostException ex)
        {
            throw new CniException(CniException.DECODING_FAILURE, "not an IP address: " + address);
        }
    }

    /** A future's value once it is done; its failure as it failed. */
    private static <T> T joined(final CompletableFuture<T> future)
    {
        try
        {
            return future.join();
        }
        catch (final CompletionException ex)
        {
            throw ex.getCause() instanceof RuntimeException cause ? cause : ex;
        }
    }

    private ControlApi.Response call(final String method, final String path, final Object body)
    {
        return DaemonRequests.call(control, method, path, body);
    }

    private static CniException failed(final String message)
    {
        return new CniException(CniException.PLUGIN_SPECIFIC, message);
    }
}
