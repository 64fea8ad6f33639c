package io.vireo.cluster.etcd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vireo.testkit.EtcdServer;
import org.junit.jupiter.api.Test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The test fixture {@link EtcdServer} itself: restarts on its data, its pid, cleaning up, a namespace. */
class EtcdServerIT
{
    private static boolean gone(final long pid)
    {
        return ProcessHandle.of(pid).map(process -> !process.isAlive()).orElse(true);
    }

    @Test
    void aMemberStopsAndStartsAgainOnItsDataAndCloseRemovesItsFiles() throws Exception
    {
        assumeTrue(EtcdServer.isAvailable(), "no " + EtcdServer.ETCD);
        final EtcdServer etcd = EtcdServer.builder().start();
        final Path dir = etcd.dataDir().getParent();
        try (EtcdClient client = new EtcdClient(List.of(etcd.clientUrl()), Duration.ofSeconds(5)))
        {
            assertTrue(etcd.isRunning() && etcd.isHealthy());
            assertTrue(etcd.name().startsWith("vireo-etcd-"));
            assertTrue(dir.getFileName().toString().startsWith("vireo-etcd-"));
            final long revision = client.put("/it/server/k", "v".getBytes(UTF_8), 0);

            final long firstPid = etcd.pid();
            etcd.stop();
            assertFalse(etcd.isRunning());
            assertTrue(gone(firstPid));
            etcd.start();
            assertNotEquals(firstPid, etcd.pid());
            assertEquals(revision, client.get("/it/server/k").orElseThrow().modRevision(), "the same data dir");

            final long secondPid = etcd.pid();
            etcd.kill();
            assertTrue(gone(secondPid));
            etcd.start();
            assertEquals("v", client.get("/it/server/k").orElseThrow().valueUtf8());
            assertTrue(etcd.logTail(5).length() > 0);
        }
        finally
        {
            final long pid = etcd.isRunning() ? etcd.pid() : -1;
            etcd.close();
            assertTrue(pid == -1 || gone(pid));
        }
        assertFalse(Files.exists(dir), dir + " removed");
    }

    @Test
    void aMemberRunsInANetworkNamespace() throws Exception
    {
        assumeTrue(EtcdServer.isAvailable(), "no " + EtcdServer.ETCD);
        assumeTrue(run("ip", "netns", "list") == 0, "no ip netns (root needed)");
        final String ns = "vireo-etcd-it-" + ProcessHandle.current().pid();
        assertEquals(0, run("ip", "netns", "add", ns));
        try
        {
            assertEquals(0, run("ip", "-n", ns, "link", "set", "lo", "up"));
            try (EtcdServer etcd = EtcdServer.builder()
                .netns(ns)
                .clientUrl(java.net.URI.create("http://127.0.0.1:2379"))
                .peerUrl(java.net.URI.create("http://127.0.0.1:2380"))
                .start())
            {
                assertTrue(etcd.isHealthy());
                assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")),
                    Files.readSymbolicLink(Path.of("/proc/" + etcd.pid() + "/ns/net")), "etcd itself is in the namespace");
                assertTrue(Files.readString(Path.of("/proc/" + etcd.pid() + "/comm")).startsWith("etcd"));
                final long pid = etcd.pid();
                etcd.stop();
                assertTrue(gone(pid));
                etcd.start();
                assertTrue(etcd.isHealthy());
            }
        }
        finally
        {
            run("ip", "netns", "del", ns);
        }
    }

    private static int run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
