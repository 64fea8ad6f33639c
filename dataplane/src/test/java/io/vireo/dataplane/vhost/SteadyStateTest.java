package io.vireo.dataplane.vhost;

import java.nio.file.Path;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.testkit.Allocations;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.vireo.dataplane.vhost.TestDriver.HEADER;
import static io.vireo.dataplane.vhost.TestDriver.bufferOffset;
import static io.vireo.dataplane.vhost.TestDriver.fileOffset;
import static io.vireo.dataplane.vhost.TestDriver.guest;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The forwarding thread's side of a port in steady state: a million frames each way, not one byte allocated. */
class SteadyStateTest
{
    private static final int BURST = 32;
    private static final int FRAMES = 1 << 20; // a million each way, in windows of whole bursts

    @TempDir
    Path dir;

    @Test
    void receiveAndTransmitAllocateNothing()
    {
        try (VhostUserPort port = VhostUserPort.server("vm1", dir.resolve("vm1.sock"));
            TestFrontend frontend = TestFrontend.connect(port.socket()).start())
        {
            final TestDriver driver = frontend.driver;
            final FrameBurst burst = new FrameBurst(BURST, 2048, 64);
            final int[] indexes = new int[BURST];
            for (int i = 0; i < BURST; i++)
            {
                indexes[i] = i;
            }
            // Every transmit descriptor holds a 64-byte frame once and for all; the loop only republishes them.
            final byte[] frame = VirtqueueTest.frame(64, 1);
            for (int d = 0; d < TestFrontend.QUEUE_SIZE; d++)
            {
                driver.file().setMemory(fileOffset(bufferOffset(1, d)), HEADER, (byte)0);
                driver.file().copyFrom(fileOffset(bufferOffset(1, d)) + HEADER, new UnsafeBuffer(frame), 0, frame.length);
                driver.descriptor(1, d, guest(bufferOffset(1, d)), HEADER + frame.length, 0, 0);
            }
            while (!port.isRunning())
            {
                Thread.onSpinWait();
            }
            final int perWindow = FRAMES / Allocations.WINDOWS;

            Allocations.assertAllocatesNothing(perWindow + " frames each way", () -> forward(port, driver, burst, indexes, perWindow));
            assertEquals(0, port.violations());
            assertEquals(0, port.refusedNoBuffers());
        }
    }

    /** Sends and receives {@code frames} frames in bursts; returns how many went each way. */
    private static long forward(
        final VhostUserPort port, final TestDriver driver, final FrameBurst burst, final int[] indexes, final int frames)
    {
        int next = 0;
        long forwarded = 0;
        for (int done = 0; done < frames; done += BURST)
        {
            for (int i = 0; i < BURST; i++)
            {
                driver.publish(1, next);
                next = (next + 1) % TestFrontend.QUEUE_SIZE;
            }
            driver.postReceiveBuffers(BURST, 2048);
            burst.clear();
            final int received = port.receive(burst);
            if (received != BURST || port.transmit(burst, indexes, received) != BURST)
            {
                throw new AssertionError("a burst did not go through: " + port);
            }
            forwarded += received;
        }
        return forwarded;
    }
}
