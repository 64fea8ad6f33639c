package io.vireo.vswitch.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
 * A namespace on a TAP port and DPDK's testpmd on a vhost-user port (virtio-user frontend,
 * {@code --forward-mode=icmpecho}, which answers ARP and ping for any address) on one bridge.
 */
class VhostUserIT
{
    private Sandbox sandbox;
    private Vireo vireo;
    private String ns;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
        ns = sandbox.namespace("a");
        vireo = Vireo.launch(new VireoContext());
        vireo.addBridge("br0", null);
        vireo.addTapPort("br0", new TapPortSpec(sandbox.ifname("tA"), ns, "10.92.0.1/24", null, null));
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

    /**
     * testpmd on one virtio-user port at {@code socket}, answering ARP and ping for any address; it listens on
     * the socket itself if {@code frontendIsServer}.
     */
    static Process icmpEchoFrontend(final Sandbox sandbox, final Path socket, final boolean frontendIsServer)
        throws IOException
    {
        final Path log = sandbox.tempFile(".testpmd");
        return sandbox.start(log, "dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "512", "--no-pci",
            "--file-prefix", sandbox.dpdkFilePrefix(frontendIsServer ? "c" : "s"),
            "--vdev", "net_virtio_user0,path=" + socket + ",queues=1" + (frontendIsServer ? ",server=1" : ""),
            "--", "--nb-cores=1", "--forward-mode=icmpecho", "--total-num-mbufs=32768", "--stats-period", "1");
    }

    @Test
    void aNamespacePingsTestpmdAcrossTheSwitchInServerAndClientMode() throws Exception
    {
        final Path dir = sandbox.tempDir("vhost");
        final Path serverSocket = dir.resolve("server.sock");
        vireo.addVhostUserPort("br0", sandbox.ifname("vS"), serverSocket, false);
        final Process frontend = icmpEchoFrontend(sandbox, serverSocket, false);
        pingUntilAnswered("10.92.0.77");
        Sandbox.stop(frontend);

        final Path clientSocket = dir.resolve("client.sock");
        final Process serverFrontend = icmpEchoFrontend(sandbox, clientSocket, true);
        TapForwardingIT.waitFor(() -> Files.exists(clientSocket), "testpmd listening");
        vireo.deletePort(sandbox.ifname("vS"));
        vireo.addVhostUserPort("br0", sandbox.ifname("vC"), clientSocket, true);
        pingUntilAnswered("10.92.0.78");

        Sandbox.stop(serverFrontend);
        final Process restarted = icmpEchoFrontend(sandbox, clientSocket, true);
        pingUntilAnswered("10.92.0.79");
        assertTrue(restarted.isAlive());
    }

    @Test
    void twoVirtioUserPortsLoopFramesThroughTheSwitchWithoutLoss() throws Exception
    {
        final Path dir = sandbox.tempDir("vhost");
        final String mac0 = "02:00:00:00:0c:00";
        final String mac1 = "02:00:00:00:0c:01";
        vireo.addVhostUserPort("br0", "v0", dir.resolve("v0.sock"), false);
        vireo.addVhostUserPort("br0", "v1", dir.resolve("v1.sock"), false);
        final Path log = sandbox.tempFile(".testpmd");
        final Process testpmd = sandbox.start(log, "stdbuf", "-oL", "dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "512",
            "--no-pci", "--file-prefix", sandbox.dpdkFilePrefix("l"),
            "--vdev", "net_virtio_user0,path=" + dir.resolve("v0.sock") + ",queues=1,mac=" + mac0,
            "--vdev", "net_virtio_user1,path=" + dir.resolve("v1.sock") + ",queues=1,mac=" + mac1,
            "--", "--nb-cores=1", "--forward-mode=mac", "--eth-peer=0," + mac1, "--eth-peer=1," + mac0,
            "--tx-first", "--total-num-mbufs=32768", "--stats-period", "1");
        TapForwardingIT.waitFor(() -> vireo.port("v1").stats().txPackets() > 100_000, "frames looping through the switch");
        Thread.sleep(2_000);
        // While the frontend runs nothing is lost; once it stops, the frames in flight are.
        for (final String port : new String[] {"v0", "v1"})
        {
            final var stats = vireo.port(port).stats();
            assertTrue(stats.drops().values().stream().allMatch(count -> count == 0), () -> port + " dropped: " + stats);
            assertTrue(stats.rxPackets() > 100_000, () -> port + ": " + stats);
        }
        final ProcessHandle handle = testpmd.toHandle();
        new ProcessBuilder("kill", "-INT", Long.toString(handle.pid())).start().waitFor();
        assertTrue(testpmd.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "testpmd stopped on SIGINT");

        final String out = Files.readString(log);
        final java.util.regex.Matcher dropped = java.util.regex.Pattern.compile("TX-dropped:\\s+(\\d+)").matcher(out);
        int ports = 0;
        while (dropped.find())
        {
            assertEquals("0", dropped.group(1), () -> "testpmd counted a loss:\n" + out);
            ports++;
        }
        assertTrue(ports >= 2, () -> "testpmd printed its final statistics:\n" + out);
    }

    private void pingUntilAnswered(final String address)
    {
        TapForwardingIT.waitFor(() -> 0 == sandbox.inNetns(ns, "ping", "-c", "1", "-W", "1", address).exit(),
            "testpmd answers ping for " + address + " through the switch");
        check(sandbox.inNetns(ns, "ping", "-c", "5", "-i", "0.1", "-W", "1", address));
    }
}
