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

/** TAP ports with offloads: the namespaces see TSO on, and 64 KB GSO frames cross the switch intact. */
class TapOffloadsIT
{
    private Sandbox sandbox;
    private Vireo vireo;
    private String nsA;
    private String nsB;
    private String tapA;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
        nsA = sandbox.namespace("a");
        nsB = sandbox.namespace("b");
        tapA = sandbox.ifname("tA");
        vireo = Vireo.launch(new VireoContext().tapOffloads(true));
        vireo.addBridge("br0", null);
        vireo.addTapPort("br0", new TapPortSpec(tapA, nsA, "10.93.0.1/24", null, null));
        vireo.addTapPort("br0", new TapPortSpec(sandbox.ifname("tB"), nsB, "10.93.0.2/24", null, null));
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

        final Path script = Sandbox.resource("tcp_transfer.py");
        final Path receiverLog = sandbox.tempFile(".recv");
        final Process receiver = sandbox.start(receiverLog,
            "ip", "netns", "exec", nsB, "python3", script.toString(), "recv", "10.93.0.2", "5201");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(receiverLog).contains("listening"), "receiver listening");
        final String sent = check(sandbox.run(120,
            "ip", "netns", "exec", nsA, "python3", script.toString(), "send", "10.93.0.2", "5201", "104857600")).out().trim();
        assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
        final String received = Sandbox.readUtf8(receiverLog).lines().reduce((first, second) -> second).orElse("");
        assertEquals(sent, received.trim());

        final long rxFrames = vireo.port(tapA).stats().rxPackets();
        final long rxBytes = vireo.port(tapA).stats().rxBytes();
        assertTrue(rxBytes / rxFrames > 3_000, "GSO: frames average " + rxBytes / rxFrames + " bytes, over the 1500 MTU");
    }
}
