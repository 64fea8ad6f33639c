package io.vireo.vswitch.core;

import java.util.List;

import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.AfPacketPort;
import org.agrona.concurrent.status.CountersManager;

/**
 * Attaches existing host interfaces (a NIC, a veth: a gateway's uplink) as ports through AF_PACKET
 * sockets. The switch never creates, configures or deletes such an interface; the port takes its name.
 * A switch handed over to another process ({@code vireod --takeover}) passes each port's socket over: its
 * descriptor and ring geometry first, the ring's position once it stopped polling ({@link AfPacketPort}).
 */
final class AfPacketPorts
{
    private AfPacketPorts()
    {
    }

    /**
     * Opens a socket on the interface, or takes the one a switch handed over for a port of that name.
     *
     * @param handed the port {@link PortHandover#claimAfPacket} gave, or null.
     */
    static PortRecord open(final Topology topology, final CountersManager counters, final Bridge bridge, final String ifname,
        final HandedPort handed)
    {
        final AfPacketPort port;
        try
        {
            port = null == handed ? AfPacketPort.open(ifname) : AfPacketPort.adopt(ifname, handed.fds()[0], handed.state());
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.invalid(ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, "cannot attach interface " + ifname + ": " + ex.getMessage(), ex);
        }
        try
        {
            return topology.add(bridge, List.of(port), PortDetails.NONE, new PortCounters(counters, ifname), null);
        }
        catch (final RuntimeException ex)
        {
            port.close();
            throw ex;
        }
    }

    /** The first step of handing the switch over: each af-packet port's socket and ring geometry. */
    static HandedPort handOver(final String name, final AfPacketPort port)
    {
        return new HandedPort(HandedPort.AF_PACKET, name, new int[] {port.pollFd()}, new int[0], port.geometry());
    }

    /** The second step, once the switch stopped polling: where each af-packet port's ring reader is. */
    static List<HandedPort> positions(final Topology topology)
    {
        return ports(topology).stream()
            .map(port -> new HandedPort(HandedPort.AF_PACKET, port.name(), new int[0], new int[0], port.position()))
            .toList();
    }

    /** The handover failed once the ports had stopped: each ring's reader finds its place again, before polling. */
    static void resumeAfterHandOver(final Topology topology)
    {
        ports(topology).forEach(AfPacketPort::resumeAfterHandOver);
    }

    /** The handover is done: closing the ports leaves their sockets' options (promiscuous mode) as they are. */
    static void letGo(final Topology topology)
    {
        ports(topology).forEach(AfPacketPort::letGo);
    }

    /**
     * The last step of taking a switch's place, before polling: each af-packet port it handed over goes on from
     * where its ring's reader stopped there.
     *
     * @throws VireoException (failed) if a port taken over has no position, or one that does not fit its ring:
     *                        nothing polls it, and the handover fails before the other switch lets go.
     */
    static void resume(final Topology topology, final List<HandedPort> handed)
    {
        for (final HandedPort position : handed)
        {
            if (HandedPort.AF_PACKET.equals(position.type()) && topology.hasPort(position.name()) &&
                topology.port(position.name()).port() instanceof AfPacketPort port)
            {
                try
                {
                    port.resume(position.state());
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new VireoException(VireoException.Kind.FAILED, "af-packet port " + port.name() + ": " + ex.getMessage(), ex);
                }
            }
        }
        for (final AfPacketPort port : ports(topology))
        {
            if (port.awaitsPosition())
            {
                throw new VireoException(VireoException.Kind.FAILED, "af-packet port " + port.name() + " was handed over " +
                    "without its ring's position");
            }
        }
    }

    private static List<AfPacketPort> ports(final Topology topology)
    {
        return topology.ports(AfPacketPort.class);
    }
}
