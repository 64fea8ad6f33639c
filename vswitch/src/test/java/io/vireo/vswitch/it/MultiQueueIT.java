package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vireod --threads 2}: multi-queue TAPs, a queue per forwarding thread. */
class MultiQueueIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TRANSFER = Daemon.ROOT.resolve("scripts/testing/tcp_transfer.py");

    private Sandbox sandbox;
    private TwoNamespaces net;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        net = TwoNamespaces.start(sandbox, "10.93.0", "--threads", "2");
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void everyTapHasAQueuePerThreadAndAFlowArrivesIntactAndInOrder() throws Exception
    {
        final String queues = check(sandbox.inNetns(net.nsA(), "ls", "/sys/class/net/" + net.tapA() + "/queues")).out();
        assertTrue(queues.contains("rx-1") && queues.contains("tx-1") && !queues.contains("rx-2"), "two queues: " + queues);
        check(sandbox.inNetns(net.nsA(), "ping", "-c", "3", "-i", "0.05", "-W", "2", "10.93.0.2"));
        check(sandbox.inNetns(net.nsB(), "ping", "-c", "3", "-i", "0.05", "-W", "2", "10.93.0.1"));
        final long outOfOrderBefore = outOfOrder(net.nsB());

        final Path receiverLog = sandbox.tempFile(".recv");
        final Process receiver = sandbox.start(receiverLog,
            "ip", "netns", "exec", net.nsB(), "python3", TRANSFER.toString(), "recv", "10.93.0.2", "5201");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(receiverLog).contains("listening"), "receiver listening");
        final String sent = check(sandbox.run(120, "ip", "netns", "exec", net.nsA(), "python3", TRANSFER.toString(),
            "send", "10.93.0.2", "5201", "104857600")).out().trim();
        assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
        assertEquals(sent, Sandbox.readUtf8(receiverLog).lines().reduce((first, second) -> second).orElse("").trim());
        assertEquals(outOfOrderBefore, outOfOrder(net.nsB()), "the receiver queued no segment out of order");
    }

    @Test
    void manyFlowsSpreadOverBothThreads() throws Exception
    {
        check(sandbox.inNetns(net.nsA(), "ping", "-c", "1", "-W", "2", "10.93.0.2"));
        final Process server = sandbox.start(sandbox.tempFile(".iperf"), "ip", "netns", "exec", net.nsB(),
            "iperf3", "-s", "-1", "-B", "10.93.0.2");
        TapForwardingIT.waitFor(() -> 0 == sandbox.inNetns(net.nsB(), "sh", "-c", "ss -ltn | grep -q ':5201'").exit(), "iperf3 listening");
        final JsonNode result = JSON.readTree(check(sandbox.run(60, "ip", "netns", "exec", net.nsA(),
            "iperf3", "-c", "10.93.0.2", "-P", "16", "-t", "2", "-J")).out());
        assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        assertTrue(result.get("end").get("sum_received").get("bytes").asLong() > 0, result::toString);

        final JsonNode threads = JSON.readTree(net.daemon().ok("stats", "--json").out()).get("threads");
        assertEquals(2, threads.size());
        for (final JsonNode thread : threads)
        {
            assertTrue(thread.get("rx_frames").asLong() > 100, "both threads forwarded: " + threads);
        }
    }

    /** The receiving stack's count of segments it had to queue out of order (TcpExtTCPOFOQueue). */
    private long outOfOrder(final String netns)
    {
        final String out = check(sandbox.inNetns(netns, "nstat", "-az", "TcpExtTCPOFOQueue")).out();
        return out.lines().filter(line -> line.startsWith("TcpExtTCPOFOQueue"))
            .mapToLong(line -> Long.parseLong(line.trim().split("\\s+")[1])).findFirst().orElse(0);
    }
}
