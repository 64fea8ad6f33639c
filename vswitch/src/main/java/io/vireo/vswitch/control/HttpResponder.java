package io.vireo.vswitch.control;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;

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
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;

/**
 * How Vireo's HTTP servers (the control API, the Docker plugin, the metrics endpoint) take requests and
 * write responses: each request aggregated into one {@link FullHttpRequest}, each answer a whole HTTP/1.1
 * response with status, {@code Content-Type}, {@code Content-Length} and a UTF-8 body. A connection
 * whose handler throws is closed.
 * <p>
 * What a client may hold of a server is bounded: a request body of at most the server's limit (a larger
 * one is answered 413 and its connection closed), {@link #MAX_CONNECTIONS} connections at once (one more
 * takes the place of the oldest that waits for no answer), and a connection that sends nothing for {@link #IDLE_SECONDS}
 * while it waits for no answer (a request it never finishes, a keep-alive it never uses) is closed, so
 * slow or stuck clients cannot use up the daemon's file descriptors.
 */
public final class HttpResponder
{
    /** Connections a server keeps open at once. */
    public static final int MAX_CONNECTIONS = 256;
    /** Seconds a connection may stay silent while no answer to it is pending. */
    public static final int IDLE_SECONDS = 15;

    /** Set while a request of the connection is with its handler (a blocking query may take minutes). */
    private static final AttributeKey<Boolean> ANSWER_PENDING = AttributeKey.valueOf("vireo.answerPending");

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
        final Set<Channel> open = new LinkedHashSet<>();
        return new ChannelInitializer<>()
        {
            @Override
            protected void initChannel(final Channel channel)
            {
                if (!admit(open, channel))
                {
                    channel.close();
                    return;
                }
                channel.closeFuture().addListener(closed ->
                {
                    synchronized (open)
                    {
                        open.remove(channel);
                    }
                });
                channel.pipeline()
                    .addLast(new IdleStateHandler(IDLE_SECONDS, 0, 0))
                    .addLast(new HttpServerCodec())
                    .addLast(new HttpObjectAggregator(maxRequestBytes))
                    .addLast(new SimpleChannelInboundHandler<FullHttpRequest>()
                    {
                        @Override
                        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
                        {
                            ctx.channel().attr(ANSWER_PENDING).set(Boolean.TRUE);
                            handler.handle(ctx, request);
                        }

                        @Override
                        public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
                        {
                            if (event instanceof IdleStateEvent && !Boolean.TRUE.equals(ctx.channel().attr(ANSWER_PENDING).get()))
                            {
                                ctx.close();
                            }
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
     * Takes {@code channel} into {@code open}; at the limit, the oldest connection that waits for no answer
     * makes room (a client that is stuck or slow, not one being served), so stuck clients cannot lock out
     * new ones. False if every open connection waits for an answer.
     */
    private static boolean admit(final Set<Channel> open, final Channel channel)
    {
        Channel evicted = null;
        synchronized (open)
        {
            if (open.size() >= MAX_CONNECTIONS)
            {
                for (final Channel candidate : open)
                {
                    if (!Boolean.TRUE.equals(candidate.attr(ANSWER_PENDING).get()))
                    {
                        evicted = candidate;
                        break;
                    }
                }
                if (null == evicted)
                {
                    return false;
                }
                open.remove(evicted);
            }
            open.add(channel);
        }
        if (null != evicted)
        {
            evicted.close();
        }
        return true;
    }

    /**
     * Writes a response and, unless {@code keepAlive} (the request's {@link HttpUtil#isKeepAlive}), says
     * {@code Connection: close} and closes the connection once it is written.
     */
    public static void respond(
        final ChannelHandlerContext ctx, final boolean keepAlive, final int status, final CharSequence contentType,
        final String body)
    {
        ctx.channel().attr(ANSWER_PENDING).set(Boolean.FALSE);
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
        ctx.channel().attr(ANSWER_PENDING).set(Boolean.FALSE);
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
