package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.TapForwardingIT.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vireod --takeover} of a daemon with a vhost-user port that DPDK's testpmd (virtio-user, answering ARP and
 * ping for any address) is connected to: the connection, the frontend's memory and the rings pass to the new
 * daemon, and testpmd goes on as if nothing happened. Every wait is for a condition, with a deadline made for a
 * loaded 2-core machine.
 */
class VhostTakeoverIT
{
    /** Takeovers in a row, each of the daemon that took over before (the second hands over a port it resumed). */
    private static final int TAKEOVERS = 2;

    private Sandbox sandbox;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    /** The port listens; testpmd connects to it. */
    @Test
    void aServerVhostUserPortPassesToTheNewDaemonWithoutItsFrontendNoticing() throws Exception
    {
        takeOverWhileTestpmdAnswersAPing("10.89.13", false);
    }

    /** testpmd listens; the port connects to it. */
    @Test
    void aClientVhostUserPortPassesToTheNewDaemonWithoutItsFrontendNoticing() throws Exception
    {
        takeOverWhileTestpmdAnswersAPing("10.89.14", true);
    }

    /**
     * A 10 ms ping from namespace A to testpmd through the switch, then {@code vireod --takeover} twice: each daemon
     * taken over exits 0, the ping loses at most one answer a takeover, testpmd runs on (it never saw its
     * connection close: its socket, in server mode, is the one the first daemon bound), and the new daemon goes on
     * counting the port's frames.
     */
    private void takeOverWhileTestpmdAnswersAPing(final String subnet, final boolean client) throws Exception
    {
        final TwoNamespaces net = TwoNamespaces.start(sandbox, subnet);
        final Daemon first = net.daemon();
        final Path socket = sandbox.tempDir("vhost").resolve("vm.sock");
        final String vm = sandbox.ifname("vm");
        final Process frontend;
        if (client)
        {
            frontend = VhostUserIT.icmpEchoFrontend(sandbox, socket, true);
            waitFor(() -> Files.exists(socket), "testpmd listens", 60);
            first.ok("port", "add", "br0", vm, "--type", "vhost-user", "--socket", socket.toString(), "--client");
        }
        else
        {
            // The port listens before testpmd starts: a virtio-user client that finds no socket runs on with no port.
            first.ok("port", "add", "br0", vm, "--type", "vhost-user", "--socket", socket.toString());
            frontend = VhostUserIT.icmpEchoFrontend(sandbox, socket, false);
        }
        final String address = subnet + ".77";
        waitFor(() -> 0 == sandbox.inNetns(net.nsA(), "ping", "-c", "1", "-W", "1", address).exit(),
            "testpmd answers ping through the switch", 90);
        final Pinger ping = Pinger.start(sandbox, net.nsA(), address);
        waitFor(() -> ping.replies().size() >= 100, "100 pings answered by testpmd", 60);
        final long inode = client ? 0 : (Long)Files.getAttribute(socket, "unix:ino");

        final List<String> figures = new ArrayList<>();
        Daemon taken = first;
        for (int takeover = 0; takeover < TAKEOVERS; takeover++)
        {
            final Daemon before = taken;
            final double since = System.currentTimeMillis() / 1000.0;
            final int lostBefore = ping.lost();
            taken = before.takenOverBy(sandbox);
            assertTrue(before.output().contains("port " + vm + ": frontend session ended: handed over to another process"),
                before.output());
            assertFalse(before.output().contains("frontend disconnected"), "testpmd never went away: " + before.output());
            final Daemon after = taken;
            final long sent = FaultsIT.txBytes(after, vm);
            final int answered = ping.replies().size();
            waitFor(() -> ping.replies().size() >= answered + 100 && FaultsIT.txBytes(after, vm) > sent,
                "100 more pings answered by testpmd through the new daemon", 60);
            final int lost = ping.lost() - lostBefore;
            figures.add(String.format("%s, lost pings %d, longest gap between answers %.1f ms", TakeoverIT.pausedLine(after.output()),
                lost, ping.longestGapSince(since) * 1000));
            assertTrue(lost <= 1, "at most one ping lost across a takeover: " + figures + "\n" + after.output());
            assertTrue(frontend.isAlive(), "testpmd runs on");
        }
        if (!client)
        {
            assertEquals(inode, Files.getAttribute(socket, "unix:ino"), "the socket file is the one the first daemon bound");
        }
        assertFalse(taken.output().contains("violation"), taken.output());
        System.out.printf("VhostTakeoverIT (%s port): %s over %d takeovers%n", client ? "client" : "server",
            String.join("; ", figures), TAKEOVERS);
        assertEquals(0, taken.terminate());
    }
}
