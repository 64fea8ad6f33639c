package io.vireo.vswitch.cni;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugin's answers to what a runtime may get wrong, before any daemon is asked: each is the spec's error
 * object on stdout with the right code, one line on stderr and exit status 1. ADD, CHECK and DEL against a
 * real daemon are in {@code CniPluginIT}.
 */
class VireoCniTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path runDir;

    /** Exit status, stdout as JSON, stderr. */
    private record Outcome(int exit, JsonNode out, String err)
    {
    }

    private Map<String, String> env(final String command)
    {
        final Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c0ffee-1");
        env.put("CNI_NETNS", "/proc/self/ns/net");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", runDir.toString());
        return env;
    }

    private String config(final String extra)
    {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"test-net\",\"type\":\"vireo\",\"runDir\":\"" + runDir + "\"" +
            extra + "}";
    }

    private static Outcome run(final Map<String, String> env, final String stdin) throws Exception
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = VireoCni.run(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        final String text = out.toString(StandardCharsets.UTF_8);
        return new Outcome(exit, text.isEmpty() ? null : JSON.readTree(text), err.toString(StandardCharsets.UTF_8));
    }

    private static JsonNode assertError(final int code, final String msgPart, final Outcome outcome)
    {
        assertEquals(1, outcome.exit(), () -> String.valueOf(outcome.out()));
        assertEquals(code, outcome.out().get("code").asInt(), outcome.out()::toString);
        final String msg = outcome.out().get("msg").asText();
        assertTrue(msg.contains(msgPart), msg);
        assertEquals("vireo-cni: " + msg + "\n", outcome.err(), "one line on stderr");
        return outcome.out();
    }

    @Test
    void versionListsTheSupportedVersionsAndEchoesTheAskedOne() throws Exception
    {
        final Outcome outcome = run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"0.4.0\"}");
        assertEquals(0, outcome.exit());
        assertEquals("0.4.0", outcome.out().get("cniVersion").asText());
        assertEquals("[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]", outcome.out().get("supportedVersions").toString());
        assertEquals("1.1.0", run(Map.of("CNI_COMMAND", "VERSION"), "").out().get("cniVersion").asText());
    }

    @Test
    void undecodableInputIsCode6() throws Exception
    {
        assertError(6, "cannot decode the network config", run(env("ADD"), "{\"cniVersion\":"));
        assertError(6, "no network config", run(env("ADD"), ""));
        assertError(6, "not a JSON object", run(env("DEL"), "[\"cniVersion\"]"));
    }

    @Test
    void anUnsupportedVersionIsCode1AndTheErrorSpeaksTheConfigsVersion() throws Exception
    {
        final JsonNode error = assertError(1, "incompatible CNI version 2.0.0; vireo supports 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0",
            run(env("ADD"), config("").replace("1.0.0", "2.0.0")));
        assertEquals("2.0.0", error.get("cniVersion").asText());
        assertError(1, "CHECK needs cniVersion 0.4.0", run(env("CHECK"), config(",\"prevResult\":{}").replace("1.0.0", "0.3.1")));
    }

    /** STATUS and GC need no container: only the config (and CNI_PATH for GC's IPAM plugin). */
    @Test
    void statusAndGcCameWithSpec110AndStatusWithNoDaemonIsCode50() throws Exception
    {
        final Map<String, String> status = Map.of("CNI_COMMAND", "STATUS");
        final Map<String, String> gc = Map.of("CNI_COMMAND", "GC", "CNI_PATH", runDir.toString());
        assertError(1, "STATUS came with CNI 1.1.0; the config says 1.0.0", run(status, config("")));
        assertError(1, "GC came with CNI 1.1.0; the config says 1.0.0", run(gc, config("")));
        assertError(50, "no vireod serves " + runDir, run(status, config("").replace("1.0.0", "1.1.0")));
        assertError(7, "cni.dev/valid-attachments entries need containerID and ifname",
            run(gc, config(",\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\"}]").replace("1.0.0", "1.1.0")));
        assertError(7, "cni.dev/valid-attachments must be an array",
            run(gc, config(",\"cni.dev/valid-attachments\":{}").replace("1.0.0", "1.1.0")));
    }

    @Test
    void anUnknownFieldIsCode2NamingKeyAndValue() throws Exception
    {
        assertError(2, "unsupported field 'brdige': \"br1\"", run(env("ADD"), config(",\"brdige\":\"br1\"")));
    }

    @Test
    void invalidConfigIsCode7() throws Exception
    {
        assertError(7, "no cniVersion", run(env("ADD"), "{\"name\":\"n\"}"));
        assertError(7, "cniVersion must be a version such as 1.1.0", run(env("ADD"), "{\"cniVersion\":1.0}"));
        // An unpaired surrogate, which a JSON escape can spell, is no version the reply could echo.
        final JsonNode unpaired = assertError(7, "cniVersion must be a version", run(env("DEL"), "{\"cniVersion\":\"1.0.0\\udb00\"}"));
        assertEquals("1.1.0", unpaired.get("cniVersion").asText());
        assertError(7, "no name", run(env("ADD"), config("").replace("\"name\":\"test-net\",", "")));
        assertError(7, "invalid mtu 20", run(env("ADD"), config(",\"mtu\":20")));
        assertError(7, "'bridge' must be a string", run(env("ADD"), config(",\"bridge\":7")));
        assertError(7, "runDir must be an absolute path", run(env("ADD"), config("").replace(runDir.toString(), "run")));
        assertError(7, "ipam.type must name an IPAM plugin", run(env("ADD"), config(",\"ipam\":{\"subnet\":\"10.0.0.0/24\"}")));
        assertError(7, "IPAM plugin 'host-local' (ipam.type) not found in CNI_PATH",
            run(env("ADD"), config(",\"ipam\":{\"type\":\"host-local\"}")));
        assertError(7, "CHECK needs the prevResult", run(env("CHECK"), config("")));
    }

    @Test
    void theServicesToRegisterUnderAreCheckedWhereverTheyAreGiven() throws Exception
    {
        assertError(7, "args.vireo.services must be a list, not \"web\"",
            run(env("ADD"), config(",\"args\":{\"vireo\":{\"services\":\"web\"}}")));
        assertError(7, "args.vireo.services: each service is {\"name\": NAME, \"port\": 1..65535}, not {\"name\":\"web\"}",
            run(env("ADD"), config(",\"args\":{\"vireo\":{\"services\":[{\"name\":\"web\"}]}}")));
        assertError(7, "each service is", run(env("ADD"), config(",\"args\":{\"vireo\":{\"services\":" +
            "[{\"name\":\"web\",\"port\":0}]}}")));
        assertError(7, "args.vireo.services: invalid service name 'Web'", run(env("ADD"),
            config(",\"args\":{\"vireo\":{\"services\":[{\"name\":\"Web\",\"port\":80}]}}")));
        assertError(7, "runtimeConfig.vireo.services names service web twice", run(env("ADD"),
            config(",\"runtimeConfig\":{\"vireo\":{\"services\":[{\"name\":\"web\",\"port\":80},{\"name\":\"web\",\"port\":81}]}}")));
        assertError(2, "unsupported field 'servics' in args.vireo: []; vireo knows services",
            run(env("ADD"), config(",\"args\":{\"vireo\":{\"servics\":[]}}")));
        assertError(7, "'args' must be a JSON object", run(env("ADD"), config(",\"args\":[]")));
    }

    @Test
    void invalidEnvironmentIsCode4NamingTheVariable() throws Exception
    {
        final Map<String, String> noCommand = env("ADD");
        noCommand.remove("CNI_COMMAND");
        assertError(4, "CNI_COMMAND must be one of ADD, DEL, CHECK, STATUS, GC, VERSION, not unset", run(noCommand, config("")));
        assertError(4, "not 'UPDATE'", run(env("UPDATE"), config("")));
        final Map<String, String> badId = env("ADD");
        badId.put("CNI_CONTAINERID", "-bad/id");
        assertError(4, "CNI_CONTAINERID must be", run(badId, config("")));
        final Map<String, String> longName = env("ADD");
        longName.put("CNI_IFNAME", "a-very-long-ifname");
        assertError(4, "CNI_IFNAME: interface name 'a-very-long-ifname' is 18 characters", run(longName, config("")));
        final Map<String, String> noNetns = env("ADD");
        noNetns.remove("CNI_NETNS");
        assertError(4, "CNI_NETNS is not set", run(noNetns, config("")));
        final Map<String, String> relativeNetns = env("CHECK");
        relativeNetns.put("CNI_NETNS", "ns1");
        assertError(4, "CNI_NETNS must be a path", run(relativeNetns, config("")));
        final Map<String, String> noPath = env("ADD");
        noPath.remove("CNI_PATH");
        assertError(4, "CNI_PATH is not set", run(noPath, config(",\"ipam\":{\"type\":\"host-local\"}")));
    }

    @Test
    void aNamespaceThatDoesNotExistIsAnUnknownContainer() throws Exception
    {
        final Map<String, String> env = env("ADD");
        env.put("CNI_NETNS", runDir.resolve("gone").toString());
        assertError(3, "no network namespace at " + runDir.resolve("gone"), run(env, config("")));
    }

    @Test
    void withoutADaemonAddIsTryAgainLaterAndDelSucceeds() throws Exception
    {
        assertError(11, "vireod is not reachable: no control socket at " + runDir.resolve("vireo.sock"),
            run(env("ADD"), config("")));
        final Outcome del = run(env("DEL"), config(""));
        assertEquals(0, del.exit(), del::err);
        assertEquals(null, del.out(), "DEL prints nothing");
        final Map<String, String> delWithoutNetns = env("DEL");
        delWithoutNetns.remove("CNI_NETNS");
        assertEquals(0, run(delWithoutNetns, config("")).exit(), "DEL needs no namespace");
    }
}
