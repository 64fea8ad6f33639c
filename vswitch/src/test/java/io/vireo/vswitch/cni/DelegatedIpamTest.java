package io.vireo.vswitch.cni;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Delegation to an IPAM plugin: a stand-in script in a CNI_PATH directory records how it was called. */
class DelegatedIpamTest
{
    private static final byte[] CONFIG = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"fake\"}}"
        .getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** Writes the plugin {@code fake}: it logs "COMMAND stdin" to calls.log, then runs {@code body}. */
    private DelegatedIpam fake(final String body) throws Exception
    {
        final Path plugin = dir.resolve("bin/fake");
        Files.createDirectories(plugin.getParent());
        Files.writeString(plugin, "#!/bin/sh\necho \"$CNI_COMMAND $CNI_CONTAINERID $(cat)\" >> " + dir.resolve("calls.log") +
            "\n" + body + "\n");
        Files.setPosixFilePermissions(plugin, PosixFilePermissions.fromString("rwxr-xr-x"));
        final Map<String, String> env = Map.of("CNI_PATH", dir.resolve("empty") + ":" + plugin.getParent(),
            "CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "PATH", System.getenv("PATH"));
        return DelegatedIpam.locate("fake", env, CONFIG, new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String calls() throws Exception
    {
        return Files.readString(dir.resolve("calls.log"));
    }

    @Test
    void theResultOfAddIsReadAndTheConfigAndEnvironmentPassedOn() throws Exception
    {
        final DelegatedIpam ipam = fake("echo '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.9.0.2/24\"}]}'; echo note >&2");
        assertEquals("10.9.0.2/24", ipam.add().ips().get(0).address());
        assertEquals("ADD c1 " + new String(CONFIG, StandardCharsets.UTF_8) + "\n", calls());
        assertEquals("note\n", err.toString(StandardCharsets.UTF_8), "the plugin's stderr is passed on");
        ipam.check();
        ipam.delete();
        assertTrue(calls().contains("\nCHECK c1 ") && calls().contains("\nDEL c1 "), calls());
    }

    @Test
    void aFailedAddIsUndoneWithDelAndItsErrorPassedOn() throws Exception
    {
        final DelegatedIpam ipam = fake("[ \"$CNI_COMMAND\" = DEL ] && exit 0\n" +
            "echo '{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"no free address\",\"details\":\"range full\"}'; exit 1");
        final CniException ex = assertThrows(CniException.class, ipam::add);
        assertEquals(11, ex.code());
        assertEquals("fake: no free address", ex.getMessage());
        assertEquals("range full", ex.details());
        assertTrue(calls().startsWith("ADD ") && calls().contains("\nDEL "), calls());
    }

    @Test
    void aPluginThatPrintsNoErrorObjectIsCode999WithItsOutput() throws Exception
    {
        final CniException ex = assertThrows(CniException.class, fake("echo boom >&2; exit 3")::check);
        assertEquals(CniException.PLUGIN_SPECIFIC, ex.code());
        assertEquals("fake CHECK failed with exit status 3", ex.getMessage());
        assertEquals("boom", ex.details());
    }

    @Test
    void anAddResultThatIsNotAResultIsReleasedToo() throws Exception
    {
        final CniException ex = assertThrows(CniException.class, fake("[ \"$CNI_COMMAND\" = DEL ] || echo garbage")::add);
        assertEquals(CniException.DECODING_FAILURE, ex.code());
        assertTrue(calls().contains("\nDEL "), calls());
    }
}
