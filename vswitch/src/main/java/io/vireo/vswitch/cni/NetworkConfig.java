package io.vireo.vswitch.cni;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.launch.RunDir;
import io.vireo.vswitch.registry.ServiceRegistry;

/**
 * The network configuration a runtime writes on the plugin's stdin, checked:
 * <pre>
 * {
 *   "cniVersion": "1.0.0",          0.3.0, 0.3.1, 0.4.0, 1.0.0 or 1.1.0 (CHECK needs 0.4.0 or later,
 *                                   STATUS and GC 1.1.0)
 *   "name": "vireo-net",
 *   "type": "vireo",                the plugin's file name in the CNI bin dir
 *   "bridge": "br0",                the Vireo bridge the port joins (default br0)
 *   "runDir": "/run/vireo",         the daemon's run dir, holding vireo.sock (default /run/vireo)
 *   "mtu": 1450,                    the container interface's MTU (default: the kernel's, 1500)
 *   "ipam": {"type": "host-local", ...},   delegated address management (optional); {"type": "vireo"}:
 *                                   an address of the cluster network named by "bridge", from the blocks
 *                                   vireod's cluster node claims (vireod --cluster)
 *   "isGateway": true,              a Vireo router answers the IPAM gateway address on the bridge (as the
 *                                   reference bridge plugin gives it to the kernel's bridge)
 *   "isDefaultGateway": true,       isGateway, and a default route through it in the container
 *   "ipMasq": true,                 the router masquerades the network's subnet out of its uplink
 *   "router": "vireo",              the router of isGateway, ipMasq and portMappings (default vireo)
 *   "dns": {...}, "prevResult": {...}, "capabilities": {"portMappings": true},
 *   "runtimeConfig": {"mac": "02:...", "portMappings": [{"hostPort": 8080, "containerPort": 80,
 *                     "protocol": "tcp", "hostIP": ""}],   published on the router's addresses
 *                     "bandwidth": {"ingressRate": 1000000, "ingressBurst": 800000, "egressRate": ..., "egressBurst": ...},
 *                                   the container's traffic limited as the bandwidth plugin does (bits/s,
 *                                   bits): its ingress is the Vireo port's egress limit, and the other way round
 *                     "vireo": {"services": [{"name": "web", "port": 80}]}}   registers the container in the
 *                                   daemon's service registry under these names (replaces args.vireo.services)
 *   "args": {"vireo": {"services": [...]}}   the same, for every container of the network
 * }
 * </pre>
 * Any other key is refused (code 2), so a misspelt {@code brdige} does not quietly attach to br0.
 */
record NetworkConfig(
    String cniVersion,
    String name,
    String bridge,
    RunDir runDir,
    Integer mtu,
    String ipamType,
    String mac,
    JsonNode dns,
    JsonNode prevResult,
    boolean isGateway,
    boolean isDefaultGateway,
    boolean ipMasq,
    String router,
    List<PortMapping> portMappings,
    Bandwidth bandwidth,
    List<Service> services)
{
    /**
     * A service the container registers under, with no lease, until DEL.
     *
     * @param name the service's name, a DNS label.
     * @param port the container's port that serves it.
     */
    record Service(String name, int port)
    {
    }

    /**
     * The {@code bandwidth} capability, from the container's side, in bits per second and bits (null: no limit
     * that way).
     */
    record Bandwidth(Long ingressRate, Long ingressBurst, Long egressRate, Long egressBurst)
    {
        static final Bandwidth NONE = new Bandwidth(null, null, null, null);
    }

    /**
     * One entry of the {@code portMappings} capability, as runtimes pass it.
     *
     * @param hostPort      the port published on the router's addresses.
     * @param containerPort the container's port it goes to.
     * @param protocol      tcp or udp.
     * @param hostIp        only this address of the router, or null for all.
     */
    record PortMapping(int hostPort, int containerPort, String protocol, String hostIp)
    {
    }

    static final List<String> SUPPORTED_VERSIONS = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");
    static final String LATEST_VERSION = "1.1.0";

    private static final String DEFAULT_BRIDGE = "br0";
    private static final String DEFAULT_ROUTER = "vireo";
    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65535;
    private static final List<String> KNOWN_FIELDS = List.of(
        "cniVersion", "name", "type", "bridge", "runDir", "mtu", "ipam", "dns", "prevResult", "runtimeConfig",
        "capabilities", "args", "isGateway", "isDefaultGateway", "ipMasq", "router", NetworkCommands.VALID_ATTACHMENTS);

    private static final ObjectMapper JSON = new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The bytes as JSON, or null if they are not a JSON object. */
    static JsonNode tryDecode(final byte[] stdin)
    {
        try
        {
            final JsonNode root = JSON.readTree(stdin);
            return null != root && root.isObject() ? root : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * Decodes stdin as a JSON object.
     *
     * @throws CniException code 6 if it is not one.
     */
    static JsonNode decode(final byte[] stdin)
    {
        if (0 == stdin.length)
        {
            throw new CniException(CniException.DECODING_FAILURE, "no network config on stdin");
        }
        try
        {
            final JsonNode root = JSON.readTree(stdin);
            if (null == root || !root.isObject())
            {
                throw new CniException(CniException.DECODING_FAILURE, "the network config on stdin is not a JSON object");
            }
            return root;
        }
        catch (final IOException ex)
        {
            throw new CniException(CniException.DECODING_FAILURE, "cannot decode the network config on stdin",
                firstLine(ex.getMessage()));
        }
    }

    /**
     * The version the config declares, whether or not it is supported; null if it declares none, or one that is not
     * well-formed text (an unpaired surrogate, which a JSON escape can spell): the plugin's reply could not echo it.
     */
    static String declaredVersion(final JsonNode root)
    {
        final String version = null != root && root.path("cniVersion").isTextual() ? root.get("cniVersion").asText() : null;
        return null != version && StandardCharsets.UTF_8.newEncoder().canEncode(version) ? version : null;
    }

    /**
     * Checks the config.
     *
     * @throws CniException code 1 for a version this plugin does not speak, 2 for an unknown key, 7 for a
     *                      missing or invalid value.
     */
    static NetworkConfig parse(final JsonNode root)
    {
        final String version = declaredVersion(root);
        if (null == version)
        {
            throw new CniException(CniException.INVALID_CONFIG, null == root || !root.has("cniVersion") ?
                "the network config has no cniVersion" : "cniVersion must be a version such as " + LATEST_VERSION);
        }
        if (!SUPPORTED_VERSIONS.contains(version))
        {
            throw new CniException(CniException.INCOMPATIBLE_VERSION, "incompatible CNI version " + version +
                "; vireo supports " + String.join(", ", SUPPORTED_VERSIONS));
        }
        for (final Map.Entry<String, JsonNode> field : root.properties())
        {
            if (!KNOWN_FIELDS.contains(field.getKey()))
            {
                throw new CniException(CniException.UNSUPPORTED_FIELD, "unsupported field '" + field.getKey() +
                    "': " + field.getValue() + "; vireo knows " + String.join(", ", KNOWN_FIELDS));
            }
        }
        final String name = text(root, "name", null);
        if (null == name || name.isEmpty())
        {
            throw new CniException(CniException.INVALID_CONFIG, "the network config has no name");
        }
        final String runDir = text(root, "runDir", RunDir.DEFAULT.toString());
        if (!runDir.startsWith("/") || !isNameable(runDir))
        {
            throw new CniException(CniException.INVALID_CONFIG,
                "runDir must be an absolute path the file system can name, not '" + runDir + "'");
        }
        final JsonNode runtimeConfig = object(root, "runtimeConfig");
        final boolean isDefaultGateway = flag(root, "isDefaultGateway");
        return new NetworkConfig(version, name, text(root, "bridge", DEFAULT_BRIDGE), RunDir.of(runDir), mtu(root),
            ipamType(root), text(runtimeConfig, "mac", null), object(root, "dns"), object(root, "prevResult"),
            isDefaultGateway || flag(root, "isGateway"), isDefaultGateway, flag(root, "ipMasq"),
            text(root, "router", DEFAULT_ROUTER), portMappings(runtimeConfig), bandwidth(runtimeConfig),
            services(runtimeConfig, object(root, "args")));
    }

    /** True if the config needs a Vireo router. */
    boolean needsRouter()
    {
        return isGateway || ipMasq || !portMappings.isEmpty();
    }

    /** CHECK came with spec 0.4.0. */
    boolean supportsCheck()
    {
        return !cniVersion.startsWith("0.3.");
    }

    /** True if spec {@code version} is {@code floor} or later (both supported versions, MAJOR.MINOR.PATCH). */
    static boolean atLeast(final String version, final String floor)
    {
        return SUPPORTED_VERSIONS.indexOf(version) >= SUPPORTED_VERSIONS.indexOf(floor);
    }

    Path controlSocket()
    {
        return runDir.controlSocket();
    }

    private static Integer mtu(final JsonNode root)
    {
        final JsonNode mtu = root.get("mtu");
        if (null == mtu || mtu.isNull())
        {
            return null;
        }
        if (!mtu.isInt() || mtu.asInt() < MIN_MTU || mtu.asInt() > MAX_MTU)
        {
            throw new CniException(CniException.INVALID_CONFIG,
                "invalid mtu " + mtu + ": must be a number " + MIN_MTU + ".." + MAX_MTU);
        }
        return mtu.asInt();
    }

    /** The IPAM plugin to delegate to, or null: no {@code ipam} section, or an empty one. */
    private static String ipamType(final JsonNode root)
    {
        final JsonNode ipam = object(root, "ipam");
        if (null == ipam || ipam.isEmpty())
        {
            return null;
        }
        final String type = text(ipam, "type", null);
        if (null == type || type.isEmpty() || type.contains("/") || type.startsWith(".") || !isNameable(type))
        {
            throw new CniException(CniException.INVALID_CONFIG,
                "ipam.type must name an IPAM plugin in CNI_PATH, such as host-local; got " + ipam.get("type"));
        }
        return type;
    }

    /**
     * True if the file system can name {@code path}: Path.of refuses a NUL, and what the JVM's path encoding
     * cannot map (an unpaired surrogate, which JSON's escapes can spell; any non-ASCII character under the C
     * locale a runtime may run the plugin in).
     */
    private static boolean isNameable(final String path)
    {
        try
        {
            Path.of(path);
            return true;
        }
        catch (final InvalidPathException ex)
        {
            return false;
        }
    }

    private static boolean flag(final JsonNode root, final String field)
    {
        final JsonNode value = root.get(field);
        if (null == value || value.isNull())
        {
            return false;
        }
        if (!value.isBoolean())
        {
            throw new CniException(CniException.INVALID_CONFIG, "'" + field + "' must be true or false, not " + value);
        }
        return value.asBoolean();
    }

    /** The runtime's {@code portMappings}: each checked, none if it passed none. */
    private static List<PortMapping> portMappings(final JsonNode runtimeConfig)
    {
        final JsonNode list = null == runtimeConfig ? null : runtimeConfig.get("portMappings");
        if (null == list || list.isNull())
        {
            return List.of();
        }
        if (!list.isArray())
        {
            throw new CniException(CniException.INVALID_CONFIG, "runtimeConfig.portMappings must be a list, not " + list);
        }
        final List<PortMapping> mappings = new ArrayList<>();
        for (final JsonNode mapping : list)
        {
            if (!mapping.isObject())
            {
                throw new CniException(CniException.INVALID_CONFIG, "a port mapping must be a JSON object, not " + mapping);
            }
            final String protocol = text(mapping, "protocol", "tcp").toLowerCase(Locale.ROOT);
            if (!"tcp".equals(protocol) && !"udp".equals(protocol))
            {
                throw new CniException(CniException.INVALID_CONFIG,
                    "port mapping " + mapping + ": vireo publishes tcp and udp, not " + protocol);
            }
            final String hostIp = text(mapping, "hostIP", null);
            if (null != hostIp && hostIp.contains(":") && !"::".equals(hostIp))
            {
                throw new CniException(CniException.INVALID_CONFIG,
                    "port mapping " + mapping + ": vireo publishes on IPv4 addresses only");
            }
            mappings.add(new PortMapping(port(mapping, "hostPort"), port(mapping, "containerPort"), protocol, hostIp));
        }
        return List.copyOf(mappings);
    }

    /** {@code runtimeConfig.vireo.services}, else {@code args.vireo.services}: each checked; none if neither. */
    private static List<Service> services(final JsonNode runtimeConfig, final JsonNode args)
    {
        final JsonNode fromRuntime = vireoServices(runtimeConfig, "runtimeConfig");
        final JsonNode list = null != fromRuntime ? fromRuntime : vireoServices(args, "args");
        final String where = (null != fromRuntime ? "runtimeConfig" : "args") + ".vireo.services";
        if (null == list)
        {
            return List.of();
        }
        if (!list.isArray())
        {
            throw new CniException(CniException.INVALID_CONFIG, where + " must be a list, not " + list);
        }
        final List<Service> services = new ArrayList<>();
        for (final JsonNode entry : list)
        {
            final JsonNode port = entry.path("port");
            if (!entry.isObject() || entry.size() != 2 || !entry.path("name").isTextual() || !port.isInt() ||
                port.asInt() < 1 || port.asInt() > 65_535)
            {
                throw new CniException(CniException.INVALID_CONFIG,
                    where + ": each service is {\"name\": NAME, \"port\": 1..65535}, not " + entry);
            }
            final String name = entry.get("name").asText();
            try
            {
                ServiceRegistry.checkService(name);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CniException(CniException.INVALID_CONFIG, where + ": " + ex.getMessage());
            }
            if (services.stream().anyMatch(service -> service.name().equals(name)))
            {
                throw new CniException(CniException.INVALID_CONFIG, where + " names service " + name + " twice");
            }
            services.add(new Service(name, port.asInt()));
        }
        return List.copyOf(services);
    }

    /** The {@code services} of {@code section.vireo}, or null; {@code vireo} takes nothing else. */
    private static JsonNode vireoServices(final JsonNode section, final String name)
    {
        final JsonNode vireo = null == section ? null : object(section, "vireo");
        if (null == vireo)
        {
            return null;
        }
        for (final Map.Entry<String, JsonNode> field : vireo.properties())
        {
            if (!"services".equals(field.getKey()))
            {
                throw new CniException(CniException.UNSUPPORTED_FIELD, "unsupported field '" + field.getKey() + "' in " +
                    name + ".vireo: " + field.getValue() + "; vireo knows services");
            }
        }
        final JsonNode services = vireo.get("services");
        return null == services || services.isNull() ? null : services;
    }

    private static Bandwidth bandwidth(final JsonNode runtimeConfig)
    {
        final JsonNode bandwidth = null == runtimeConfig ? null : runtimeConfig.get("bandwidth");
        if (null == bandwidth || bandwidth.isNull())
        {
            return Bandwidth.NONE;
        }
        if (!bandwidth.isObject())
        {
            throw new CniException(CniException.INVALID_CONFIG, "runtimeConfig.bandwidth must be a JSON object, not " + bandwidth);
        }
        return new Bandwidth(positive(bandwidth, "ingressRate"), positive(bandwidth, "ingressBurst"),
            positive(bandwidth, "egressRate"), positive(bandwidth, "egressBurst"));
    }

    private static Long positive(final JsonNode bandwidth, final String field)
    {
        final JsonNode value = bandwidth.get(field);
        if (null == value || value.isNull() || (value.canConvertToLong() && 0 == value.asLong()))
        {
            return null;
        }
        if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 0)
        {
            throw new CniException(CniException.INVALID_CONFIG, "runtimeConfig.bandwidth." + field +
                " must be a whole number above 0, not " + value);
        }
        return value.asLong();
    }

    private static int port(final JsonNode mapping, final String field)
    {
        final JsonNode value = mapping.get(field);
        if (null == value || !value.isInt() || value.asInt() < 1 || value.asInt() > 65_535)
        {
            throw new CniException(CniException.INVALID_CONFIG,
                "port mapping " + mapping + ": " + field + " must be a number 1..65535");
        }
        return value.asInt();
    }

    private static String text(final JsonNode node, final String field, final String otherwise)
    {
        final JsonNode value = null == node ? null : node.get(field);
        if (null == value || value.isNull())
        {
            return otherwise;
        }
        if (!value.isTextual())
        {
            throw new CniException(CniException.INVALID_CONFIG, "'" + field + "' must be a string, not " + value);
        }
        return value.asText();
    }

    private static JsonNode object(final JsonNode root, final String field)
    {
        final JsonNode value = root.get(field);
        if (null == value || value.isNull())
        {
            return null;
        }
        if (!value.isObject())
        {
            throw new CniException(CniException.INVALID_CONFIG, "'" + field + "' must be a JSON object, not " + value);
        }
        return value;
    }

    private static String firstLine(final String text)
    {
        final int end = null == text ? -1 : text.indexOf('\n');
        return end < 0 ? String.valueOf(text) : text.substring(0, end);
    }
}
