package io.vireo.vswitch.core;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import io.vireo.testkit.Allocations;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forwarding thread allocates nothing in steady state: a million frames forwarded in invoker
 * mode (the test thread is the forwarding thread), in {@link Allocations} windows.
 */
class ZeroAllocationTest
{
    private static final int FRAMES = 1 << 20; // a million, in windows that are whole rounds of 64
    private static final int PER_ROUND = 32;

    private long injected;
    private long transmitted;
    private final MessageHandler countFrame = (type, buffer, index, length) -> transmitted++;

    @Test
    void aMillionForwardedFramesAllocateNothing()
    {
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
            final int perWindow = FRAMES / Allocations.WINDOWS;

            final long transmittedBefore = transmitted;
            Allocations.assertAllocatesNothing(perWindow + " frames", () ->
            {
                forward(vireo, a, b, fromA, fromB, perWindow);
                return transmitted;
            });

            assertTrue(transmitted - transmittedBefore >= FRAMES, () -> "every frame forwarded: " + vireo.ports());
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
