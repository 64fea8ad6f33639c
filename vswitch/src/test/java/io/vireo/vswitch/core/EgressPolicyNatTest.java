package io.vireo.vswitch.core;

import java.nio.ByteOrder;
import java.util.List;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Which addresses the policy of a routed packet's egress bridge sees on a router with NAT: the packet as it
 * leaves the router, translated (as a firewall after DNAT sees it, and after masquerade too, since the
 * packet enters the egress bridge from the router's interface). A on br0 (10.1.0.2), B on br1 (10.2.0.2),
 * router r1 between them; through the API, in invoker mode.
 */
class EgressPolicyNatTest
{
    private static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    private static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");
    private static final long MAC_R0 = MacAddress.parse("02:00:00:00:01:00");
    private static final long MAC_R1 = MacAddress.parse("02:00:00:00:01:01");
    private static final int IP_A = 0x0A01_0002;
    private static final int IP_B = 0x0A02_0002;
    private static final int IP_R1 = 0x0A02_0001;

    private Vireo vireo;
    private final LoopbackPort a = new LoopbackPort("a", 1 << 12);
    private final LoopbackPort b = new LoopbackPort("b", 1 << 12);

    @BeforeEach
    void setUp()
    {
        vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024));
        vireo.addBridge("br0", null);
        vireo.addBridge("br1", null);
        vireo.addPort("br0", a);
        vireo.addPort("br1", b);
        vireo.gateway().addRouter("r1");
        vireo.gateway().attachRouter("r1", "br0", List.of("10.1.0.1/24"), MacAddress.format(MAC_R0), null);
        vireo.gateway().attachRouter("r1", "br1", List.of("10.2.0.1/24"), MacAddress.format(MAC_R1), null);
        // The router learns both ends from their ARP requests.
        a.inject(Frames.arpRequest(MAC_A, IP_A, 0x0A01_0001));
        b.inject(Frames.arpRequest(MAC_B, IP_B, IP_R1));
        vireo.invoke();
        Frames.drain(a);
        Frames.drain(b);
    }

    @AfterEach
    void tearDown()
    {
        vireo.close();
    }

    @Test
    void aMasqueradedPacketIsSeenFromTheRoutersAddress()
    {
        vireo.gateway().addNat("r1", new NatRuleSpec(null, "masquerade", "br1", null, null, null, null, null, null));
        final PolicySpec fromA = vireo.addPolicy("br1", deny("10.1.0.0/16", null));

        assertEquals(1, send(a, b, Frames.udp(MAC_R0, MAC_A, IP_A, IP_B)), "A's address is gone by the time br1 sees it");

        vireo.deletePolicy("br1", fromA.id());
        vireo.addPolicy("br1", deny("10.2.0.1/32", null));
        assertEquals(0, send(a, b, Frames.udp(MAC_R0, MAC_A, IP_A, IP_B)), "the router's is what br1 sees");
        assertEquals(1, vireo.port("a").stats().drops().get("policy"));
    }

    @Test
    void aPublishedPortIsSeenAtItsTranslatedDestination()
    {
        vireo.gateway().addNat("r1",
            new NatRuleSpec(null, "publish", null, null, "udp", 8053, "10.1.0.2:5353", null, null));
        final PolicySpec published = vireo.addPolicy("br0", deny(null, "8053"));

        assertEquals(1, send(b, a, toRouterPort8053()), () -> "port 8053 of the router became A's 5353: " + vireo.ports());

        vireo.deletePolicy("br0", published.id());
        vireo.addPolicy("br0", deny(null, "5353"));
        assertEquals(0, send(b, a, toRouterPort8053()), "the translated port is what br0 sees");
        assertEquals(1, vireo.port("b").stats().drops().get("policy"));
    }

    /** UDP from B to port 8053 of the router's address on br1 (its port 53 is the router's DNS). */
    private static byte[] toRouterPort8053()
    {
        final byte[] frame = Frames.udp(MAC_R1, MAC_B, IP_B, IP_R1);
        new UnsafeBuffer(frame).putShort(36, (short)8053, ByteOrder.BIG_ENDIAN);
        return frame;
    }

    private static PolicySpec deny(final String source, final String destinationPorts)
    {
        return new PolicySpec(null, 100, "deny", null, null, source, null, null == destinationPorts ? null : "udp", null,
            destinationPorts);
    }

    /** Injects a frame on {@code from} and returns how many frames {@code to} was sent. */
    private int send(final LoopbackPort from, final LoopbackPort to, final byte[] frame)
    {
        from.inject(frame);
        vireo.invoke();
        Frames.drain(from);
        return Frames.drain(to).size();
    }
}
