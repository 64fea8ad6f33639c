package io.vireo.vswitch.control;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * How Vireo's HTTP servers (the control API, the Docker plugin, the metrics endpoint) take requests and
 * write responses: each request aggregated into one {@link FullHttpRequest}, each answer a whole HTTP/1.1
 * response with status, {@code Content-Type}, {@code Content-Length} and a UTF-8 body. A connection
 * whose handler throws is closed.
 */
public final class HttpResponder
{
    private HttpResponder()
    {
    }

    /** Answers one request. It may write the response later, from another thread, through {@code ctx}. */
    @FunctionalInterface
    public interface RequestHandler
    {
        void handle(ChannelHandlerContext ctx, FullHttpRequest request);
    }

    /**
     * Sets up each accepted connection of a server: HTTP/1.1 decoding, requests of up to
     * {@code maxRequestBytes} aggregated, each passed to {@code handler}.
     */
    public static ChannelInitializer<Channel> channelInitializer(final int maxRequestBytes, final RequestHandler handler)
    {
        return new ChannelInitializer<>()
        {
            @Override
            protected void initChannel(final Channel channel)
            {
                channel.pipeline()
                    .addLast(new HttpServerCodec())
                    .addLast(new HttpObjectAggregator(maxRequestBytes))
                    .addLast(new SimpleChannelInboundHandler<FullHttpRequest>()
                    {
                        @Override
                        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
                        {
                            handler.handle(ctx, request);
                        }

                        @Override
                        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
                        {
                            ctx.close();
                        }
                    });
            }
        };
    }

    /**
     * Writes a response and, unless {@code keepAlive} (the request's {@link HttpUtil#isKeepAlive}), says
     * {@code Connection: close} and closes the connection once it is written.
     */
    public static void respond(
        final ChannelHandlerContext ctx, final boolean keepAlive, final int status, final CharSequence contentType,
        final String body)
    {
        final FullHttpResponse response = response(status, contentType, body);
        HttpUtil.setKeepAlive(response, keepAlive);
        final ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive)
        {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Writes a response without a {@code Connection} header and closes the connection once it is written. */
    public static void respondAndClose(
        final ChannelHandlerContext ctx, final int status, final CharSequence contentType, final String body)
    {
        ctx.writeAndFlush(response(status, contentType, body)).addListener(ChannelFutureListener.CLOSE);
    }

    private static FullHttpResponse response(final int status, final CharSequence contentType, final String body)
    {
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(status), Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        return response;
    }
}
