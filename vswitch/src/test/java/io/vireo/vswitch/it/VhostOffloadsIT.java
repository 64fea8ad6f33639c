package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;

import io.vireo.vswitch.core.PortInfo;
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
 * Checksum and segmentation offloads between TAP and vhost-user ports, with DPDK's testpmd as a real
 * offloading frontend: namespace A's TAP and virtio-user port 0 on bridge br0, port 1 and namespace B's
 * TAP on br1, testpmd's {@code csum} engine forwarding between its ports with LRO and TSO on. A's 64 KB
 * TCP segments reach testpmd whole (GUEST_TSO4), testpmd hands them back whole (HOST_TSO4), and B's
 * kernel takes them through its TAP with the partial checksum to complete; nothing is segmented in
 * between.
 * <pre>
 *  ns A            br0              testpmd (csum, LRO + TSO)              br1           ns B
 *  TAP --GSO 64K--> vm1 ==virtio-user 0 ==> engine ==> virtio-user 1 ==> vm2 --GSO 64K--> TAP
 * </pre>
 */
class VhostOffloadsIT
{
    private static final String MAC_A = "02:00:00:00:0d:01";
    private static final String MAC_B = "02:00:00:00:0d:02";
    /** What the csum engine is told before it starts: TCP checksums and segmentation to the ports. */
    private static final String TESTPMD_COMMANDS = String.join("\n",
        "port stop all", "csum set ip sw 0", "csum set tcp hw 0", "csum set ip sw 1", "csum set tcp hw 1",
        "tso set 1448 0", "tso set 1448 1", "port start all", "start", "");
    /** Rx offloads: TCP and UDP checksum, LRO (so GUEST_CSUM, GUEST_TSO4/6); Tx: TCP and UDP checksum, TSO. */
    private static final String RX_OFFLOADS = "0x1c";
    private static final String TX_OFFLOADS = "0x2c";

    private Sandbox sandbox;
    private Vireo vireo;
    private String nsA;
    private String nsB;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
        nsA = sandbox.namespace("a");
        nsB = sandbox.namespace("b");
        vireo = Vireo.launch(new VireoContext().tapOffloads(true));
        vireo.addBridge("br0", null);
        vireo.addBridge("br1", null);
        vireo.addTapPort("br0", new TapPortSpec(sandbox.ifname("tA"), nsA, "10.94.0.1/24", MAC_A, null));
        vireo.addTapPort("br1", new TapPortSpec(sandbox.ifname("tB"), nsB, "10.94.0.2/24", MAC_B, null));
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
    void gsoFramesAndPartialChecksumsCrossAnOffloadingFrontendWhole() throws Exception
    {
        final Path dir = sandbox.tempDir("vhost");
        vireo.addVhostUserPort("br0", "vm1", dir.resolve("vm1.sock"), false);
        vireo.addVhostUserPort("br1", "vm2", dir.resolve("vm2.sock"), false);
        final Path commands = dir.resolve("testpmd.cmd");
        Files.writeString(commands, TESTPMD_COMMANDS);
        final Path log = sandbox.tempFile(".testpmd");
        // The csum engine rewrites the Ethernet addresses as mac mode does: towards each namespace, its TAP's MAC.
        sandbox.start(log, "dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "512", "--no-pci",
            "--file-prefix", sandbox.dpdkFilePrefix("o"),
            "--vdev", "net_virtio_user0,path=" + dir.resolve("vm1.sock") + ",queues=1,queue_size=1024",
            "--vdev", "net_virtio_user1,path=" + dir.resolve("vm2.sock") + ",queues=1,queue_size=1024",
            "--", "--nb-cores=1", "--forward-mode=csum", "--eth-peer=0," + MAC_A, "--eth-peer=1," + MAC_B,
            "--rxd=1024", "--txd=1024", "--rx-offloads=" + RX_OFFLOADS, "--tx-offloads=" + TX_OFFLOADS,
            "--total-num-mbufs=32768", "--cmdline-file=" + commands, "--stats-period", "1");
        TapForwardingIT.waitFor(() -> 0 == sandbox.inNetns(nsA, "ping", "-c", "1", "-W", "1", "10.94.0.2").exit(),
            "namespace A pings B through testpmd:\n" + Sandbox.readUtf8(log));
        check(sandbox.inNetns(nsB, "ping", "-c", "3", "-i", "0.1", "-W", "1", "10.94.0.1"));

        TapOffloadsIT.transfer(sandbox, nsA, nsB, "10.94.0.2");

        final PortInfo vm1 = vireo.port("vm1");
        final PortInfo vm2 = vireo.port("vm2");
        assertEquals("checksum,tcp4,tcp6", vm1.takes(), "GUEST_CSUM, GUEST_TSO4 and GUEST_TSO6 negotiated");
        assertTrue(vm1.stats().txBytes() / vm1.stats().txPackets() > 3_000,
            () -> "GSO frames handed to the frontend whole: " + vm1.stats());
        assertTrue(vm2.stats().rxBytes() / vm2.stats().rxPackets() > 3_000,
            () -> "GSO frames taken from the frontend whole: " + vm2.stats());
        assertEquals(0L, vm2.stats().drops().get("bad_offload"));
        final String csumErrors = check(sandbox.inNetns(nsB, "nstat", "-az", "TcpInCsumErrors")).out();
        assertTrue(csumErrors.matches("(?s).*TcpInCsumErrors\\s+0\\s.*"), csumErrors);
    }
}
