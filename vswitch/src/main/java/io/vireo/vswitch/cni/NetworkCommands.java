package io.vireo.vswitch.cni;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;
import io.vireo.vswitch.control.NetworkGateway;

import static io.vireo.vswitch.cni.DaemonRequests.json;
import static io.vireo.vswitch.cni.DaemonRequests.refused;

/**
 * The spec 1.1 commands about a whole network rather than one attachment:
 * <ul>
 *   <li>STATUS: ready for ADD if vireod serves the run dir and has the bridge (else code 50), and the IPAM plugin,
 *   asked only if it speaks 1.1.0, is ready too.</li>
 *   <li>GC, given the attachments still valid ({@code cni.dev/valid-attachments}): takes back the NAT rules and
 *   service instances of attachments whose port is gone and that the runtime no longer lists, and hands the call
 *   to the IPAM plugin (if it speaks 1.1.0) to free their addresses. The ports themselves need nothing: one goes
 *   with its container's namespace (the switch watches it), as the spec lets a plugin assume for GC. A port still
 *   there is left alone even if unlisted: ports do not record their network, and two networks may share a bridge.
 *   Errors do not stop it; they are reported together at the end.</li>
 * </ul>
 */
final class NetworkCommands
{
    static final String STATUS_VERSION = "1.1.0";
    static final String VALID_ATTACHMENTS = "cni.dev/valid-attachments";
    /** STATUS: the plugin cannot serve ADD. */
    static final int NOT_AVAILABLE = 50;
    private static final String OWNER_PREFIX = "cni:";

    private final NetworkConfig config;
    private final Map<String, String> env;
    private final byte[] input;
    private final PrintStream err;
    private final ControlChannel control;

    NetworkCommands(final NetworkConfig config, final Map<String, String> env, final byte[] input, final PrintStream err,
        final ControlChannel control)
    {
        this.config = config;
        this.env = env;
        this.input = input;
        this.err = err;
        this.control = control;
    }

    void status()
    {
        requireVersion("STATUS");
        final ControlApi.Response bridges;
        try
        {
            bridges = DaemonRequests.call(control, "GET", "/v1/bridges", null);
        }
        catch (final CniException ex)
        {
            throw new CniException(NOT_AVAILABLE, "no vireod serves " + config.runDir() + ": " + ex.getMessage());
        }
        if (200 != bridges.status())
        {
            throw new CniException(NOT_AVAILABLE, refused(bridges, "listing bridges").getMessage());
        }
        boolean found = false;
        for (final JsonNode bridge : json(bridges))
        {
            found |= config.bridge().equals(bridge.path("name").asText());
        }
        if (!found)
        {
            throw new CniException(NOT_AVAILABLE, "vireod at " + config.runDir() + " has no bridge named " + config.bridge());
        }
        final DelegatedIpam ipam = delegatedIpam();
        if (null != ipam && ipam.speaks(STATUS_VERSION))
        {
            ipam.status();
        }
    }

    void collectGarbage()
    {
        requireVersion("GC");
        final Set<String> valid = validPorts();
        final List<String> failures = new ArrayList<>();
        try
        {
            final ControlApi.Response registry = DaemonRequests.call(control, "GET", "/v1/registry", null);
            if (200 != registry.status())
            {
                throw refused(registry, "listing the service registry");
            }
            final Set<String> stale = staleOwners(valid, registry);
            for (final String owner : stale)
            {
                err.println("vireo-cni: GC takes back what " + owner.substring(OWNER_PREFIX.length()) + " published");
            }
            withdrawRules(stale, failures);
            Publication.deregister(control, registry, stale::contains, failure -> failures.add(failure.getMessage()));
        }
        catch (final CniException ex)
        {
            failures.add(ex.getMessage());
        }
        try
        {
            final DelegatedIpam ipam = delegatedIpam();
            if (null != ipam && ipam.speaks(STATUS_VERSION))
            {
                ipam.collectGarbage();
            }
        }
        catch (final CniException ex)
        {
            failures.add(ex.getMessage());
        }
        if (!failures.isEmpty())
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, "GC left " + failures.size() + " thing(s) undone",
                String.join("; ", failures));
        }
    }

    /** STATUS and GC came with spec 1.1.0: a config of an older version cannot ask for them. */
    private void requireVersion(final String command)
    {
        if (!NetworkConfig.atLeast(config.cniVersion(), STATUS_VERSION))
        {
            throw new CniException(CniException.INCOMPATIBLE_VERSION,
                command + " came with CNI " + STATUS_VERSION + "; the config says " + config.cniVersion());
        }
    }

    /** The ports of the attachments the runtime still has. */
    private Set<String> validPorts()
    {
        final JsonNode attachments = NetworkConfig.decode(input).path(VALID_ATTACHMENTS);
        if (!attachments.isMissingNode() && !attachments.isArray())
        {
            throw new CniException(CniException.INVALID_CONFIG, VALID_ATTACHMENTS + " must be an array");
        }
        final Set<String> ports = new HashSet<>();
        for (final JsonNode attachment : attachments)
        {
            if (!attachment.path("containerID").isTextual() || !attachment.path("ifname").isTextual())
            {
                throw new CniException(CniException.INVALID_CONFIG,
                    VALID_ATTACHMENTS + " entries need containerID and ifname: " + attachment);
            }
            ports.add(Attachment.portName(attachment.get("containerID").asText(), attachment.get("ifname").asText()));
        }
        return ports;
    }

    /**
     * The owners ({@code cni:PORT}) of NAT rules and of service instances in {@code registry} (the answer to {@code GET
     * /v1/registry}) whose port is gone and not listed as valid.
     */
    private Set<String> staleOwners(final Set<String> valid, final ControlApi.Response registry)
    {
        final Set<String> live = new HashSet<>();
        final ControlApi.Response ports = DaemonRequests.call(control, "GET", "/v1/ports", null);
        if (200 != ports.status())
        {
            throw refused(ports, "listing ports");
        }
        json(ports).forEach(port -> live.add(port.path("name").asText()));
        // Rules are looked for whatever this config says of routers now: a runtime's port mappings do not come with GC.
        final Set<String> owners = new HashSet<>(gateway().owners());
        for (final JsonNode service : json(registry).path("services"))
        {
            service.path("instances").forEach(instance -> owners.add(instance.path("owner").asText("")));
        }
        owners.removeIf(owner -> !owner.startsWith(OWNER_PREFIX) ||
            live.contains(owner.substring(OWNER_PREFIX.length())) || valid.contains(owner.substring(OWNER_PREFIX.length())));
        return owners;
    }

    private void withdrawRules(final Set<String> stale, final List<String> failures)
    {
        for (final String owner : stale)
        {
            try
            {
                gateway().withdraw(owner);
            }
            catch (final NetworkGateway.GatewayException | IllegalStateException ex)
            {
                failures.add("taking back the NAT rules of " + owner + ": " + ex.getMessage());
            }
        }
    }

    /** The IPAM plugin the config delegates to; null if it has none, it is the cluster's, or CNI_PATH is not given (STATUS). */
    private DelegatedIpam delegatedIpam()
    {
        if (null == config.ipamType() || ClusterIpam.TYPE.equals(config.ipamType()) || null == env.get("CNI_PATH"))
        {
            return null;
        }
        return DelegatedIpam.locate(config.ipamType(), env, input, err);
    }

    private NetworkGateway gateway()
    {
        return new NetworkGateway(control, config.router());
    }
}
