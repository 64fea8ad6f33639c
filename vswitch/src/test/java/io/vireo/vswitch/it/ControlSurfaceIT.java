package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import io.vireo.vswitch.control.HttpResponder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the daemon's control socket lets a client do: only root and the socket's group may connect, a
 * request body is bounded, and a flood of stuck, slow and malformed clients neither stops forwarding nor
 * keeps the daemon's descriptors once it is over. And its metrics listen on loopback unless told otherwise.
 */
class ControlSurfaceIT
{
    private Sandbox sandbox;
    private Daemon daemon;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        daemon = Daemon.start(sandbox, sandbox.tempDir("run"));
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void onlyRootAndTheSocketsGroupMayConnect() throws Exception
    {
        final Path socket = daemon.runDir.resolve("vireo.sock");
        assertEquals(PosixFilePermissions.fromString("rw-rw----"), Files.getPosixFilePermissions(socket));
        assertEquals("root", Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS).getName());
        final Sandbox.Result asNobody = sandbox.run("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "/usr/bin/python3", "-c", "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])", socket.toString());
        assertTrue(asNobody.exit() != 0 && asNobody.err().contains("PermissionError"), asNobody::all);
    }

    @Test
    void metricsListenOnLoopbackUnlessToldOtherwise() throws Exception
    {
        // A namespace of its own: the default port may be taken in this one, and what listens there is all the daemon's.
        final String netns = sandbox.namespace("m");
        check(sandbox.run("ip", "-n", netns, "link", "set", "lo", "up"));
        final Daemon plain = Daemon.startWithDefaultMetricsIn(sandbox, netns, sandbox.tempDir("run-m"));

        assertEquals("http://127.0.0.1:9477/metrics", plain.metricsUrl());
        final String listening = check(sandbox.inNetns(netns, "ss", "-Hltn")).out();
        assertTrue(listening.contains("127.0.0.1:9477"), listening);
        assertTrue(!listening.contains("0.0.0.0:9477") && !listening.contains("*:9477") && !listening.contains("[::]:9477"),
            "metrics listen on loopback only: " + listening);
        final String scrape = check(sandbox.inNetns(netns, "python3", "-c",
            "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9477/metrics', timeout=10).status)")).out();
        assertEquals("200", scrape.strip());
    }

    @Test
    void aRequestBodyOverTheLimitIsRefused() throws Exception
    {
        final Sandbox.Result answer = check(sandbox.run("python3", "-c", CLIENT + """
            s = connect()
            body = b'{"name": "' + b'x' * (2 << 20) + b'"}'
            s.sendall(b'POST /v1/bridges HTTP/1.1\\r\\nHost: vireo\\r\\nContent-Type: application/json\\r\\n'
                      + b'Content-Length: %d\\r\\n\\r\\n' % len(body))
            try:
                s.sendall(body)
            except OSError:
                pass  # the daemon may close before the body is all sent
            print(s.recv(200).split(b'\\r\\n')[0].decode())
            """, daemon.runDir.resolve("vireo.sock").toString()));
        assertEquals("HTTP/1.1 413 Request Entity Too Large", answer.out().strip());
    }

    @Test
    void aFloodOfStuckAndMalformedClientsNeitherStopsForwardingNorKeepsItsDescriptors() throws Exception
    {
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        daemon.ok("port", "add", "br0", sandbox.ifname("tA"), "--netns", nsA, "--ip", "10.93.0.1/24");
        daemon.ok("port", "add", "br0", sandbox.ifname("tB"), "--netns", nsB, "--ip", "10.93.0.2/24");
        check(sandbox.inNetns(nsA, "ping", "-c", "1", "-W", "2", "10.93.0.2"));
        final long pid = daemonPid();
        final long descriptorsBefore = descriptors(pid);

        final Path pings = sandbox.tempFile(".ping");
        final Process ping = sandbox.start(pings, "ip", "netns", "exec", nsA, "ping", "-c", "300", "-i", "0.02", "-W", "1",
            "10.93.0.2");
        final Path floodLog = sandbox.tempFile(".flood");
        // 400 connections that start a request and never finish it, then 2,000 requests that are not HTTP
        final Process flood = sandbox.start(floodLog, "python3", "-c", CLIENT + """
            import os
            held = []
            for i in range(400):
                try:
                    s = connect()
                    s.sendall(b'GET /v1/bridges HTTP/1.1\\r\\nHost: vireo\\r\\n')
                    held.append(s)
                except OSError as e:
                    pass
            for i in range(2000):
                try:
                    s = connect()
                    s.sendall(os.urandom(64) + b'\\r\\n\\r\\n')
                    s.close()
                except OSError:
                    pass
            print('flooded', len(held), flush=True)
            sys.stdin.read()  # hold the stuck connections until told to go
            """, daemon.runDir.resolve("vireo.sock").toString());
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(floodLog).contains("flooded"), "the flood sent", 60);
        // the API still answers while the stuck connections are held: the newest connection takes the oldest stuck one's place
        for (int i = 0; i < 20; i++)
        {
            daemon.ok("bridge", "list");
        }
        assertTrue(descriptors(pid) < descriptorsBefore + HttpResponder.MAX_CONNECTIONS + 50,
            "connections beyond the limit are not kept: " + descriptors(pid));
        assertTrue(ping.waitFor(60, TimeUnit.SECONDS), "the ping ended");
        assertTrue(Sandbox.readUtf8(pings).contains(" 0% packet loss"), "forwarding went on: " + Sandbox.readUtf8(pings));
        // a connection silent for IDLE_SECONDS with no answer pending is closed: the daemon's descriptors come back
        TapForwardingIT.waitFor(() -> descriptors(pid) <= descriptorsBefore + 5,
            "the stuck connections closed by the daemon", HttpResponder.IDLE_SECONDS + 30);
        flood.destroy();
        daemon.ok("bridge", "list");
    }

    /** A client of the control socket in a few lines of Python: connect() to the socket given as argv[1]. */
    private static final String CLIENT = """
        import socket, sys
        def connect():
            s = socket.socket(socket.AF_UNIX)
            s.connect(sys.argv[1])
            return s
        """;

    private long daemonPid() throws Exception
    {
        final java.util.regex.Matcher pid = java.util.regex.Pattern.compile("ready, pid (\\d+)").matcher(daemon.output());
        assertTrue(pid.find(), daemon.output());
        return Long.parseLong(pid.group(1));
    }

    private static long descriptors(final long pid) throws Exception
    {
        try (var entries = Files.list(Path.of("/proc", Long.toString(pid), "fd")))
        {
            return entries.count();
        }
    }
}
