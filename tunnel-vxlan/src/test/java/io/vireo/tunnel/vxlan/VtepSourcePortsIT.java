package io.vireo.tunnel.vxlan;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The source ports a VXLAN endpoint sends from, bound on a loopback address with real sockets. */
class VtepSourcePortsIT
{
    private static final int LOCAL = 0x7F00_0009;
    private static final int UDP_PORT = 4789;

    @Test
    void portsAreDistinctInTheDynamicRangeAndAPortInUseIsSkipped() throws Exception
    {
        final int first;
        try (VtepSourcePorts ports = new VtepSourcePorts(LOCAL, UDP_PORT, 64))
        {
            final Set<Integer> seen = new HashSet<>();
            for (int flow = 0; flow < VtepSourcePorts.COUNT; flow++)
            {
                final int port = ports.port(flow);
                assertTrue(port >= 49_152 && port <= 65_535, "in the dynamic range: " + port);
                assertTrue(seen.add(port), "distinct: " + port);
            }
            first = ports.port(0);
        }

        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.9"), first));
             VtepSourcePorts ports = new VtepSourcePorts(LOCAL, UDP_PORT, 64))
        {
            final Set<Integer> chosen = new HashSet<>();
            for (int flow = 0; flow < VtepSourcePorts.COUNT; flow++)
            {
                chosen.add(ports.port(flow));
            }
            assertFalse(chosen.contains(taken.getLocalPort()), "the port in use is skipped");
            assertEquals(VtepSourcePorts.COUNT, chosen.size());
        }
    }
}
