package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.vhost.VhostUserHandover;
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

    /** How long a handover waits for a port's control thread to stop between two messages. */
    private static final long SUSPEND_MILLIS = 5_000;

    /**
     * @param handedOver whether another switch hands the port over: it waits for {@link #resume} and neither
     *                   listens nor connects until then.
     */
    static PortRecord open(
        final Topology topology, final CountersManager counters, final Bridge bridge, final String name, final Path socket,
        final boolean client, final String owner, final boolean handedOver)
    {
        if (null == socket)
        {
            throw VireoException.invalid("a vhost-user port needs a socket path");
        }
        final VhostUserPort port;
        try
        {
            port = handedOver ? VhostUserPort.takingOver(name, socket, client) :
                client ? VhostUserPort.client(name, socket) : VhostUserPort.server(name, socket);
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
            final PortRecord record = topology.add(bridge, List.of(port),
                new PortDetails(null, null, null, null, null, socket.toString(), client, owner), new PortCounters(counters, name), null);
            port.countViolationsIn(record.entries[0].counters());
            return record;
        }
        catch (final RuntimeException ex)
        {
            port.close();
            throw ex;
        }
    }

    private static List<VhostUserPort> ports(final Topology topology)
    {
        return topology.ports(VhostUserPort.class);
    }

    /** A handover begins: the vhost-user ports' control threads get ready to stop at once when asked. */
    static void expectHandOver(final Topology topology)
    {
        ports(topology).forEach(VhostUserPort::expectHandOver);
    }

    /**
     * The next step of handing the switch's vhost-user ports over, while it still forwards: their control
     * threads stop between two messages.
     *
     * @throws VireoException (failed) if one did not stop; those that did go on.
     */
    static void suspend(final Topology topology)
    {
        try
        {
            ports(topology).forEach(port -> port.suspend(SUSPEND_MILLIS));
        }
        catch (final IllegalStateException ex)
        {
            resume(topology);
            throw new VireoException(VireoException.Kind.FAILED, ex.getMessage(), ex);
        }
    }

    /** The second step, once the switch stopped forwarding: every vhost-user port's state and descriptors. */
    static List<HandedPort> handOver(final Topology topology)
    {
        final List<HandedPort> handed = new ArrayList<>();
        for (final VhostUserPort port : ports(topology))
        {
            final VhostUserHandover handover = port.handOver();
            handed.add(new HandedPort(HandedPort.VHOST_USER, port.name(), handover.fds(), new int[0], handover.state()));
        }
        return handed;
    }

    /** The handover failed: every vhost-user port goes on as it was. */
    static void resume(final Topology topology)
    {
        ports(topology).forEach(VhostUserPort::resumeAfterHandOver);
    }

    /** The handover is done: closing the ports leaves what the other switch took (the socket files) alone. */
    static void letGo(final Topology topology)
    {
        ports(topology).forEach(VhostUserPort::letGo);
    }

    /**
     * The last step of taking a switch's place: each vhost-user port it handed over goes on from its state. The
     * descriptors of a port this switch does not have are closed.
     */
    static void resume(final Topology topology, final List<HandedPort> handed)
    {
        for (final HandedPort port : handed)
        {
            try (VhostUserHandover handover = VhostUserHandover.parse(port.state(), port.fds()))
            {
                if (topology.hasPort(port.name()) && topology.port(port.name()).port() instanceof VhostUserPort vhost)
                {
                    vhost.resume(handover);
                }
            }
        }
    }
}
