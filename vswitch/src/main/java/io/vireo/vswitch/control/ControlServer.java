package io.vireo.vswitch.control;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

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
        return new ControlServer(DomainSocketHttpServer.start(socketPath, () -> new RequestHandler(api)));
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

    private static final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest>
    {
        private final ControlApi api;

        RequestHandler(final ControlApi api)
        {
            this.api = api;
        }

        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
        {
            final ControlApi.Response response = request.decoderResult().isSuccess() ?
                api.handle(request.method().name(), request.uri(), request.content().toString(StandardCharsets.UTF_8)) :
                ControlApi.error(400, "malformed HTTP request: " + request.decoderResult().cause());

            final FullHttpResponse http = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(response.status()),
                Unpooled.copiedBuffer(response.body() + "\n", StandardCharsets.UTF_8));
            http.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            HttpUtil.setContentLength(http, http.content().readableBytes());
            final boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(http, keepAlive);
            final var written = ctx.writeAndFlush(http);
            if (!keepAlive)
            {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            ctx.close();
        }
    }
}
