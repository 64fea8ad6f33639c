package io.vireo.vswitch.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A live scrape of the daemon's Prometheus endpoint, checked by promtool. */
class MetricsIT
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

    @Test
    void aLiveScrapeHasEveryFamilyAndPassesPromtool() throws Exception
    {
        final Daemon daemon = Daemon.start(sandbox, sandbox.tempDir("run"));
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        final String tapA = sandbox.ifname("tA");
        daemon.ok("port", "add", "br0", tapA, "--netns", nsA, "--ip", "10.91.0.1/24");
        daemon.ok("port", "add", "br0", sandbox.ifname("tB"), "--netns", nsB, "--ip", "10.91.0.2/24");
        check(sandbox.inNetns(nsA, "ping", "-c", "5", "-i", "0.05", "-W", "2", "10.91.0.2"));
        Thread.sleep(200);

        final HttpResponse<String> scrape = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create(daemon.metricsUrl())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scrape.statusCode());
        assertTrue(scrape.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
        final String body = scrape.body();
        assertTrue(body.contains("vireo_port_rx_packets_total{bridge=\"br0\",port=\"" + tapA + "\",type=\"tap\"}"), body);
        assertTrue(body.contains("vireo_port_drops_total{bridge=\"br0\",port=\"" + tapA + "\",type=\"tap\",reason=\"hairpin\"} 0"), body);
        assertTrue(body.contains("vireo_fdb_entries{bridge=\"br0\"} 2"), body);
        assertTrue(body.contains("vireo_thread_busy_seconds_total{thread=\"vireo-forwarding-0\"}"), body);
        assertTrue(body.contains("vireo_flow_cache_misses_total{thread=\"vireo-forwarding-0\"} 0"), body);
        assertTrue(body.contains("# TYPE vireo_burst_latency_seconds histogram"), body);
        assertTrue(body.contains("vireo_burst_latency_seconds_bucket{le=\"+Inf\"} "), body);

        final Path file = sandbox.tempFile(".prom");
        Files.writeString(file, body);
        final Sandbox.Result promtool = sandbox.run("sh", "-c", "promtool check metrics < " + file);
        assertEquals(0, promtool.exit(), promtool::all);
        assertEquals(0, daemon.terminate());
    }
}
