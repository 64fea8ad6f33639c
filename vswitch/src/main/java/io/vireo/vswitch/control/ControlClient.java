package io.vireo.vswitch.control;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/** One HTTP/JSON request to a daemon's control socket, as {@code vireoctl} makes it. */
public final class ControlClient
{
    private static final long TIMEOUT_SECONDS = 60;
    /**
     * As large as one response can be: a page of {@code conntrack list} takes about 140 bytes a connection, up to 140 MB
     * for the largest page (1,000,000), and a limit of 64 MB refused a listing of 490,000 in one answer
     * ({@code benches/router-bench.sh} with a table of 1,048,576).
     */
    private static final int MAX_RESPONSE_BYTES = Integer.MAX_VALUE;

    private ControlClient()
    {
    }

    /**
     * Sends one request and waits for the answer.
     *
     * @throws IllegalStateException with a one-line reason when the daemon cannot be reached.
     */
    public static ControlApi.Response request(final Path socket, final String method, final String path, final String body)
    {
        if (!Files.exists(socket))
        {
            throw new IllegalStateException("no control socket at " + socket + " (is vireod running with this --run-dir?)");
        }
        if (!Files.isWritable(socket))
        {
            throw new IllegalStateException("permission denied on " + socket + ": run as root or as a member of its group");
        }
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try
        {
            final CompletableFuture<ControlApi.Response> answer = new CompletableFuture<>();
            final Channel channel = new Bootstrap()
                .group(group)
                .channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<Channel>()
                {
                    @Override
                    protected void initChannel(final Channel ch)
                    {
                        ch.pipeline()
                            .addLast(new HttpClientCodec())
                            .addLast(new HttpObjectAggregator(MAX_RESPONSE_BYTES))
                            .addLast(new ResponseHandler(answer));
                    }
                })
                .connect(new DomainSocketAddress(socket.toFile()))
                .syncUninterruptibly()
                .channel();
            final byte[] content = null == body ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            final FullHttpRequest request = new DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), path, Unpooled.wrappedBuffer(content));
            request.headers().set(HttpHeaderNames.HOST, "vireo");
            request.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            HttpUtil.setContentLength(request, content.length);
            HttpUtil.setKeepAlive(request, false);
            channel.writeAndFlush(request);
            return answer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw new IllegalStateException("control request failed: " + ex.getCause().getMessage(), ex);
        }
        catch (final TimeoutException ex)
        {
            throw new IllegalStateException("vireod did not answer within " + TIMEOUT_SECONDS + " s", ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
        catch (final RuntimeException ex)
        {
            throw new IllegalStateException("cannot reach vireod at " + socket + ": " + ex.getMessage(), ex);
        }
        finally
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse>
    {
        private final CompletableFuture<ControlApi.Response> answer;

        ResponseHandler(final CompletableFuture<ControlApi.Response> answer)
        {
            this.answer = answer;
        }

        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpResponse response)
        {
            answer.complete(new ControlApi.Response(
                response.status().code(), response.content().toString(StandardCharsets.UTF_8).trim()));
            ctx.close();
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx)
        {
            answer.completeExceptionally(new IllegalStateException("vireod closed the connection without answering"));
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            answer.completeExceptionally(cause);
            ctx.close();
        }
    }
}
