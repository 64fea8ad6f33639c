package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vireo.vswitch.core.FdbEntry;
import io.vireo.vswitch.core.PortInfo;
import io.vireo.vswitch.core.TapPortSpec;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded switch with real TAP ports in three network namespaces ("containers") A, B, C on
 * bridge br0: 10.99.0.1, .2 and .3.
 */
class TapForwardingIT
{
    private static final String MAC_A = "02:99:00:00:00:0a";
    private static final String MAC_B = "02:99:00:00:00:0b";
    private static final String MAC_C = "02:99:00:00:00:0c";

    private Sandbox sandbox;
    private Vireo vireo;
    private String nsA;
    private String nsB;
    private String nsC;
    private String tapA;
    private String tapB;
    private String tapC;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
        nsA = sandbox.namespace("a");
        nsB = sandbox.namespace("b");
        nsC = sandbox.namespace("c");
        tapA = sandbox.ifname("tA");
        tapB = sandbox.ifname("tB");
        tapC = sandbox.ifname("tC");
        vireo = Vireo.launch(new VireoContext());
        vireo.addBridge("br0", null);
        vireo.addTapPort("br0", new TapPortSpec(tapA, nsA, "10.99.0.1/24", MAC_A, null));
        vireo.addTapPort("br0", new TapPortSpec(tapB, nsB, "10.99.0.2/24", MAC_B, null));
        vireo.addTapPort("br0", new TapPortSpec(tapC, nsC, "10.99.0.3/24", MAC_C, null));
    }

    @AfterEach
    void tearDown()
    {
        try
        {
            if (null != vireo)
            {
                vireo.close();
            }
        }
        finally
        {
            sandbox.close();
        }
    }

    private void ping(final String fromNs, final String to, final int count)
    {
        check(sandbox.inNetns(fromNs, "ping", "-c", String.valueOf(count), "-i", "0.05", "-W", "2", to));
    }

    @Test
    void namespacesPingEachOtherBothWaysAndArpResolves()
    {
        ping(nsA, "10.99.0.2", 3);
        ping(nsB, "10.99.0.1", 3);

        final String neighbour = check(sandbox.inNetns(nsA, "ip", "neigh", "show", "10.99.0.2")).out();
        assertTrue(neighbour.contains(MAC_B), "ARP resolved 10.99.0.2 to B's MAC: " + neighbour);
        assertEquals(tapA, portOf(MAC_A));
        assertEquals(tapB, portOf(MAC_B));
    }

    @Test
    void tcpTransferOf100MbArrivesByteExact() throws Exception
    {
        final Path script = Daemon.ROOT.resolve("scripts/testing/tcp_transfer.py");
        final Path receiverLog = sandbox.tempFile(".recv");
        final Process receiver = sandbox.start(receiverLog,
            "ip", "netns", "exec", nsB, "python3", script.toString(), "recv", "10.99.0.2", "5201");
        waitFor(() -> Sandbox.readUtf8(receiverLog).contains("listening"), "receiver listening");

        final String sent = check(sandbox.run(120,
            "ip", "netns", "exec", nsA, "python3", script.toString(), "send", "10.99.0.2", "5201", "104857600")).out().trim();
        assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "receiver finished");
        final String received = Sandbox.readUtf8(receiverLog).lines().reduce((first, second) -> second).orElse("");

        assertTrue(sent.startsWith("104857600 "), sent);
        assertEquals(sent, received.trim(), "bytes and sha256 of what arrived equal what was sent");
    }

    @Test
    void afterLearningAUnicastExchangeAddsNothingToAThirdPort()
    {
        ping(nsA, "10.99.0.2", 2);
        ping(nsB, "10.99.0.1", 2);
        final long thirdTxBefore = port(tapC).stats().txPackets();
        final long bTxBefore = port(tapB).stats().txPackets();

        ping(nsA, "10.99.0.2", 20);

        assertEquals(thirdTxBefore, port(tapC).stats().txPackets(), "C saw none of A<->B");
        assertTrue(port(tapB).stats().txPackets() >= bTxBefore + 20);
    }

    @Test
    void aMacThatMovesToAnotherPortIsRelearned()
    {
        ping(nsA, "10.99.0.2", 1);
        assertEquals(tapB, portOf(MAC_B));

        // B's MAC shows up behind C's port, as when a VM migrates.
        check(sandbox.inNetns(nsC, "ip", "link", "set", "dev", tapC, "address", MAC_B));
        check(sandbox.inNetns(nsC, "ip", "addr", "add", "10.99.0.22/24", "dev", tapC));
        ping(nsC, "10.99.0.1", 1);

        assertEquals(tapC, portOf(MAC_B));
    }

    @Test
    void deletingAPortFlushesItsEntriesAndRemovesItsInterface()
    {
        ping(nsA, "10.99.0.2", 1);
        assertEquals(tapB, portOf(MAC_B));

        vireo.deletePort(tapB);

        assertEquals(null, portOf(MAC_B));
        assertNotEquals(0, sandbox.inNetns(nsB, "ip", "link", "show", "dev", tapB).exit(), "the TAP is gone");
        ping(nsA, "10.99.0.3", 1);
    }

    @Test
    void deletingANamespaceUnderTrafficDeletesItsPortAndLeavesTheOthersForwarding() throws Exception
    {
        final Process flood = sandbox.start(sandbox.tempFile(".flood"),
            "ip", "netns", "exec", nsA, "ping", "-f", "-w", "20", "10.99.0.3");
        // The flood under way, and the conductor's ticks after the ports were added past (one a second): the
        // namespaces were looked at then, and the next look without the watch would come 30 s later.
        Thread.sleep(2_500);

        check(sandbox.run("ip", "netns", "del", nsC));
        sandbox.namespaceDeleted(nsC);
        // The TAP was born in nsC and holds it: the switch sees its path go and deletes the port. Within 15 s: the
        // watch of /run/netns tells at once, where without it the conductor would look again only after 30 s.
        waitFor(() -> List.of(tapA, tapB).equals(vireo.ports().stream().map(PortInfo::name).toList()),
            "port C deleted with its namespace");
        assertEquals(null, portOf(MAC_C));

        ping(nsA, "10.99.0.2", 3);
        ping(nsB, "10.99.0.1", 3);
        Sandbox.stop(flood);
    }

    @Test
    void aNamespaceUnmountedButLeftNamedIsFoundGoneByTheSlowerLook() throws Exception
    {
        // Its file stays in /run/netns, so no watch tells: the conductor's look every 30 s finds the path naming
        // no namespace.
        final Path named = Path.of("/run/netns", nsC);
        check(sandbox.run("umount", named.toString()));
        sandbox.namespaceDeleted(nsC);
        try
        {
            waitFor(() -> List.of(tapA, tapB).equals(vireo.ports().stream().map(PortInfo::name).toList()),
                "port C deleted once its namespace was unmounted", 60);
        }
        finally
        {
            Files.delete(named);
        }
        ping(nsA, "10.99.0.2", 1);
    }

    @Test
    void runtAndOversizeFramesFromANamespaceAreDroppedAndCounted()
    {
        ping(nsA, "10.99.0.2", 1);
        final Path sendFrame = Sandbox.resource("send_frame.py");
        // The kernel sends nothing shorter than 14 bytes; a VLAN-tagged header cut before its tag is our runt.
        check(sandbox.inNetns(nsA, "python3", sendFrame.toString(), tapA, "ffffffffffff02990000000a8100"));
        check(sandbox.inNetns(nsA, "ip", "link", "set", "dev", tapA, "mtu", "12000"));
        sandbox.inNetns(nsA, "ping", "-c", "1", "-W", "1", "-M", "do", "-s", "11000", "10.99.0.2");

        waitFor(() -> port(tapA).stats().drops().get("runt") == 1, "runt counted");
        waitFor(() -> port(tapA).stats().drops().get("oversize") >= 1, "oversize counted");
        check(sandbox.inNetns(nsA, "ip", "link", "set", "dev", tapA, "mtu", "1500"));
        ping(nsA, "10.99.0.2", 2);
    }

    private PortInfo port(final String name)
    {
        return vireo.port(name);
    }

    private String portOf(final String mac)
    {
        return vireo.fdb("br0").stream().filter(e -> e.mac().equals(mac)).map(FdbEntry::port).findFirst().orElse(null);
    }

    @FunctionalInterface
    interface Condition
    {
        boolean holds() throws Exception;
    }

    static void waitFor(final Condition condition, final String what) throws RuntimeException
    {
        waitFor(condition, what, 15);
    }

    static void waitFor(final Condition condition, final String what, final int seconds) throws RuntimeException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try
        {
            while (!condition.holds())
            {
                if (System.nanoTime() > deadline)
                {
                    throw new AssertionError("timed out waiting for: " + what);
                }
                Thread.sleep(50);
            }
        }
        catch (final AssertionError | RuntimeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
