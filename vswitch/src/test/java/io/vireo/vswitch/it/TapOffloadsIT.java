package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.vireo.vswitch.core.TapPortSpec;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TAP ports with offloads: the namespaces see TSO on, 64 KB GSO frames cross the switch intact, and
 * towards a TAP without offloads they are segmented in software on the way out.
 */
class TapOffloadsIT
{
    private Sandbox sandbox;
    private Vireo vireo;
    private String nsA;
    private String nsB;
    private String nsC;
    private String tapA;
    private String tapC;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
        nsA = sandbox.namespace("a");
        nsB = sandbox.namespace("b");
        tapA = sandbox.ifname("tA");
        nsC = sandbox.namespace("c");
        tapC = sandbox.ifname("tC");
        vireo = Vireo.launch(new VireoContext().tapOffloads(true));
        vireo.addBridge("br0", null);
        vireo.addTapPort("br0", new TapPortSpec(tapA, nsA, "10.93.0.1/24", null, null));
        vireo.addTapPort("br0", new TapPortSpec(sandbox.ifname("tB"), nsB, "10.93.0.2/24", null, null));
        vireo.addTapPort("br0", new TapPortSpec(tapC, nsC, "10.93.0.3/24", null, null, false));
    }

    @AfterEach
    void tearDown()
    {
        try
        {
            vireo.close();
        }
        finally
        {
            sandbox.close();
        }
    }

    @Test
    void gsoFramesCrossTheSwitchAndTcpArrivesByteExact() throws Exception
    {
        final String features = check(sandbox.inNetns(nsA, "ethtool", "-k", tapA)).out();
        assertTrue(features.contains("tcp-segmentation-offload: on"), features);
        check(sandbox.inNetns(nsA, "ping", "-c", "2", "-i", "0.1", "-W", "2", "10.93.0.2"));

        transfer(nsB, "10.93.0.2");
        final long rxFrames = vireo.port(tapA).stats().rxPackets();
        final long rxBytes = vireo.port(tapA).stats().rxBytes();
        assertTrue(rxBytes / rxFrames > 3_000, "GSO: frames average " + rxBytes / rxFrames + " bytes, over the 1500 MTU");
    }

    @Test
    void towardsATapWithoutOffloadsGsoFramesAreSegmentedInSoftware() throws Exception
    {
        final String features = check(sandbox.inNetns(nsC, "ethtool", "-k", tapC)).out();
        assertTrue(features.contains("tcp-segmentation-offload: off"), features);
        check(sandbox.inNetns(nsA, "ping", "-c", "2", "-i", "0.1", "-W", "2", "10.93.0.3"));

        transfer(nsC, "10.93.0.3");

        final long txFrames = vireo.port(tapC).stats().txPackets();
        final long txBytes = vireo.port(tapC).stats().txBytes();
        assertTrue(txBytes / txFrames <= 1514, "segments of at most the MTU: average " + txBytes / txFrames);
        assertTrue(vireo.port(tapA).stats().rxBytes() / vireo.port(tapA).stats().rxPackets() > 3_000, "A sent GSO frames");
        assertEquals(0L, vireo.port(tapC).stats().drops().get("bad_offload"));
        final String csumErrors = check(sandbox.inNetns(nsC, "nstat", "-az", "TcpInCsumErrors")).out();
        assertTrue(csumErrors.matches("(?s).*TcpInCsumErrors\\s+0\\s.*"), csumErrors);
    }

    private void transfer(final String netns, final String address) throws Exception
    {
        transfer(sandbox, nsA, netns, address);
    }

    /** 100 MiB from namespace {@code from} to {@code address} in {@code to}, compared by sha256. */
    static void transfer(final Sandbox sandbox, final String from, final String to, final String address) throws Exception
    {
        final Path script = Daemon.ROOT.resolve("scripts/testing/tcp_transfer.py");
        final Path receiverLog = sandbox.tempFile(".recv");
        final Process receiver = sandbox.start(receiverLog,
            "ip", "netns", "exec", to, "python3", script.toString(), "recv", address, "5201");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(receiverLog).contains("listening"), "receiver listening");
        final String sent = check(sandbox.run(120,
            "ip", "netns", "exec", from, "python3", script.toString(), "send", address, "5201", "104857600")).out().trim();
        assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
        final String received = Sandbox.readUtf8(receiverLog).lines().reduce((first, second) -> second).orElse("");
        assertEquals(sent, received.trim());
    }
}
