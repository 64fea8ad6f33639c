package io.vireo.vswitch.it;

import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-port rate limits with TCP through real TAPs: A (10.93.5.1) sends to B (10.93.5.2) on {@code br0}.
 * The bounds are loose on purpose (this machine is shared and noisy): a token bucket never lets through
 * more than its rate and burst, and TCP gets most of it; {@code benches/ratelimit-bench.sh} measures how close.
 */
class RateLimitIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double LIMIT_MBIT = 50;

    private Sandbox sandbox;
    private TwoNamespaces net;
    private Daemon daemon;
    private String tapA;
    private String tapB;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        net = TwoNamespaces.start(sandbox, "10.93.5");
        daemon = net.daemon();
        tapA = net.tapA();
        tapB = net.tapB();
        check(sandbox.inNetns(net.nsA(), "ping", "-c", "1", "-W", "3", "10.93.5.2"));
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void anEgressLimitHoldsTcpToItsRate() throws Exception
    {
        daemon.ok("port", "set", tapB, "--egress-rate", "50mbit", "--egress-burst", "256kb");
        final JsonNode port = port(tapB);
        assertEquals(50_000_000, port.get("egress").get("rate").asLong(), port::toString);
        assertEquals(262_144, port.get("egress").get("burst").asLong(), port::toString);
        assertTrue(port.get("ingress").isNull(), port::toString);

        final double mbit = tcpMbit();
        assertTrue(mbit <= LIMIT_MBIT * 1.05 && mbit >= LIMIT_MBIT * 0.5, mbit + " Mbit/s through a 50 Mbit/s limit");
    }

    @Test
    void anIngressLimitHoldsWhatThePortSendsAndRemovingItLiftsIt() throws Exception
    {
        daemon.ok("port", "set", tapA, "--ingress-rate", "50mbit", "--ingress-burst", "256kb");
        final double limited = tcpMbit();
        assertTrue(limited <= LIMIT_MBIT * 1.05 && limited >= LIMIT_MBIT * 0.5, limited + " Mbit/s through a 50 Mbit/s limit");
        assertEquals(0, port(tapA).get("stats").get("drops").get("rate_limited").asLong(),
            "an ingress limit holds frames back in the kernel's queue; it drops none");

        daemon.ok("port", "set", tapA, "--ingress-rate", "0");
        assertTrue(port(tapA).get("ingress").isNull());
        final double free = tcpMbit();
        assertTrue(free > LIMIT_MBIT * 3, free + " Mbit/s without the limit");
    }

    /** Usage errors exit 2, refusals by the switch 1; either way one line that says why, and nothing changes. */
    @Test
    void badLimitsAreRefusedWithOneLine()
    {
        refused(1, "port", "set", "nope", "--egress-rate", "1mbit");
        refused(1, "port", "set", tapA, "--egress-rate", "100");
        refused(1, "port", "set", tapA, "--ingress-rate", "1mbit", "--ingress-burst", "0");
        refused(2, "port", "set", tapA, "--egress-rate", "fast");
        refused(2, "port", "set", tapA, "--egress-burst", "1kb");
        refused(2, "port", "set", tapA);
        assertTrue(port(tapA).get("ingress").isNull() && port(tapA).get("egress").isNull(), "nothing changed");
    }

    private void refused(final int exit, final String... args)
    {
        final Sandbox.Result result = daemon.ctl(args);
        assertEquals(exit, result.exit(), () -> String.join(" ", args) + ": " + result.all());
        assertTrue(result.err().startsWith("vireoctl: ") && 1 == result.err().strip().lines().count(), result::all);
    }

    private JsonNode port(final String name)
    {
        try
        {
            for (final JsonNode port : JSON.readTree(daemon.ok("port", "list", "--json").out()))
            {
                if (name.equals(port.get("name").asText()))
                {
                    return port;
                }
            }
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError(ex);
        }
        throw new AssertionError("no port " + name);
    }

    /** A 3-second iperf3 TCP stream from A to B; the receiver's Mbit/s. */
    private double tcpMbit() throws Exception
    {
        final Process server = sandbox.start(sandbox.tempFile(".iperf"), "ip", "netns", "exec", net.nsB(),
            "iperf3", "-s", "-1", "-B", "10.93.5.2");
        TapForwardingIT.waitFor(() -> 0 == sandbox.inNetns(net.nsB(), "sh", "-c", "ss -ltn | grep -q ':5201'").exit(), "iperf3 listening");
        final JsonNode result = JSON.readTree(check(sandbox.run(60, "ip", "netns", "exec", net.nsA(),
            "iperf3", "-c", "10.93.5.2", "-t", "3", "-J")).out());
        assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        return result.get("end").get("sum_received").get("bits_per_second").asDouble() / 1e6;
    }
}
