package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.List;

import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.vhost.VhostUserPort;
import org.agrona.concurrent.status.CountersManager;

/**
 * Opens vhost-user ports: the switch listens on a socket for a frontend (QEMU, DPDK virtio-user), or as
 * a client connects to the frontend's socket and reconnects whenever it restarts.
 */
final class VhostUserPorts
{
    private VhostUserPorts()
    {
    }

    static PortRecord open(
        final Topology topology, final CountersManager counters, final Bridge bridge, final String name, final Path socket,
        final boolean client, final String owner)
    {
        if (null == socket)
        {
            throw VireoException.invalid("a vhost-user port needs a socket path");
        }
        final VhostUserPort port;
        try
        {
            port = client ? VhostUserPort.client(name, socket) : VhostUserPort.server(name, socket);
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.invalid(ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED,
                "cannot open vhost-user socket " + socket + ": " + ex.getMessage(), ex);
        }
        try
        {
            return topology.add(bridge, List.of(port), new PortDetails(null, null, null, null, null, socket.toString(), client, owner),
                new PortCounters(counters, name), null);
        }
        catch (final RuntimeException ex)
        {
            port.close();
            throw ex;
        }
    }
}
