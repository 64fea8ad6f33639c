package io.vireo.vswitch.core;

import java.util.List;

import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.AfPacketPort;
import org.agrona.concurrent.status.CountersManager;

/**
 * Attaches existing host interfaces (a NIC, a veth: a gateway's uplink) as ports through AF_PACKET
 * sockets. The switch never creates, configures or deletes such an interface; the port takes its name.
 */
final class AfPacketPorts
{
    private AfPacketPorts()
    {
    }

    static PortRecord open(final Topology topology, final CountersManager counters, final Bridge bridge, final String ifname)
    {
        final AfPacketPort port;
        try
        {
            port = AfPacketPort.open(ifname);
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
}
