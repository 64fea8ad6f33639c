package io.vireo.vswitch.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;

/**
 * HTTP/1.1 on a unix domain socket (Netty epoll, one event-loop thread), for the control API and the
 * Docker driver: replaces a stale socket file, refuses one something still answers on, creates the
 * socket with mode 0660 and removes it on close.
 */
public final class DomainSocketHttpServer implements AutoCloseable
{
    private static final int MAX_REQUEST_BYTES = 1 << 20;

    private Path socketPath;
    private final EventLoopGroup group;
    private final Channel channel;

    private DomainSocketHttpServer(final Path socketPath, final EventLoopGroup group, final Channel channel)
    {
        this.socketPath = socketPath;
        this.group = group;
        this.channel = channel;
    }

    /**
     * Binds {@code socketPath} (creating its directory); {@code handler} answers every request
     * ({@link HttpResponder}).
     *
     * @throws IllegalStateException with a one-line reason if something answers on the socket already
     *                               or it cannot be bound.
     */
    public static DomainSocketHttpServer start(final Path socketPath, final HttpResponder.RequestHandler handler)
    {
        prepare(socketPath);
        final EventLoopGroup group = ServerEventLoop.newGroup();
        try
        {
            final Channel channel = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(HttpResponder.channelInitializer(MAX_REQUEST_BYTES, handler))
                .bind(new DomainSocketAddress(socketPath.toFile()))
                .syncUninterruptibly()
                .channel();
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-rw----"));
            return new DomainSocketHttpServer(socketPath, group, channel);
        }
        catch (final IOException | RuntimeException ex)
        {
            group.shutdownGracefully();
            throw new IllegalStateException("cannot serve " + socketPath + ": " + ex.getMessage(), ex);
        }
    }

    private static void prepare(final Path socketPath)
    {
        try
        {
            Files.createDirectories(socketPath.toAbsolutePath().getParent());
            if (Files.exists(socketPath))
            {
                if (isListening(socketPath))
                {
                    throw new IllegalStateException("another process is already serving " + socketPath);
                }
                Files.delete(socketPath);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot prepare " + socketPath + ": " + ex.getMessage(), ex);
        }
    }

    /** True if a process accepts connections on the socket: it is not a stale file. */
    private static boolean isListening(final Path socketPath)
    {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            return probe.connect(UnixDomainSocketAddress.of(socketPath));
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    public Path socketPath()
    {
        return socketPath;
    }

    /**
     * Renames the socket to {@code target}, replacing what is there in one step: new connections to {@code target}
     * come here from then on, those made to what was there stay with it (a daemon taking another's place).
     *
     * @throws IllegalStateException if it cannot be renamed.
     */
    public void moveTo(final Path target)
    {
        try
        {
            Files.move(socketPath, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot move " + socketPath + " to " + target + ": " + ex.getMessage(), ex);
        }
        socketPath = target;
    }

    @Override
    public void close()
    {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        try
        {
            Files.deleteIfExists(socketPath);
        }
        catch (final IOException ignore)
        {
            // the directory may already be gone; nothing is left to serve either way
        }
    }
}
