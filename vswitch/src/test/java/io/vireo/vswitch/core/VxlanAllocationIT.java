package io.vireo.vswitch.core;

import java.net.DatagramSocket;
import java.net.InetAddress;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import io.vireo.testkit.Allocations;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The VXLAN path allocates nothing in steady state: two switches in invoker mode on this thread, each
 * with a VXLAN bridge on a loopback address (127.0.0.1 and 127.0.0.2, real kernel sockets) and a
 * loopback port; frames go from one port through both endpoints to the other and back, in
 * {@link Allocations} windows.
 */
class VxlanAllocationIT
{
    private static final int PER_ROUND = 32;
    private static final int ROUNDS_PER_WINDOW = 1_000;

    private long injected;
    private long transmitted;
    private final MessageHandler countFrame = (type, buffer, index, length) -> transmitted++;

    @Test
    void encapsulatingAndDecapsulatingAllocatesNothing() throws Exception
    {
        final int udpPort;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByName("127.0.0.2")))
        {
            udpPort = probe.getLocalPort();
        }
        try (Vireo one = vxlanSwitch("127.0.0.1", "127.0.0.2", udpPort);
             Vireo two = vxlanSwitch("127.0.0.2", "127.0.0.1", udpPort))
        {
            final LoopbackPort a = new LoopbackPort("a", 1 << 16);
            final LoopbackPort b = new LoopbackPort("b", 1 << 16);
            one.addPort("br0", a);
            two.addPort("br0", b);
            final UnsafeBuffer fromA = new UnsafeBuffer(Frames.ethernet(
                MacAddress.parse("02:00:00:00:00:0b"), MacAddress.parse("02:00:00:00:00:0a"), 0x0800, 100));
            final UnsafeBuffer fromB = new UnsafeBuffer(Frames.ethernet(
                MacAddress.parse("02:00:00:00:00:0a"), MacAddress.parse("02:00:00:00:00:0b"), 0x0800, 100));

            Allocations.assertAllocatesNothing(ROUNDS_PER_WINDOW * 2 * PER_ROUND + " frames, each through two VXLAN endpoints", () ->
            {
                for (int round = 0; round < ROUNDS_PER_WINDOW; round++)
                {
                    for (int i = 0; i < PER_ROUND; i++)
                    {
                        a.inject(fromA, 0, fromA.capacity());
                        b.inject(fromB, 0, fromB.capacity());
                    }
                    injected += 2 * PER_ROUND;
                    while (transmitted < injected)
                    {
                        one.invoke();
                        two.invoke();
                        a.drainTransmitted(countFrame);
                        b.drainTransmitted(countFrame);
                    }
                }
                return transmitted;
            });
        }
    }

    private static Vireo vxlanSwitch(final String local, final String peer, final int udpPort)
    {
        final Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096));
        vireo.addBridge("br0", null, new VxlanSpec(42, local, udpPort, null, null, null, null));
        vireo.overlay().addVxlanPeer("br0", peer);
        return vireo;
    }
}
