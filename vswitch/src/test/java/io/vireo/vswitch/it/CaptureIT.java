package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vireo.vswitch.control.ControlClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vireoctl capture} against the real daemon; the files are read back by tshark. */
class CaptureIT
{
    private Sandbox sandbox;
    private TwoNamespaces net;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        net = TwoNamespaces.start(sandbox, "10.97.0");
        check(sandbox.inNetns(net.nsA(), "ping", "-c", "1", "-W", "2", "10.97.0.2"));
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void aCountedCaptureWritesThatManyFramesOfBothDirections() throws Exception
    {
        final Path file = sandbox.tempDir("cap").resolve("a.pcap");
        final Path log = sandbox.tempFile(".capture");
        final Process capture = sandbox.start(log, vireoctl("capture", net.tapA(), "-w", file.toString(), "-c", "10"));
        TapForwardingIT.waitFor(() -> captures().contains("\"running\":true"), "the capture started");

        check(sandbox.inNetns(net.nsA(), "ping", "-c", "8", "-i", "0.05", "-W", "2", "10.97.0.2"));
        assertTrue(capture.waitFor(30, TimeUnit.SECONDS), "the capture ended by itself after 10 frames");
        assertEquals(0, capture.exitValue(), Sandbox.readUtf8(log));
        assertTrue(Sandbox.readUtf8(log).startsWith("10 frames captured to " + file), Sandbox.readUtf8(log));

        final List<String> frames = check(sandbox.run("tshark", "-r", file.toString(), "-T", "fields", "-E", "separator=,",
            "-e", "ip.src", "-e", "ip.dst", "-e", "icmp.type")).out().lines().toList();
        assertEquals(10, frames.size(), frames::toString);
        assertTrue(frames.contains("10.97.0.1,10.97.0.2,8"), "requests received from A: " + frames);
        assertTrue(frames.contains("10.97.0.2,10.97.0.1,0"), "replies sent to A: " + frames);
        assertEquals("[]", captures(), "the command ended its capture");
    }

    @Test
    void anOpenCaptureEndsCleanlyOnInterrupt() throws Exception
    {
        final Path file = sandbox.tempDir("cap").resolve("open.pcap");
        final Path log = sandbox.tempFile(".capture");
        final Process capture = sandbox.start(log, vireoctl("capture", net.tapA(), "-w", file.toString()));
        TapForwardingIT.waitFor(() -> captures().contains("\"running\":true"), "the capture started");
        check(sandbox.inNetns(net.nsA(), "ping", "-c", "5", "-i", "0.05", "-W", "2", "10.97.0.2"));

        capture.destroy(); // SIGTERM, as Ctrl-C would
        assertTrue(capture.waitFor(30, TimeUnit.SECONDS));
        final long frames = check(sandbox.run("tshark", "-r", file.toString(), "-Y", "icmp")).out().lines().count();
        assertEquals(10, frames, "5 requests and 5 replies");
        assertEquals("[]", captures(), "the interrupted command ended its capture");
        assertEquals(1, net.daemon().ctl("capture", "nosuchport", "-w", file.toString()).exit());
    }

    private String captures()
    {
        return ControlClient.request(net.daemon().runDir.resolve("vireo.sock"), "GET", "/v1/captures", null).body();
    }

    private String[] vireoctl(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            Daemon.ROOT.resolve("scripts/vireoctl").toString(), "--run-dir", net.daemon().runDir.toString()));
        command.addAll(List.of(args));
        return command.toArray(String[]::new);
    }
}
