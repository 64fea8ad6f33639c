package io.vireo.vswitch.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.core.BridgeInfo;
import io.vireo.vswitch.core.NatRuleSpec;
import io.vireo.vswitch.core.RateLimit;
import io.vireo.vswitch.core.PolicySpec;
import io.vireo.vswitch.core.PortInfo;
import io.vireo.vswitch.core.DnsSpec;
import io.vireo.vswitch.core.RouterInfo;
import io.vireo.vswitch.core.ServiceSpec;
import io.vireo.vswitch.core.TapPortSpec;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoException;
import io.vireo.vswitch.core.VxlanInfo;
import io.vireo.vswitch.core.VxlanPeer;
import io.vireo.vswitch.core.VxlanSpec;
import io.vireo.vswitch.registry.ServiceInstance;
import io.vireo.vswitch.registry.ServiceListing;
import io.vireo.vswitch.registry.ServiceRegistry;

/**
 * The switch {@code vireod --config FILE} builds at start and saves after every change (YAML, or JSON
 * which is YAML too):
 * <pre>
 * agingSeconds: 300          # default for bridges that do not say
 * bridges:
 *   - name: br0
 *     agingSeconds: 60
 *     vxlan: {vni: 42, local: 192.0.2.1}   # a VXLAN bridge; also port, ttl, mtu, learnAnyPeer, underlayTap
 *     peers: [192.0.2.2, 192.0.2.3]       # its configured VXLAN peers (learned ones are not saved)
 *     defaultPolicy: deny    # what no rule matches (default: allow)
 *     policies:              # as POST /v1/policy/{bridge} takes them, in evaluation order
 *       - {priority: 200, action: allow, protocol: icmp}
 *     ports:
 *       - name: tapA
 *         type: tap
 *         netns: ns1
 *         ip: 10.0.0.1/24
 *         mac: 02:00:00:00:00:01
 *         mtu: 1500
 *         offloads: true     # default: the daemon's (on)
 *       - name: vm1
 *         type: vhost-user
 *         socket: /run/vireo/vm1.sock
 *         client: false
 *         thread: 1          # the forwarding thread that receives from it (default: round robin)
 *         ingress: {rate: 100000000, burst: 1048576}   # rate limits: bits/s, bytes (egress too)
 *       - name: eth1         # an existing host interface, attached as it is
 *         type: af-packet
 * routers:
 *   - name: r1
 *     interfaces:            # as POST /v1/routers/{name}/interfaces takes them
 *       - {bridge: br0, ip: [10.0.0.1/24, "fd00::1/64"], mac: "02:00:00:00:01:01", mtu: 1500}
 *     routes:                # static routes; connected ones come with the interfaces
 *       - {prefix: 10.2.0.0/16, via: 10.0.0.254}
 *     nat:                   # as POST /v1/routers/{name}/nat takes them
 *       - {type: masquerade, out: up}
 *       - {type: publish, protocol: tcp, port: 8080, to: "10.0.0.2:80", on: up}
 *     services:              # as POST /v1/routers/{name}/services takes them
 *       - {name: web, vip: "10.96.0.10:80", algorithm: wrr, backends: [{address: "10.0.0.2:80", weight: 2}]}
 *     dns: {domain: svc.vireo, ttl: 5, upstream: "10.0.0.53:53"}   # as PUT /v1/routers/{name}/dns takes it
 * registry:                  # the service registry's instances with no lease, as POST /v1/registry/{service} takes them
 *   - {service: web, id: web-1, address: 10.0.0.5, port: 80, metadata: {zone: a}}
 * cluster:                   # join a cluster, as vireod --cluster, --node, --underlay, --vtep-port, --lease-seconds
 *   endpoints: ["http://10.0.0.1:2379", "http://10.0.0.2:2379"]
 *   node: host-1             # default: the host name
 *   underlay: 10.0.0.1
 * </pre>
 * vireod's flags for the cluster take precedence over the file's section; the section is written back as
 * it was (the run dir's copy holds it too, so a vireod restarted there joins the cluster again).
 */
record DaemonConfig(Long agingSeconds, List<BridgeConfig> bridges, List<RouterConfig> routers,
    List<InstanceConfig> registry, ClusterSection cluster)
{
    // Lists left out of the file (or empty, and so not written) are empty, so a config equals itself read back.
    DaemonConfig
    {
        bridges = listOf(bridges);
        routers = listOf(routers);
        registry = listOf(registry);
    }

    /** The cluster this daemon joins (see {@code Vireod}'s --cluster); leaseSeconds and vtepPort may be left out. */
    record ClusterSection(List<String> endpoints, String node, String underlay, Integer vtepPort, Integer leaseSeconds)
    {
        ClusterSection
        {
            endpoints = listOf(endpoints);
        }
    }

    /** This config with {@code section} as its cluster section. */
    DaemonConfig withCluster(final ClusterSection section)
    {
        return new DaemonConfig(agingSeconds, bridges, routers, registry, section);
    }

    /** An instance of the service registry with no lease; the CNI plugin's have an owner, {@code cni:PORT}. */
    record InstanceConfig(String service, String id, String address, int port, Map<String, String> metadata, String owner)
    {
        InstanceConfig
        {
            metadata = null == metadata ? Map.of() : metadata;
        }
    }

    record RouterConfig(String name, List<ControlApi.InterfaceRequest> interfaces, List<ControlApi.RouteRequest> routes,
        List<NatRuleSpec> nat, List<ServiceSpec> services, DnsSpec dns)
    {
        RouterConfig
        {
            interfaces = listOf(interfaces);
            routes = listOf(routes);
            nat = listOf(nat);
            services = listOf(services);
        }
    }

    record BridgeConfig(String name, Long agingSeconds, VxlanSpec vxlan, List<String> peers, String defaultPolicy,
        List<PolicySpec> policies, List<PortConfig> ports)
    {
        BridgeConfig
        {
            peers = listOf(peers);
            policies = listOf(policies);
            ports = listOf(ports);
        }
    }

    record PortConfig(String name, String type, String netns, String ip, String mac, Integer mtu, Boolean offloads,
        String socket, Boolean client, Integer thread, RateLimit ingress, RateLimit egress, String owner)
    {
    }

    /** The owner the CNI plugin gives a container's registry instances: this and the container's port. */
    private static final String CNI_OWNER = "cni:";

    private static final String YAML_HEADER =
        "# Saved by vireod after every change made through its API; edit it only while vireod is stopped.\n";

    // Strings stay quoted: a YAML 1.1 reader takes a MAC such as 52:54:00:12:34:56 unquoted for a number.
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
        .build())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .setSerializationInclusion(JsonInclude.Include.NON_EMPTY);

    private static final ObjectMapper JSON = new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .setSerializationInclusion(JsonInclude.Include.NON_EMPTY);

    /** With no config: one bridge, {@code br0}, no ports. */
    static DaemonConfig embeddedDefault()
    {
        return new DaemonConfig(null, List.of(new BridgeConfig("br0", null, null, null, null, null, null)), null, null, null);
    }

    static DaemonConfig load(final Path file)
    {
        try
        {
            final DaemonConfig config = YAML.readValue(file.toFile(), DaemonConfig.class);
            if (null == config)
            {
                throw new IllegalArgumentException("config " + file + " is empty");
            }
            return config;
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read config " + file + ": " + ex.getMessage().lines().findFirst().orElse(""), ex);
        }
    }

    /**
     * The switch as it is now, as a config that rebuilds it: every bridge with its policy, and its TAP and
     * vhost-user ports except those something else manages (see {@link #isSaved}). {@code agingSeconds} is the daemon's
     * default, kept as it was given.
     */
    static DaemonConfig of(final Vireo vireo, final Long agingSeconds)
    {
        return of(vireo, agingSeconds, false);
    }

    /**
     * As {@link #of(Vireo, Long)}; with {@code everyTapPort}, also the TAP ports that are not {@link #isSaved saved}
     * in a config file (those of containers), with their owner: the run dir's copy of the switch, from which
     * a restarted daemon takes back what the port keeper holds.
     */
    static DaemonConfig of(final Vireo vireo, final Long agingSeconds, final boolean everyTapPort)
    {
        final Map<String, List<PortConfig>> portsByBridge = new LinkedHashMap<>();
        for (final PortInfo port : vireo.ports())
        {
            if (isSaved(port) || everyTapPort && "tap".equals(port.type()))
            {
                portsByBridge.computeIfAbsent(port.bridge(), bridge -> new ArrayList<>()).add(new PortConfig(port.name(),
                    port.type(), port.netns(), port.ip(), port.mac(), port.mtu(), port.offloads(), port.socket(), port.client(),
                    port.thread(), port.ingress(), port.egress(), port.owner()));
            }
        }
        final List<BridgeConfig> bridges = new ArrayList<>();
        for (final BridgeInfo bridge : vireo.bridges())
        {
            final VxlanInfo vxlan = bridge.vxlan();
            bridges.add(new BridgeConfig(bridge.name(), bridge.agingSeconds(),
                null == vxlan ? null : new VxlanSpec(vxlan.vni(), vxlan.local(), vxlan.port(), vxlan.ttl(), vxlan.mtu(),
                    vxlan.learnAnyPeer() ? Boolean.TRUE : null, vxlan.underlayTap()),
                null == vxlan ? null : vxlan.peers().stream().filter(peer -> !peer.learned()).map(VxlanPeer::address).toList(),
                vireo.defaultPolicy(bridge.name()),
                vireo.policies(bridge.name()).stream().map(DaemonConfig::withoutId).toList(),
                portsByBridge.getOrDefault(bridge.name(), List.of())));
        }
        final List<RouterConfig> routers = new ArrayList<>();
        for (final RouterInfo router : vireo.gateway().routers())
        {
            routers.add(new RouterConfig(router.name(),
                router.interfaces().stream().map(routerInterface -> new ControlApi.InterfaceRequest(routerInterface.bridge(),
                    routerInterface.addresses(), routerInterface.mac(), routerInterface.mtu())).toList(),
                vireo.gateway().routes(router.name()).stream().filter(route -> !route.connected())
                    .map(route -> new ControlApi.RouteRequest(route.prefix(), route.via())).toList(),
                vireo.gateway().nat(router.name()).stream().map(rule -> rule.withId(null)).toList(),
                vireo.gateway().serviceSpecs(router.name()),
                DnsSpec.DEFAULT.equals(vireo.gateway().dns(router.name())) ? null
                    : vireo.gateway().dns(router.name())));
        }
        return new DaemonConfig(agingSeconds, bridges, routers, List.of(), null);
    }

    /**
     * As {@link #of(Vireo, Long, boolean)}, with the instances of {@code registry} that have no lease: those with no
     * owner (an operator's), and with {@code everyTapPort} those of containers too.
     */
    static DaemonConfig of(final Vireo vireo, final ServiceRegistry registry, final Long agingSeconds,
        final boolean everyTapPort)
    {
        final DaemonConfig switchOnly = of(vireo, agingSeconds, everyTapPort);
        final List<InstanceConfig> instances = new ArrayList<>();
        for (final ServiceListing listing : registry.services())
        {
            for (final ServiceInstance instance : listing.instances())
            {
                if (0 == instance.leaseSeconds() && (everyTapPort || null == instance.owner()))
                {
                    instances.add(new InstanceConfig(instance.service(), instance.id(), instance.address(), instance.port(),
                        instance.metadata(), instance.owner()));
                }
            }
        }
        return new DaemonConfig(agingSeconds, switchOnly.bridges(), switchOnly.routers(), instances, null);
    }

    /**
     * Ports a restart can make again: those an operator made. Not those something else manages (the CNI plugin,
     * the Docker driver: the runtime adds them again, and they were renamed and given routes inside the
     * container), nor those in a namespace given as {@code /proc/PID/ns/net}: after a restart that pid is another
     * process or none.
     */
    static boolean isSaved(final PortInfo port)
    {
        return ("tap".equals(port.type()) || "vhost-user".equals(port.type()) || "af-packet".equals(port.type())) &&
            null == port.owner() &&
            (null == port.netns() || !port.netns().startsWith("/proc/"));
    }

    /** Rule ids are the switch's to assign (and are again at the next start); the file keeps the rules' order. */
    private static PolicySpec withoutId(final PolicySpec rule)
    {
        return new PolicySpec(null, rule.priority(), rule.action(), rule.srcMac(), rule.dstMac(), rule.src(), rule.dst(),
            rule.protocol(), rule.srcPorts(), rule.dstPorts());
    }

    /** The file's text: JSON if its name ends in {@code .json}, else YAML. */
    String format(final Path file) throws JsonProcessingException
    {
        return file.getFileName().toString().endsWith(".json") ?
            JSON.writeValueAsString(this) + "\n" : YAML_HEADER + YAML.writeValueAsString(this);
    }

    /**
     * Builds the switch. A config that is wrong as written (invalid name, address or rule, unsupported port type)
     * is refused; a port that cannot be made now (its namespace is gone, the kernel refuses) is logged on
     * {@code log} and skipped, so the daemon starts with the rest. Each bridge gets its policy before its ports,
     * so no frame crosses it unfiltered.
     */
    void applyTo(final Vireo vireo, final PrintStream log)
    {
        for (final BridgeConfig bridge : bridges)
        {
            try
            {
                vireo.addBridge(bridge.name(), bridge.agingSeconds(), bridge.vxlan());
                for (final String peer : bridge.peers())
                {
                    vireo.overlay().addVxlanPeer(bridge.name(), peer);
                }
                if (null != bridge.defaultPolicy())
                {
                    vireo.defaultPolicy(bridge.name(), bridge.defaultPolicy());
                }
                for (final PolicySpec rule : bridge.policies())
                {
                    if (null != rule.id())
                    {
                        throw new IllegalArgumentException("policy rule ids are assigned by the switch; leave id out");
                    }
                    vireo.addPolicy(bridge.name(), rule);
                }
            }
            catch (final VireoException | IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("config: bridge " + bridge.name() + ": " + ex.getMessage(), ex);
            }
            for (final PortConfig port : bridge.ports())
            {
                restore(vireo, bridge.name(), port, log);
            }
        }
        applyRouters(vireo);
    }

    /** Routers come after every bridge: an interface may be on any of them. */
    private void applyRouters(final Vireo vireo)
    {
        for (final RouterConfig router : routers)
        {
            try
            {
                vireo.gateway().addRouter(router.name());
                for (final ControlApi.InterfaceRequest routerInterface : router.interfaces())
                {
                    vireo.gateway().attachRouter(router.name(), routerInterface.bridge(), routerInterface.ip(),
                        routerInterface.mac(), routerInterface.mtu());
                }
                for (final ControlApi.RouteRequest route : router.routes())
                {
                    vireo.gateway().addRoute(router.name(), route.prefix(), route.via());
                }
                for (final NatRuleSpec rule : router.nat())
                {
                    vireo.gateway().addNat(router.name(), rule);
                }
                for (final ServiceSpec service : router.services())
                {
                    vireo.gateway().addService(router.name(), service);
                }
                if (null != router.dns())
                {
                    vireo.gateway().setDns(router.name(), router.dns());
                }
            }
            catch (final VireoException ex)
            {
                throw new IllegalArgumentException("config: router " + router.name() + ": " + ex.getMessage(), ex);
            }
        }
    }

    /**
     * Adds the container ports of {@code runState} (the run dir's copy of the switch an earlier daemon left) whose
     * TAPs the port keeper still holds, with their bridges where this switch has none of that name: a daemon
     * restarted with a config file gets its containers back too.
     */
    void applyContainerPortsTo(final Vireo vireo, final PrintStream log)
    {
        final List<String> bridgeNames = vireo.bridges().stream().map(BridgeInfo::name).toList();
        for (final BridgeConfig bridge : bridges)
        {
            final List<PortConfig> containerPorts = bridge.ports().stream().filter(port -> !isRestorable(port)).toList();
            if (containerPorts.isEmpty())
            {
                continue;
            }
            if (!bridgeNames.contains(bridge.name()))
            {
                new DaemonConfig(null, List.of(new BridgeConfig(bridge.name(), bridge.agingSeconds(), bridge.vxlan(),
                    bridge.peers(), bridge.defaultPolicy(), bridge.policies(), List.of())), List.of(), List.of(), null)
                    .applyTo(vireo, log);
            }
            for (final PortConfig port : containerPorts)
            {
                restore(vireo, bridge.name(), port, log);
            }
        }
    }

    /**
     * Registers the config's instances, with no lease, once the ports are back (after {@link #applyTo} and
     * {@link #applyContainerPortsTo}): an instance the CNI plugin registered for a container (owner {@code cni:PORT})
     * only if the container's port came back, so a container deleted while the daemon was down does not.
     *
     * @throws IllegalArgumentException naming an instance that is wrong as written.
     */
    void applyRegistryTo(final ServiceRegistry registry, final Vireo vireo, final PrintStream log)
    {
        register(registry, vireo, registry(), log);
    }

    /**
     * As {@link #applyRegistryTo}, for the containers' instances only: those of the run dir's state, when the switch
     * comes from a config file, which holds none.
     */
    void applyContainerInstancesTo(final ServiceRegistry registry, final Vireo vireo, final PrintStream log)
    {
        register(registry, vireo, registry().stream().filter(instance -> null != instance.owner()).toList(), log);
    }

    private static void register(final ServiceRegistry registry, final Vireo vireo, final List<InstanceConfig> instances,
        final PrintStream log)
    {
        final Set<String> ports = new HashSet<>();
        vireo.ports().forEach(port -> ports.add(port.name()));
        for (final InstanceConfig instance : instances)
        {
            final String owner = instance.owner();
            if (null != owner && owner.startsWith(CNI_OWNER) && !ports.contains(owner.substring(CNI_OWNER.length())))
            {
                log.println("vireod: instance " + instance.id() + " of service " + instance.service() +
                    " not restored: its container's port " + owner.substring(CNI_OWNER.length()) + " is gone");
                continue;
            }
            try
            {
                registry.register(instance.service(), instance.id(), instance.address(), instance.port(), instance.metadata(),
                    0, owner);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("config: registry instance " + instance.id() + " of " +
                    instance.service() + ": " + ex.getMessage(), ex);
            }
        }
    }

    /** A port a config can make again (see {@link #isSaved}); the others come back only through the port keeper. */
    private static boolean isRestorable(final PortConfig port)
    {
        return null == port.owner() && (null == port.netns() || !port.netns().startsWith("/proc/"));
    }

    private static void restore(final Vireo vireo, final String bridge, final PortConfig port, final PrintStream log)
    {
        if (!isRestorable(port) && !vireo.handover().unclaimedPorts().contains(port.name()))
        {
            log.println("vireod: port " + port.name() + " on bridge " + bridge + " not restored: its TAP is gone");
            return;
        }
        try
        {
            addPort(vireo, bridge, port);
        }
        catch (final VireoException ex)
        {
            if (VireoException.Kind.INVALID == ex.kind())
            {
                throw new IllegalArgumentException("config: port " + port.name() + ": " + ex.getMessage(), ex);
            }
            log.println("vireod: port " + port.name() + " on bridge " + bridge + " not restored: " + ex.getMessage());
        }
    }

    private static void addPort(final Vireo vireo, final String bridge, final PortConfig port)
    {
        if ("vhost-user".equals(port.type()))
        {
            vireo.addVhostUserPort(bridge, port.name(),
                null == port.socket() ? null : Path.of(port.socket()), Boolean.TRUE.equals(port.client()));
        }
        else if ("af-packet".equals(port.type()))
        {
            vireo.addAfPacketPort(bridge, port.name());
        }
        else if (null == port.type() || "tap".equals(port.type()))
        {
            vireo.addTapPort(bridge,
                new TapPortSpec(port.name(), port.netns(), port.ip(), port.mac(), port.mtu(), port.offloads()), port.owner());
        }
        else
        {
            throw new IllegalArgumentException("config: port " + port.name() + ": unsupported type '" + port.type() +
                "'; supported: tap, vhost-user, af-packet");
        }
        if (null != port.thread() || null != port.ingress() || null != port.egress())
        {
            try
            {
                vireo.changePort(port.name(), port.thread(), port.ingress(), port.egress());
            }
            catch (final VireoException ex)
            {
                vireo.deletePort(port.name());
                throw ex;
            }
        }
    }

    private static <T> List<T> listOf(final List<T> list)
    {
        return null == list ? List.of() : list;
    }
}
