package io.vireo.vswitch.cni;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vireo.dataplane.port.InterfaceNames;
import io.vireo.vswitch.control.ControlChannel;

/**
 * {@code vireo-cni}: the CNI plugin (spec 1.1.0; 0.3.x, 0.4.0 and 1.0.0 configs too). The runtime sets
 * {@code CNI_COMMAND} (ADD, DEL, CHECK, VERSION, and STATUS and GC: {@link NetworkCommands}),
 * {@code CNI_CONTAINERID}, {@code CNI_NETNS}, {@code CNI_IFNAME}, {@code CNI_ARGS} and {@code CNI_PATH}, and writes the network config on stdin; the
 * result (ADD, VERSION) or the spec's error object goes to stdout, a one-line reason to stderr, exit 1 on
 * failure. See {@link NetworkConfig} for the config and {@link Attachment} for what ADD builds.
 */
public final class VireoCni
{
    /** As the spec defines a container id. */
    private static final Pattern CONTAINER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");
    private static final List<String> COMMANDS = List.of("ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION");
    private static final ObjectMapper JSON = new ObjectMapper();

    private VireoCni()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(run(System.getenv(), System.in, System.out, System.err));
    }

    /** Runs one CNI operation, reaching vireod through the control socket of the config's run dir; returns the exit status. */
    public static int run(final Map<String, String> env, final InputStream stdin, final PrintStream out, final PrintStream err)
    {
        return run(env, stdin, out, err, ControlChannel::socket);
    }

    /**
     * Runs one CNI operation; returns the exit status.
     *
     * @param switches the channel to the switch serving a control socket (the config's {@code runDir} names it).
     */
    public static int run(final Map<String, String> env, final InputStream stdin, final PrintStream out, final PrintStream err,
        final Function<Path, ControlChannel> switches)
    {
        String version = NetworkConfig.LATEST_VERSION;
        try
        {
            final byte[] input = readAll(stdin);
            final JsonNode root = NetworkConfig.tryDecode(input);
            version = null == NetworkConfig.declaredVersion(root) ? version : NetworkConfig.declaredVersion(root);
            final String command = env.get("CNI_COMMAND");
            if (null == command || !COMMANDS.contains(command))
            {
                throw new CniException(CniException.INVALID_ENVIRONMENT,
                    "CNI_COMMAND must be one of " + String.join(", ", COMMANDS) + ", not " + describe(command));
            }
            if ("VERSION".equals(command))
            {
                final ObjectNode result = JSON.createObjectNode().put("cniVersion", version);
                NetworkConfig.SUPPORTED_VERSIONS.forEach(result.putArray("supportedVersions")::add);
                print(out, result);
                return 0;
            }
            final NetworkConfig config = NetworkConfig.parse(NetworkConfig.decode(input));
            if ("STATUS".equals(command) || "GC".equals(command))
            {
                final NetworkCommands network = new NetworkCommands(config, env, input, err, switches.apply(config.controlSocket()));
                if ("STATUS".equals(command))
                {
                    network.status();
                }
                else
                {
                    network.collectGarbage();
                }
                return 0;
            }
            // The namespace's socket, opened on first use, serves the whole call.
            try (ContainerNetns netns = netns(env))
            {
                final Attachment attachment = attachment(command, env, config, input, netns, err,
                    switches.apply(config.controlSocket()));
                switch (command)
                {
                    case "ADD":
                        print(out, attachment.add().toJson(JSON, config.cniVersion()));
                        break;
                    case "CHECK":
                        attachment.check();
                        break;
                    default:
                        attachment.del();
                        break;
                }
            }
            return 0;
        }
        catch (final CniException ex)
        {
            return fail(out, err, version, ex);
        }
        catch (final RuntimeException ex)
        {
            return fail(out, err, version, new CniException(CniException.PLUGIN_SPECIFIC, "internal error: " + ex));
        }
    }

    /** The container's namespace (CNI_NETNS), or null when it is not given (DEL needs none). */
    private static ContainerNetns netns(final Map<String, String> env)
    {
        final String netnsPath = env.get("CNI_NETNS");
        return null == netnsPath || netnsPath.isEmpty() ? null : new ContainerNetns(netnsPath);
    }

    /** Checks the environment the operation needs and puts the attachment together. */
    private static Attachment attachment(final String command, final Map<String, String> env,
        final NetworkConfig config, final byte[] input, final ContainerNetns netns, final PrintStream err,
        final ControlChannel control)
    {
        final String containerId = env.get("CNI_CONTAINERID");
        if (null == containerId || !CONTAINER_ID.matcher(containerId).matches())
        {
            throw new CniException(CniException.INVALID_ENVIRONMENT, "CNI_CONTAINERID must be letters, digits, '_', '.' " +
                "and '-', starting with a letter or digit, not " + describe(containerId));
        }
        final String ifname = env.get("CNI_IFNAME");
        try
        {
            InterfaceNames.validate(ifname);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CniException(CniException.INVALID_ENVIRONMENT, "CNI_IFNAME: " + ex.getMessage());
        }
        final String netnsPath = env.get("CNI_NETNS");
        final boolean netnsNeeded = !"DEL".equals(command);
        if (netnsNeeded && (null == netnsPath || netnsPath.isEmpty()))
        {
            throw new CniException(CniException.INVALID_ENVIRONMENT, "CNI_NETNS is not set; " + command +
                " needs the path of the container's network namespace");
        }
        if (netnsNeeded && !netnsPath.startsWith("/"))
        {
            throw new CniException(CniException.INVALID_ENVIRONMENT,
                "CNI_NETNS must be a path such as /run/netns/NAME or /proc/PID/ns/net, not " + netnsPath);
        }
        if (netnsNeeded && !Files.exists(Path.of(netnsPath)))
        {
            throw new CniException(CniException.UNKNOWN_CONTAINER, "no network namespace at " + netnsPath +
                " (CNI_NETNS): the container is gone or was never started");
        }
        final Ipam ipam = null == config.ipamType() ? null :
            ClusterIpam.TYPE.equals(config.ipamType()) ? new ClusterIpam(config.bridge(), containerId, ifname, control, err) :
            DelegatedIpam.locate(config.ipamType(), env, input, err);
        // DEL cleans up whatever the arguments: they only matter to what ADD makes.
        final CniArgs args = "DEL".equals(command) ? new CniArgs(null) : CniArgs.parse(env.get("CNI_ARGS"));
        return new Attachment(config, args, containerId, ifname, netns, ipam, err, control);
    }

    private static int fail(final PrintStream out, final PrintStream err, final String version, final CniException ex)
    {
        final ObjectNode error = JSON.createObjectNode()
            .put("cniVersion", version)
            .put("code", ex.code())
            .put("msg", ex.getMessage());
        if (!ex.details().isEmpty())
        {
            error.put("details", ex.details());
        }
        print(out, error);
        err.println("vireo-cni: " + ex.getMessage());
        return 1;
    }

    private static void print(final PrintStream out, final JsonNode node)
    {
        try
        {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
            out.flush();
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static byte[] readAll(final InputStream stdin)
    {
        try
        {
            return stdin.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new CniException(CniException.IO_FAILURE, "cannot read the network config from stdin: " + ex.getMessage());
        }
    }

    private static String describe(final String value)
    {
        return null == value ? "unset" : "'" + value + "'";
    }
}
