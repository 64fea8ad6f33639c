package io.vireo.vswitch.docker;

import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;
import io.vireo.vswitch.control.NetworkGateway;

import static io.vireo.vswitch.docker.DriverMessages.JSON;
import static io.vireo.vswitch.docker.DriverMessages.error;
import static io.vireo.vswitch.docker.DriverMessages.ok;
import static io.vireo.vswitch.docker.DriverMessages.request;

/**
 * Docker's libnetwork remote network driver protocol, independent of transport: every call is a POST of a
 * JSON object to {@code /Plugin.Activate} or {@code /NetworkDriver.<Method>}, answered with a JSON object;
 * a failure is {@code {"Err": "..."}}.
 * <pre>
 * CreateNetwork   a Vireo bridge "docker-" + 12 characters of the network id, or the bridge named by
 *                 the option vireo.bridge (docker network create -d vireo -o vireo.bridge=br0 ...), which
 *                 is left alone on DeleteNetwork; com.docker.network.driver.mtu sets the MTU of its ports.
 *                 Unless the network is internal, a Vireo router (option vireo.router, default "docker",
 *                 made if missing) gets an interface on the bridge with the network's gateway addresses,
 *                 and masquerades the network's IPv4 subnet out of its uplink if it has one (the interface
 *                 its default route leaves by); networks on one router are routed to each other
 * CreateEndpoint  records the endpoint; answers with a MAC (02:.. from the endpoint id) unless Docker gave one
 * Join            a TAP port "vd" + 12 characters of the endpoint id, created in the host's namespace;
 *                 Docker moves it into the container and renames it eth0, eth1...; the answer carries the
 *                 network's gateway unless it is internal. The bridge and the router's interface and
 *                 masquerade are made again if vireod lost them (a restart without its config file), and
 *                 the masquerade is added if the router got an uplink since CreateNetwork
 * ProgramExternalConnectivity   publishes the endpoint's ports (docker run -p HOST:CONTAINER) on the router's
 *                 addresses: reachable from the outside (its uplink), from other containers (hairpin)
 * RevokeExternalConnectivity    takes them back
 * Leave           deletes the port: the TAP goes with it, wherever it is by then (Docker calls Leave before
 *                 it would move the interface back, and takes its absence in its stride)
 * DeleteEndpoint  takes back its published ports, deletes the port if still there and forgets the endpoint;
 *                 an unknown one is no error
 * DeleteNetwork   takes the router off the bridge with the network's masquerade, deletes the bridge the
 *                 driver made; an unknown network is no error
 * </pre>
 * Status 200 with the answer; 500 with {@code {"Err"}} for a request understood but not carried out (as
 * Docker's plugin helpers answer); 400 for a body that is not the JSON object the method takes; 404 for a
 * method it does not implement (Docker then takes an optional method as absent); 405 for anything but POST.
 * <p>
 * This class routes a call to {@link DriverNetworks} or {@link DriverEndpoints}, which ask vireod through
 * {@link VireodCalls}; {@link DriverMessages} decodes requests and writes answers.
 */
final class NetworkDriver
{
    static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1+json";

    private final DriverNetworks networks;
    private final DriverEndpoints endpoints;

    NetworkDriver(final ControlChannel control, final DriverState state)
    {
        final VireodCalls vireod = new VireodCalls(control);
        this.networks = new DriverNetworks(vireod, state);
        this.endpoints = new DriverEndpoints(vireod, state, networks);
    }

    /** Answers one request. Calls are serialised: each sees the state the previous one left. */
    synchronized ControlApi.Response handle(final String method, final String path, final String body)
    {
        if (!"POST".equals(method))
        {
            return error(405, "the plugin protocol takes POST, not " + method);
        }
        try
        {
            switch (path)
            {
                case "/Plugin.Activate":
                    return ok(JSON.createObjectNode().set("Implements", JSON.createArrayNode().add("NetworkDriver")));
                case "/NetworkDriver.GetCapabilities":
                    return ok(JSON.createObjectNode().put("Scope", "local").put("ConnectivityScope", "local"));
                case "/NetworkDriver.CreateNetwork":
                    return ok(networks.createNetwork(request(body)));
                case "/NetworkDriver.DeleteNetwork":
                    return ok(networks.deleteNetwork(request(body)));
                case "/NetworkDriver.CreateEndpoint":
                    return ok(endpoints.createEndpoint(request(body)));
                case "/NetworkDriver.EndpointOperInfo":
                    return ok(endpoints.endpointOperInfo(request(body)));
                case "/NetworkDriver.DeleteEndpoint":
                    return ok(endpoints.deleteEndpoint(request(body)));
                case "/NetworkDriver.Join":
                    return ok(endpoints.join(request(body)));
                case "/NetworkDriver.Leave":
                    return ok(endpoints.leave(request(body)));
                case "/NetworkDriver.ProgramExternalConnectivity":
                    return ok(endpoints.programExternalConnectivity(request(body)));
                case "/NetworkDriver.RevokeExternalConnectivity":
                    endpoints.withdraw(endpoints.endpoint(request(body)));
                    return ok(JSON.createObjectNode());
                case "/NetworkDriver.DiscoverNew":
                case "/NetworkDriver.DiscoverDelete":
                    // Node discovery concerns multi-host drivers; this one is local.
                    request(body);
                    return ok(JSON.createObjectNode());
                default:
                    return error(404, "vireo does not implement " + path);
            }
        }
        catch (final DriverMessages.BadRequest ex)
        {
            return error(400, ex.getMessage());
        }
        catch (final DriverException | NetworkGateway.GatewayException | IllegalStateException ex)
        {
            return error(500, ex.getMessage());
        }
    }
}
