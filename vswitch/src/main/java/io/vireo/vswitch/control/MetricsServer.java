package io.vireo.vswitch.control;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

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
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.vireo.vswitch.core.Vireo;

/** Serves {@link PrometheusMetrics} at {@code GET /metrics} over HTTP on a TCP address (Netty epoll). */
public final class MetricsServer implements AutoCloseable
{
    private final EventLoopGroup group;
    private final Channel channel;

    private MetricsServer(final EventLoopGroup group, final Channel channel)
    {
        this.group = group;
        this.channel = channel;
    }

    /**
     * Binds {@code address} (e.g. 127.0.0.1:9477; port 0 picks a free one).
     *
     * @throws IllegalStateException with a one-line reason if the address cannot be bound.
     */
    public static MetricsServer start(final Vireo vireo, final InetSocketAddress address)
    {
        final PrometheusMetrics metrics = new PrometheusMetrics(vireo);
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try
        {
            final Channel channel = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>()
                {
                    @Override
                    protected void initChannel(final Channel ch)
                    {
                        ch.pipeline()
                            .addLast(new HttpServerCodec())
                            .addLast(new HttpObjectAggregator(4096))
                            .addLast(new ScrapeHandler(metrics));
                    }
                })
                .bind(address)
                .syncUninterruptibly()
                .channel();
            return new MetricsServer(group, channel);
        }
        catch (final RuntimeException ex)
        {
            group.shutdownGracefully();
            throw new IllegalStateException("cannot serve metrics on " + address.getHostString() + ":" +
                address.getPort() + ": " + ex.getMessage() + " (another vireod? use --metrics HOST:PORT or --metrics off)", ex);
        }
    }

    /** The bound address, with the port chosen when 0 was asked for. */
    public InetSocketAddress address()
    {
        return (InetSocketAddress)channel.localAddress();
    }

    @Override
    public void close()
    {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class ScrapeHandler extends SimpleChannelInboundHandler<FullHttpRequest>
    {
        private final PrometheusMetrics metrics;

        ScrapeHandler(final PrometheusMetrics metrics)
        {
            this.metrics = metrics;
        }

        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
        {
            final boolean scrape = HttpMethod.GET.equals(request.method()) &&
                ("/metrics".equals(request.uri()) || request.uri().startsWith("/metrics?"));
            final String body = scrape ? metrics.render() : "not found: metrics are at /metrics\n";
            final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                scrape ? HttpResponseStatus.OK : HttpResponseStatus.NOT_FOUND,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE,
                scrape ? PrometheusMetrics.CONTENT_TYPE : "text/plain; charset=utf-8");
            HttpUtil.setContentLength(response, response.content().readableBytes());
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            ctx.close();
        }
    }
}
