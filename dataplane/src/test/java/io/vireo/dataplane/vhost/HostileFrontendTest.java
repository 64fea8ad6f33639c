package io.vireo.dataplane.vhost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.nativeio.EventFd;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.UnixSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.vireo.dataplane.vhost.DescriptorChain.F_INDIRECT;
import static io.vireo.dataplane.vhost.DescriptorChain.F_NEXT;
import static io.vireo.dataplane.vhost.TestDriver.bufferOffset;
import static io.vireo.dataplane.vhost.TestDriver.guest;
import static io.vireo.dataplane.vhost.VhostUserMessage.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frontends that lie: each attack is made on the "victim" port by a {@link TestFrontend} over a real
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

    @BeforeEach
    void start()
    {
        victim = VhostUserPort.server("victim", dir.resolve("victim.sock"));
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

    /** Starts the liar properly, then corrupts queue 1 (frames to the switch) and makes the chain available. */
    private static Consumer<TestFrontend> transmitChain(final TransmitAttack corrupt)
    {
        return liar ->
        {
            liar.start();
            corrupt.apply(liar.driver, 3);
            liar.driver.publish(1, 3);
        };
    }

    private interface TransmitAttack
    {
        void apply(TestDriver driver, int descriptor);
    }

    @Test
    void descriptorOutsideTheRegion()
    {
        assertResetBy("outside the frontend's memory",
            transmitChain((driver, d) -> driver.descriptor(1, d, guest(TestDriver.REGION_SIZE + 4096), 64, 0, 0)));
    }

    @Test
    void descriptorWrappingAroundTheAddressSpace()
    {
        assertResetBy("outside the frontend's memory",
            transmitChain((driver, d) -> driver.descriptor(1, d, -256L, 4096, 0, 0)));
    }

    @Test
    void descriptorLengthRunningPastTheRegion()
    {
        assertResetBy("outside the frontend's memory",
            transmitChain((driver, d) -> driver.descriptor(1, d, guest(bufferOffset(1, 0)), 0xFFFF_FFFFL, 0, 0)));
    }

    @Test
    void frameLongerThan64KiB()
    {
        assertResetBy("longer than 64 KiB",
            transmitChain((driver, d) -> driver.descriptor(1, d, guest(bufferOffset(1, 0)), 200_000, 0, 0)));
    }

    @Test
    void segmentationTheDriverDidNotNegotiate()
    {
        assertResetBy("offload not negotiated", liar ->
        {
            liar.start(Features.OFFERED & ~(Features.VIRTIO_NET_F_HOST_TSO4 | Features.VIRTIO_NET_F_HOST_ECN));
            liar.driver.send(TestDriver.header(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, VirtioNetHeaderFlyweight.GSO_TCPV4,
                54, 100, 34, 16), VirtqueueTest.frame(1000, 7));
        });
    }

    @Test
    void dataValidFromTheDriver()
    {
        // DATA_VALID is for the device to set; a driver must not (virtio 1.2, 5.1.6.2.1).
        assertResetBy("offload not negotiated", liar ->
        {
            liar.start();
            liar.driver.send(TestDriver.header(VirtioNetHeaderFlyweight.FLAG_DATA_VALID, VirtioNetHeaderFlyweight.GSO_NONE,
                0, 0, 0, 0), VirtqueueTest.frame(100, 7));
        });
    }

    @Test
    void loopingChain()
    {
        assertResetBy("a loop", transmitChain((driver, d) ->
        {
            driver.descriptor(1, d, guest(bufferOffset(1, d)), 64, F_NEXT, d + 1);
            driver.descriptor(1, d + 1, guest(bufferOffset(1, d + 1)), 64, F_NEXT, d);
        }));
    }

    @Test
    void loopingIndirectTable()
    {
        assertResetBy("a loop", transmitChain((driver, d) ->
        {
            driver.indirectEntry(d, 0, guest(bufferOffset(1, d)), 64, F_NEXT, 0);
            driver.descriptor(1, d, guest(TestDriver.tableOffset(d)), 16, F_INDIRECT, 0);
        }));
    }

    @Test
    void headIndexBeyondTheRing()
    {
        assertResetBy("descriptor index beyond", liar ->
        {
            liar.start();
            liar.driver.publish(1, TestFrontend.QUEUE_SIZE + 7);
        });
    }

    @Test
    void availableIndexJumpingAhead()
    {
        assertResetBy("available index", liar ->
        {
            liar.start();
            liar.driver.availIdx(1, 40_000);
        });
    }

    @Test
    void readOnlyReceiveBuffer()
    {
        assertResetBy("device-readable descriptor", liar ->
        {
            liar.start();
            liar.driver.descriptor(0, 0, guest(bufferOffset(0, 0)), 2048, 0, 0);
            liar.driver.publish(0, 0);
            // The switch transmits whatever it received last into the victim: make sure it has something.
            liar.driver.send(VirtqueueTest.frame(64, 1));
        });
    }

    @Test
    void ringSizeNotAPowerOfTwo()
    {
        assertResetBy("power of two", liar ->
        {
            liar.send(SET_OWNER, 0);
            liar.vringState(SET_VRING_NUM, 0, 100);
        });
    }

    @Test
    void ringSizeTooLarge()
    {
        assertResetBy("power of two", liar -> liar.vringState(SET_VRING_NUM, 1, 65536));
    }

    @Test
    void ringOutsideTheMemory()
    {
        assertResetBy("ring outside", liar ->
        {
            liar.start();
            liar.message().header(SET_VRING_ADDR, VERSION, VRING_ADDRESS_LENGTH)
                .vringAddress(1, TestDriver.user(TestDriver.REGION_SIZE - 64), liar.driver.usedUser(1), liar.driver.availUser(1));
            liar.send(null);
        });
    }

    @Test
    void memoryTableShrinkingUnderRunningRings()
    {
        assertResetBy("ring outside", liar ->
        {
            liar.start();
            forwardUntil(victim::isRunning, "victim running");
            liar.memTableWithoutAck(TestDriver.GUEST_BASE, 0x8000, TestDriver.USER_BASE, TestDriver.MMAP_OFFSET);
        });
    }

    @Test
    void memoryTableShrinkingUnderBuffersInFlight()
    {
        assertResetBy("outside the frontend's memory", liar ->
        {
            liar.start();
            liar.driver.send(VirtqueueTest.frame(64, 1));
            forwardUntil(() -> liar.driver.sentAndReturned() == 1, "a frame before the shrink");
            // Rings stay inside (below 0x20000); every buffer is now outside.
            liar.memTable(TestDriver.GUEST_BASE, 0x20000, TestDriver.USER_BASE, TestDriver.MMAP_OFFSET);
            liar.driver.send(VirtqueueTest.frame(64, 2));
        });
    }

    @Test
    void memoryTableClaimingMoreThanTheFileHolds()
    {
        // Touching a page past the end of the memfd would raise SIGBUS and kill the process.
        assertResetBy("holds", liar -> liar.memTableWithoutAck(
            TestDriver.GUEST_BASE, 64L << 20, TestDriver.USER_BASE, TestDriver.MMAP_OFFSET));
    }

    @Test
    void memoryTableWithOverlappingRegions()
    {
        assertResetBy("overlap", liar ->
        {
            liar.message().header(SET_MEM_TABLE, VERSION, memoryTableSize(2)).regionCount(2)
                .region(0, 0, 0x10000, 0x10000, 0)
                .region(1, 0x8000, 0x10000, 0x40000, 0);
            sendWithTwoDescriptors(liar);
        });
    }

    @Test
    void memoryTableWithMissingDescriptors()
    {
        assertResetBy("descriptors", liar ->
        {
            liar.message().header(SET_MEM_TABLE, VERSION, memoryTableSize(2)).regionCount(2)
                .region(0, 0, 0x10000, 0x10000, 0)
                .region(1, 0x10000, 0x10000, 0x20000, 0x10000);
            final int fd = liar.driver.duplicateFd();
            try
            {
                liar.send(new int[]{fd});
            }
            finally
            {
                UnixSocket.closeDescriptor(fd);
            }
        });
    }

    @Test
    void memoryTableWithASocketForMemory()
    {
        assertResetBy("not a regular file", liar ->
        {
            liar.message().header(SET_MEM_TABLE, VERSION, memoryTableSize(1)).regionCount(1)
                .region(0, 0, 0x10000, 0x10000, 0);
            try (UnixSocket notMemory = UnixSocket.listen(dir.resolve("not-memory.sock")))
            {
                liar.send(new int[]{notMemory.fd()});
            }
        });
    }

    @Test
    void callDescriptorThatCannotBeAnEventfd()
    {
        // Found by VhostUserSessionFuzzTest: an O_PATH descriptor cannot be made non-blocking, and the
        // session ended as an unexpected failure of the port rather than as the frontend's violation.
        final int oPath = 0x200000;
        assertResetBy("fcntl O_NONBLOCK", liar ->
        {
            final int path = Native.libc().open(dir.toString(), oPath);
            try
            {
                liar.vringFile(SET_VRING_CALL, 0, path);
            }
            finally
            {
                UnixSocket.closeDescriptor(path);
            }
        });
    }

    private static void sendWithTwoDescriptors(final TestFrontend liar)
    {
        final int first = liar.driver.duplicateFd();
        final int second = liar.driver.duplicateFd();
        try
        {
            liar.send(new int[]{first, second});
        }
        finally
        {
            UnixSocket.closeDescriptor(first);
            UnixSocket.closeDescriptor(second);
        }
    }

    @Test
    void queueIndexOutOfRange()
    {
        assertResetBy("queue index", liar -> liar.vringState(SET_VRING_ENABLE, 5, 1));
    }

    @Test
    void featuresNotOffered()
    {
        assertResetBy("features", liar ->
        {
            // VIRTIO_NET_F_CTRL_GUEST_OFFLOADS (bit 2) needs a control queue, which is not offered.
            liar.message().header(SET_FEATURES, VERSION, U64_LENGTH).u64(Features.OFFERED | 1L << 2);
            liar.send(null);
        });
    }

    @Test
    void segmentationWithoutChecksumOffload()
    {
        assertResetBy("HOST_TSO or HOST_USO without CSUM", liar ->
        {
            liar.message().header(SET_FEATURES, VERSION, U64_LENGTH)
                .u64(Features.OFFERED & ~Features.VIRTIO_NET_F_CSUM);
            liar.send(null);
        });
    }

    @Test
    void guestSegmentationWithoutGuestChecksum()
    {
        assertResetBy("GUEST_TSO or GUEST_USO without GUEST_CSUM", liar ->
        {
            liar.message().header(SET_FEATURES, VERSION, U64_LENGTH)
                .u64(Features.OFFERED & ~Features.VIRTIO_NET_F_GUEST_CSUM);
            liar.send(null);
        });
    }

    @Test
    void featuresWithoutVersion1()
    {
        assertResetBy("VERSION_1", liar ->
        {
            liar.message().header(SET_FEATURES, VERSION, U64_LENGTH).u64(Features.VIRTIO_NET_F_MRG_RXBUF);
            liar.send(null);
        });
    }

    @Test
    void payloadLargerThanAnyMessage()
    {
        assertResetBy("malformed message", liar ->
        {
            liar.message().header(SET_MEM_TABLE, VERSION, 0x7FFF_0000);
            liar.socketSendPrefix(HEADER_LENGTH);
        });
    }

    @Test
    void payloadShorterThanItsRequest()
    {
        assertResetBy("malformed message", liar -> liar.send(SET_VRING_ADDR, 0));
    }

    @Test
    void replyFlagInARequest()
    {
        assertResetBy("malformed message", liar -> liar.send(SET_OWNER, FLAG_REPLY));
    }

    @Test
    void messageThatNeverCompletes()
    {
        assertResetBy("incomplete message", liar ->
        {
            liar.message().header(SET_FEATURES, VERSION, U64_LENGTH);
            liar.socketSendPrefix(HEADER_LENGTH + 2);
        });
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
