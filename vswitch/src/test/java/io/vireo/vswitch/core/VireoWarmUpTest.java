package io.vireo.vswitch.core;

import java.util.List;
import java.util.Map;

import io.vireo.dataplane.port.LoopbackPort;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The warm-up at launch runs on a private pipeline: the switch it warms has forwarded, learned and
 * counted nothing, though the warm-up's bridge had the id the switch's first bridge gets.
 */
class VireoWarmUpTest
{
    @Test
    void aWarmedUpSwitchHasForwardedLearnedAndCountedNothing()
    {
        try (Vireo vireo = Vireo.launch(new VireoContext()
            .threadingMode(ThreadingMode.INVOKER)
            .fdbCapacity(1024)
            .warmUpBursts(1_000)))
        {
            vireo.addBridge("br0", null);
            final LoopbackPort port = new LoopbackPort("p1", 1 << 16);
            vireo.addPort("br0", port);
            vireo.invoke();

            assertEquals(List.of(), vireo.fdb("br0"));
            final PortStats stats = vireo.port("p1").stats();
            assertEquals(new PortStats(0, 0, 0, 0, stats.drops(), 0, 0, 0), stats);
            stats.drops().forEach((reason, count) -> assertEquals(0L, count, reason));
            for (final Map<String, Long> thread : vireo.threadStats().values())
            {
                assertEquals(0L, thread.get("rx_frames"));
                assertEquals(0L, thread.get("rx_bursts"));
            }
            assertEquals(0, vireo.burstLatency().getTotalCount());
            assertEquals(0, port.drainTransmitted((type, buffer, index, length) -> { }));
        }
    }
}
