package io.vireo.vswitch.cni;

import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;
import io.vireo.vswitch.control.NetworkGateway;

import static io.vireo.vswitch.cni.DaemonRequests.json;
import static io.vireo.vswitch.cni.DaemonRequests.refused;

/**
 * What an {@link Attachment} makes beside its port: the network's router programmed for it (the gateway
 * addresses on the bridge with isGateway, the subnet masqueraded out of the router's uplink with ipMasq, the
 * runtime's port mappings published) and the container registered under the config's services. The NAT rules
 * and registry instances it makes have one owner, {@code cni:PORT}, so {@link #takeBack} finds exactly them
 * whatever the config says by then. The gateway and the masquerade stay: they are the network's.
 */
final class Publication
{
    private final NetworkConfig config;
    private final ControlChannel control;
    private final PrintStream err;
    private final String containerId;
    private final String ifname;
    private final String portName;

    Publication(final NetworkConfig config, final ControlChannel control, final PrintStream err, final String containerId,
        final String ifname, final String portName)
    {
        this.config = config;
        this.control = control;
        this.err = err;
        this.containerId = containerId;
        this.ifname = ifname;
        this.portName = portName;
    }

    /** Programs the router and registers the container, with the addresses IPAM {@code assigned}. */
    void publish(final CniResult assigned)
    {
        programRouter(assigned);
        register(assigned);
    }

    /** Deregisters the container and takes back its published ports; whatever is already gone counts as done. */
    void takeBack()
    {
        deregister();
        withdraw();
    }

    /** As {@link #takeBack}, after a failed ADD: a failure is told on stderr, not thrown. */
    void takeBackQuietly()
    {
        deregisterQuietly();
        withdrawQuietly();
    }

    /**
     * What the config asks of the network's router: the gateway addresses on the bridge (isGateway), the
     * subnet masqueraded out of the router's uplink (ipMasq), the runtime's port mappings published.
     */
    private void programRouter(final CniResult assigned)
    {
        if (!config.needsRouter())
        {
            return;
        }
        final NetworkGateway gateway = gateway();
        try
        {
            if (config.isGateway())
            {
                final List<String> addresses = assigned.ips().stream().filter(ip -> null != ip.gateway())
                    .map(ip -> ip.gateway() + ip.address().substring(ip.address().indexOf('/'))).distinct().toList();
                if (addresses.isEmpty())
                {
                    throw new CniException(CniException.INVALID_CONFIG,
                        "isGateway: the IPAM result has no gateway address (give the range a gateway)");
                }
                gateway.attach(config.bridge(), addresses);
            }
            final String containerAddress = assigned.ips().stream().filter(ip -> !ip.isIpv6())
                .map(ip -> ip.address().substring(0, ip.address().indexOf('/'))).findFirst().orElse(null);
            if (config.ipMasq())
            {
                for (final CniResult.IpConfig ip : assigned.ips())
                {
                    if (!ip.isIpv6())
                    {
                        gateway.masquerade(ipv4Subnet(ip.address()), "cni-network:" + config.name());
                    }
                }
            }
            if (!config.portMappings().isEmpty() && null == containerAddress)
            {
                throw new CniException(CniException.INVALID_CONFIG,
                    "portMappings: the container has no IPv4 address to publish ports to");
            }
            for (final NetworkConfig.PortMapping mapping : config.portMappings())
            {
                gateway.publish(mapping.protocol(), mapping.hostPort(), containerAddress + ":" + mapping.containerPort(),
                    mapping.hostIp(), owner());
            }
        }
        catch (final NetworkGateway.GatewayException ex)
        {
            throw new CniException(ex.invalid() ? CniException.INVALID_CONFIG : CniException.PLUGIN_SPECIFIC, ex.getMessage());
        }
        catch (final IllegalStateException ex)
        {
            throw new CniException(CniException.TRY_AGAIN_LATER, "vireod is not reachable: " + ex.getMessage());
        }
    }

    /** {@code 10.94.0.7/24} → {@code 10.94.0.0/24}. */
    static String ipv4Subnet(final String cidr)
    {
        final int slash = cidr.indexOf('/');
        final int length = Integer.parseInt(cidr.substring(slash + 1));
        final int address = (int)IpPrefix.parse(cidr.substring(0, slash)).low();
        return IpPrefix.ipv4(0 == length ? 0 : address & (-1 << (32 - length)), length).toString();
    }

    /** Registers the container under the config's services. */
    private void register(final CniResult assigned)
    {
        if (config.services().isEmpty())
        {
            return;
        }
        final String address = assigned.ips().stream().filter(ip -> !ip.isIpv6()).findFirst()
            .or(() -> assigned.ips().stream().findFirst())
            .map(ip -> ip.address().substring(0, ip.address().indexOf('/')))
            .orElseThrow(() -> new CniException(CniException.INVALID_CONFIG,
                "services: the container has no address to register (give the network an ipam section)"));
        for (final NetworkConfig.Service service : config.services())
        {
            final ObjectNode instance = JsonNodeFactory.instance.objectNode()
                .put("id", instanceId())
                .put("address", address)
                .put("port", service.port())
                .put("leaseSeconds", 0)
                .put("owner", owner());
            final ControlApi.Response registered = call("POST", "/v1/registry/" + service.name(), instance);
            if (201 != registered.status())
            {
                throw refused(registered, "registering " + instanceId() + " as an instance of service " + service.name());
            }
        }
    }

    /** Deregisters every instance this attachment registered, whatever services the config names now. */
    private void deregister()
    {
        if (!Files.exists(config.controlSocket()))
        {
            return;
        }
        final ControlApi.Response registry;
        try
        {
            registry = call("GET", "/v1/registry", null);
        }
        catch (final CniException ex)
        {
            // No daemon: the next one brings back a container's instances only with its port, which DEL lets go.
            err.println("vireo-cni: cannot deregister " + instanceId() + ": " + ex.getMessage());
            return;
        }
        deregister(control, registry, owner()::equals, failure ->
        {
            throw failure;
        });
    }

    /**
     * Deregisters every instance in {@code registry} (the answer to {@code GET /v1/registry}) whose owner {@code
     * owners} accepts; each that fails goes to {@code onFailure}, which may throw it or note it and go on.
     */
    static void deregister(final ControlChannel control, final ControlApi.Response registry, final Predicate<String> owners,
        final Consumer<CniException> onFailure)
    {
        if (200 != registry.status())
        {
            onFailure.accept(refused(registry, "listing the service registry"));
            return;
        }
        for (final JsonNode service : json(registry).path("services"))
        {
            for (final JsonNode instance : service.path("instances"))
            {
                if (owners.test(instance.path("owner").asText("")))
                {
                    final String path = "/v1/registry/" + service.path("service").asText() + "/" + instance.path("id").asText();
                    final ControlApi.Response deleted = DaemonRequests.call(control, "DELETE", path, null);
                    if (200 != deleted.status() && 404 != deleted.status())
                    {
                        onFailure.accept(refused(deleted, "deregistering " + path));
                    }
                }
            }
        }
    }

    private void deregisterQuietly()
    {
        try
        {
            deregister();
        }
        catch (final CniException ex)
        {
            err.println("vireo-cni: deregistering " + instanceId() + " failed: " + ex.getMessage());
        }
    }

    /** The container's instance id in the registry: unique to (container, interface), as container ids have no ':'. */
    private String instanceId()
    {
        return containerId + ":" + ifname;
    }

    /** Takes back the ports this attachment published. */
    private void withdraw()
    {
        if (!config.needsRouter() || !Files.exists(config.controlSocket()))
        {
            return;
        }
        try
        {
            gateway().withdraw(owner());
        }
        catch (final IllegalStateException ex)
        {
            // No daemon: the next one has the rules from its run dir's state, under this owner.
            err.println("vireo-cni: cannot take back the published ports of " + portName + ": " + ex.getMessage());
        }
        catch (final NetworkGateway.GatewayException ex)
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, ex.getMessage());
        }
    }

    private void withdrawQuietly()
    {
        try
        {
            withdraw();
        }
        catch (final CniException ex)
        {
            err.println("vireo-cni: taking back the published ports of " + portName + " failed: " + ex.getMessage());
        }
    }

    /**
     * The owner of the NAT rules and registry instances this attachment makes: its port's name, unique to (container,
     * interface).
     */
    private String owner()
    {
        return "cni:" + portName;
    }

    private NetworkGateway gateway()
    {
        return new NetworkGateway(control, config.router());
    }

    private ControlApi.Response call(final String method, final String path, final Object body)
    {
        return DaemonRequests.call(control, method, path, body);
    }
}
