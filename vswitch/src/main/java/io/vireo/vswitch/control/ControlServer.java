package io.vireo.vswitch.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Serves {@link ControlApi} as HTTP/1.1 + JSON on a unix domain socket (Netty epoll), so
 * {@code vireoctl}, the CNI plugin and {@code curl --unix-socket} all speak one API. The socket is
 * created with mode 0660. Runs on one event-loop thread of its own.
 */
public final class ControlServer implements AutoCloseable
{
    private static final int MAX_REQUEST_BYTES = 1 << 20;

    private final Path socketPath;
    private final EventLoopGroup group;
    private final Channel channel;

    private ControlServer(final Path socketPath, final EventLoopGroup group, final Channel channel)
    {
        this.socketPath = socketPath;
        this.group = group;
        this.channel = channel;
    }

    /**
     * Binds the socket, replacing a stale one left by a daemon that died.
     *
     * @throws IllegalStateException if a live daemon already serves this socket.
     */
    public static ControlServer start(final ControlApi api, final Path socketPath)
    {
        if (Files.exists(socketPath))
        {
            if (ControlClient.isServing(socketPath))
            {
                throw new IllegalStateException("another vireod is already serving " + socketPath);
            }
            deleteStale(socketPath);
        }
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try
        {
            final Channel channel = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>()
                {
                    @Override
                    protected void initChannel(final Channel ch)
                    {
                        ch.pipeline()
                            .addLast(new HttpServerCodec())
                            .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                            .addLast(new RequestHandler(api));
                    }
                })
                .bind(new DomainSocketAddress(socketPath.toFile()))
                .syncUninterruptibly()
                .channel();
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-rw----"));
            return new ControlServer(socketPath, group, channel);
        }
        catch (final IOException | RuntimeException ex)
        {
            group.shutdownGracefully();
            throw new IllegalStateException("cannot serve the control socket " + socketPath + ": " + ex.getMessage(), ex);
        }
    }

    private static void deleteStale(final Path socketPath)
    {
        try
        {
            Files.delete(socketPath);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot remove stale socket " + socketPath + ": " + ex.getMessage(), ex);
        }
    }

    public Path socketPath()
    {
        return socketPath;
    }

    @Override
    public void close()
    {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        try
        {
            Files.deleteIfExists(socketPath);
        }
        catch (final IOException ignore)
        {
            // the run dir may already be gone; nothing is left to serve either way
        }
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
