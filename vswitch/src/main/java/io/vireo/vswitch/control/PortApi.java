package io.vireo.vswitch.control;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vireo.vswitch.core.PortInfo;
import io.vireo.vswitch.core.RateLimit;
import io.vireo.vswitch.core.TapPortSpec;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoException;

import static io.vireo.vswitch.control.ControlApi.created;
import static io.vireo.vswitch.control.ControlApi.ok;
import static io.vireo.vswitch.control.ControlApi.parse;
import static io.vireo.vswitch.control.ControlApi.requireMethod;
import static io.vireo.vswitch.control.ControlApi.required;

/**
 * The control API's ports: {@code /v1/ports[/{name}]}, adding each port type (placed and limited as asked, or not
 * added at all), changing a port's thread, rate limits or location, deleting it; and the rows of
 * {@code /v1/stats}. Called by {@link ControlApi}, under its lock, which turns what a call throws into an error
 * response.
 */
final class PortApi
{
    private final Vireo vireo;

    PortApi(final Vireo vireo)
    {
        this.vireo = vireo;
    }

    /** {@code /v1/ports} (list, add) and {@code /v1/ports/{name}} (show, change, delete). */
    ControlApi.Response ports(final String method, final String name, final String body) throws JsonProcessingException
    {
        if (null == name)
        {
            if ("GET".equals(method))
            {
                return ok(vireo.ports());
            }
            requireMethod(method, "POST");
            final ControlApi.PortRequest request = parse(body, ControlApi.PortRequest.class);
            required(request.bridge(), "bridge");
            required(request.name(), "name");
            final PortInfo port = addPort(request);
            return created(null == request.thread() && null == request.ingress() && null == request.egress() ? port :
                placeNewPort(port.name(), request.thread(), request.ingress(), request.egress()));
        }
        if ("GET".equals(method))
        {
            return ok(vireo.port(name));
        }
        if ("PATCH".equals(method))
        {
            final ControlApi.PortChange change = parse(body, ControlApi.PortChange.class);
            if (null == change.thread() && null == change.ingress() && null == change.egress() && null == change.location())
            {
                throw new VireoException(VireoException.Kind.INVALID, "give thread, ingress, egress or location");
            }
            if (null != change.location())
            {
                vireo.locatePort(name, change.location().netns(), change.location().ip());
            }
            return ok(null == change.thread() && null == change.ingress() && null == change.egress() ? vireo.port(name) :
                vireo.changePort(name, change.thread(), change.ingress(), change.egress()));
        }
        requireMethod(method, "DELETE");
        vireo.deletePort(name);
        return ok(Map.of("deleted", name));
    }

    /**
     * A port just added goes to the thread asked for, with the limits asked for, or is deleted again: a
     * refused request leaves nothing behind.
     */
    private PortInfo placeNewPort(final String name, final Integer thread, final RateLimit ingress, final RateLimit egress)
    {
        try
        {
            return vireo.changePort(name, thread, ingress, egress);
        }
        catch (final RuntimeException ex)
        {
            vireo.deletePort(name);
            throw ex;
        }
    }

    private PortInfo addPort(final ControlApi.PortRequest request)
    {
        final String type = null == request.type() ? "tap" : request.type();
        switch (type)
        {
            case "tap":
                if (null != request.socket() || null != request.client())
                {
                    throw new VireoException(VireoException.Kind.INVALID, "socket and client are for vhost-user ports");
                }
                return vireo.addTapPort(request.bridge(), new TapPortSpec(
                    request.name(), request.netns(), request.ip(), request.mac(), request.mtu(), request.offloads()), request.owner());
            case "vhost-user":
                if (null != request.netns() || null != request.ip() || null != request.mac() || null != request.mtu() ||
                    null != request.offloads())
                {
                    throw new VireoException(VireoException.Kind.INVALID,
                        "netns, ip, mac, mtu and offloads are for tap ports; a vhost-user port takes socket and client");
                }
                required(request.socket(), "socket");
                return vireo.addVhostUserPort(request.bridge(), request.name(), Path.of(request.socket()),
                    Boolean.TRUE.equals(request.client()), request.owner());
            case "af-packet":
                if (null != request.netns() || null != request.ip() || null != request.mac() || null != request.mtu() ||
                    null != request.offloads() || null != request.socket() || null != request.client() || null != request.owner())
                {
                    throw new VireoException(VireoException.Kind.INVALID,
                        "an af-packet port attaches an existing interface as it is: it takes only bridge and name");
                }
                return vireo.addAfPacketPort(request.bridge(), request.name());
            default:
                throw new VireoException(VireoException.Kind.INVALID, "unsupported port type '" + type +
                    "'; supported: tap, vhost-user, af-packet");
        }
    }

    /** {@code /v1/stats}: each port's counters, with its bridge and state. */
    static List<Map<String, Object>> statsOf(final List<PortInfo> ports)
    {
        return ports.stream().map(port ->
        {
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("port", port.name());
            row.put("bridge", port.bridge());
            row.put("state", port.state());
            row.put("stats", port.stats());
            return row;
        }).toList();
    }
}
