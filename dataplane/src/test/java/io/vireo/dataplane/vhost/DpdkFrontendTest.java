package io.vireo.dataplane.vhost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.UdpFlyweight;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's DPDK as the real frontend: {@code dpdk-testpmd} with a {@code net_virtio_user} port,
 * driven through its interactive prompt so counts are exact: forwarding is stopped, both sides are
 * drained, then testpmd's totals are compared with the port's. Frames go to testpmd only once it has
 * answered a command after {@code start}: until its port has started it discards what it was sent.
 * This thread plays the forwarding thread and never stops polling while it waits. The tests fail
 * (never skip) without DPDK, and do not depend on speed: the machine may be shared.
 */
class DpdkFrontendTest
{
    private static final long TIMEOUT_MILLIS = 20_000;
    private static final long RUN_NANOS = 1_000_000_000L;
    private static final long MIN_FRAMES = 10_000;

    @TempDir
    Path dir;

    private final FrameBurst burst = new FrameBurst(32, 2048, 64);
    private final int[] indexes = new int[32];
    private Testpmd testpmd;
    private VhostUserPort port;

    {
        for (int i = 0; i < indexes.length; i++)
        {
            indexes[i] = i;
        }
    }

    @BeforeAll
    static void dpdkIsInstalled()
    {
        assertTrue(Files.isExecutable(Testpmd.BINARY),
            Testpmd.BINARY + " is missing: apt-get install -y --no-install-recommends " + Testpmd.PACKAGES);
    }

    /** Calls {@code poll} until {@code done}; fails with testpmd's output after the timeout. */
    private void pollUntil(final BooleanSupplier done, final Runnable poll, final String what)
    {
        final long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
        while (!done.getAsBoolean())
        {
            if (System.currentTimeMillis() > deadline)
            {
                throw new AssertionError("timed out waiting for " + what + " on " + port + "\n" + testpmd.output());
            }
            poll.run();
        }
    }

    private void receiveAndDrop()
    {
        burst.clear();
        port.receive(burst);
    }

    /** Stops forwarding and returns testpmd's totals, polling the port with {@code poll} meanwhile. */
    private Testpmd.Totals stop(final Testpmd frontend, final Runnable poll)
    {
        frontend.requestStop();
        final Testpmd.Totals[] totals = {null};
        pollUntil(() -> null != (totals[0] = frontend.totals()), poll, "testpmd's totals");
        return totals[0];
    }

    private static void report(final String what, final long frames, final long nanos)
    {
        System.out.printf("vhost-user %s: %,d frames in %d ms = %.2f Mpps%n", what, frames, nanos / 1_000_000,
            frames * 1e3 / nanos);
    }

    /** Receives for a second after the first frame, and at least {@link #MIN_FRAMES}; checks each frame. */
    private long receiveFor(final int length, final boolean checkHeaders)
    {
        final EthernetFlyweight ethernet = new EthernetFlyweight();
        final Ipv4Flyweight ip = new Ipv4Flyweight();
        final long[] frames = {0};
        final long[] start = {0};
        pollUntil(() -> frames[0] >= MIN_FRAMES && System.nanoTime() - start[0] > RUN_NANOS, () ->
        {
            burst.clear();
            final int n = port.receive(burst);
            for (int i = 0; i < n; i++)
            {
                assertEquals(length, burst.frameLength(i));
                if (checkHeaders)
                {
                    ethernet.wrap(burst.buffer(), burst.frameOffset(i), burst.frameLength(i));
                    assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, ethernet.payloadEtherType());
                    ip.wrap(burst.buffer(), ethernet.payloadOffset(), ethernet.payloadLength());
                    assertEquals(UdpFlyweight.PROTOCOL, ip.protocol());
                }
            }
            if (0 == frames[0] && n > 0)
            {
                start[0] = System.nanoTime();
            }
            frames[0] += n;
        }, MIN_FRAMES + " frames");
        report("receive (testpmd txonly, " + length + " B)", frames[0], System.nanoTime() - start[0]);
        return frames[0];
    }

    private Testpmd startFrontend(final boolean server, final Path socket, final String... options)
    {
        testpmd = Testpmd.start(socket, server, options);
        pollUntil(port::isRunning, this::receiveAndDrop, "the queues");
        return testpmd;
    }

    @Test
    void receivesEveryFrameTestpmdSends()
    {
        try (VhostUserPort vm = VhostUserPort.server("vm1", dir.resolve("vm1.sock")))
        {
            port = vm;
            try (Testpmd frontend = startFrontend(false, vm.socket(), "--forward-mode=txonly"))
            {
                frontend.startForwarding(false);
                final long[] frames = {receiveFor(64, true)};
                final Testpmd.Totals totals = stop(frontend, () ->
                {
                    burst.clear();
                    frames[0] += port.receive(burst);
                });
                drain(frames);

                assertEquals(totals.txPackets(), frames[0], "every frame testpmd counted as sent arrived");
                assertEquals(0, port.violations());
            }
        }
    }

    /**
     * The port passes to another one, as to another process ({@code vireod --takeover}; here the descriptors are
     * duplicated, as {@code SCM_RIGHTS} would): testpmd sends all along, the first port receives until it hands
     * over, the second from then on, and between them they receive every frame testpmd counted as sent, the
     * frontend neither reconnected nor saw a violation, and the socket file stays the second port's.
     */
    @Test
    void handsThePortToAnotherWithoutLosingAFrame() throws Exception
    {
        final Path socket = dir.resolve("vm1.sock");
        final VhostUserPort first = VhostUserPort.server("vm1", socket);
        port = first;
        try (Testpmd frontend = startFrontend(false, socket, "--forward-mode=txonly"))
        {
            frontend.startForwarding(false);
            first.expectHandOver();
            final long[] frames = {receiveFor(64, true)};
            final Object inode = Files.getAttribute(socket, "unix:ino");

            final long suspendNs = System.nanoTime();
            first.suspend(TIMEOUT_MILLIS);
            final long handOverNs = System.nanoTime();
            final VhostUserHandover handed = first.handOver();
            final int[] copies = java.util.Arrays.stream(handed.fds())
                .map(fd -> io.vireo.dataplane.nativeio.Native.libc().fcntl(fd, 1030, 0)).toArray();
            assertTrue(handed.connected(), handed.toString());
            try (VhostUserPort second = VhostUserPort.takingOver("vm1", socket, false))
            {
                final long resumeNs = System.nanoTime();
                second.resume(VhostUserHandover.parse(handed.state(), copies));
                final long resumedNs = System.nanoTime();
                System.out.printf("vhost-user handover: suspend %.2f ms (the other port still receives), rings stopped " +
                    "to resumed %.2f ms, of which resume %.2f ms%n", (handOverNs - suspendNs) / 1e6, (resumedNs - handOverNs) / 1e6,
                    (resumedNs - resumeNs) / 1e6);
                first.letGo();
                first.close();
                port = second;
                assertTrue(second.isRunning(), "the rings run at once: " + second);
                final long[] after = {receiveFor(64, true)};
                final Testpmd.Totals totals = stop(frontend, () ->
                {
                    burst.clear();
                    after[0] += port.receive(burst);
                });
                drain(after);

                assertEquals(totals.txPackets(), frames[0] + after[0], "every frame testpmd sent arrived, once");
                assertEquals(0, second.violations(), second.lastViolation());
                assertEquals(0, second.reconnects());
                assertEquals(inode, Files.getAttribute(socket, "unix:ino"), "the socket file stays");
            }
        }
    }

    /** Receives, adding to {@code frames[0]}, until a thousand polls in a row find nothing. */
    private void drain(final long[] frames)
    {
        for (int quiet = 0; quiet < 1000; quiet++)
        {
            burst.clear();
            final int n = port.receive(burst);
            if (n > 0)
            {
                frames[0] += n;
                quiet = 0;
            }
        }
    }

    @Test
    void receivesMultiSegmentFrames()
    {
        // Two-segment mbufs: the virtio PMD cannot push the header in front of the first and chains
        // descriptors, through an indirect table since INDIRECT_DESC is negotiated.
        try (VhostUserPort vm = VhostUserPort.server("vm1", dir.resolve("vm1.sock")))
        {
            port = vm;
            try (Testpmd frontend = startFrontend(false, vm.socket(), "--forward-mode=txonly", "--txpkts=1000,514", "--tx-offloads=0x8000"))
            {
                frontend.startForwarding(false);
                final long[] frames = {receiveFor(1514, false)};
                final Testpmd.Totals totals = stop(frontend, () ->
                {
                    burst.clear();
                    frames[0] += port.receive(burst);
                });
                drain(frames);

                assertEquals(totals.txPackets(), frames[0]);
                assertEquals(0, port.violations());
            }
        }
    }

    @Test
    void transmitsFramesTestpmdCounts()
    {
        assertTransmitted(64, 2048, "--forward-mode=rxonly", "--no-flush-rx");
    }

    @Test
    void transmitsJumboFramesAcrossMergeableBuffers()
    {
        assertTransmitted(9000, 16384, "--forward-mode=rxonly", "--no-flush-rx", "--max-pkt-len=9600", "--enable-scatter");
    }

    private void assertTransmitted(final int length, final int slot, final String... options)
    {
        final FrameBurst frames = new FrameBurst(32, slot, 64);
        for (int i = 0; i < frames.capacity(); i++)
        {
            frames.buffer().setMemory(frames.nextFrameOffset(), length, (byte)i);
            frames.commit(length);
        }
        try (VhostUserPort vm = VhostUserPort.server("vm1", dir.resolve("vm1.sock")))
        {
            port = vm;
            try (Testpmd frontend = startFrontend(false, vm.socket(), options))
            {
                frontend.startForwarding(false);
                // The port runs as soon as virtio-user has set up its rings (DRIVER_OK, while testpmd
                // configures its port), but testpmd's virtio_dev_start posts its receive buffers and only
                // then frees whatever the device has used of them, counting nothing: frames sent in
                // between are discarded by the frontend. testpmd reads commands only once its port has
                // started, so an answer after 'start' means that is behind, and the counters are reset.
                // With --no-flush-rx nothing takes frames from the ring before forwarding runs.
                portStats(frontend);
                final long[] sent = {0};
                final long[] start = {0};
                pollUntil(() -> sent[0] >= MIN_FRAMES && System.nanoTime() - start[0] > RUN_NANOS, () ->
                {
                    final int n = port.transmit(frames, indexes, frames.size());
                    if (0 == sent[0] && n > 0)
                    {
                        start[0] = System.nanoTime();
                    }
                    sent[0] += n;
                }, MIN_FRAMES + " frames accepted");
                report("transmit (testpmd rxonly, " + length + " B)", sent[0], System.nanoTime() - start[0]);
                final Testpmd.PortStats stats = awaitReceived(frontend, sent[0]);
                final Testpmd.Totals totals = stop(frontend, () -> { });

                assertEquals(sent[0], totals.rxPackets(), () -> "every frame the port took reached testpmd: sent " +
                    sent[0] + ", testpmd received " + totals.rxPackets() + ", " + stats + "\n" + frontend.output());
                assertEquals(0, totals.rxDropped());
                assertEquals(0, stats.rxErrors(), "testpmd discarded none");
                assertEquals(0, stats.rxNoMbufs());
                assertEquals(0, port.violations());
            }
        }
    }

    /** Asks testpmd for its port counters and waits for the answer, polling the port meanwhile. */
    private Testpmd.PortStats portStats(final Testpmd frontend)
    {
        frontend.requestPortStats();
        final Testpmd.PortStats[] stats = {null};
        pollUntil(() -> null != (stats[0] = frontend.portStats()), this::receiveAndDrop, "testpmd's port statistics");
        return stats[0];
    }

    /**
     * Reads testpmd's port counters while it forwards until it has received {@code frames} (it may still
     * be taking the last ones from its ring) or the timeout has passed; returns the last counters read.
     * Never fails itself: a frame lost leaves the count short, which the caller's comparison reports.
     */
    private Testpmd.PortStats awaitReceived(final Testpmd frontend, final long frames)
    {
        final long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
        Testpmd.PortStats stats = portStats(frontend);
        while (stats.rxPackets() < frames && System.currentTimeMillis() < deadline)
        {
            stats = portStats(frontend);
        }
        return stats;
    }

    @Test
    void loopsFramesBothWaysWithoutLoss()
    {
        try (VhostUserPort vm = VhostUserPort.server("vm1", dir.resolve("vm1.sock")))
        {
            port = vm;
            try (Testpmd frontend = startFrontend(false, vm.socket(), "--forward-mode=mac", "--burst=64", "--no-flush-rx"))
            {
                frontend.startForwarding(true);
                final long[] received = {0};
                final long[] sent = {0};
                final long[] start = {0};
                final Runnable echo = () ->
                {
                    burst.clear();
                    final int n = port.receive(burst);
                    if (0 == received[0] && n > 0)
                    {
                        start[0] = System.nanoTime();
                    }
                    received[0] += n;
                    sent[0] += port.transmit(burst, indexes, n);
                };
                pollUntil(() -> received[0] >= MIN_FRAMES && System.nanoTime() - start[0] > RUN_NANOS, echo,
                    MIN_FRAMES + " frames looped");
                report("loop (testpmd mac, 64 in flight, 64 B, frames received = frames echoed)", received[0],
                    System.nanoTime() - start[0]);
                final Testpmd.Totals totals = stop(frontend, echo);
                drain(received);

                assertEquals(0, port.refusedNoBuffers(), "testpmd always had room");
                assertEquals(0, totals.txDropped());
                assertEquals(0, totals.rxDropped());
                assertEquals(totals.txPackets(), received[0], "every frame testpmd sent reached the port");
                assertEquals(totals.rxPackets() + 64, totals.txPackets(), "testpmd forwarded every frame it got back");
                assertTrue(sent[0] >= totals.rxPackets(), "it got back only what the port sent");
            }
        }
    }

    @Test
    void serverPortServesAFrontendThatWasKilledAndRestarted()
    {
        try (VhostUserPort vm = VhostUserPort.server("vm1", dir.resolve("vm1.sock")))
        {
            port = vm;
            for (int life = 0; life < 2; life++)
            {
                try (Testpmd frontend = startFrontend(false, vm.socket(), "--forward-mode=txonly"))
                {
                    frontend.startForwarding(false);
                    receiveFor(64, false);
                    frontend.kill();
                    pollUntil(() -> !port.isConnected(), this::receiveAndDrop, "the port to notice");
                }
            }
            assertEquals(1, port.reconnects());
            assertEquals(0, port.violations());
        }
    }

    @Test
    void clientPortReconnectsToAFrontendThatWasKilledAndRestarted() throws IOException
    {
        final Path socket = dir.resolve("testpmd.sock");
        try (VhostUserPort vm = VhostUserPort.client("vm1", socket))
        {
            port = vm;
            for (int life = 0; life < 2; life++)
            {
                try (Testpmd frontend = startFrontend(true, socket, "--forward-mode=txonly"))
                {
                    frontend.startForwarding(false);
                    receiveFor(64, false);
                    frontend.kill();
                    pollUntil(() -> !port.isConnected(), this::receiveAndDrop, "the port to notice");
                }
                // A killed testpmd leaves its socket file behind; the next one could not bind it.
                Files.deleteIfExists(socket);
            }
            assertEquals(1, port.reconnects());
            assertEquals(0, port.violations());
        }
    }
}
