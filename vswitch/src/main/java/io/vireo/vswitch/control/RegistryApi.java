package io.vireo.vswitch.control;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vireo.vswitch.registry.ServiceInstance;
import io.vireo.vswitch.registry.ServiceRegistry;

/**
 * The {@code /v1/registry} paths of the control API, over a {@link ServiceRegistry}:
 * <pre>
 * GET    /v1/registry                    {"index": N, "services": [{"service": "web", "index": 7, "instances": [..]}]}
 * GET    /v1/registry/{service}          {"service": "web", "index": 7, "instances": [{"service": "web", "id": "web-1",
 *                                         "address": "10.0.0.5", "port": 80, "metadata": {}, "leaseSeconds": 30,
 *                                         "owner": null}]}   (a service never registered: index 0, no instances)
 *        ?index=N&amp;wait=SECONDS          either, as a blocking query: answered once the index is above N, or after
 *                                        the wait (default 30, at most 300 s) with what is there then
 * POST   /v1/registry/{service}          {"id": "web-1", "address": "10.0.0.5", "port": 80, "metadata": {"zone": "a"},
 *                                         "leaseSeconds": 30, "owner": ".."}   register; the same id replaces
 * GET    /v1/registry/{service}/{id}     one live instance
 * PUT    /v1/registry/{service}/{id}     heartbeat: renews the lease; 404 if the registry has no such live
 *                                        instance (register again)
 * DELETE /v1/registry/{service}/{id}     deregister
 * </pre>
 * Blocking queries never wait on the event loop nor under {@link ControlApi}'s lock: {@link ControlServer}
 * answers them from {@link #blockingQuery}'s future.
 */
public final class RegistryApi
{
    /** Request body of {@code POST /v1/registry/{service}}. */
    public record RegisterRequest(
        String id, String address, Integer port, Map<String, String> metadata, Integer leaseSeconds, String owner)
    {
    }

    /** An answer, and whether it changed what the daemon saves: an instance with no lease came, changed or went. */
    record Answer(ControlApi.Response response, boolean savedStateChanged)
    {
    }

    /** How long a blocking query waits when it does not say. */
    static final int DEFAULT_WAIT_SECONDS = 30;
    /** The longest a blocking query may wait. */
    static final int MAX_WAIT_SECONDS = 300;

    private static final String PATH = "/v1/registry";

    private final ServiceRegistry registry;

    RegistryApi(final ServiceRegistry registry)
    {
        this.registry = registry;
    }

    /** True for {@code /v1/registry} and every path under it (without the query). */
    static boolean handles(final String path)
    {
        return PATH.equals(path) || path.startsWith(PATH + "/");
    }

    /** True for a GET with a query of {@code /v1/registry} or {@code /v1/registry/{service}}: a blocking query. */
    static boolean isBlockingQuery(final String method, final String uri)
    {
        final int query = uri.indexOf('?');
        if (!"GET".equals(method) || query < 0 || query == uri.length() - 1)
        {
            return false;
        }
        final String path = uri.substring(0, query);
        return PATH.equals(path) || path.startsWith(PATH + "/") && path.indexOf('/', PATH.length() + 1) < 0;
    }

    Answer handle(final String method, final String path, final String body) throws JsonProcessingException
    {
        final String[] parts = path.substring(PATH.length()).split("/", -1);
        try
        {
            if (1 == parts.length)
            {
                ControlApi.requireMethod(method, "GET");
                return new Answer(all(), false);
            }
            if (parts[1].isEmpty() || parts.length > 3 || 3 == parts.length && parts[2].isEmpty())
            {
                return new Answer(ControlApi.error(404, "no such path " + path), false);
            }
            return 2 == parts.length ? service(method, parts[1], body) : instance(method, parts[1], parts[2]);
        }
        catch (final IllegalArgumentException ex)
        {
            return new Answer(ControlApi.error(400, ex.getMessage()), false);
        }
    }

    /**
     * Answers a blocking query (see {@link #isBlockingQuery}) when the index passes the query's or its wait is over;
     * at once if the query is invalid. Cancelling the future lets the registry forget the wait.
     */
    CompletableFuture<ControlApi.Response> blockingQuery(final String uri)
    {
        final int mark = uri.indexOf('?');
        final String path = uri.substring(0, mark);
        final String service = PATH.equals(path) ? null : path.substring(PATH.length() + 1);
        final long index;
        final int waitSeconds;
        final CompletableFuture<Long> watch;
        try
        {
            final Map<String, String> query =
                QueryParameters.parse(uri.substring(mark + 1), "a blocking query", List.of("index", "wait"));
            if (!query.containsKey("index"))
            {
                throw new IllegalArgumentException("a blocking query needs index=N, the index of the answer you have");
            }
            index = QueryParameters.number(query.get("index"), "index");
            final long wait =
                query.containsKey("wait") ? QueryParameters.number(query.get("wait"), "wait") : DEFAULT_WAIT_SECONDS;
            if (wait < 1 || wait > MAX_WAIT_SECONDS)
            {
                throw new IllegalArgumentException("wait must be 1.." + MAX_WAIT_SECONDS + " seconds, not " + wait);
            }
            waitSeconds = (int)wait;
            watch = registry.watch(service, index);
        }
        catch (final IllegalArgumentException ex)
        {
            return CompletableFuture.completedFuture(ControlApi.error(400, ex.getMessage()));
        }
        final CompletableFuture<ControlApi.Response> answer = watch.completeOnTimeout(index, waitSeconds, TimeUnit.SECONDS)
            .thenApply(passed -> listing(service));
        answer.whenComplete((response, failure) -> watch.cancel(false));
        return answer;
    }

    private Answer service(final String method, final String service, final String body) throws JsonProcessingException
    {
        if ("GET".equals(method))
        {
            return new Answer(ControlApi.ok(registry.service(service)), false);
        }
        ControlApi.requireMethod(method, "POST");
        final RegisterRequest request = ControlApi.parse(body, RegisterRequest.class);
        ControlApi.required(request.id(), "id");
        ControlApi.required(request.address(), "address");
        ControlApi.required(request.port(), "port");
        final ServiceInstance previous = registry.instance(service, request.id());
        final ServiceInstance registered = registry.register(service, request.id(), request.address(), request.port(),
            request.metadata(), null == request.leaseSeconds() ? ServiceRegistry.DEFAULT_LEASE_SECONDS : request.leaseSeconds(),
            request.owner());
        return new Answer(ControlApi.created(registered), isSaved(registered) || isSaved(previous));
    }

    private Answer instance(final String method, final String service, final String id) throws JsonProcessingException
    {
        switch (method)
        {
            case "GET":
                final ServiceInstance instance = registry.instance(service, id);
                return new Answer(null == instance ? noInstance(service, id, "") : ControlApi.ok(instance), false);
            case "PUT":
                final ServiceInstance renewed = registry.renew(service, id);
                return new Answer(null == renewed ?
                    noInstance(service, id, " (its lease ran out, or it never registered): register it again") :
                    ControlApi.ok(renewed), false);
            default:
                ControlApi.requireMethod(method, "DELETE");
                final ServiceInstance deregistered = registry.deregister(service, id);
                return new Answer(null == deregistered ? noInstance(service, id, "") :
                    ControlApi.ok(Map.of("deleted", id)), isSaved(deregistered));
        }
    }

    private ControlApi.Response all() throws JsonProcessingException
    {
        final Map<String, Object> result = new LinkedHashMap<>();
        // The index first: a change between the two reads shows in the services, and the next query sees it again.
        result.put("index", registry.index());
        result.put("services", registry.services());
        return ControlApi.ok(result);
    }

    private ControlApi.Response listing(final String service)
    {
        try
        {
            return null == service ? all() : ControlApi.ok(registry.service(service));
        }
        catch (final JsonProcessingException ex)
        {
            return ControlApi.error(500, "internal error: " + ex);
        }
    }

    /** An instance with no lease is kept in the daemon's state. */
    private static boolean isSaved(final ServiceInstance instance)
    {
        return null != instance && 0 == instance.leaseSeconds();
    }

    private static ControlApi.Response noInstance(final String service, final String id, final String hint)
    {
        return ControlApi.error(404, "service " + service + " has no instance " + id + hint);
    }
}
