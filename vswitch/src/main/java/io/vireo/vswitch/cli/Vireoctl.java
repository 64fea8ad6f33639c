package io.vireo.vswitch.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlClient;
import io.vireo.vswitch.core.RateLimit;
import io.vireo.vswitch.core.PolicySpec;
import io.vireo.vswitch.core.VxlanSpec;
import io.vireo.vswitch.launch.Commands;
import io.vireo.vswitch.launch.RunDir;
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
    description = "Control a running vireod.")
public final class Vireoctl
{
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The commands, in the usage's order. {@link #run} adds only the one its arguments name, or all of them when
     * they name none it has (the usage, the error for an unknown name): picocli builds a command's model by
     * reflection as it is added, and the whole tree was about 1.2 of the 1.4 s a {@code vireoctl bridge list}
     * took on a 2-core VM (README, Control API).
     */
    private static final List<Class<?>> COMMANDS = List.of(BridgeCommand.class, PortCommand.class, FdbCommand.class,
        PolicyCommand.class, VxlanCommand.class, StatsCommand.class, RegistryCommand.class, NetworkCommand.class,
        ClusterCommand.class, CaptureCommand.class, ThreadsCommand.class, RouterCommand.class, RouteCommand.class,
        NatCommand.class, ConntrackCommand.class, ServiceCommand.class);

    /** The one option with a value that may come before the command's name (see {@link #commandName}). */
    private static final String RUN_DIR = "--run-dir";

    @Option(names = RUN_DIR, paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
        description = "the daemon's run dir (default: /run/vireo)")
    RunDir runDir = RunDir.DEFAULT;

    final PrintStream out;
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
        final CommandLine commandLine = new CommandLine(new Vireoctl(out, err));
        final String named = commandName(args);
        final boolean known = COMMANDS.stream().anyMatch(command -> name(command).equals(named));
        for (final Class<?> command : COMMANDS)
        {
            if (!known || name(command).equals(named))
            {
                commandLine.addSubcommand(command);
            }
        }
        return Commands.execute("vireoctl", commandLine, args, out, err);
    }

    /** The first argument that is neither an option nor {@link #RUN_DIR}'s value: the command's name; or null. */
    static String commandName(final String[] args)
    {
        for (int i = 0; i < args.length; i++)
        {
            if (RUN_DIR.equals(args[i]))
            {
                i++;
            }
            else if (!args[i].startsWith("-"))
            {
                return args[i];
            }
        }
        return null;
    }

    private static String name(final Class<?> command)
    {
        return command.getAnnotation(Command.class).name();
    }

    /** Sends a request; prints the JSON or a rendering of it; returns the exit code. */
    int call(final String method, final String path, final Object body, final boolean json, final Renderer renderer)
        throws JsonProcessingException
    {
        final JsonNode node = request(method, path, body);
        if (null == node)
        {
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

    /** Sends a request; returns the answer, or null once the error's one line is printed. */
    JsonNode request(final String method, final String path, final Object body) throws JsonProcessingException
    {
        final String content = null == body ? null : JSON.writeValueAsString(body);
        final ControlApi.Response response =
            ControlClient.request(runDir.controlSocket(), method, path, content);
        final JsonNode node = JSON.readTree(response.body());
        if (response.status() >= 300)
        {
            err.println("vireoctl: " + (node.hasNonNull("error") ? node.get("error").asText() : response.body()));
            return null;
        }
        return node;
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
            @Option(names = "--vtep-underlay-tap", paramLabel = "IFNAME", description = "VXLAN: cross the host's IP stack " +
                "through this TAP, GSO frames whole (Linux 6.17 on); --vtep-local is then the endpoint's own address, " +
                "which the switch routes to the TAP, and the host must forward IPv4") final String underlayTap,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            final boolean vxlan = null != vni || null != local || null != port || null != ttl || null != mtu || learnAnyPeer ||
                null != underlayTap;
            final VxlanSpec spec = vxlan ?
                new VxlanSpec(vni, local, port, ttl, mtu, learnAnyPeer ? Boolean.TRUE : null, underlayTap) : null;
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

    static Boolean onOff(final String value)
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
