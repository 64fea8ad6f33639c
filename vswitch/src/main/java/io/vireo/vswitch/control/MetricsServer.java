package io.vireo.vswitch.control;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.vireo.cluster.ClusterNode;
import io.vireo.vswitch.core.Vireo;

/** Serves {@link PrometheusMetrics} at {@code GET /metrics} over HTTP on a TCP address (Netty epoll). */
public final class MetricsServer implements AutoCloseable
{
    private static final int MAX_REQUEST_BYTES = 4096;

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
        return start(vireo, null, address);
    }

    /** As {@link #start(Vireo, InetSocketAddress)}, with the {@code vireo_cluster_*} families of {@code cluster} (null: none). */
    public static MetricsServer start(final Vireo vireo, final ClusterNode cluster, final InetSocketAddress address)
    {
        final PrometheusMetrics metrics = new PrometheusMetrics(vireo, cluster);
        final EventLoopGroup group = ServerEventLoop.newGroup();
        try
        {
            final Channel channel = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .childHandler(HttpResponder.channelInitializer(MAX_REQUEST_BYTES, (ctx, request) -> scrape(metrics, ctx, request)))
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
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** {@code GET /metrics} (with any query) is a scrape; anything else is 404. The connection closes after either. */
    private static void scrape(final PrometheusMetrics metrics, final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        final boolean scrape = HttpMethod.GET.equals(request.method()) &&
            ("/metrics".equals(request.uri()) || request.uri().startsWith("/metrics?"));
        if (scrape)
        {
            HttpResponder.respondAndClose(ctx, 200, PrometheusMetrics.CONTENT_TYPE, metrics.render());
        }
        else
        {
            HttpResponder.respondAndClose(ctx, 404, "text/plain; charset=utf-8", "not found: metrics are at /metrics\n");
        }
    }
}
