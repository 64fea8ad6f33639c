package io.vireo.vswitch.cni;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;

/**
 * {@code "ipam": {"type": "vireo"}}: the container's address comes from the cluster network named by the
 * config's {@code bridge}, out of the address blocks vireod's cluster node claims
 * ({@code POST /v1/networks/{bridge}/addresses}), owned by {@code CONTAINER_ID:IFNAME}. No address is
 * ever handed out twice in the cluster; DEL gives it back. The result has one address, of the network's
 * family (IPv4, or IPv6 for a network of an IPv6 subnet), with the network's gateway, and no route: as any
 * IPAM result, {@code isDefaultGateway} adds the default route of that family.
 */
final class ClusterIpam implements Ipam
{
    static final String TYPE = "vireo";

    private final String network;
    private final String owner;
    private final ControlChannel control;
    private final PrintStream err;

    ClusterIpam(final String network, final String containerId, final String ifname, final ControlChannel control,
        final PrintStream err)
    {
        this.network = network;
        this.owner = containerId + ":" + ifname;
        this.control = control;
        this.err = err;
    }

    @Override
    public CniResult add()
    {
        final ControlApi.Response response = call("POST", path(), Map.of("owner", owner));
        if (200 != response.status())
        {
            throw refused(response, "no address from cluster network " + network);
        }
        final JsonNode answer = DaemonRequests.json(response);
        return new CniResult(List.of(),
            List.of(new CniResult.IpConfig(answer.path("address").asText(), answer.path("gateway").asText(null), null)),
            List.of(), null);
    }

    @Override
    public boolean runsAProgram()
    {
        return false;
    }

    @Override
    public void check()
    {
        final ControlApi.Response response = call("GET", path() + "/" + owner, null);
        if (200 != response.status())
        {
            throw refused(response, "the container's address on cluster network " + network);
        }
    }

    @Override
    public void delete()
    {
        final ControlApi.Response response = call("DELETE", path() + "/" + owner, null);
        if (204 != response.status() && 404 != response.status())
        {
            throw refused(response, "releasing the container's address on cluster network " + network);
        }
    }

    @Override
    public void release()
    {
        try
        {
            delete();
        }
        catch (final CniException ex)
        {
            err.println("vireo-cni: releasing the address failed: " + ex.getMessage());
        }
    }

    private String path()
    {
        return "/v1/networks/" + network + "/addresses";
    }

    private ControlApi.Response call(final String method, final String path, final Object body)
    {
        return DaemonRequests.call(control, method, path, body);
    }

    /** A daemon that is not in a cluster (409) has no addresses to give: the config is wrong. */
    private static CniException refused(final ControlApi.Response response, final String what)
    {
        return 409 == response.status() ?
            new CniException(CniException.INVALID_CONFIG, what + ": " + DaemonRequests.json(response).path("error").asText()) :
            DaemonRequests.refused(response, what);
    }
}
