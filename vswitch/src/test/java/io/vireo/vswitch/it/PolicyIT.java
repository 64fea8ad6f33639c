package io.vireo.vswitch.it;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Endpoint policy enforced end to end between two namespaces, driven through vireoctl. */
class PolicyIT
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private Sandbox sandbox;
    private Daemon daemon;
    private String nsA;
    private String nsB;
    private String tapA;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        final TwoNamespaces two = TwoNamespaces.start(sandbox, "10.90.0");
        daemon = two.daemon();
        nsA = two.nsA();
        nsB = two.nsB();
        tapA = two.tapA();
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    private boolean connects(final int port)
    {
        return 0 == sandbox.inNetns(nsA, "timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/10.90.0.2/" + port).exit();
    }

    @Test
    void aDeniedTcpConnectionFailsWhileAnAllowedOneWorks() throws Exception
    {
        for (final int port : new int[] {5001, 5002})
        {
            sandbox.start(sandbox.tempFile(".http"), "ip", "netns", "exec", nsB,
                "python3", "-m", "http.server", Integer.toString(port), "--bind", "10.90.0.2");
        }
        TapForwardingIT.waitFor(() -> connects(5001) && connects(5002), "both servers reachable without policy");

        final JsonNode rule = JSON.readTree(daemon.ok("policy", "add", "br0", "--action", "deny", "--proto", "tcp",
            "--dst", "10.90.0.2/32", "--dport", "5001", "--priority", "200", "--json").out());
        assertEquals("deny", rule.get("action").asText());

        assertTrue(!connects(5001), "TCP to port 5001 is denied");
        assertTrue(connects(5002), "TCP to port 5002 is allowed");
        final String list = daemon.ok("policy", "list", "br0").out();
        assertTrue(list.contains("5001") && list.contains("deny"), list);
        assertTrue(port(tapA).get("stats").get("drops").get("policy").asLong() > 0);

        daemon.ok("policy", "default", "br0", "deny");
        assertTrue(!connects(5002), "a default of deny closes what no rule allows");
        daemon.ok("policy", "default", "br0", "allow");
        assertTrue(connects(5002));

        daemon.ok("policy", "del", "br0", rule.get("id").asText());
        assertTrue(connects(5001), "deleting the rule and allowing by default opens 5001 again");
    }

    @Test
    void aPolicyChangeTakesEffectOnAnExistingFlow() throws Exception
    {
        final Path log = sandbox.tempFile(".ping");
        // The ping runs until the test stops it: a deadline of its own (it had -w 6) could end it before the
        // replies are looked for on a loaded machine.
        final Process ping = sandbox.start(log, "ip", "netns", "exec", nsA, "ping", "-i", "0.1", "10.90.0.2");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(log).contains("icmp_seq=5 "), "the flow is established");

        final String id = JSON.readTree(daemon.ok("policy", "add", "br0", "--action", "deny", "--proto", "icmp",
            "--json").out()).get("id").asText();
        final long dropsBefore = policyDrops();
        TapForwardingIT.waitFor(() -> policyDrops() >= dropsBefore + 5,
            "the running ping is denied: " + dropsBefore + " policy drops before");

        daemon.ok("policy", "del", "br0", id);
        final int repliesBefore = replies(log);
        TapForwardingIT.waitFor(() -> replies(log) > repliesBefore + 3, "replies resume once the rule is gone");
        Sandbox.stop(ping);
    }

    private long policyDrops() throws Exception
    {
        return port(tapA).get("stats").get("drops").get("policy").asLong();
    }

    private static int replies(final Path log) throws Exception
    {
        return Sandbox.readUtf8(log).split("bytes from", -1).length - 1;
    }

    @Test
    void badRulesAreRefusedWithOneLine()
    {
        for (final String[] args : new String[][] {
            {"policy", "add", "br0", "--action", "maybe"},
            {"policy", "add", "br0", "--action", "deny", "--src", "10.0.0.0/33"},
            {"policy", "add", "br0", "--action", "deny", "--dport", "9000-80"},
            {"policy", "add", "br0", "--action", "deny", "--proto", "bogus"},
            {"policy", "add", "nope", "--action", "deny"},
            {"policy", "del", "br0", "12345"}})
        {
            final Sandbox.Result result = daemon.ctl(args);
            assertEquals(1, result.exit(), () -> String.join(" ", args) + ": " + result.all());
            assertTrue(result.err().startsWith("vireoctl: ") && result.err().strip().lines().count() == 1, result::all);
        }
        assertTrue(daemon.ok("policy", "list", "br0", "--json").out().contains("\"rules\" : [ ]"));
    }

    private JsonNode port(final String name) throws Exception
    {
        for (final JsonNode port : JSON.readTree(daemon.ok("port", "list", "--json").out()))
        {
            if (port.get("name").asText().equals(name))
            {
                return port;
            }
        }
        throw new AssertionError("no port " + name);
    }
}
