package io.vireo.vswitch.core;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Vireo#threads()} reports the bytes each forwarding thread has allocated (what {@code benches/soak.sh}
 * samples for the allocation rate): the thread's own count, which forwarding leaves unchanged, and none in
 * invoker mode, where the caller's thread runs the agents.
 */
class ThreadAllocatedBytesTest
{
    private static final int FRAMES = 200_000;

    @Test
    void aDedicatedThreadReportsItsOwnAllocationsWhichForwardingDoesNotGrow() throws Exception
    {
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.DEDICATED)
            .idleMode(IdleMode.BACKOFF).fdbCapacity(1024)))
        {
            vireo.addBridge("br0", null);
            final LoopbackPort a = new LoopbackPort("a", 1 << 17);
            final LoopbackPort b = new LoopbackPort("b", 1 << 17);
            vireo.addPort("br0", a);
            vireo.addPort("br0", b);
            final UnsafeBuffer frame = new UnsafeBuffer(Frames.ethernet(
                MacAddress.parse("02:00:00:00:00:0b"), MacAddress.parse("02:00:00:00:00:0a"), 0x0800, 100));
            forward(a, b, frame, 20_000); // the forwarding path compiled and its first-use allocations behind
            final Long before = allocatedBytes(vireo);
            assertNotNull(before, "a started forwarding thread reports its allocated bytes");
            assertTrue(before >= 0);

            forward(a, b, frame, FRAMES);
            final long grown = allocatedBytes(vireo) - before;
            // Zero in steady state; the bound leaves room for what the JVM may allocate on the thread's behalf
            // now and then (a deoptimisation that rematerialises an object), not for a per-frame allocation.
            assertTrue(grown < 64 * 1024, () -> FRAMES + " frames grew the thread's allocated bytes by " + grown);
        }
    }

    @Test
    void invokerModeReportsNone()
    {
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024)
            .warmUpBursts(0)))
        {
            vireo.invoke();
            assertNull(allocatedBytes(vireo), "the caller's thread is not the forwarding thread's own");
        }
    }

    private static Long allocatedBytes(final Vireo vireo)
    {
        return vireo.threads().get(0).allocatedBytes();
    }

    /** Injects {@code count} frames into {@code from}, never more than the ring holds, until all reached {@code to}. */
    private static void forward(final LoopbackPort from, final LoopbackPort to, final UnsafeBuffer frame, final int count)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + 60_000_000_000L;
        final int[] received = {0};
        int sent = 0;
        while (received[0] < count)
        {
            while (sent < count && sent - received[0] < 256 && from.inject(frame, 0, frame.capacity()))
            {
                sent++;
            }
            to.drainTransmitted((type, buffer, index, length) -> received[0]++);
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("forwarded " + received[0] + " of " + count + " frames in 60 s");
            }
            Thread.onSpinWait();
        }
    }
}
