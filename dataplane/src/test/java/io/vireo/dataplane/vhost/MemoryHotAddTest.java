package io.vireo.dataplane.vhost;

import java.nio.file.Path;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.MappedMemory;
import io.vireo.dataplane.nativeio.UnixSocket;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.vireo.dataplane.vhost.TestDriver.HEADER;
import static io.vireo.dataplane.vhost.VhostUserMessage.FLAG_NEED_REPLY;
import static io.vireo.dataplane.vhost.VhostUserMessage.SET_MEM_TABLE;
import static io.vireo.dataplane.vhost.VhostUserMessage.VERSION;
import static io.vireo.dataplane.vhost.VhostUserMessage.memoryTableSize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory hot-add as QEMU does it without CONFIGURE_MEM_SLOTS: a running frontend sends SET_MEM_TABLE
 * again with one more region. The port remaps, keeps its rings where they were and takes buffers from
 * the new region.
 */
class MemoryHotAddTest
{
    private static final long ADDED_GUEST = TestDriver.GUEST_BASE + TestDriver.REGION_SIZE;
    private static final long ADDED_USER = TestDriver.USER_BASE + 0x1000_0000L;
    private static final long ADDED_SIZE = 0x10_0000;

    @TempDir
    Path dir;

    @Test
    void aRegionAddedWhileRunningCarriesFrames()
    {
        final int addedFd = MappedMemory.createMemfd("vireo-test-hot-add", ADDED_SIZE);
        try (VhostUserPort port = VhostUserPort.server("vm1", dir.resolve("vm1.sock"));
            TestFrontend frontend = TestFrontend.connect(port.socket()).start();
            MappedMemory added = MappedMemory.mapShared(addedFd, ADDED_SIZE))
        {
            final FrameBurst burst = new FrameBurst(4, 2048, 64);
            final TestDriver driver = frontend.driver;
            awaitRunning(port);
            driver.send(VirtqueueTest.frame(64, 1));
            assertEquals(1, receive(port, burst));

            frontend.message().header(SET_MEM_TABLE, VERSION | FLAG_NEED_REPLY, memoryTableSize(2)).regionCount(2)
                .region(0, TestDriver.GUEST_BASE, TestDriver.REGION_SIZE, TestDriver.USER_BASE, TestDriver.MMAP_OFFSET)
                .region(1, ADDED_GUEST, ADDED_SIZE, ADDED_USER, 0);
            final int[] fds = {driver.duplicateFd(), addedFd};
            try
            {
                frontend.send(fds);
            }
            finally
            {
                UnixSocket.closeDescriptor(fds[0]);
            }
            frontend.expectAck(SET_MEM_TABLE);
            awaitRunning(port);

            // A frame whose buffer lies in the added region, behind a zero header.
            final byte[] frame = VirtqueueTest.frame(300, 2);
            added.setMemory(0x100, HEADER, (byte)0);
            added.copyFrom(0x100 + HEADER, new UnsafeBuffer(frame), 0, frame.length);
            driver.descriptor(1, 7, ADDED_GUEST + 0x100, HEADER + frame.length, 0, 0);
            driver.publish(1, 7);
            assertEquals(1, receive(port, burst));

            final byte[] received = new byte[burst.frameLength(0)];
            burst.buffer().getBytes(burst.frameOffset(0), received);
            assertArrayEquals(frame, received);
            assertEquals(0, port.violations());
            assertTrue(port.isRunning());
        }
        finally
        {
            UnixSocket.closeDescriptor(addedFd);
        }
    }

    private static void awaitRunning(final VhostUserPort port)
    {
        final long deadline = System.currentTimeMillis() + 2000;
        while (!port.isRunning())
        {
            assertTrue(System.currentTimeMillis() < deadline, "port running");
            Thread.onSpinWait();
        }
    }

    private static int receive(final VhostUserPort port, final FrameBurst burst)
    {
        final long deadline = System.currentTimeMillis() + 2000;
        burst.clear();
        int received;
        while (0 == (received = port.receive(burst)))
        {
            assertTrue(System.currentTimeMillis() < deadline, "a frame within 2 s: " + port);
        }
        return received;
    }
}
