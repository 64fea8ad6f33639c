package io.vireo.vswitch.control;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.vireo.cluster.ClusterNode;
import io.vireo.vswitch.core.PolicySpec;
import io.vireo.vswitch.core.RateLimit;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoException;
import io.vireo.vswitch.core.VxlanSpec;
import io.vireo.vswitch.registry.ServiceRegistry;
import org.agrona.LangUtil;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The control API, independent of transport: a method, a path and a JSON body in; a status and a
 * JSON body out. Versioned paths:
 * <pre>
 * GET    /v1/bridges             list bridges
 * POST   /v1/bridges             {"name": "br0", "agingSeconds": 300}
 *                                {"name": "br1", "vxlan": {"vni": 42, "local": "192.0.2.1", "port": 4789,
 *                                 "ttl": 64, "mtu": 1450, "learnAnyPeer": false}}
 * DELETE /v1/bridges/{name}      delete a bridge and its ports
 * GET    /v1/ports               list ports with counters ({@link PortApi})
 * GET    /v1/ports/{name}        one port
 * POST   /v1/ports               {"bridge": "br0", "name": "tapA", "type": "tap", "netns": "ns1",
 *                                 "ip": "10.0.0.1/24", "mac": "02:00:00:00:00:01", "mtu": 1500, "offloads": true,
 *                                 "owner": "cni"}   (owner: what manages the port; such ports are not saved)
 *                                {"bridge": "br0", "name": "vm1", "type": "vhost-user",
 *                                 "socket": "/run/vireo/vm1.sock", "client": false, "thread": 1}
 *                                (thread: the forwarding thread that receives from a port with one queue)
 *                                {"bridge": "br0", "name": "eth1", "type": "af-packet"}   (an existing interface)
 * PATCH  /v1/ports/{name}        {"thread": 1}   move a port with one queue to another forwarding thread;
 *                                {"ingress": {"rate": 100000000, "burst": 1000000}, "egress": {"rate": 0}}
 *                                rate limits (bits/s, bytes; rate 0 removes one; POST /v1/ports takes them too);
 *                                {"location": {"netns": "/var/run/docker/netns/..", "ip": "10.0.0.2/24"}} where
 *                                the owner of a TAP port put its interface (shown, not acted on)
 * DELETE /v1/ports/{name}        delete a port
 * GET    /v1/threads             forwarding threads: CPU, kernel thread id, ports each receives from, heap bytes allocated
 * GET    /v1/fdb/{bridge}        forwarding table of a bridge
 * GET    /v1/stats               counters of every port
 * GET    /v1/policy/{bridge}     endpoint policy: default action and rules in evaluation order
 * POST   /v1/policy/{bridge}     {"priority": 200, "action": "deny", "src": "10.0.0.0/24", "dst": "10.0.0.2",
 *                                 "protocol": "tcp", "dstPorts": "5000-5001", "srcMac": .., "dstMac": .., "srcPorts": ..}
 * DELETE /v1/policy/{bridge}/{id}  delete a rule
 * PUT    /v1/policy/{bridge}/default  {"action": "deny"}
 * GET    /v1/vxlan/{bridge}/peers     VXLAN peers of a bridge
 * POST   /v1/vxlan/{bridge}/peers     {"address": "192.0.2.2"}
 * DELETE /v1/vxlan/{bridge}/peers/{address}  remove a peer and the MACs learned behind it
 * GET    /v1/routers             routers ({@link RouterApi})
 * POST   /v1/routers             {"name": "r1"}
 * GET    /v1/routers/{name}      one router and its interfaces
 * DELETE /v1/routers/{name}      delete a router, its interfaces and routes
 * POST   /v1/routers/{name}/interfaces  {"bridge": "br0", "ip": ["10.0.0.1/24", "fd00::1/64"], "mac": .., "mtu": 1500}
 * DELETE /v1/routers/{name}/interfaces/{bridge}  take the router off a bridge
 * GET    /v1/routers/{name}/routes      connected and static routes
 * POST   /v1/routers/{name}/routes      {"prefix": "10.2.0.0/16", "via": "10.0.0.254"}
 * DELETE /v1/routers/{name}/routes/{prefix}  e.g. /v1/routers/r1/routes/10.2.0.0/16
 * GET    /v1/routers/{name}/nat         address translation rules
 * POST   /v1/routers/{name}/nat         {"type": "masquerade", "out": "up", "from": "10.1.0.0/16"}
 *                                       {"type": "publish", "protocol": "tcp", "port": 8080, "to": "10.1.0.2:80", "on": "up"}
 * DELETE /v1/routers/{name}/nat/{id}    delete a rule
 * GET    /v1/routers/{name}/services    load-balanced services, backends with state and figures
 * POST   /v1/routers/{name}/services    {"name": "web", "vip": "10.96.0.10:80", "protocol": "tcp", "algorithm": "wrr",
 *                                        "registry": "web", "backends": [{"address": "10.1.0.2:80", "weight": 2}],
 *                                        "health": {"enabled": true, "intervalMs": 2000, "timeoutMs": 1000, "rise": 2, "fall": 3}}
 *                                       (algorithm rr, wrr, least-conn, source-hash or maglev; registry: take backends
 *                                       from that registry service too)
 * GET    /v1/routers/{name}/services/{service}  one service
 * DELETE /v1/routers/{name}/services/{service}  delete it; its connections end
 * POST   /v1/routers/{name}/services/{service}/backends  {"address": "10.1.0.3:80", "weight": 1}
 * DELETE /v1/routers/{name}/services/{service}/backends/{ip:port}  take a backend out; only its connections end
 * GET    /v1/routers/{name}/dns         its DNS server's settings and the queries answered, by outcome
 * PUT    /v1/routers/{name}/dns         {"enabled": true, "domain": "svc.vireo", "ttl": 5, "upstream": "10.0.0.53:53"}
 *                                       (fields left out stay; "upstream": "" removes it)
 * GET    /v1/routers/{name}/conntrack   the connections its NAT tracks, a page at a time: ?from=N&amp;limit=M (from 0,
 *                                       limit 1..1,000,000, default 100,000); "next" is the next page's from, absent
 *                                       on the last page
 * DELETE /v1/routers/{name}/conntrack   forget them
 * GET    /v1/captures            packet captures
 * POST   /v1/captures            {"port": "tapA", "file": "/tmp/a.pcap", "count": 100}   (count optional)
 * GET    /v1/captures/{id}       one capture: frames captured and dropped, running
 * DELETE /v1/captures/{id}       end a capture; its file is complete
 * GET    /v1/registry            the service registry: every service with live instances ({@link RegistryApi})
 * GET    /v1/registry/{service}  a service's live instances and index; ?index=N&amp;wait=SECONDS: a blocking query
 * POST   /v1/registry/{service}  {"id": "web-1", "address": "10.0.0.5", "port": 80, "metadata": {..}, "leaseSeconds": 30}
 * GET    /v1/registry/{service}/{id}  one instance
 * PUT    /v1/registry/{service}/{id}  heartbeat: renews the lease (404: register again)
 * DELETE /v1/registry/{service}/{id}  deregister
 * GET    /v1/cluster             this node of a cluster, and the cluster as it sees it ({@link ClusterApi})
 * GET    /v1/networks            the cluster's networks; POST one: {"name": "blue", "vni": 100, "subnet": "10.1.0.0/16"}
 * DELETE /v1/networks/{name}     a cluster network, on every node
 * </pre>
 * Errors are {@code {"error": "one line"}} with 400 (bad request), 404 (no such object or path),
 * 405 (method), 409 (conflict) or 500 (the kernel or the switch failed, or the change was made but its
 * {@link ChangeListener} failed).
 */
public final class ControlApi
{
    /** Request body of {@code POST /v1/bridges}. */
    public record BridgeRequest(String name, Long agingSeconds, VxlanSpec vxlan)
    {
    }

    /** Request body of {@code POST /v1/captures}. */
    public record CaptureRequest(String port, String file, Long count)
    {
    }

    /** Request body of {@code POST /v1/vxlan/{bridge}/peers}. */
    public record PeerRequest(String address)
    {
    }

    /** Request body of {@code POST /v1/ports}. */
    public record PortRequest(
        String bridge, String name, String type, String netns, String ip, String mac, Integer mtu, Boolean offloads,
        String socket, Boolean client, String owner, Integer thread, RateLimit ingress, RateLimit egress)
    {
    }

    /** Request body of {@code PATCH /v1/ports/{name}}: each field present changes that. */
    public record PortChange(Integer thread, RateLimit ingress, RateLimit egress, PortLocation location)
    {
    }

    /** Where a port's owner put its interface: a namespace (path) and an address; see {@code Vireo#locatePort}. */
    public record PortLocation(String netns, String ip)
    {
    }

    /** Request body of {@code POST /v1/routers}. */
    public record RouterRequest(String name)
    {
    }

    /** Request body of {@code POST /v1/routers/{name}/interfaces}. */
    public record InterfaceRequest(String bridge, List<String> ip, String mac, Integer mtu)
    {
    }

    /** Request body of {@code POST /v1/routers/{name}/routes}. */
    public record RouteRequest(String prefix, String via)
    {
    }

    /** Request body of {@code PUT /v1/policy/{bridge}/default}. */
    public record DefaultPolicyRequest(String action)
    {
    }

    /**
     * Told after every request that changed the switch or an instance of the registry with no lease ({@code vireod}
     * saves its state there).
     */
    @FunctionalInterface
    public interface ChangeListener
    {
        /** @throws IOException reported to the client as a 500 that says the change itself was made. */
        void switchChanged() throws IOException;
    }

    /** A status and a JSON body. */
    public record Response(int status, String body)
    {
    }

    static final ObjectMapper JSON = new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Vireo vireo;
    private final ChangeListener changeListener;
    private final RegistryApi registryApi;
    private final ClusterApi clusterApi;
    private final RouterApi routerApi;
    private final PortApi portApi;

    public ControlApi(final Vireo vireo)
    {
        this(vireo, () -> { });
    }

    /** With a service registry of its own: its blocking queries are answered in the thread that changes it. */
    public ControlApi(final Vireo vireo, final ChangeListener changeListener)
    {
        this(vireo, new ServiceRegistry(SystemNanoClock.INSTANCE, Runnable::run, LangUtil::rethrowUnchecked), changeListener);
    }

    /**
     * @param changeListener told after every request that changed the switch, or an instance of the registry that
     *                       has no lease (heartbeats and leased instances are not saved, so they tell it nothing).
     */
    public ControlApi(final Vireo vireo, final ServiceRegistry registry, final ChangeListener changeListener)
    {
        this(vireo, registry, null, changeListener);
    }

    /** @param cluster this node of a cluster ({@link ClusterApi}); null when vireod is not in one. */
    public ControlApi(
        final Vireo vireo, final ServiceRegistry registry, final ClusterNode cluster, final ChangeListener changeListener)
    {
        this.vireo = vireo;
        this.changeListener = changeListener;
        this.registryApi = new RegistryApi(registry);
        this.clusterApi = new ClusterApi(cluster);
        this.routerApi = new RouterApi(vireo.gateway());
        this.portApi = new PortApi(vireo);
    }

    /**
     * Answers one request; requests from several threads (the event loop, CNI calls in the daemon) take turns,
     * but for the cluster's, which may wait on the store and so take no lock here.
     */
    public Response handle(final String method, final String rawPath, final String body)
    {
        final String path = stripQuery(rawPath);
        final String query = rawPath.length() > path.length() ? rawPath.substring(path.length() + 1) : "";
        if (ClusterApi.handles(path))
        {
            return answer(() -> clusterApi.handle(method, path, body));
        }
        synchronized (this)
        {
            return answer(() ->
            {
                if (RegistryApi.handles(path))
                {
                    final RegistryApi.Answer answer = registryApi.handle(method, path, body);
                    return answer.savedStateChanged() ? changed(answer.response()) : answer.response();
                }
                final Response response = route(method, path, query, body);
                return !"GET".equals(method) && response.status() < 300 ? changed(response) : response;
            });
        }
    }

    @FunctionalInterface
    private interface Request
    {
        Response answer() throws JsonProcessingException;
    }

    /** A request's response, or the error response for what it threw. */
    private static Response answer(final Request request)
    {
        try
        {
            return request.answer();
        }
        catch (final VireoException ex)
        {
            return error(statusOf(ex.kind()), ex.getMessage());
        }
        catch (final UnrecognizedPropertyException ex)
        {
            return error(400, "unknown field '" + ex.getPropertyName() + "'; known fields: " +
                ex.getKnownPropertyIds());
        }
        catch (final JsonProcessingException ex)
        {
            return error(400, "malformed JSON: " + ex.getOriginalMessage());
        }
        catch (final MethodNotAllowed ex)
        {
            return error(405, ex.getMessage());
        }
        catch (final InvalidPathException ex)
        {
            return error(400, "invalid path: " + ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            return error(500, "internal error: " + ex);
        }
    }

    /**
     * A blocking query of the registry ({@link RegistryApi}): the answer once the index passes the query's or its
     * wait is over. Takes no lock while it waits; cancel it to stop waiting.
     */
    CompletableFuture<Response> blockingQuery(final String uri)
    {
        return registryApi.blockingQuery(uri);
    }

    private Response changed(final Response response)
    {
        try
        {
            changeListener.switchChanged();
            return response;
        }
        catch (final IOException ex)
        {
            return error(500, "done, but " + ex.getMessage());
        }
    }

    /** @param query the request's query, after the '?' (empty for none): only a listing of connections takes one. */
    private Response route(final String method, final String path, final String query, final String body)
        throws JsonProcessingException
    {
        final String[] parts = path.split("/", -1);
        if (parts.length < 3 || !parts[0].isEmpty() || !"v1".equals(parts[1]))
        {
            return error(404, "no such path " + path + "; the API is under /v1/");
        }
        final String collection = parts[2];
        final String name = parts.length > 3 ? parts[3] : null;
        if ("policy".equals(collection) && null != name && !name.isEmpty() && parts.length <= 5)
        {
            return policy(method, name, parts.length > 4 ? parts[4] : null, body);
        }
        if ("routers".equals(collection) && parts.length > 4 && null != name && !name.isEmpty())
        {
            return routerApi.items(method, name, parts, query, body);
        }
        if ("vxlan".equals(collection) && null != name && !name.isEmpty() && parts.length >= 5 && parts.length <= 6 &&
            "peers".equals(parts[4]))
        {
            return vxlanPeers(method, name, parts.length > 5 ? parts[5] : null, body);
        }
        if (parts.length > 4 || "".equals(name))
        {
            return error(404, "no such path " + path);
        }
        switch (collection)
        {
            case "bridges":
                return bridges(method, name, body);
            case "ports":
                return portApi.ports(method, name, body);
            case "fdb":
                if (null == name)
                {
                    return error(404, "name the bridge: /v1/fdb/{bridge}");
                }
                requireMethod(method, "GET");
                return ok(Map.of("bridge", name, "entries", vireo.fdb(name)));
            case "captures":
                return captures(method, name, body);
            case "routers":
                return routerApi.routers(method, name, body);
            case "threads":
                requireMethod(method, "GET");
                if (null != name)
                {
                    return error(404, "no such path " + path);
                }
                return ok(vireo.threads());
            case "stats":
                requireMethod(method, "GET");
                return ok(Map.of("ports", PortApi.statsOf(vireo.ports())));
            default:
                return error(404, "no such path " + path);
        }
    }

    private Response bridges(final String method, final String name, final String body) throws JsonProcessingException
    {
        if (null == name)
        {
            if ("GET".equals(method))
            {
                return ok(vireo.bridges());
            }
            requireMethod(method, "POST");
            final BridgeRequest request = parse(body, BridgeRequest.class);
            required(request.name(), "name");
            return created(vireo.addBridge(request.name(), request.agingSeconds(), request.vxlan()));
        }
        requireMethod(method, "DELETE");
        vireo.deleteBridge(name);
        return ok(Map.of("deleted", name));
    }

    private Response policy(final String method, final String bridge, final String item, final String body)
        throws JsonProcessingException
    {
        if (null == item)
        {
            if ("GET".equals(method))
            {
                final Map<String, Object> result = new LinkedHashMap<>();
                result.put("bridge", bridge);
                result.put("default", vireo.defaultPolicy(bridge));
                result.put("rules", vireo.policies(bridge));
                return ok(result);
            }
            requireMethod(method, "POST");
            final PolicySpec rule = parse(body, PolicySpec.class);
            if (null != rule.id())
            {
                throw new VireoException(VireoException.Kind.INVALID, "id is assigned by the switch; leave it out");
            }
            required(rule.action(), "action");
            return created(vireo.addPolicy(bridge, rule));
        }
        if ("default".equals(item))
        {
            requireMethod(method, "PUT");
            final DefaultPolicyRequest request = parse(body, DefaultPolicyRequest.class);
            required(request.action(), "action");
            vireo.defaultPolicy(bridge, request.action());
            return ok(Map.of("bridge", bridge, "default", vireo.defaultPolicy(bridge)));
        }
        requireMethod(method, "DELETE");
        final int id;
        try
        {
            id = Integer.parseInt(item);
        }
        catch (final NumberFormatException ex)
        {
            return error(404, "no such path: policy rule ids are numbers, not '" + item + "'");
        }
        vireo.deletePolicy(bridge, id);
        return ok(Map.of("deleted", id));
    }

    private Response captures(final String method, final String id, final String body) throws JsonProcessingException
    {
        if (null == id)
        {
            if ("GET".equals(method))
            {
                return ok(vireo.captures());
            }
            requireMethod(method, "POST");
            final CaptureRequest request = parse(body, CaptureRequest.class);
            required(request.port(), "port");
            required(request.file(), "file");
            return created(vireo.startCapture(request.port(), Path.of(request.file()), request.count()));
        }
        final int number;
        try
        {
            number = Integer.parseInt(id);
        }
        catch (final NumberFormatException ex)
        {
            return error(404, "no such path: capture ids are numbers, not '" + id + "'");
        }
        if ("GET".equals(method))
        {
            return ok(vireo.capture(number));
        }
        requireMethod(method, "DELETE");
        return ok(vireo.stopCapture(number));
    }

    private Response vxlanPeers(final String method, final String bridge, final String address, final String body)
        throws JsonProcessingException
    {
        if (null == address)
        {
            if ("GET".equals(method))
            {
                return ok(Map.of("bridge", bridge, "peers", vireo.overlay().vxlanPeers(bridge)));
            }
            requireMethod(method, "POST");
            final PeerRequest request = parse(body, PeerRequest.class);
            required(request.address(), "address");
            return created(Map.of("bridge", bridge, "peers", vireo.overlay().addVxlanPeer(bridge, request.address())));
        }
        requireMethod(method, "DELETE");
        vireo.overlay().deleteVxlanPeer(bridge, address);
        return ok(Map.of("deleted", address));
    }

    static <T> T parse(final String body, final Class<T> type) throws JsonProcessingException
    {
        if (null == body || body.isBlank())
        {
            throw new VireoException(VireoException.Kind.INVALID, "request body is empty; expected a JSON object");
        }
        final T value = JSON.readValue(body, type);
        if (null == value)
        {
            throw new VireoException(VireoException.Kind.INVALID, "request body is null; expected a JSON object");
        }
        return value;
    }

    static void required(final Object value, final String field)
    {
        if (null == value)
        {
            throw new VireoException(VireoException.Kind.INVALID, "missing field '" + field + "'");
        }
    }

    static void requireMethod(final String method, final String allowed)
    {
        if (!allowed.equals(method))
        {
            throw new MethodNotAllowed(method + " not allowed here; use " + allowed);
        }
    }

    static String stripQuery(final String path)
    {
        final int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }

    private static int statusOf(final VireoException.Kind kind)
    {
        switch (kind)
        {
            case INVALID: return 400;
            case NOT_FOUND: return 404;
            case CONFLICT: return 409;
            default: return 500;
        }
    }

    static Response ok(final Object value) throws JsonProcessingException
    {
        return new Response(200, JSON.writeValueAsString(value));
    }

    static Response created(final Object value) throws JsonProcessingException
    {
        return new Response(201, JSON.writeValueAsString(value));
    }

    /** {@code {"error": message}} on one line: a line break the message quotes (a name, a path) is written as {@code \n}. */
    public static Response error(final int status, final String message)
    {
        try
        {
            return new Response(status, JSON.writeValueAsString(Map.of("error", message.replace("\r", "\\r").replace("\n", "\\n"))));
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static final class MethodNotAllowed extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        MethodNotAllowed(final String message)
        {
            super(message);
        }
    }
}
