package io.vireo.vswitch.core;

import java.lang.management.ManagementFactory;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forwarding thread allocates nothing in steady state: a million frames forwarded in invoker
 * mode (the test thread is the forwarding thread) must not grow its allocated bytes. A one-off of a
 * few hundred bytes can appear when the JIT deoptimizes a method and rematerializes objects it had
 * scalar-replaced; a single byte per frame would be a megabyte.
 */
class ZeroAllocationTest
{
    private static final int FRAMES = 1_000_000;
    private static final int PER_ROUND = 32;
    private static final long ONE_OFF_ALLOWANCE_BYTES = 4096;

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

            // Warm up until the JIT has compiled every path (first runs of a path may allocate once).
            forward(vireo, a, b, fromA, fromB, FRAMES);
            final long before = threads.getThreadAllocatedBytes(thread);
            transmitted = 0;
            forward(vireo, a, b, fromA, fromB, FRAMES);
            final long allocated = threads.getThreadAllocatedBytes(thread) - before;

            assertEquals(FRAMES, transmitted, () -> "every frame forwarded: " + vireo.ports());
            assertTrue(allocated <= ONE_OFF_ALLOWANCE_BYTES,
                allocated + " bytes allocated by the forwarding thread over " + FRAMES + " frames");
        }
    }

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
            vireo.invoke();
            a.drainTransmitted(countFrame);
            b.drainTransmitted(countFrame);
        }
    }
}
