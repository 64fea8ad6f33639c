package io.vireo.vswitch.pipeline;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up forwards what it claims to: known unicast to one port, flooded frames to every other. */
class ForwardingWarmUpTest
{
    private static final int BURST = 8;
    private static final Pipeline.Geometry GEOMETRY = new Pipeline.Geometry(BURST, 4096, 128, 1518, 16, 4, 64);

    @Test
    void warmUpFramesAreForwardedAsUnicastAndFlooded()
    {
        final int bursts = 300;
        long injected = 0;
        for (int burst = 0; burst < bursts; burst++)
        {
            injected += 1 + burst % BURST;
        }

        final long sent = ForwardingWarmUp.run(GEOMETRY, bursts);

        // Three loopback ports on one bridge, two TAP ports over socket pairs on another: a flooded frame is sent
        // twice (or once, between the TAP ports), a known unicast one once, none dropped.
        assertTrue(sent > injected, "some frames flooded: " + sent + " sent of " + injected);
        assertTrue(sent < 2 * injected, "some frames unicast: " + sent + " sent of " + injected);
    }

    @Test
    void noBurstsForwardNothing()
    {
        assertEquals(0, ForwardingWarmUp.run(GEOMETRY, 0));
    }
}
