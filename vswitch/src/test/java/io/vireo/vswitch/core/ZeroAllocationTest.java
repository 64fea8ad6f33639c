package io.vireo.vswitch.core;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forwarding thread allocates nothing in steady state: a million frames forwarded in invoker
 * mode (the test thread is the forwarding thread), measured in sixteen windows, must not grow its
 * allocated bytes. The JIT's last recompilations, a second or two in, can allocate a few kilobytes
 * once (when it deoptimizes and rematerializes objects it had scalar-replaced), so up to four windows
 * may show a one-off; any per-frame allocation shows in every window.
 */
class ZeroAllocationTest
{
    private static final int FRAMES = 1 << 20; // a million, in windows that are whole rounds of 64
    private static final int PER_ROUND = 32;
    private static final int WINDOWS = 16;
    private static final long WARM_UP_NS = 2_000_000_000L;
    /** Windows in which the JIT's last recompilations may allocate once; a leak shows in every window. */
    private static final int JIT_WINDOWS_ALLOWED = 4;

    private long injected;
    private long transmitted;
    private final MessageHandler countFrame = (type, buffer, index, length) -> transmitted++;

    @Test
    void aMillionForwardedFramesAllocateNothing()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long thread = Thread.currentThread().getId();
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(4096)))
        {
            vireo.addBridge("br0", null);
            final LoopbackPort a = new LoopbackPort("a", 1 << 16);
            final LoopbackPort b = new LoopbackPort("b", 1 << 16);
            vireo.addPort("br0", a);
            vireo.addPort("br0", b);
            final UnsafeBuffer fromA = new UnsafeBuffer(Frames.ethernet(
                MacAddress.parse("02:00:00:00:00:0b"), MacAddress.parse("02:00:00:00:00:0a"), 0x0800, 50));
            final UnsafeBuffer fromB = new UnsafeBuffer(Frames.ethernet(
                MacAddress.parse("02:00:00:00:00:0a"), MacAddress.parse("02:00:00:00:00:0b"), 0x0800, 50));

            // Warm up for a while: the JIT's last recompilations come by time more than by frames.
            final long warmUpEnd = System.nanoTime() + WARM_UP_NS;
            while (System.nanoTime() < warmUpEnd)
            {
                forward(vireo, a, b, fromA, fromB, FRAMES / WINDOWS);
            }
            final long transmittedBefore = transmitted;
            final long[] allocated = new long[WINDOWS];
            for (int window = 0; window < WINDOWS; window++)
            {
                final long before = threads.getThreadAllocatedBytes(thread);
                forward(vireo, a, b, fromA, fromB, FRAMES / WINDOWS);
                allocated[window] = threads.getThreadAllocatedBytes(thread) - before;
            }

            assertEquals(FRAMES, transmitted - transmittedBefore, () -> "every frame forwarded: " + vireo.ports());
            final long windowsThatAllocated = Arrays.stream(allocated).filter(bytes -> bytes > 0).count();
            assertTrue(windowsThatAllocated <= JIT_WINDOWS_ALLOWED,
                "bytes allocated per window of " + FRAMES / WINDOWS + " frames: " + Arrays.toString(allocated));
        }
    }

    /** Injects {@code frames} frames, 32 per port at a time, and forwards until each round is through. */
    private void forward(
        final Vireo vireo, final LoopbackPort a, final LoopbackPort b, final UnsafeBuffer fromA, final UnsafeBuffer fromB,
        final int frames)
    {
        for (int sent = 0; sent < frames; sent += 2 * PER_ROUND)
        {
            for (int i = 0; i < PER_ROUND; i++)
            {
                a.inject(fromA, 0, fromA.capacity());
                b.inject(fromB, 0, fromB.capacity());
            }
            injected += 2 * PER_ROUND;
            while (transmitted < injected)
            {
                vireo.invoke();
                a.drainTransmitted(countFrame);
                b.drainTransmitted(countFrame);
            }
        }
    }
}
