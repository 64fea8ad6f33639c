package io.vireo.vswitch.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

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
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlClient;

/**
 * Serves a {@link NetworkDriver} as HTTP/1.1 on a unix socket (Netty epoll), where Docker looks for plugins:
 * {@code /run/docker/plugins/NAME.sock} makes the network driver {@code NAME}. The driver's calls to the
 * daemon block, so they run on a thread of their own, never on the socket's event loop.
 */
final class PluginServer implements AutoCloseable
{
    private static final int MAX_REQUEST_BYTES = 1 << 20;

    private final Path socketPath;
    private final EventLoopGroup group;
    private final ExecutorService driverThread;
    private final Channel channel;

    private PluginServer(final Path socketPath, final EventLoopGroup group, final ExecutorService driverThread,
        final Channel channel)
    {
        this.socketPath = socketPath;
        this.group = group;
        this.driverThread = driverThread;
        this.channel = channel;
    }

    /**
     * Binds the socket (creating its directory), replacing a stale one.
     *
     * @throws IllegalStateException if something already answers on it, or it cannot be bound.
     */
    static PluginServer start(final NetworkDriver driver, final Path socketPath)
    {
        try
        {
            Files.createDirectories(socketPath.toAbsolutePath().getParent());
            if (Files.exists(socketPath))
            {
                if (isServing(socketPath))
                {
                    throw new IllegalStateException("another plugin is already serving " + socketPath);
                }
                Files.delete(socketPath);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot prepare " + socketPath + ": " + ex.getMessage(), ex);
        }
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        final ExecutorService driverThread = Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "vireo-docker-driver");
            thread.setDaemon(true);
            return thread;
        });
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
                            .addLast(new RequestHandler(driver, driverThread));
                    }
                })
                .bind(new DomainSocketAddress(socketPath.toFile()))
                .syncUninterruptibly()
                .channel();
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-rw----"));
            return new PluginServer(socketPath, group, driverThread, channel);
        }
        catch (final IOException | RuntimeException ex)
        {
            group.shutdownGracefully();
            driverThread.shutdown();
            throw new IllegalStateException("cannot serve " + socketPath + ": " + ex.getMessage(), ex);
        }
    }

    private static boolean isServing(final Path socketPath)
    {
        try
        {
            ControlClient.request(socketPath, "POST", "/Plugin.Activate", null);
            return true;
        }
        catch (final IllegalStateException ex)
        {
            return false;
        }
    }

    Path socketPath()
    {
        return socketPath;
    }

    @Override
    public void close()
    {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        driverThread.shutdown();
        try
        {
            driverThread.awaitTermination(2, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        try
        {
            Files.deleteIfExists(socketPath);
        }
        catch (final IOException ignore)
        {
            // the directory may be gone already; nothing serves the socket either way
        }
    }

    /** Reads each request on the event loop, answers it on the driver's thread, one at a time, in order. */
    private static final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest>
    {
        private final NetworkDriver driver;
        private final ExecutorService driverThread;

        RequestHandler(final NetworkDriver driver, final ExecutorService driverThread)
        {
            this.driver = driver;
            this.driverThread = driverThread;
        }

        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
        {
            final boolean decoded = request.decoderResult().isSuccess();
            final String method = request.method().name();
            final String uri = request.uri();
            final String body = request.content().toString(StandardCharsets.UTF_8);
            final boolean keepAlive = HttpUtil.isKeepAlive(request);
            driverThread.execute(() -> respond(ctx, keepAlive, decoded ? driver.handle(method, uri, body) :
                new ControlApi.Response(400, "{\"Err\":\"malformed HTTP request\"}")));
        }

        private static void respond(final ChannelHandlerContext ctx, final boolean keepAlive, final ControlApi.Response response)
        {
            final FullHttpResponse http = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(response.status()),
                Unpooled.copiedBuffer(response.body() + "\n", StandardCharsets.UTF_8));
            http.headers().set(HttpHeaderNames.CONTENT_TYPE, NetworkDriver.CONTENT_TYPE);
            HttpUtil.setContentLength(http, http.content().readableBytes());
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
