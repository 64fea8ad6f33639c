package io.vireo.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Free ports on the loopback for a test's servers, picked so that outgoing connections do not take them. */
final class LoopbackPorts
{
    /** The lowest port picked. */
    private static final int LOWEST_PORT = 20_000;

    private LoopbackPorts()
    {
    }

    /**
     * Ports free on the loopback now, all different, below the kernel's range of ephemeral ports when there is
     * room (so that no outgoing connection takes one while a member is stopped), picked at random there.
     */
    static int[] free(final int count)
    {
        final int[] range = ephemeralPortRange();
        final boolean below = range[0] - LOWEST_PORT > 1000;
        final List<ServerSocket> sockets = new ArrayList<>(count);
        try
        {
            final int[] ports = new int[count];
            for (int i = 0; i < count; i++)
            {
                ServerSocket socket = null;
                for (int attempt = 0; socket == null && below && attempt < 100; attempt++)
                {
                    socket = tryBind(ThreadLocalRandom.current().nextInt(LOWEST_PORT, range[0]));
                }
                if (socket == null)
                {
                    socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                }
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("no free loopback port", ex);
        }
        finally
        {
            for (final ServerSocket socket : sockets)
            {
                try
                {
                    socket.close();
                }
                catch (final IOException ex)
                {
                    // it was only held to pick its port
                }
            }
        }
    }

    private static ServerSocket tryBind(final int port)
    {
        try
        {
            return new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /** net.ipv4.ip_local_port_range: the ports the kernel gives outgoing connections. */
    private static int[] ephemeralPortRange()
    {
        try
        {
            final String[] bounds = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return new int[] { Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1]) };
        }
        catch (final IOException | RuntimeException ex)
        {
            return new int[] { 32768, 60999 };
        }
    }
}
