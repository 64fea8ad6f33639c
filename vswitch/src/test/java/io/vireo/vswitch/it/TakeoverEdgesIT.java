package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static io.vireo.vswitch.it.TapForwardingIT.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vireod --takeover} off the straight path: the daemon that took over killed at once, a takeover with
 * {@code --config}, and one with other {@code --threads}. A 10 ms ping crosses the switch throughout; every wait
 * is for a condition, with a deadline made for a loaded 2-core machine.
 */
class TakeoverEdgesIT
{
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

    /**
     * The daemon that took over is killed (SIGKILL) once the one it took over from has exited: the TAPs stay, the
     * same interfaces (the port keeper holds a copy of every queue, handed over or not), and a plain {@code vireod}
     * started on the run dir takes them back from the run dir's state, and the ping goes on through it.
     */
    @Test
    void aPlainVireodBringsTheSwitchBackWhenTheDaemonThatTookOverIsKilled() throws Exception
    {
        final TwoNamespaces net = TwoNamespaces.start(sandbox, "10.89.10");
        final Daemon first = net.daemon();
        final Pinger ping = Pinger.start(sandbox, net.nsA(), "10.89.10.2");
        waitFor(() -> ping.replies().size() >= 20, "20 pings across the switch", 60);
        final int ifindexA = FaultsIT.ifindex(sandbox, net.nsA(), net.tapA());
        final int ifindexB = FaultsIT.ifindex(sandbox, net.nsB(), net.tapB());
        final List<String> ports = FaultsIT.names(FaultsIT.ports(first));

        final Daemon second = first.takenOverBy(sandbox);
        final int answered = ping.replies().size();
        waitFor(() -> ping.replies().size() >= answered + 20, "20 pings through the daemon that took over", 60);
        second.process.destroyForcibly();
        assertTrue(second.process.waitFor(20, TimeUnit.SECONDS), "SIGKILL ends it");

        assertEquals(ifindexA, FaultsIT.ifindex(sandbox, net.nsA(), net.tapA()), "A's TAP outlives the killed daemon");
        assertEquals(ifindexB, FaultsIT.ifindex(sandbox, net.nsB(), net.tapB()), "and B's");
        final int beforeRestart = ping.replies().size();
        final long restartNs = System.nanoTime();
        final Daemon third = Daemon.start(sandbox, first.runDir);
        waitFor(() -> ping.replies().size() >= beforeRestart + 20, "the ping goes on through a plain vireod", 60);
        System.out.printf("TakeoverEdgesIT: a plain vireod forwarded again %d ms after it was started%n",
            (System.nanoTime() - restartNs) / 1_000_000);
        assertFalse(third.output().contains("let go"), "it claimed every TAP the keeper held: " + third.output());
        assertEquals(ports, FaultsIT.names(FaultsIT.ports(third)));
        assertEquals(ifindexA, FaultsIT.ifindex(sandbox, net.nsA(), net.tapA()), "A's TAP is the one it was");
        assertEquals(ifindexB, FaultsIT.ifindex(sandbox, net.nsB(), net.tapB()), "and B's");
        assertEquals(0, third.terminate());
    }

    /**
     * A takeover keeps the running switch, whatever {@code --config} holds: with the file the running daemon saves
     * to, nothing is said; with a file that holds another switch, the new daemon says so in one line and writes the
     * running switch over it, and saves its changes there from then on.
     */
    @Test
    void aTakeoverWithConfigKeepsTheRunningSwitchAndSavesItToTheFile() throws Exception
    {
        final Path dir = sandbox.tempDir("cfg");
        final Path config = dir.resolve("vireo.yaml");
        final TwoNamespaces net = TwoNamespaces.start(sandbox, "10.89.11", "--config", config.toString());
        final Daemon first = net.daemon();
        final Pinger ping = Pinger.start(sandbox, net.nsA(), "10.89.11.2");
        waitFor(() -> ping.replies().size() >= 20, "20 pings across the switch", 60);
        final List<String> ports = FaultsIT.names(FaultsIT.ports(first));

        final int lostBefore = ping.lost();
        final Daemon second = first.takenOverBy(sandbox, "--config", config.toString());
        assertFalse(second.output().contains("was not the running switch"), second.output());

        final Path other = dir.resolve("other.yaml");
        Files.writeString(other, "bridges:\n  - name: other\n");
        final Daemon third = second.takenOverBy(sandbox, "--config", other.toString());
        assertTrue(third.output().contains("vireod: --takeover: " + other.toRealPath() + " was not the running switch; " +
            "it wins, and the file holds it now"), third.output());
        assertEquals(List.of("br0"), third.bridges());
        assertEquals(ports, FaultsIT.names(FaultsIT.ports(third)));
        final int answered = ping.replies().size();
        waitFor(() -> ping.replies().size() >= answered + 20, "20 pings through the daemon that took over", 60);
        assertTrue(ping.lost() - lostBefore <= 2, "at most a ping lost a takeover: " + (ping.lost() - lostBefore));
        final String saved = Files.readString(other);
        assertTrue(saved.contains(net.tapA()) && !saved.contains("other"), "the file holds the running switch: " + saved);
        third.ok("bridge", "add", "after");
        assertTrue(Files.readString(other).contains("after"), "and the changes made since: " + Files.readString(other));
        assertEquals(0, third.terminate());
    }

    /**
     * A takeover that fails after the running daemon sent its af-packet socket (the new daemon, with other
     * {@code --threads}, gives up and closes its copy) leaves the uplink to the running daemon: it forwards on through
     * it, the interface stays promiscuous, and a takeover with the same threads then takes the socket over.
     */
    @Test
    void aFailedTakeoverLeavesTheAfPacketUplinkToTheRunningDaemon() throws Exception
    {
        final Daemon first = Daemon.start(sandbox, sandbox.tempDir("run"), "--threads", "2");
        final Uplink.ContainerAndOutside net = Uplink.containerAndOutside(sandbox, first, "10.89.16");
        final String uplink = net.uplink();
        final Pinger ping = Pinger.start(sandbox, net.container(), "10.89.16.2");
        waitFor(() -> ping.replies().size() >= 20, "20 pings through the af-packet port", 60);

        final Sandbox.Result refused = sandbox.run(180, Daemon.ROOT.resolve("scripts/vireod").toString(), "--run-dir",
            first.runDir.toString(), "--metrics", "127.0.0.1:0", "--takeover", "--threads", "1");
        assertEquals(1, refused.exit(), refused.all());
        assertTrue(refused.err().contains("the running vireod goes on forwarding"), refused.all());
        assertTrue(first.process.isAlive(), "the running daemon goes on: " + first.output());
        final int answered = ping.replies().size();
        waitFor(() -> ping.replies().size() >= answered + 20, "it forwards on through the uplink", 30);
        assertEquals(1, Uplink.promiscuity(sandbox, uplink), "the socket is still the running daemon's, promiscuous");

        final int lostBefore = ping.lost();
        final Daemon second = first.takenOverBy(sandbox, "--threads", "2");
        final int after = ping.replies().size();
        waitFor(() -> ping.replies().size() >= after + 20, "20 pings through the daemon that took over", 60);
        assertTrue(ping.lost() - lostBefore <= 1, "at most one ping lost across the takeover: " + (ping.lost() - lostBefore));
        assertEquals(1, Uplink.promiscuity(sandbox, uplink));
        assertEquals(0, second.terminate());
    }

    /**
     * A daemon forwarding with 2 threads, its TAPs a queue per thread: a takeover with {@code --threads 1} is
     * refused in one line naming the threads to take over with, and the running daemon forwards on and takes
     * changes again; one with {@code --threads 2} takes both queues of every TAP, which keep them once the daemon
     * taken over is gone.
     */
    @Test
    void aTakeoverWithOtherThreadsIsRefusedAndOneWithTheSameTakesEveryQueue() throws Exception
    {
        final TwoNamespaces net = TwoNamespaces.start(sandbox, "10.89.12", "--threads", "2");
        final Daemon first = net.daemon();
        final Pinger ping = Pinger.start(sandbox, net.nsA(), "10.89.12.2");
        waitFor(() -> ping.replies().size() >= 20, "20 pings across the switch", 60);

        final Sandbox.Result refused = sandbox.run(180, Daemon.ROOT.resolve("scripts/vireod").toString(), "--run-dir",
            first.runDir.toString(), "--metrics", "127.0.0.1:0", "--takeover", "--threads", "1");
        assertEquals(1, refused.exit(), refused.all());
        assertTrue(refused.err().contains("vireod: takeover failed: the running vireod's TAPs have a queue per forwarding " +
            "thread, 2, and this one would forward with 1: take over with --threads 2; the running vireod goes on forwarding"),
            refused.all());
        assertTrue(first.process.isAlive(), "the running daemon goes on: " + first.output());
        final int answered = ping.replies().size();
        waitFor(() -> ping.replies().size() >= answered + 20, "it forwards on", 30);
        first.ok("bridge", "add", "after");

        final int lostBefore = ping.lost();
        final Daemon second = first.takenOverBy(sandbox, "--threads", "2");
        final int after = ping.replies().size();
        waitFor(() -> ping.replies().size() >= after + 20, "20 pings through the daemon that took over", 60);
        assertTrue(ping.lost() - lostBefore <= 1, "at most one ping lost across the takeover: " + (ping.lost() - lostBefore));
        for (final String[] tap : List.of(new String[] {net.nsA(), net.tapA()}, new String[] {net.nsB(), net.tapB()}))
        {
            final String queues = check(sandbox.inNetns(tap[0], "ls", "/sys/class/net/" + tap[1] + "/queues")).out();
            assertTrue(queues.contains("rx-1") && !queues.contains("rx-2"), tap[1] + " keeps its two queues: " + queues);
        }
        assertEquals(List.of("br0", "after"), second.bridges());
        assertEquals(0, second.terminate());
    }
}
