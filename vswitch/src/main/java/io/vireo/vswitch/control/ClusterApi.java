package io.vireo.vswitch.control;

import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vireo.cluster.ClusterNode;
import io.vireo.cluster.StoreUnavailableException;

/**
 * The cluster's paths of the control API, over this node's {@link ClusterNode} (none unless vireod runs
 * with {@code --cluster}):
 * <pre>
 * GET    /v1/cluster                          this node's view: members, lease, revision, networks, counters,
 *                                             each etcd endpoint's health
 * GET    /v1/networks                         the cluster's networks
 * POST   /v1/networks                         {"name": "blue", "vni": 100, "subnet": "10.1.0.0/16", "blockPrefix": 26}
 *                                             (blockPrefix optional: /26, /122 for IPv6): a bridge on every node;
 *                                             the subnet IPv4 or IPv6 ("fd00:10::/64"), one a network
 * DELETE /v1/networks/{name}                  the network, its endpoints, blocks and allocations
 * POST   /v1/networks/{name}/addresses        {"owner": "..."}: an address for owner (the one it has, if any):
 *                                             {"address": "10.1.0.66/16", "gateway": "10.1.0.1"}, or of IPv6
 *                                             {"address": "fd00:10::42/64", "gateway": "fd00:10::1"}
 * GET    /v1/networks/{name}/addresses/{owner}  {"address": "10.1.0.66"}: owner's address, 404 if none
 * DELETE /v1/networks/{name}/addresses/{owner}  releases owner's address
 * </pre>
 * 503 while the store is needed and unreachable; 409 when vireod is not in a cluster.
 */
public final class ClusterApi
{
    /** Request body of {@code POST /v1/networks}. */
    public record NetworkRequest(String name, Integer vni, String subnet, Integer blockPrefix)
    {
    }

    /** Request body of {@code POST /v1/networks/{name}/addresses}. */
    public record AddressRequest(String owner)
    {
    }

    private final ClusterNode cluster;

    /** @param cluster null when vireod is not in a cluster: every request is answered 409. */
    ClusterApi(final ClusterNode cluster)
    {
        this.cluster = cluster;
    }

    static boolean handles(final String path)
    {
        return "/v1/cluster".equals(path) || "/v1/networks".equals(path) || path.startsWith("/v1/networks/");
    }

    ControlApi.Response handle(final String method, final String path, final String body) throws JsonProcessingException
    {
        if (null == cluster)
        {
            return ControlApi.error(409, "vireod is not in a cluster (start it with --cluster URLS --node NAME --underlay IP)");
        }
        try
        {
            if ("/v1/cluster".equals(path))
            {
                ControlApi.requireMethod(method, "GET");
                return ControlApi.ok(cluster.status(true));
            }
            final String[] parts = path.split("/", -1);
            if (3 == parts.length)
            {
                return networks(method, body);
            }
            final String network = parts[3];
            if (network.isEmpty() || parts.length > 6 || parts.length > 4 && !"addresses".equals(parts[4]))
            {
                return ControlApi.error(404, "no such path " + path);
            }
            if (4 == parts.length)
            {
                ControlApi.requireMethod(method, "DELETE");
                cluster.deleteNetwork(network);
                return new ControlApi.Response(204, "");
            }
            if (5 == parts.length)
            {
                ControlApi.requireMethod(method, "POST");
                final AddressRequest request = ControlApi.parse(body, AddressRequest.class);
                ControlApi.required(request.owner(), "owner");
                final String address = cluster.allocate(network, request.owner());
                return ControlApi.ok(Map.of("address", address, "gateway", cluster.gateway(network)));
            }
            if ("GET".equals(method))
            {
                final Optional<String> address = cluster.addressOf(network, parts[5]);
                return address.isPresent() ? ControlApi.ok(Map.of("address", address.get())) :
                    ControlApi.error(404, "owner " + parts[5] + " has no address on cluster network " + network);
            }
            ControlApi.requireMethod(method, "DELETE");
            if (!cluster.release(network, parts[5]))
            {
                return ControlApi.error(404, "owner " + parts[5] + " has no address on cluster network " + network);
            }
            return new ControlApi.Response(204, "");
        }
        catch (final StoreUnavailableException ex)
        {
            return ControlApi.error(503, ex.getMessage());
        }
        catch (final IllegalArgumentException ex)
        {
            return ControlApi.error(ex.getMessage().startsWith("no cluster network") ? 404 : 400, ex.getMessage());
        }
        catch (final IllegalStateException ex)
        {
            return ControlApi.error(409, ex.getMessage());
        }
    }

    private ControlApi.Response networks(final String method, final String body) throws JsonProcessingException
    {
        if ("GET".equals(method))
        {
            return ControlApi.ok(cluster.networks());
        }
        ControlApi.requireMethod(method, "POST");
        final NetworkRequest request = ControlApi.parse(body, NetworkRequest.class);
        ControlApi.required(request.name(), "name");
        ControlApi.required(request.vni(), "vni");
        ControlApi.required(request.subnet(), "subnet");
        return ControlApi.created(cluster.addNetwork(request.name(), request.vni(), request.subnet(), request.blockPrefix()));
    }
}
