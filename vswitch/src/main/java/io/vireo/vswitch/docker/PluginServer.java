package io.vireo.vswitch.docker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.DomainSocketHttpServer;
import io.vireo.vswitch.control.HttpResponder;

/**
 * Serves a {@link NetworkDriver} as HTTP/1.1 on a unix socket ({@link DomainSocketHttpServer}), where Docker looks for plugins:
 * {@code /run/docker/plugins/NAME.sock} makes the network driver {@code NAME}. The driver's calls to the
 * daemon block, so they run on a thread of their own, never on the socket's event loop.
 */
final class PluginServer implements AutoCloseable
{
    private final DomainSocketHttpServer server;
    private final ExecutorService driverThread;

    private PluginServer(final DomainSocketHttpServer server, final ExecutorService driverThread)
    {
        this.server = server;
        this.driverThread = driverThread;
    }

    /**
     * Binds the socket (creating its directory), replacing a stale one.
     *
     * @throws IllegalStateException if something already answers on it, or it cannot be bound.
     */
    static PluginServer start(final NetworkDriver driver, final Path socketPath)
    {
        final ExecutorService driverThread = Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "vireo-docker-driver");
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            return new PluginServer(
                DomainSocketHttpServer.start(socketPath, (ctx, request) -> serve(driver, driverThread, ctx, request)),
                driverThread);
        }
        catch (final RuntimeException ex)
        {
            driverThread.shutdown();
            throw ex;
        }
    }

    Path socketPath()
    {
        return server.socketPath();
    }

    @Override
    public void close()
    {
        server.close();
        driverThread.shutdown();
        try
        {
            driverThread.awaitTermination(2, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads each request on the event loop, answers it on the driver's thread, one at a time, in order. */
    private static void serve(
        final NetworkDriver driver, final ExecutorService driverThread, final ChannelHandlerContext ctx,
        final FullHttpRequest request)
    {
        final boolean decoded = request.decoderResult().isSuccess();
        final String method = request.method().name();
        final String uri = request.uri();
        final String body = request.content().toString(StandardCharsets.UTF_8);
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        driverThread.execute(() ->
        {
            final ControlApi.Response response = decoded ? driver.handle(method, uri, body) :
                new ControlApi.Response(400, "{\"Err\":\"malformed HTTP request\"}");
            HttpResponder.respond(ctx, keepAlive, response.status(), NetworkDriver.CONTENT_TYPE, response.body() + "\n");
        });
    }
}
