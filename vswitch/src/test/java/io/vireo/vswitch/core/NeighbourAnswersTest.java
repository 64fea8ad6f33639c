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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ARP/ND suppression through the facade, on a plain bridge in invoker mode: host A on port a asks for endpoint
 * 10.66.0.2 / fd00::2, whose MAC the switch was told; port b is the rest of the bridge.
 */
class NeighbourAnswersTest
{
    private static final long MAC_A = MacAddress.parse("02:77:00:00:00:01");
    private static final String ENDPOINT_MAC = "02:77:00:00:00:02";
    private static final int IP_A = 0x0A42_0001;
    private static final int ENDPOINT_IP = 0x0A42_0002;
    private static final long ULA_HIGH = 0xFD00_0000_0000_0000L;

    private Vireo vireo;
    private VireoOverlay overlay;
    private LoopbackPort a;
    private LoopbackPort b;

    @BeforeEach
    void setUp()
    {
        vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024)
            .neighbourAnswerCapacity(4).warmUpBursts(0));
        overlay = vireo.overlay();
        vireo.addBridge("br0", null);
        a = new LoopbackPort("a", 1 << 16);
        b = new LoopbackPort("b", 1 << 16);
        vireo.addPort("br0", a);
        vireo.addPort("br0", b);
    }

    @AfterEach
    void tearDown()
    {
        vireo.close();
    }

    @Test
    void anArpRequestForAnAnsweredAddressComesBackAnsweredAndGoesNowhereElse()
    {
        overlay.addNeighbourAnswer("br0", "10.66.0.2", ENDPOINT_MAC);

        final List<byte[]> backToA = send(Frames.arpRequest(MAC_A, IP_A, ENDPOINT_IP), a);

        assertEquals(1, backToA.size(), "the reply");
        final UnsafeBuffer reply = new UnsafeBuffer(backToA.get(0));
        assertEquals(MAC_A, MacAddress.read(reply, 0));
        assertEquals(MacAddress.parse(ENDPOINT_MAC), MacAddress.read(reply, 6));
        assertEquals(2, reply.getShort(20, ByteOrder.BIG_ENDIAN));
        assertEquals(MacAddress.parse(ENDPOINT_MAC), MacAddress.read(reply, 22));
        assertEquals(ENDPOINT_IP, reply.getInt(28, ByteOrder.BIG_ENDIAN));
        assertEquals(0, Frames.drain(b).size(), "nothing flooded");
        assertEquals(1, vireo.port("a").stats().arpNdSuppressed());
        assertEquals(0, vireo.port("a").stats().drops().values().stream().mapToLong(Long::longValue).sum());
        assertEquals(List.of(new NeighbourAnswer("10.66.0.2", ENDPOINT_MAC)), overlay.neighbourAnswers("br0"));
    }

    @Test
    void aSolicitationForAnAnsweredIpv6AddressGetsAnAdvertisement()
    {
        overlay.addNeighbourAnswer("br0", "fd00::2", ENDPOINT_MAC);

        final List<byte[]> backToA = send(Frames.neighbourSolicitation(MAC_A, 1, ULA_HIGH, 2), a);

        assertEquals(1, backToA.size());
        final UnsafeBuffer advertisement = new UnsafeBuffer(backToA.get(0));
        assertEquals(MAC_A, MacAddress.read(advertisement, 0));
        assertEquals(136, advertisement.getByte(54) & 0xFF);
        assertEquals(0x60, advertisement.getByte(58) & 0xFF, "Solicited, Override");
        assertEquals(MacAddress.parse(ENDPOINT_MAC), MacAddress.read(advertisement, 80));
        assertEquals(0, Frames.drain(b).size());
    }

    @Test
    void oneNoLongerAnsweredFloodsAsBefore()
    {
        overlay.addNeighbourAnswer("br0", "10.66.0.2", ENDPOINT_MAC);
        assertTrue(overlay.deleteNeighbourAnswer("br0", "10.66.0.2"));
        assertFalse(overlay.deleteNeighbourAnswer("br0", "10.66.0.2"), "idempotent");

        assertEquals(0, send(Frames.arpRequest(MAC_A, IP_A, ENDPOINT_IP), a).size());
        assertEquals(1, Frames.drain(b).size(), "flooded");
        assertEquals(0, vireo.port("a").stats().arpNdSuppressed());
    }

    @Test
    void setNeighbourAnswersMakesAMacsAddressesExactlyThose()
    {
        overlay.setNeighbourAnswers("br0", ENDPOINT_MAC, List.of("10.66.0.2", "fd00::2"));
        overlay.setNeighbourAnswers("br0", "02:77:00:00:00:03", List.of("10.66.0.3"));
        overlay.setNeighbourAnswers("br0", ENDPOINT_MAC, List.of("10.66.0.2", "10.66.0.3"));

        assertEquals(List.of(new NeighbourAnswer("10.66.0.2", ENDPOINT_MAC), new NeighbourAnswer("10.66.0.3", ENDPOINT_MAC)),
            overlay.neighbourAnswers("br0"), "fd00::2 gone, 10.66.0.3 taken from the other MAC");
        overlay.setNeighbourAnswers("br0", "02:77:00:00:00:03", List.of());
        assertEquals(2, overlay.neighbourAnswers("br0").size(), "the other MAC had nothing left to lose");
        overlay.setNeighbourAnswers("br0", ENDPOINT_MAC, List.of());
        assertEquals(List.of(), overlay.neighbourAnswers("br0"));
        assertEquals(0, send(Frames.arpRequest(MAC_A, IP_A, ENDPOINT_IP), a).size(), "the bridge answers for none");
    }

    @Test
    void badInputAndAFullTableAreRefusedWithNothingChanged()
    {
        assertThrows(VireoException.class, () -> overlay.addNeighbourAnswer("br0", "10.66.0.2/24", ENDPOINT_MAC));
        assertThrows(VireoException.class, () -> overlay.addNeighbourAnswer("br0", "::ffff:10.66.0.2", ENDPOINT_MAC));
        assertThrows(VireoException.class, () -> overlay.addNeighbourAnswer("br0", "10.66.0.2", "ff:ff:ff:ff:ff:ff"));
        assertThrows(VireoException.class, () -> overlay.addNeighbourAnswer("br9", "10.66.0.2", ENDPOINT_MAC));
        assertThrows(VireoException.class, () -> overlay.setNeighbourAnswers("br0", ENDPOINT_MAC, List.of("10.66.0.2", "nonsense")));
        assertEquals(List.of(), overlay.neighbourAnswers("br0"));
        for (int i = 1; i <= 4; i++)
        {
            overlay.addNeighbourAnswer("br0", "10.66.0." + i, ENDPOINT_MAC);
        }
        final VireoException full = assertThrows(VireoException.class, () -> overlay.addNeighbourAnswer("br0", "10.66.0.5", ENDPOINT_MAC));
        assertEquals(VireoException.Kind.CONFLICT, full.kind(), full.getMessage());
        overlay.addNeighbourAnswer("br0", "10.66.0.4", "02:77:00:00:00:09");
        assertEquals(4, overlay.neighbourAnswers("br0").size(), "a new MAC for an address it has still fits");
        assertThrows(VireoException.class, () -> overlay.setNeighbourAnswers("br0", "02:77:00:00:00:09", List.of("10.66.0.4", "10.66.0.5")));
        assertEquals(List.of(new NeighbourAnswer("10.66.0.4", "02:77:00:00:00:09")),
            overlay.neighbourAnswers("br0").stream().filter(answer -> answer.address().equals("10.66.0.4")).toList(), "nothing changed");
        overlay.setNeighbourAnswers("br0", "02:77:00:00:00:09", List.of("10.66.0.5"));
        assertEquals(4, overlay.neighbourAnswers("br0").size(), "one out, one in: room enough");
    }

    @Test
    void aDeletedBridgeTakesItsAnswersAlong()
    {
        overlay.addNeighbourAnswer("br0", "10.66.0.2", ENDPOINT_MAC);
        vireo.deleteBridge("br0");
        vireo.addBridge("br0", null);
        final LoopbackPort c = new LoopbackPort("c", 1 << 16);
        final LoopbackPort d = new LoopbackPort("d", 1 << 16);
        vireo.addPort("br0", c);
        vireo.addPort("br0", d);

        assertEquals(List.of(), overlay.neighbourAnswers("br0"));
        assertEquals(0, send(Frames.arpRequest(MAC_A, IP_A, ENDPOINT_IP), c).size());
        assertEquals(1, Frames.drain(d).size(), "flooded: the new bridge answers for nothing");
    }

    @Test
    void remoteMacsNeedAVxlanBridge()
    {
        final VireoException refused = assertThrows(VireoException.class, () -> overlay.addRemoteMac("br0", ENDPOINT_MAC, "10.0.0.2"));
        assertEquals(VireoException.Kind.INVALID, refused.kind());
        assertFalse(overlay.deleteRemoteMac("br0", ENDPOINT_MAC));
        assertEquals(List.of(), overlay.remoteMacs("br0"));
    }

    /** Injects a frame on {@code port}, forwards, and returns what came back out of that port. */
    private List<byte[]> send(final byte[] frame, final LoopbackPort port)
    {
        Frames.drain(a);
        Frames.drain(b);
        assertTrue(port.inject(frame));
        for (int i = 0; i < 4; i++)
        {
            vireo.invoke();
        }
        return Frames.drain(port);
    }
}
