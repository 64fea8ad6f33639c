package io.vireo.vswitch.control;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Serves {@link ControlApi} as HTTP/1.1 + JSON on a unix domain socket ({@link DomainSocketHttpServer}),
 * so {@code vireoctl}, the CNI plugin and {@code curl --unix-socket} all speak one API.
 * <p>
 * {@code POST /v1/cni} (the CNI plugin's calls, which run IPAM plugins and {@code ip} and may take a
 * while) and the cluster's paths ({@link ClusterApi}, which may wait on the etcd store) run on threads of
 * their own, so they never hold up the event loop that answers everything else.
 * A blocking query of the service registry ({@link RegistryApi}) is answered when it is done waiting, from
 * the thread that ends the wait.
 */
public final class ControlServer implements AutoCloseable
{
    private static final String CNI_PATH = "/v1/cni";
    private static final int CNI_THREADS = 4;

    private final DomainSocketHttpServer server;
    private final ExecutorService cniCalls;

    private ControlServer(final DomainSocketHttpServer server, final ExecutorService cniCalls)
    {
        this.server = server;
        this.cniCalls = cniCalls;
    }

    /**
     * Binds the socket, replacing a stale one left by a daemon that died.
     *
     * @param cni answers {@code POST /v1/cni} with its body: 200 and text, or an error and JSON.
     * @throws IllegalStateException if a live daemon already serves this socket.
     */
    public static ControlServer start(final ControlApi api, final Function<String, ControlApi.Response> cni,
        final Path socketPath)
    {
        final AtomicInteger threads = new AtomicInteger();
        final ExecutorService cniCalls = Executors.newFixedThreadPool(CNI_THREADS, task ->
        {
            final Thread thread = new Thread(task, "vireo-cni-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            return new ControlServer(DomainSocketHttpServer.start(socketPath, (ctx, request) ->
            {
                if (CNI_PATH.equals(request.uri()) && HttpMethod.POST.equals(request.method()) &&
                    request.decoderResult().isSuccess())
                {
                    final String body = request.content().toString(StandardCharsets.UTF_8);
                    final boolean keepAlive = HttpUtil.isKeepAlive(request);
                    cniCalls.execute(() ->
                    {
                        final ControlApi.Response answer = cni.apply(body);
                        if (200 == answer.status())
                        {
                            HttpResponder.respond(ctx, keepAlive, 200, HttpHeaderValues.TEXT_PLAIN, answer.body());
                        }
                        else
                        {
                            respond(ctx, keepAlive, answer);
                        }
                    });
                    return;
                }
                if (ClusterApi.handles(ControlApi.stripQuery(request.uri())) && request.decoderResult().isSuccess())
                {
                    final String method = request.method().name();
                    final String uri = request.uri();
                    final String body = request.content().toString(StandardCharsets.UTF_8);
                    final boolean keepAlive = HttpUtil.isKeepAlive(request);
                    cniCalls.execute(() -> respond(ctx, keepAlive, api.handle(method, uri, body)));
                    return;
                }
                if (RegistryApi.isBlockingQuery(request.method().name(), request.uri()) &&
                    request.decoderResult().isSuccess())
                {
                    answerLater(ctx, HttpUtil.isKeepAlive(request), api.blockingQuery(request.uri()));
                    return;
                }
                final ControlApi.Response response = request.decoderResult().isSuccess() ?
                    api.handle(request.method().name(), request.uri(), request.content().toString(StandardCharsets.UTF_8)) :
                    ControlApi.error(400, "malformed HTTP request: " + request.decoderResult().cause());
                respond(ctx, HttpUtil.isKeepAlive(request), response);
            }), cniCalls);
        }
        catch (final RuntimeException ex)
        {
            cniCalls.shutdown();
            throw ex;
        }
    }

    public Path socketPath()
    {
        return server.socketPath();
    }

    /** Renames the socket to {@code target}, replacing what is there in one step ({@link DomainSocketHttpServer#moveTo}). */
    public void moveTo(final Path target)
    {
        server.moveTo(target);
    }

    @Override
    public void close()
    {
        server.close();
        cniCalls.shutdownNow();
    }

    /** Answers once {@code answer} completes; a client that goes away first lets it go. */
    private static void answerLater(
        final ChannelHandlerContext ctx, final boolean keepAlive, final CompletableFuture<ControlApi.Response> answer)
    {
        final ChannelFutureListener cancel = closed -> answer.cancel(false);
        ctx.channel().closeFuture().addListener(cancel);
        answer.whenComplete((response, failure) ->
        {
            ctx.channel().closeFuture().removeListener(cancel);
            respond(ctx, keepAlive, null != response ? response : ControlApi.error(500, "internal error: " + failure));
        });
    }

    private static void respond(final ChannelHandlerContext ctx, final boolean keepAlive, final ControlApi.Response response)
    {
        HttpResponder.respond(ctx, keepAlive, response.status(), HttpHeaderValues.APPLICATION_JSON, response.body() + "\n");
    }
}
