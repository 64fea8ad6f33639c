package io.vireo.dataplane.vhost;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.UnixSocket;

import static io.vireo.dataplane.vhost.DescriptorChain.F_INDIRECT;
import static io.vireo.dataplane.vhost.DescriptorChain.F_NEXT;
import static io.vireo.dataplane.vhost.TestDriver.bufferOffset;
import static io.vireo.dataplane.vhost.TestDriver.guest;
import static io.vireo.dataplane.vhost.VhostUserMessage.*;

/**
 * The lies a vhost-user frontend can tell, each a protocol violation that a port must count, name (its
 * {@link #reason} is part of {@link VhostUserPort#lastViolation()}) and answer by dropping the frontend. Made by
 * a freshly connected {@link TestFrontend}; {@link HostileFrontendTest} makes each against a port in its own
 * process, {@link VhostUserAttacker} all of them in turn against a running switch.
 */
enum FrontendAttack
{
    DESCRIPTOR_OUTSIDE_THE_REGION("outside the frontend's memory",
        transmitChain((driver, d) -> driver.descriptor(1, d, guest(TestDriver.REGION_SIZE + 4096), 64, 0, 0))),
    DESCRIPTOR_WRAPPING_AROUND_THE_ADDRESS_SPACE("outside the frontend's memory",
        transmitChain((driver, d) -> driver.descriptor(1, d, -256L, 4096, 0, 0))),
    DESCRIPTOR_LENGTH_RUNNING_PAST_THE_REGION("outside the frontend's memory",
        transmitChain((driver, d) -> driver.descriptor(1, d, guest(bufferOffset(1, 0)), 0xFFFF_FFFFL, 0, 0))),
    FRAME_LONGER_THAN_64_KIB("longer than 64 KiB",
        transmitChain((driver, d) -> driver.descriptor(1, d, guest(bufferOffset(1, 0)), 200_000, 0, 0))),
    SEGMENTATION_THE_DRIVER_DID_NOT_NEGOTIATE("offload not negotiated", (liar, scene) ->
    {
        liar.start(Features.OFFERED & ~(Features.VIRTIO_NET_F_HOST_TSO4 | Features.VIRTIO_NET_F_HOST_ECN));
        liar.driver.send(TestDriver.header(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, VirtioNetHeaderFlyweight.GSO_TCPV4,
            54, 100, 34, 16), VirtqueueTest.frame(1000, 7));
    }),
    /** DATA_VALID is for the device to set; a driver must not (virtio 1.2, 5.1.6.2.1). */
    DATA_VALID_FROM_THE_DRIVER("offload not negotiated", (liar, scene) ->
    {
        liar.start();
        liar.driver.send(TestDriver.header(VirtioNetHeaderFlyweight.FLAG_DATA_VALID, VirtioNetHeaderFlyweight.GSO_NONE,
            0, 0, 0, 0), VirtqueueTest.frame(100, 7));
    }),
    LOOPING_CHAIN("a loop", transmitChain((driver, d) ->
    {
        driver.descriptor(1, d, guest(bufferOffset(1, d)), 64, F_NEXT, d + 1);
        driver.descriptor(1, d + 1, guest(bufferOffset(1, d + 1)), 64, F_NEXT, d);
    })),
    LOOPING_INDIRECT_TABLE("a loop", transmitChain((driver, d) ->
    {
        driver.indirectEntry(d, 0, guest(bufferOffset(1, d)), 64, F_NEXT, 0);
        driver.descriptor(1, d, guest(TestDriver.tableOffset(d)), 16, F_INDIRECT, 0);
    })),
    HEAD_INDEX_BEYOND_THE_RING("descriptor index beyond", (liar, scene) ->
    {
        liar.start();
        liar.driver.publish(1, TestFrontend.QUEUE_SIZE + 7);
    }),
    AVAILABLE_INDEX_JUMPING_AHEAD("available index", (liar, scene) ->
    {
        liar.start();
        liar.driver.availIdx(1, 40_000);
    }),
    READ_ONLY_RECEIVE_BUFFER("device-readable descriptor", (liar, scene) ->
    {
        liar.start();
        liar.driver.descriptor(0, 0, guest(bufferOffset(0, 0)), 2048, 0, 0);
        liar.driver.publish(0, 0);
        liar.driver.send(scene.answeredFrame()); // so that the port has a frame to write into the buffer
    }),
    RING_SIZE_NOT_A_POWER_OF_TWO("power of two", (liar, scene) ->
    {
        liar.send(SET_OWNER, 0);
        liar.vringState(SET_VRING_NUM, 0, 100);
    }),
    RING_SIZE_TOO_LARGE("power of two", (liar, scene) -> liar.vringState(SET_VRING_NUM, 1, 65536)),
    RING_OUTSIDE_THE_MEMORY("ring outside", (liar, scene) ->
    {
        liar.start();
        liar.message().header(SET_VRING_ADDR, VERSION, VRING_ADDRESS_LENGTH)
            .vringAddress(1, TestDriver.user(TestDriver.REGION_SIZE - 64), liar.driver.usedUser(1), liar.driver.availUser(1));
        liar.send(null);
    }),
    MEMORY_TABLE_SHRINKING_UNDER_RUNNING_RINGS("ring outside", (liar, scene) ->
    {
        liar.start();
        liar.driver.send(scene.frame(0));
        scene.await(() -> liar.driver.sentAndReturned() == 1, "a frame through the running rings");
        liar.memTableWithoutAck(TestDriver.GUEST_BASE, 0x8000, TestDriver.USER_BASE, TestDriver.MMAP_OFFSET);
    }),
    MEMORY_TABLE_SHRINKING_UNDER_BUFFERS_IN_FLIGHT("outside the frontend's memory", (liar, scene) ->
    {
        liar.start();
        liar.driver.send(scene.frame(1));
        scene.await(() -> liar.driver.sentAndReturned() == 1, "a frame before the shrink");
        // Rings stay inside (below 0x20000); every buffer is now outside.
        liar.memTable(TestDriver.GUEST_BASE, 0x20000, TestDriver.USER_BASE, TestDriver.MMAP_OFFSET);
        liar.driver.send(scene.frame(2));
    }),
    /** Touching a page past the end of the memfd would raise SIGBUS and kill the process. */
    MEMORY_TABLE_CLAIMING_MORE_THAN_THE_FILE_HOLDS("holds", (liar, scene) -> liar.memTableWithoutAck(
        TestDriver.GUEST_BASE, 64L << 20, TestDriver.USER_BASE, TestDriver.MMAP_OFFSET)),
    MEMORY_TABLE_WITH_OVERLAPPING_REGIONS("overlap", (liar, scene) ->
    {
        liar.message().header(SET_MEM_TABLE, VERSION, memoryTableSize(2)).regionCount(2)
            .region(0, 0, 0x10000, 0x10000, 0)
            .region(1, 0x8000, 0x10000, 0x40000, 0);
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
    }),
    MEMORY_TABLE_WITH_MISSING_DESCRIPTORS("descriptors", (liar, scene) ->
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
    }),
    MEMORY_TABLE_WITH_A_SOCKET_FOR_MEMORY("not a regular file", (liar, scene) ->
    {
        liar.message().header(SET_MEM_TABLE, VERSION, memoryTableSize(1)).regionCount(1)
            .region(0, 0, 0x10000, 0x10000, 0);
        final Path path = scene.scratch().resolve("not-memory-" + System.nanoTime() + ".sock");
        try (UnixSocket notMemory = UnixSocket.listen(path))
        {
            liar.send(new int[]{notMemory.fd()});
        }
        finally
        {
            deleteIfExists(path);
        }
    }),
    /**
     * Found by VhostUserSessionFuzzTest: an O_PATH descriptor cannot be made non-blocking, and the session ended as
     * an unexpected failure of the port rather than as the frontend's violation.
     */
    CALL_DESCRIPTOR_THAT_CANNOT_BE_AN_EVENTFD("fcntl O_NONBLOCK", (liar, scene) ->
    {
        final int oPath = 0x200000;
        final int path = Native.libc().open(scene.scratch().toString(), oPath);
        try
        {
            liar.vringFile(SET_VRING_CALL, 0, path);
        }
        finally
        {
            UnixSocket.closeDescriptor(path);
        }
    }),
    QUEUE_INDEX_OUT_OF_RANGE("queue index", (liar, scene) -> liar.vringState(SET_VRING_ENABLE, 5, 1)),
    /** VIRTIO_NET_F_CTRL_GUEST_OFFLOADS (bit 2) needs a control queue, which is not offered. */
    FEATURES_NOT_OFFERED("features", (liar, scene) ->
    {
        liar.message().header(SET_FEATURES, VERSION, U64_LENGTH).u64(Features.OFFERED | 1L << 2);
        liar.send(null);
    }),
    SEGMENTATION_WITHOUT_CHECKSUM_OFFLOAD("HOST_TSO or HOST_USO without CSUM", (liar, scene) ->
    {
        liar.message().header(SET_FEATURES, VERSION, U64_LENGTH).u64(Features.OFFERED & ~Features.VIRTIO_NET_F_CSUM);
        liar.send(null);
    }),
    GUEST_SEGMENTATION_WITHOUT_GUEST_CHECKSUM("GUEST_TSO or GUEST_USO without GUEST_CSUM", (liar, scene) ->
    {
        liar.message().header(SET_FEATURES, VERSION, U64_LENGTH).u64(Features.OFFERED & ~Features.VIRTIO_NET_F_GUEST_CSUM);
        liar.send(null);
    }),
    FEATURES_WITHOUT_VERSION_1("VERSION_1", (liar, scene) ->
    {
        liar.message().header(SET_FEATURES, VERSION, U64_LENGTH).u64(Features.VIRTIO_NET_F_MRG_RXBUF);
        liar.send(null);
    }),
    PAYLOAD_LARGER_THAN_ANY_MESSAGE("malformed message", (liar, scene) ->
    {
        liar.message().header(SET_MEM_TABLE, VERSION, 0x7FFF_0000);
        liar.socketSendPrefix(HEADER_LENGTH);
    }),
    PAYLOAD_SHORTER_THAN_ITS_REQUEST("malformed message", (liar, scene) -> liar.send(SET_VRING_ADDR, 0)),
    REPLY_FLAG_IN_A_REQUEST("malformed message", (liar, scene) -> liar.send(SET_OWNER, FLAG_REPLY)),
    /** The port gives a message {@link VhostUserControl#IO_TIMEOUT_MILLIS} to complete. */
    MESSAGE_THAT_NEVER_COMPLETES("incomplete message", (liar, scene) ->
    {
        liar.message().header(SET_FEATURES, VERSION, U64_LENGTH);
        liar.socketSendPrefix(HEADER_LENGTH + 2);
    });

    /**
     * What the attack needs from where it is made: a wait while the port is served ({@code waiter}: by the caller's
     * thread in a test), a directory for the files and sockets an attack makes (it deletes them), well-formed
     * frames the port's switch takes ({@code frames}: the nth), and a frame the other side answers, so that the port
     * writes into the frontend's receive queue.
     */
    record Scene(BiConsumer<BooleanSupplier, String> waiter, Path scratch, IntFunction<byte[]> frames, byte[] answeredFrame)
    {
        void await(final BooleanSupplier condition, final String what)
        {
            waiter.accept(condition, what);
        }

        byte[] frame(final int n)
        {
            return frames.apply(n);
        }
    }

    interface Attack
    {
        void on(TestFrontend liar, Scene scene);
    }

    private interface TransmitAttack
    {
        void apply(TestDriver driver, int descriptor);
    }

    /** Part of the violation the port names. */
    final String reason;
    private final Attack attack;

    FrontendAttack(final String reason, final Attack attack)
    {
        this.reason = reason;
        this.attack = attack;
    }

    /** Makes the attack through {@code liar}, a frontend connected to the port and nothing more. */
    void on(final TestFrontend liar, final Scene scene)
    {
        attack.on(liar, scene);
    }

    /** Starts the liar properly, then corrupts queue 1 (frames to the switch) and makes the chain available. */
    private static Attack transmitChain(final TransmitAttack corrupt)
    {
        return (liar, scene) ->
        {
            liar.start();
            corrupt.apply(liar.driver, 3);
            liar.driver.publish(1, 3);
        };
    }

    private static void deleteIfExists(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
