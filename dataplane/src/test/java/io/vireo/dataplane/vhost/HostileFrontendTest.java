package io.vireo.dataplane.vhost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.EventFd;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.pipeline.PortCounters;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.vireo.dataplane.vhost.VhostUserMessage.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frontends that lie: each attack ({@link FrontendAttack}) is made on the "victim" port by a {@link TestFrontend} over a real
 * socket and real shared memory, while this thread forwards for the victim and a "bystander" port
 * whose well-behaved frontend keeps sending. The victim must count the violation, name it, drop the
 * liar, never throw or touch memory it was not given, and serve the next frontend; the bystander
 * must not notice.
 */
class HostileFrontendTest
{
    private static final long TIMEOUT_MILLIS = 3000;

    @TempDir
    Path dir;

    private VhostUserPort victim;
    private VhostUserPort bystander;
    private TestFrontend neighbour;
    private final FrameBurst burst = new FrameBurst(32, 2048, 64);
    private final int[] indexes = new int[32];
    private long bystanderFrames;
    private final PortCounters victimCounters = new PortCounters(
        new CountersManager(new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[16 * 1024])), "victim");

    @BeforeEach
    void start()
    {
        victim = VhostUserPort.server("victim", dir.resolve("victim.sock"));
        victim.countViolationsIn(victimCounters);
        bystander = VhostUserPort.server("bystander", dir.resolve("bystander.sock"));
        neighbour = TestFrontend.connect(bystander.socket()).start();
        awaitTrue(bystander::isRunning, "bystander running");
    }

    @AfterEach
    void stop()
    {
        neighbour.close();
        victim.close();
        bystander.close();
    }

    /** Forwards like a forwarding thread for both ports until {@code done}: never an exception. */
    private void forwardUntil(final BooleanSupplier done, final String what)
    {
        final long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
        while (!done.getAsBoolean())
        {
            if (System.currentTimeMillis() > deadline)
            {
                throw new AssertionError("timed out waiting for " + what + "; " + victim + " violations=" +
                    victim.violations() + " last=" + victim.lastViolation());
            }
            if (neighbour.driver.inFlight(1) < 32)
            {
                neighbour.driver.send(VirtqueueTest.frame(60, (int)bystanderFrames));
            }
            burst.clear();
            bystanderFrames += bystander.receive(burst);
            burst.clear();
            final int received = victim.receive(burst);
            victim.transmit(burst, indexes, received);
            Thread.onSpinWait();
        }
    }

    private void awaitTrue(final BooleanSupplier condition, final String what)
    {
        forwardUntil(condition, what);
    }

    /** Connects a frontend to the victim, lets {@code attack} loose, and checks the port reset and recovered. */
    private void assertResetBy(final String reason, final Consumer<TestFrontend> attack)
    {
        final long violations = victim.violations();
        final long bystanderBefore = bystanderFrames;
        try (TestFrontend liar = TestFrontend.connect(victim.socket()))
        {
            attack.accept(liar);
            forwardUntil(() -> victim.violations() == violations + 1, "a violation");
            assertTrue(victim.lastViolation().contains(reason), victim.lastViolation());
            assertEquals(violations + 1, victimCounters.violations(), "counted in the switch's counters too");
            forwardUntil(liar::isDisconnected, "the liar to be dropped");
        }
        forwardUntil(() -> !victim.isRunning() && victim.resets() == violations + 1,
            "the victim's queues to stop and the reset to be counted");
        forwardUntil(() -> bystanderFrames > bystanderBefore + 100, "the bystander to keep forwarding");
        assertEquals(0, bystander.violations());
        assertTrue(bystander.isRunning());
        assertVictimServesAGoodFrontend();
        assertEquals(0, victim.failure());
    }

    private void assertVictimServesAGoodFrontend()
    {
        forwardUntil(() -> !victim.isConnected(), "the victim to be free");
        try (TestFrontend good = TestFrontend.connect(victim.socket()).start())
        {
            awaitTrue(victim::isRunning, "victim running again");
            final byte[] frame = VirtqueueTest.frame(100, 42);
            good.driver.send(frame);
            burst.clear();
            forwardUntil(() -> victim.receive(burst) > 0, "a frame from the good frontend");
            final byte[] received = new byte[burst.frameLength(0)];
            burst.buffer().getBytes(burst.frameOffset(0), received);
            assertArrayEquals(frame, received);
            good.driver.postReceiveBuffers(1, 2048);
            indexes[0] = 0;
            assertEquals(1, victim.transmit(burst, indexes, 1));
            assertArrayEquals(frame, good.driver.receive().get(0));
        }
    }

    @ParameterizedTest
    @EnumSource(FrontendAttack.class)
    void resetsTheLiar(final FrontendAttack attack)
    {
        // forwardUntil sends the victim what it received from it: any frame is answered
        final FrontendAttack.Scene scene =
            new FrontendAttack.Scene(this::forwardUntil, dir, n -> VirtqueueTest.frame(64, n), VirtqueueTest.frame(64, 1));
        assertResetBy(attack.reason, liar -> attack.on(liar, scene));
    }

    @Test
    void unknownRequestsAreRefusedWithoutAReset()
    {
        try (TestFrontend frontend = TestFrontend.connect(victim.socket()).start())
        {
            assertNotEquals(0, frontend.request(40, FLAG_NEED_REPLY), "GET_STATUS is not offered: error ack");
            frontend.send(SET_LOG_BASE, 0);
            assertEquals(0, frontend.request(SET_OWNER, FLAG_NEED_REPLY), "REPLY_ACK on request");
            assertEquals(1, frontend.request(GET_QUEUE_NUM, 0));
            awaitTrue(victim::isRunning, "victim still running");
            assertEquals(0, victim.violations());
        }
    }

    @Test
    void getVringBaseStopsTheRingAndReportsItsPosition()
    {
        try (TestFrontend frontend = TestFrontend.connect(victim.socket()).start())
        {
            awaitTrue(victim::isRunning, "victim running");
            for (int i = 0; i < 5; i++)
            {
                frontend.driver.send(VirtqueueTest.frame(64, i));
            }
            forwardUntil(() -> frontend.driver.sentAndReturned() == 5, "5 frames");
            assertEquals(5, frontend.vringBase(1));
            awaitTrue(() -> !victim.isRunning(), "queue 1 stopped");

            frontend.vringState(SET_VRING_BASE, 1, 5);
            try (EventFd kick = EventFd.create())
            {
                frontend.vringFile(SET_VRING_KICK, 1, kick.fd());
            }
            awaitTrue(victim::isRunning, "queue 1 restarted");
            frontend.driver.send(VirtqueueTest.frame(64, 5));
            forwardUntil(() -> frontend.driver.sentAndReturned() == 6, "the frame after the restart");
            assertEquals(0, victim.violations());
        }
    }

    @Test
    void resetOwnerDropsTheRingsButKeepsTheConnection()
    {
        try (TestFrontend frontend = TestFrontend.connect(victim.socket()).start())
        {
            awaitTrue(victim::isRunning, "victim running");
            frontend.send(RESET_OWNER, 0);
            // The control thread stops the rings first, then counts the reset and clears the features.
            awaitTrue(() -> !victim.isRunning() && 1 == victim.resets() && 0 == victim.negotiatedFeatures(),
                "rings dropped, the reset counted, the features forgotten");
            frontend.start();
            awaitTrue(victim::isRunning, "victim running again on the same connection");
            assertTrue(victim.isConnected());
        }
    }

    @Test
    void clientModeReconnectsToAFrontendThatRestarts() throws IOException
    {
        final Path path = dir.resolve("frontend.sock");
        try (VhostUserPort client = VhostUserPort.client("client", path))
        {
            for (int round = 0; round < 2; round++)
            {
                final UnixSocket listener = UnixSocket.listen(path);
                try (TestFrontend frontend = TestFrontend.accept(listener, 3000).start())
                {
                    forwardUntil(client::isRunning, "client running");
                    frontend.driver.send(VirtqueueTest.frame(64, round));
                    burst.clear();
                    forwardUntil(() -> client.receive(burst) == 1, "a frame through the client port");
                    // Gone for good before the frontend hangs up, so the port cannot reconnect to it.
                    listener.close();
                    Files.delete(path);
                }
                finally
                {
                    listener.close();
                }
                forwardUntil(() -> !client.isConnected(), "client to notice the frontend went away");
            }
            assertEquals(1, client.reconnects());
            assertEquals(0, client.violations());
            assertTrue(client.isClient());
        }
    }

    @Test
    void closedPortsRefuseFramesAndLeaveNoSocket()
    {
        victim.close();
        burst.clear();
        burst.commit(60);
        indexes[0] = 0;

        assertEquals(0, victim.transmit(burst, indexes, 1));
        assertEquals(0, victim.receive(burst));
        assertEquals(1, victim.refusedNotRunning());
        assertTrue(!Files.exists(victim.socket()));
        assertEquals(List.of(), List.of(dir.toFile().list()).stream().filter(n -> n.startsWith("victim")).toList());
    }
}
