package io.vireo.vswitch.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlClient;
import io.vireo.vswitch.core.CountersFile;
import io.vireo.vswitch.core.NatRuleSpec;
import io.vireo.vswitch.core.RateLimit;
import io.vireo.vswitch.core.PolicySpec;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.vswitch.core.TableCounters;
import io.vireo.vswitch.pipeline.ThreadCounters;
import io.vireo.vswitch.core.VxlanSpec;
import io.vireo.vswitch.launch.Commands;
import io.vireo.vswitch.launch.RunDir;
import org.agrona.concurrent.status.CountersReader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code vireoctl}: the command line over a daemon's control socket. Exit 0 on success; otherwise
 * one line on stderr naming what was wrong and exit 1 (2 for a usage error).
 */
@Command(name = "vireoctl", mixinStandardHelpOptions = true, version = "vireoctl 0.1.0",
    description = "Control a running vireod.",
    subcommands = {Vireoctl.BridgeCommand.class, Vireoctl.PortCommand.class, Vireoctl.FdbCommand.class,
        Vireoctl.PolicyCommand.class, Vireoctl.VxlanCommand.class, Vireoctl.StatsCommand.class,
        RegistryCommand.class, NetworkCommand.class, ClusterCommand.class,
        Vireoctl.CaptureCommand.class, Vireoctl.ThreadsCommand.class, Vireoctl.RouterCommand.class,
        Vireoctl.RouteCommand.class, Vireoctl.NatCommand.class, Vireoctl.ConntrackCommand.class, ServiceCommand.class})
public final class Vireoctl
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--run-dir", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
        description = "the daemon's run dir (default: /run/vireo)")
    RunDir runDir = RunDir.DEFAULT;

    private final PrintStream out;
    private final PrintStream err;

    Vireoctl(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    public static void main(final String[] args)
    {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns its exit code. */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        return Commands.execute("vireoctl", new Vireoctl(out, err), args, out, err);
    }

    /** Sends a request; prints the JSON or a rendering of it; returns the exit code. */
    int call(final String method, final String path, final Object body, final boolean json, final Renderer renderer)
        throws JsonProcessingException
    {
        final String content = null == body ? null : JSON.writeValueAsString(body);
        final ControlApi.Response response =
            ControlClient.request(runDir.controlSocket(), method, path, content);
        final JsonNode node = JSON.readTree(response.body());
        if (response.status() >= 300)
        {
            err.println("vireoctl: " + (node.hasNonNull("error") ? node.get("error").asText() : response.body()));
            return 1;
        }
        if (json)
        {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        }
        else
        {
            renderer.render(node, out);
        }
        return 0;
    }

    @FunctionalInterface
    interface Renderer
    {
        void render(JsonNode node, PrintStream out);
    }

    static Renderer message(final String text)
    {
        return (node, out) -> out.println(text);
    }

    @Command(name = "bridge", description = "Add, delete and list bridges.", mixinStandardHelpOptions = true)
    static final class BridgeCommand
    {
        @ParentCommand
        Vireoctl root;

        @Command(name = "add", description = "Add a bridge; with --vni and --vtep-local, one that reaches its VXLAN peers.")
        int add(
            @Parameters(paramLabel = "NAME") final String name,
            @Option(names = "--aging", paramLabel = "SECONDS", description = "MAC aging time (default 300)") final Long aging,
            @Option(names = "--vni", paramLabel = "N", description = "VXLAN network identifier, 0-16777215") final Integer vni,
            @Option(names = "--vtep-local", paramLabel = "IP", description = "VXLAN: local IPv4 address to listen on and send from") final String local,
            @Option(names = "--vtep-port", paramLabel = "PORT", description = "VXLAN: UDP port (default 4789)") final Integer port,
            @Option(names = "--ttl", paramLabel = "N", description = "VXLAN: TTL of the datagrams (default 64)") final Integer ttl,
            @Option(names = "--mtu", paramLabel = "N", description = "VXLAN: the overlay's MTU, the default of the bridge's ports (default 1450)") final Integer mtu,
            @Option(names = "--learn-any-peer", description = "VXLAN: accept datagrams from any address and add it as a peer") final boolean learnAnyPeer,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            final boolean vxlan = null != vni || null != local || null != port || null != ttl || null != mtu || learnAnyPeer;
            final VxlanSpec spec = vxlan ? new VxlanSpec(vni, local, port, ttl, mtu, learnAnyPeer ? Boolean.TRUE : null) : null;
            return root.call("POST", "/v1/bridges", new ControlApi.BridgeRequest(name, aging, spec), json,
                message("bridge " + name + " added"));
        }

        @Command(name = "del", description = "Delete a bridge and its ports.")
        int del(@Parameters(paramLabel = "NAME") final String name, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("DELETE", "/v1/bridges/" + name, null, json, message("bridge " + name + " deleted"));
        }

        @Command(name = "list", description = "List bridges.")
        int list(@Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("GET", "/v1/bridges", null, json, (node, out) ->
            {
                final Table table = new Table("BRIDGE", "AGING(s)", "FDB", "VXLAN", "PORTS");
                for (final JsonNode bridge : node)
                {
                    final List<String> ports = new ArrayList<>();
                    bridge.get("ports").forEach(port -> ports.add(port.asText()));
                    final JsonNode vxlan = bridge.get("vxlan");
                    final String overlay = null == vxlan || vxlan.isNull() ? "-" : "vni " + vxlan.get("vni").asText() + " " +
                        vxlan.get("local").asText() + ":" + vxlan.get("port").asText() + " mtu " + vxlan.get("mtu").asText() +
                        " peers " + vxlan.get("peers").size();
                    table.row(bridge.get("name").asText(), bridge.get("agingSeconds").asText(),
                        bridge.get("fdbEntries").asText(), overlay, String.join(",", ports));
                }
                table.print(out);
            });
        }
    }

    @Command(name = "port", description = "Add, delete and list ports.", mixinStandardHelpOptions = true)
    static final class PortCommand
    {
        @ParentCommand
        Vireoctl root;

        @Command(name = "add", description = "Add a port: a TAP (created, optionally moved into a namespace and configured), "
            + "a vhost-user socket, or an existing host interface (af-packet; NAME is the interface).")
        int add(
            @Parameters(index = "0", paramLabel = "BRIDGE") final String bridge,
            @Parameters(index = "1", paramLabel = "NAME") final String name,
            @Option(names = "--type", paramLabel = "TYPE", defaultValue = "tap", description = "port type: tap, vhost-user or af-packet") final String type,
            @Option(names = "--netns", paramLabel = "NS", description = "move the interface into this network namespace (a name, or a path such as /proc/PID/ns/net)") final String netns,
            @Option(names = "--ip", paramLabel = "CIDR", description = "address to add to the interface, e.g. 10.0.0.1/24") final String ip,
            @Option(names = "--mac", paramLabel = "MAC", description = "MAC of the interface") final String mac,
            @Option(names = "--mtu", paramLabel = "N", description = "MTU of the interface") final Integer mtu,
            @Option(names = "--offloads", paramLabel = "on|off", description = "tap: TSO/USO/checksum offloads (default: the daemon's)") final String offloads,
            @Option(names = "--socket", paramLabel = "PATH", description = "vhost-user: the unix socket") final String socket,
            @Option(names = "--client", description = "vhost-user: connect to the frontend's socket (and reconnect) instead of listening") final boolean client,
            @Option(names = "--thread", paramLabel = "N", description = "the forwarding thread that receives from the port (ports with one queue; default: round robin)") final Integer thread,
            @Mixin final Limits limits,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            final String absoluteSocket = null == socket ? null : Path.of(socket).toAbsolutePath().toString();
            return root.call("POST", "/v1/ports", new ControlApi.PortRequest(bridge, name, type, netns, ip, mac, mtu,
                onOff(offloads), absoluteSocket, client ? Boolean.TRUE : null, null, thread, limits.ingress(), limits.egress()),
                json, message("port " + name + " added to " + bridge));
        }

        @Command(name = "set", description = "Move a port with one queue (vhost-user, a VXLAN endpoint, any port when "
            + "there is one thread) to another forwarding thread (no frame is lost), or limit its rate.")
        int set(
            @Parameters(paramLabel = "NAME") final String name,
            @Option(names = "--thread", paramLabel = "N", description = "the forwarding thread, 0..threads-1") final Integer thread,
            @Mixin final Limits limits,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            if (null == thread && null == limits.ingress() && null == limits.egress())
            {
                throw new CommandLine.ParameterException(new CommandLine(new Vireoctl(null, null)),
                    "give --thread or a rate (--ingress-rate, --egress-rate)");
            }
            return root.call("PATCH", "/v1/ports/" + name, new ControlApi.PortChange(thread, limits.ingress(), limits.egress(), null),
                json, message("port " + name + " changed"));
        }

        /** A port's rate limits as options. */
        static final class Limits
        {
            @Option(names = "--ingress-rate", paramLabel = "RATE", converter = Units.Rate.class,
                description = "police what the port sends into the switch, e.g. 100mbit (0: no limit)")
            Long ingressRate;
            @Option(names = "--ingress-burst", paramLabel = "SIZE", converter = Units.Size.class,
                description = "bytes that may pass at once above the ingress rate, e.g. 256kb (default: 10 ms of it, at least 64kb)")
            Long ingressBurst;
            @Option(names = "--egress-rate", paramLabel = "RATE", converter = Units.Rate.class,
                description = "police what the switch sends to the port, e.g. 100mbit (0: no limit)")
            Long egressRate;
            @Option(names = "--egress-burst", paramLabel = "SIZE", converter = Units.Size.class,
                description = "bytes that may pass at once above the egress rate (default: 10 ms of it, at least 64kb)")
            Long egressBurst;

            RateLimit ingress()
            {
                return limit(ingressRate, ingressBurst, "--ingress");
            }

            RateLimit egress()
            {
                return limit(egressRate, egressBurst, "--egress");
            }

            private static RateLimit limit(final Long rate, final Long burst, final String option)
            {
                if (null == rate && null != burst)
                {
                    throw new CommandLine.ParameterException(new CommandLine(new Vireoctl(null, null)),
                        option + "-burst needs " + option + "-rate");
                }
                return null == rate ? null : new RateLimit(rate, burst);
            }
        }

        @Command(name = "del", description = "Delete a port (removes the interface the switch created).")
        int del(@Parameters(paramLabel = "NAME") final String name, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("DELETE", "/v1/ports/" + name, null, json, message("port " + name + " deleted"));
        }

        @Command(name = "list", description = "List ports.")
        int list(@Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("GET", "/v1/ports", null, json, (node, out) ->
            {
                final Table table = new Table("PORT", "BRIDGE", "TYPE", "NETNS/SOCKET", "IP", "MAC", "MTU", "STATE", "RX", "TX");
                for (final JsonNode port : node)
                {
                    final String where = port.hasNonNull("socket") ? text(port, "socket") : text(port, "netns");
                    table.row(text(port, "name"), text(port, "bridge"), text(port, "type"), where,
                        text(port, "ip"), text(port, "mac"), text(port, "mtu"), text(port, "state"),
                        port.get("stats").get("rxPackets").asText(), port.get("stats").get("txPackets").asText());
                }
                table.print(out);
            });
        }
    }

    @Command(name = "threads", mixinStandardHelpOptions = true,
        description = "Forwarding threads: the CPU each is pinned to, its kernel thread id, the bytes it has allocated on "
            + "the heap since it started (sampled twice: the forwarding path's allocation rate) and the ports it receives from "
            + "(`stats` shows where their time goes).")
    static final class ThreadsCommand implements Callable<Integer>
    {
        @ParentCommand
        Vireoctl root;

        @Option(names = "--json")
        boolean json;

        @Override
        public Integer call() throws JsonProcessingException
        {
            return root.call("GET", "/v1/threads", null, json, (node, out) ->
            {
                final Table table = new Table("THREAD", "NAME", "CPU", "TID", "ALLOCATED", "PORTS");
                for (final JsonNode thread : node)
                {
                    final List<String> ports = new ArrayList<>();
                    thread.get("ports").forEach(port -> ports.add(port.asText()));
                    table.row(text(thread, "index"), text(thread, "name"), thread.get("cpu").isNull() ? "any" : text(thread, "cpu"),
                        text(thread, "threadId"), text(thread, "allocatedBytes"),
                        ports.isEmpty() ? "-" : String.join(",", ports));
                }
                table.print(out);
            });
        }
    }

    @Command(name = "fdb", description = "Show forwarding tables.", mixinStandardHelpOptions = true)
    static final class FdbCommand
    {
        @ParentCommand
        Vireoctl root;

        @Command(name = "show", description = "Show a bridge's forwarding table.")
        int show(@Parameters(paramLabel = "BRIDGE") final String bridge, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("GET", "/v1/fdb/" + bridge, null, json, (node, out) ->
            {
                final Table table = new Table("MAC", "VLAN", "PORT", "REMOTE", "AGE(s)");
                for (final JsonNode entry : node.get("entries"))
                {
                    table.row(text(entry, "mac"), text(entry, "vlan"), text(entry, "port"), text(entry, "remote"),
                        entry.get("isStatic").asBoolean() ? "static" : text(entry, "ageSeconds"));
                }
                table.print(out);
            });
        }
    }

    @Command(name = "capture", mixinStandardHelpOptions = true,
        description = "Capture a port's frames, both directions, into a pcap file (tshark, tcpdump and Wireshark read it), "
            + "until COUNT frames or Ctrl-C. The daemon writes the file; forwarding never waits for it.")
    static final class CaptureCommand implements Callable<Integer>
    {
        @ParentCommand
        Vireoctl root;

        @Parameters(paramLabel = "PORT")
        String port;

        @Option(names = "-w", paramLabel = "FILE", required = true, description = "the pcap file to write (replaced)")
        Path file;

        @Option(names = "-c", paramLabel = "COUNT", description = "stop after this many frames")
        Long count;

        @Override
        public Integer call() throws JsonProcessingException, InterruptedException
        {
            final Path socket = root.runDir.controlSocket();
            final ControlApi.Response started = ControlClient.request(socket, "POST", "/v1/captures",
                JSON.writeValueAsString(new ControlApi.CaptureRequest(port, file.toAbsolutePath().toString(), count)));
            if (started.status() >= 300)
            {
                root.err.println("vireoctl: " + JSON.readTree(started.body()).path("error").asText(started.body()));
                return 1;
            }
            final String path = "/v1/captures/" + JSON.readTree(started.body()).get("id").asInt();
            final Thread stopOnInterrupt = new Thread(() -> ControlClient.request(socket, "DELETE", path, null));
            Runtime.getRuntime().addShutdownHook(stopOnInterrupt);
            JsonNode state = JSON.readTree(started.body());
            while (state.path("running").asBoolean())
            {
                Thread.sleep(100);
                state = JSON.readTree(ControlClient.request(socket, "GET", path, null).body());
            }
            Runtime.getRuntime().removeShutdownHook(stopOnInterrupt);
            final JsonNode done = JSON.readTree(ControlClient.request(socket, "DELETE", path, null).body());
            final JsonNode result = done.has("captured") ? done : state;
            root.out.println(result.path("captured").asLong() + " frames captured to " + file.toAbsolutePath() +
                (result.path("dropped").asLong() > 0 ? " (" + result.path("dropped").asLong() + " dropped)" : ""));
            return 0;
        }
    }

    @Command(name = "vxlan", description = "VXLAN peers of a bridge.", mixinStandardHelpOptions = true,
        subcommands = VxlanCommand.PeerCommand.class)
    static final class VxlanCommand
    {
        @ParentCommand
        Vireoctl root;

        @Command(name = "peer", description = "Add, delete and list a VXLAN bridge's peers.", mixinStandardHelpOptions = true)
        static final class PeerCommand
        {
            @ParentCommand
            VxlanCommand vxlan;

            @Command(name = "add", description = "Add a peer: broadcast and unknown unicast go to every peer.")
            int add(
                @Parameters(index = "0", paramLabel = "BRIDGE") final String bridge,
                @Parameters(index = "1", paramLabel = "IP") final String address,
                @Option(names = "--json") final boolean json) throws JsonProcessingException
            {
                return vxlan.root.call("POST", "/v1/vxlan/" + bridge + "/peers", new ControlApi.PeerRequest(address), json,
                    message("peer " + address + " added to " + bridge));
            }

            @Command(name = "del", description = "Delete a peer and the MACs learned behind it.")
            int del(
                @Parameters(index = "0", paramLabel = "BRIDGE") final String bridge,
                @Parameters(index = "1", paramLabel = "IP") final String address,
                @Option(names = "--json") final boolean json) throws JsonProcessingException
            {
                return vxlan.root.call("DELETE", "/v1/vxlan/" + bridge + "/peers/" + address, null, json,
                    message("peer " + address + " deleted from " + bridge));
            }

            @Command(name = "list", description = "List a bridge's peers.")
            int list(@Parameters(paramLabel = "BRIDGE") final String bridge, @Option(names = "--json") final boolean json)
                throws JsonProcessingException
            {
                return vxlan.root.call("GET", "/v1/vxlan/" + bridge + "/peers", null, json, (node, out) ->
                {
                    final Table table = new Table("PEER", "ORIGIN");
                    for (final JsonNode peer : node.get("peers"))
                    {
                        table.row(text(peer, "address"), peer.get("learned").asBoolean() ? "learned" : "configured");
                    }
                    table.print(out);
                });
            }
        }
    }

    @Command(name = "policy", description = "Endpoint policy of a bridge: rules that allow or deny traffic.",
        mixinStandardHelpOptions = true)
    static final class PolicyCommand
    {
        @ParentCommand
        Vireoctl root;

        @Command(name = "add", description = "Add a rule; it applies to existing flows at once.")
        int add(
            @Parameters(paramLabel = "BRIDGE") final String bridge,
            @Option(names = "--action", required = true, paramLabel = "allow|deny") final String action,
            @Option(names = "--priority", paramLabel = "N", description = "0..65535, higher wins (default 100)") final Integer priority,
            @Option(names = "--src", paramLabel = "PREFIX", description = "source address or prefix, IPv4 or IPv6") final String src,
            @Option(names = "--dst", paramLabel = "PREFIX", description = "destination address or prefix") final String dst,
            @Option(names = "--src-mac", paramLabel = "MAC") final String srcMac,
            @Option(names = "--dst-mac", paramLabel = "MAC") final String dstMac,
            @Option(names = "--proto", paramLabel = "PROTO", description = "tcp, udp, sctp, icmp, icmpv6 or a number") final String protocol,
            @Option(names = "--sport", paramLabel = "PORT[-PORT]") final String srcPorts,
            @Option(names = "--dport", paramLabel = "PORT[-PORT]") final String dstPorts,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("POST", "/v1/policy/" + bridge,
                new PolicySpec(null, priority, action, srcMac, dstMac, src, dst, protocol, srcPorts, dstPorts), json,
                (node, out) -> out.println("rule " + node.get("id").asText() + " added to " + bridge));
        }

        @Command(name = "del", description = "Delete a rule.")
        int del(
            @Parameters(index = "0", paramLabel = "BRIDGE") final String bridge,
            @Parameters(index = "1", paramLabel = "ID") final int id,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("DELETE", "/v1/policy/" + bridge + "/" + id, null, json,
                message("rule " + id + " deleted from " + bridge));
        }

        @Command(name = "default", description = "What the bridge does with frames no rule matches.")
        int defaultAction(
            @Parameters(index = "0", paramLabel = "BRIDGE") final String bridge,
            @Parameters(index = "1", paramLabel = "allow|deny") final String action,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("PUT", "/v1/policy/" + bridge + "/default", new ControlApi.DefaultPolicyRequest(action), json,
                message("default policy of " + bridge + ": " + action));
        }

        @Command(name = "list", description = "List a bridge's rules in evaluation order.")
        int list(@Parameters(paramLabel = "BRIDGE") final String bridge, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("GET", "/v1/policy/" + bridge, null, json, (node, out) ->
            {
                final Table table = new Table("ID", "PRIORITY", "ACTION", "SRC", "DST", "SRC_MAC", "DST_MAC", "PROTO",
                    "SPORT", "DPORT");
                for (final JsonNode rule : node.get("rules"))
                {
                    table.row(text(rule, "id"), text(rule, "priority"), text(rule, "action"), text(rule, "src"),
                        text(rule, "dst"), text(rule, "srcMac"), text(rule, "dstMac"), text(rule, "protocol"),
                        text(rule, "srcPorts"), text(rule, "dstPorts"));
                }
                table.row("-", "-", node.get("default").asText(), "(default)", "-", "-", "-", "-", "-", "-");
                table.print(out);
            });
        }
    }

    @Command(name = "router", description = "Add, delete, list routers, and attach them to bridges.", mixinStandardHelpOptions = true)
    static final class RouterCommand
    {
        @ParentCommand
        Vireoctl root;

        @Command(name = "add", description = "Add a router with no interfaces.")
        int add(@Parameters(paramLabel = "NAME") final String name, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("POST", "/v1/routers", new ControlApi.RouterRequest(name), json, message("router " + name + " added"));
        }

        @Command(name = "del", description = "Delete a router, its interfaces and routes.")
        int del(@Parameters(paramLabel = "NAME") final String name, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("DELETE", "/v1/routers/" + name, null, json, message("router " + name + " deleted"));
        }

        @Command(name = "attach", description = "Give a router an interface on a bridge: it answers ARP and neighbour "
            + "solicitations for its addresses and is the gateway of the bridge's endpoints.")
        int attach(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Parameters(index = "1", paramLabel = "BRIDGE") final String bridge,
            @Option(names = "--ip", required = true, paramLabel = "ADDRESS/LENGTH",
                description = "an address of the interface, IPv4 or IPv6; repeat for more") final List<String> addresses,
            @Option(names = "--mac", paramLabel = "MAC", description = "default: random, locally administered") final String mac,
            @Option(names = "--mtu", paramLabel = "N", description = "the largest IP packet routed onto the bridge (default 1500)") final Integer mtu,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("POST", "/v1/routers/" + router + "/interfaces",
                new ControlApi.InterfaceRequest(bridge, addresses, mac, mtu), json,
                message("router " + router + " attached to " + bridge));
        }

        @Command(name = "detach", description = "Take a router off a bridge, with the routes through that interface.")
        int detach(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Parameters(index = "1", paramLabel = "BRIDGE") final String bridge,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("DELETE", "/v1/routers/" + router + "/interfaces/" + bridge, null, json,
                message("router " + router + " detached from " + bridge));
        }

        @Command(name = "list", description = "List routers and their interfaces.")
        int list(@Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("GET", "/v1/routers", null, json, (node, out) ->
            {
                final Table table = new Table("ROUTER", "BRIDGE", "MAC", "MTU", "ADDRESSES", "ROUTES");
                for (final JsonNode router : node)
                {
                    if (router.get("interfaces").isEmpty())
                    {
                        table.row(text(router, "name"), "-", "-", "-", "-", text(router, "routes"));
                    }
                    for (final JsonNode routerInterface : router.get("interfaces"))
                    {
                        final List<String> addresses = new ArrayList<>();
                        routerInterface.get("addresses").forEach(address -> addresses.add(address.asText()));
                        table.row(text(router, "name"), text(routerInterface, "bridge"), text(routerInterface, "mac"),
                            text(routerInterface, "mtu"), String.join(",", addresses), text(router, "routes"));
                    }
                }
                table.print(out);
            });
        }
    }

    @Command(name = "route", description = "A router's routes.", mixinStandardHelpOptions = true)
    static final class RouteCommand
    {
        @ParentCommand
        Vireoctl root;

        @Command(name = "add", description = "Add a static route through a gateway on one of the router's subnets.")
        int add(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Parameters(index = "1", paramLabel = "PREFIX", description = "IPv4 or IPv6, e.g. 10.2.0.0/16 or 0.0.0.0/0") final String prefix,
            @Option(names = "--via", required = true, paramLabel = "IP", description = "the gateway") final String via,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("POST", "/v1/routers/" + router + "/routes", new ControlApi.RouteRequest(prefix, via), json,
                message("route to " + prefix + " via " + via + " added to " + router));
        }

        @Command(name = "del", description = "Delete a static route.")
        int del(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Parameters(index = "1", paramLabel = "PREFIX") final String prefix,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("DELETE", "/v1/routers/" + router + "/routes/" + prefix, null, json,
                message("route to " + prefix + " deleted from " + router));
        }

        @Command(name = "list", description = "List a router's routes: connected ones, then static ones.")
        int list(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("GET", "/v1/routers/" + router + "/routes", null, json, (node, out) ->
            {
                final Table table = new Table("PREFIX", "VIA", "BRIDGE", "TYPE");
                for (final JsonNode route : node.get("routes"))
                {
                    table.row(text(route, "prefix"), text(route, "via"), text(route, "bridge"),
                        route.get("connected").asBoolean() ? "connected" : "static");
                }
                table.print(out);
            });
        }
    }

    @Command(name = "nat", description = "A router's address translation: masquerade and published ports.",
        mixinStandardHelpOptions = true)
    static final class NatCommand
    {
        @ParentCommand
        Vireoctl root;

        @Command(name = "masquerade", description = "New connections leaving by the router's interface on BRIDGE get the "
            + "router's address there as their source.")
        int masquerade(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Option(names = "--out", required = true, paramLabel = "BRIDGE") final String outBridge,
            @Option(names = "--from", paramLabel = "PREFIX", description = "only sources in this IPv4 prefix (default: any)") final String from,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("POST", "/v1/routers/" + router + "/nat",
                new NatRuleSpec(null, "masquerade", outBridge, from, null, null, null, null, null), json,
                (node, out) -> out.println("rule " + node.get("id").asText() + " added to " + router));
        }

        @Command(name = "publish", description = "New connections to PORT of the router's address go to IP:PORT.")
        int publish(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Option(names = "--proto", required = true, paramLabel = "tcp|udp") final String protocol,
            @Option(names = "--port", required = true, paramLabel = "PORT") final int port,
            @Option(names = "--to", required = true, paramLabel = "IP:PORT") final String to,
            @Option(names = "--on", paramLabel = "BRIDGE", description = "only on the router's address on this bridge (default: all)") final String on,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("POST", "/v1/routers/" + router + "/nat",
                new NatRuleSpec(null, "publish", null, null, protocol, port, to, on, null), json,
                (node, out) -> out.println("rule " + node.get("id").asText() + " added to " + router));
        }

        @Command(name = "del", description = "Delete a rule; connections it made go on until they end.")
        int del(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Parameters(index = "1", paramLabel = "ID") final int id,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return root.call("DELETE", "/v1/routers/" + router + "/nat/" + id, null, json,
                message("rule " + id + " deleted from " + router));
        }

        @Command(name = "list", description = "List a router's address translation rules.")
        int list(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("GET", "/v1/routers/" + router + "/nat", null, json, (node, out) ->
            {
                final Table table = new Table("ID", "TYPE", "OUT", "FROM", "PROTO", "PORT", "TO", "ON", "OWNER");
                for (final JsonNode rule : node.get("rules"))
                {
                    table.row(text(rule, "id"), text(rule, "type"), text(rule, "out"), text(rule, "from"),
                        text(rule, "protocol"), text(rule, "port"), text(rule, "to"), text(rule, "on"), text(rule, "owner"));
                }
                table.print(out);
            });
        }
    }

    @Command(name = "conntrack", description = "The connections a router's NAT tracks.", mixinStandardHelpOptions = true)
    static final class ConntrackCommand
    {
        @ParentCommand
        Vireoctl root;

        @Command(name = "list", description = "List a router's connections.")
        int list(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("GET", "/v1/routers/" + router + "/conntrack", null, json, (node, out) ->
            {
                final Table table = new Table("PROTO", "ORIGINAL", "REPLY", "STATE", "EXPIRES(s)");
                for (final JsonNode connection : node.get("connections"))
                {
                    table.row(text(connection, "protocol"), text(connection, "original"), text(connection, "reply"),
                        text(connection, "state"), text(connection, "expiresInSeconds"));
                }
                table.print(out);
            });
        }

        @Command(name = "flush", description = "Forget a router's connections.")
        int flush(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return root.call("DELETE", "/v1/routers/" + router + "/conntrack", null, json,
                (node, out) -> out.println(node.get("flushed").asText() + " connections of " + router + " flushed"));
        }
    }

    @Command(name = "stats", description = "Per-port counters and where forwarding threads spend their time, "
        + "read from the daemon's counters file without disturbing it.",
        mixinStandardHelpOptions = true)
    static final class StatsCommand implements Callable<Integer>
    {
        @ParentCommand
        Vireoctl root;

        @Option(names = "--json")
        boolean json;

        @Option(names = "--watch", description = "redraw every --interval seconds until interrupted")
        boolean watch;

        @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1", description = "with --watch (default 1)")
        double interval;

        @Override
        public Integer call() throws JsonProcessingException, InterruptedException
        {
            if (!watch)
            {
                return printOnce();
            }
            while (true)
            {
                root.out.print("\033[H\033[2J"); // home and clear, as watch(1) does
                printOnce();
                root.out.flush();
                Thread.sleep((long)(Math.max(0.1, interval) * 1000));
            }
        }

        private int printOnce() throws JsonProcessingException
        {
            final Map<String, Map<String, Long>> byPort = new LinkedHashMap<>();
            final Map<String, Map<String, Long>> byThread = new LinkedHashMap<>();
            final Map<String, Long> table = new LinkedHashMap<>();
            try (CountersFile file = CountersFile.open(root.runDir.countersFile()))
            {
                if (!ProcessHandle.of(file.writerPid()).map(ProcessHandle::isAlive).orElse(false))
                {
                    // A daemon that stopped leaves its counters for the next one (the port keeper's restarts).
                    throw new IllegalStateException("no vireod is running with run dir " + root.runDir +
                        " (the counters there are those of pid " + file.writerPid() + ", which has stopped)");
                }
                final CountersReader reader = file.reader();
                reader.forEach((counterId, typeId, keyBuffer, label) ->
                {
                    final String portMetric = PortCounters.metricName(typeId);
                    final String threadMetric = ThreadCounters.metricName(typeId);
                    final String tableMetric = TableCounters.metricName(typeId);
                    if (null != tableMetric)
                    {
                        table.put(tableMetric, reader.getCounterValue(counterId));
                    }
                    final Map<String, Map<String, Long>> owner = null != portMetric ? byPort : byThread;
                    if (null != portMetric || null != threadMetric)
                    {
                        owner.computeIfAbsent(keyBuffer.getStringAscii(0), name -> new LinkedHashMap<>())
                            .put(null != portMetric ? portMetric : threadMetric, reader.getCounterValue(counterId));
                    }
                });
            }
            if (json)
            {
                final Map<String, Object> result = new LinkedHashMap<>();
                result.put("ports", rows("port", byPort));
                result.put("threads", rows("thread", byThread));
                result.put("fdb", table);
                root.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
                return 0;
            }
            final Table ports = new Table("PORT", "RX_PACKETS", "RX_BYTES", "TX_PACKETS", "TX_BYTES", "ARP/ND_ANSWERED", "DROPS");
            byPort.forEach((port, values) ->
            {
                final List<String> drops = new ArrayList<>();
                values.forEach((metric, value) ->
                {
                    if (metric.startsWith("drop_") && value != 0)
                    {
                        drops.add(metric.substring(5) + "=" + value);
                    }
                });
                ports.row(port, String.valueOf(values.get("rx_packets")), String.valueOf(values.get("rx_bytes")),
                    String.valueOf(values.get("tx_packets")), String.valueOf(values.get("tx_bytes")),
                    String.valueOf(values.getOrDefault("arp_nd_suppressed", 0L)), drops.isEmpty() ? "-" : String.join(",", drops));
            });
            ports.print(root.out);
            root.out.println();
            final Table threads = new Table("THREAD", "BUSY%", "LOOPS", "RX_POLLS", "RX_FRAMES", "FRAMES/BURST", "FRAMES/POLL",
                "FLOW_CACHE_HIT%");
            byThread.forEach((thread, values) ->
            {
                final long busy = values.getOrDefault("busy_ns", 0L);
                final long idle = values.getOrDefault("idle_ns", 0L);
                final long frames = values.getOrDefault("rx_frames", 0L);
                final long hits = values.getOrDefault("flow_cache_hits", 0L);
                threads.row(thread, ratio(100.0 * busy, busy + idle), String.valueOf(values.get("loops")),
                    String.valueOf(values.get("rx_polls")), String.valueOf(frames),
                    ratio(frames, values.getOrDefault("rx_bursts", 0L)), ratio(frames, values.getOrDefault("rx_polls", 0L)),
                    ratio(100.0 * hits, hits + values.getOrDefault("flow_cache_misses", 0L)));
            });
            threads.print(root.out);
            root.out.println();
            root.out.println("FDB: " + table.getOrDefault("fdb_entries", 0L) + " entries of " +
                table.getOrDefault("fdb_capacity", 0L) + ", " + table.getOrDefault("fdb_table_full", 0L) +
                " learns refused (table full)");
            return 0;
        }

        private static String ratio(final double numerator, final long denominator)
        {
            return 0 == denominator ? "-" : String.format("%.2f", numerator / denominator);
        }

        private static List<Map<String, Object>> rows(final String key, final Map<String, Map<String, Long>> byOwner)
        {
            final List<Map<String, Object>> rows = new ArrayList<>();
            byOwner.forEach((owner, values) ->
            {
                final Map<String, Object> row = new LinkedHashMap<>();
                row.put(key, owner);
                row.putAll(values);
                rows.add(row);
            });
            return rows;
        }
    }

    private static Boolean onOff(final String value)
    {
        if (null == value)
        {
            return null;
        }
        if (!"on".equals(value) && !"off".equals(value))
        {
            throw new CommandLine.ParameterException(new CommandLine(new Vireoctl(null, null)),
                "invalid --offloads '" + value + "': use on or off");
        }
        return "on".equals(value);
    }

    static String text(final JsonNode node, final String field)
    {
        final JsonNode value = node.get(field);
        return null == value || value.isNull() ? "-" : value.asText();
    }

    /** Left-aligned columns as wide as their widest cell. */
    static final class Table
    {
        private final List<String[]> rows = new ArrayList<>();

        Table(final String... header)
        {
            rows.add(header);
        }

        void row(final String... cells)
        {
            rows.add(cells);
        }

        void print(final PrintStream out)
        {
            final int[] widths = new int[rows.get(0).length];
            for (final String[] row : rows)
            {
                for (int i = 0; i < row.length; i++)
                {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (final String[] row : rows)
            {
                final StringBuilder line = new StringBuilder();
                for (int i = 0; i < row.length; i++)
                {
                    line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
                }
                out.println(line.toString().stripTrailing());
            }
        }
    }
}
