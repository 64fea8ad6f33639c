package io.vireo.vswitch.control;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Serves {@link ControlApi} as HTTP/1.1 + JSON on a unix domain socket ({@link DomainSocketHttpServer}),
 * so {@code vireoctl}, the CNI plugin and {@code curl --unix-socket} all speak one API.
 */
public final class ControlServer implements AutoCloseable
{
    private final DomainSocketHttpServer server;

    private ControlServer(final DomainSocketHttpServer server)
    {
        this.server = server;
    }

    /**
     * Binds the socket, replacing a stale one left by a daemon that died.
     *
     * @throws IllegalStateException if a live daemon already serves this socket.
     */
    public static ControlServer start(final ControlApi api, final Path socketPath)
    {
        return new ControlServer(DomainSocketHttpServer.start(socketPath, (ctx, request) -> serve(api, ctx, request)));
    }

    public Path socketPath()
    {
        return server.socketPath();
    }

    @Override
    public void close()
    {
        server.close();
    }

    private static void serve(final ControlApi api, final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        final ControlApi.Response response = request.decoderResult().isSuccess() ?
            api.handle(request.method().name(), request.uri(), request.content().toString(StandardCharsets.UTF_8)) :
            ControlApi.error(400, "malformed HTTP request: " + request.decoderResult().cause());
        HttpResponder.respond(ctx, HttpUtil.isKeepAlive(request), response.status(), HttpHeaderValues.APPLICATION_JSON,
            response.body() + "\n");
    }
}
