package io.vireo.vswitch.it;

import java.nio.file.Path;

import io.vireo.vswitch.core.TapPortSpec;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vireod --burst N}: a switch taking one frame or 256 from a port at once forwards TAP and vhost-user
 * traffic whole, and one asked for a burst outside 1 to 256 does not start.
 */
class BurstSizeIT
{
    @ParameterizedTest
    @ValueSource(ints = {1, VireoContext.MAX_BURST_SIZE})
    void theSmallestAndLargestBurstsCarryTapAndVhostUserTrafficWhole(final int burst) throws Exception
    {
        try (Sandbox sandbox = new Sandbox(); Vireo vireo = Vireo.launch(new VireoContext().burstSize(burst)))
        {
            final String nsA = sandbox.namespace("a");
            final String nsB = sandbox.namespace("b");
            vireo.addBridge("br0", null);
            vireo.addTapPort("br0", new TapPortSpec(sandbox.ifname("tA"), nsA, "10.95.0.1/24", null, null, null));
            vireo.addTapPort("br0", new TapPortSpec(sandbox.ifname("tB"), nsB, "10.95.0.2/24", null, null, null));
            final Path socket = sandbox.tempDir("vhost").resolve("v.sock");
            vireo.addVhostUserPort("br0", "v", socket, false);
            VhostUserIT.icmpEchoFrontend(sandbox, socket, false);

            // A TCP stream's 64 KB segments through the TAPs, byte-exact.
            assertEquals("10.95.0.1", TcpTransfer.send(sandbox, nsB, "10.95.0.2", 5201, nsA, "10.95.0.2", 5201, 16));

            // Pings answered by a DPDK frontend on the vhost-user port, 200 of them 5 ms apart.
            TapForwardingIT.waitFor(() -> 0 == sandbox.inNetns(nsA, "ping", "-c", "1", "-W", "1", "10.95.0.77").exit(),
                "testpmd answers ping through the switch");
            final String pings = check(sandbox.inNetns(nsA, "ping", "-c", "200", "-i", "0.005", "-W", "2", "10.95.0.77")).out();
            assertTrue(pings.contains("200 received"), pings);
        }
    }

    @Test
    void aBurstOutsideOneTo256StopsTheDaemonWithOneLine() throws Exception
    {
        try (Sandbox sandbox = new Sandbox())
        {
            Daemon.refusesToStart(sandbox, "burst size must be 1..256 frames, got 0", "--burst", "0");
            Daemon.refusesToStart(sandbox, "burst size must be 1..256 frames, got 257", "--burst", "257");
        }
    }
}
