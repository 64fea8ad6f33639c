package io.vireo.gateway.answer;

import io.vireo.testkit.Allocations;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.vireo.gateway.answer.Frames.ALL_NODES_HIGH;
import static io.vireo.gateway.answer.Frames.FAR_HIGH;
import static io.vireo.gateway.answer.Frames.FAR_IP;
import static io.vireo.gateway.answer.Frames.FAR_LOW;
import static io.vireo.gateway.answer.Frames.HOST_IP;
import static io.vireo.gateway.answer.Frames.HOST_LOW;
import static io.vireo.gateway.answer.Frames.ROUTER_IP;
import static io.vireo.gateway.answer.Frames.ROUTER_LOW;
import static io.vireo.gateway.answer.Frames.ROUTER_MAC;
import static io.vireo.gateway.answer.Frames.ULA_HIGH;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every answer, and a refusal, allocate nothing: each frame is copied into the slot and answered, in {@link Allocations} windows. */
class RouterAnswersAllocationTest
{
    private static final int ROUNDS_PER_WINDOW = 160_000 / Allocations.WINDOWS;
    private static final int SLOT = 2048;
    private static final int ARP = 0;
    private static final int ECHO = SLOT;
    private static final int ECHO6 = 2 * SLOT;
    private static final int SOLICITATION = 3 * SLOT;
    private static final int TOO_LONG = 4 * SLOT;
    private static final int HOP_LIMIT = 5 * SLOT;
    private static final int ICMP_ERROR = 6 * SLOT;

    private final RouterAnswers answers = new RouterAnswers();
    private final UnsafeBuffer templates = new UnsafeBuffer(new byte[7 * SLOT]);
    private final int[] lengths = new int[7];
    private final UnsafeBuffer slot = new UnsafeBuffer(new byte[SLOT]);

    @Test
    void answeringAllocatesNothing()
    {
        lengths[0] = Frames.arpRequest(templates, ARP, ROUTER_IP);
        lengths[1] = Frames.icmp(templates, ECHO, ROUTER_IP, 8, 0, 56, 0);
        lengths[2] = Frames.icmpv6(templates, ECHO6, ULA_HIGH, HOST_LOW, ULA_HIGH, ROUTER_LOW, 64, 128, 0, 56);
        lengths[3] = Frames.solicitation(
            templates, SOLICITATION, ULA_HIGH, HOST_LOW, ALL_NODES_HIGH, 0x0000_0001_FF00_00FEL, ULA_HIGH, ROUTER_LOW, new byte[0]);
        lengths[4] = Frames.ipv4(templates, TOO_LONG, HOST_IP, FAR_IP, 6, 1480, 0x4000, 0);
        lengths[5] = Frames.ipv6(templates, HOP_LIMIT, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 17, 1, 1000);
        lengths[6] = Frames.icmp(templates, ICMP_ERROR, FAR_IP, 3, 1, 28, 0);
        final long[] bytes = {0};

        Allocations.assertAllocatesNothing(ROUNDS_PER_WINDOW + " rounds of 9 answers", () ->
        {
            long sum = 0;
            for (int i = 0; i < ROUNDS_PER_WINDOW; i++)
            {
                sum += answers.arpReply(slot, 0, load(0), ROUTER_MAC);
                sum += answers.arpRequest(slot, 0, ROUTER_MAC, ROUTER_IP, HOST_IP);
                sum += answers.echoReply(slot, 0, load(1), ROUTER_MAC);
                sum += answers.echoReply(slot, 0, load(2), ROUTER_MAC);
                sum += answers.neighbourAdvertisement(slot, 0, load(3), ROUTER_MAC);
                sum += answers.neighbourSolicitation(slot, 0, ROUTER_MAC, ULA_HIGH, ROUTER_LOW, ULA_HIGH, HOST_LOW);
                sum += answers.ipv4Error(slot, 0, load(4), SLOT, ROUTER_MAC, ROUTER_IP, 3, 4, 1400);
                sum += answers.ipv6Error(slot, 0, load(5), SLOT, ROUTER_MAC, ULA_HIGH, ROUTER_LOW, 3, 0, 0);
                sum += answers.ipv4Error(slot, 0, load(6), SLOT, ROUTER_MAC, ROUTER_IP, 11, 0, 0);
            }
            bytes[0] = sum / ROUNDS_PER_WINDOW;
            return sum;
        });

        assertEquals(60 + 60 + 98 + 118 + 86 + 86 + 590 + 1102 - 1, bytes[0], "every answer given, the error about an error refused");
    }

    private int load(final int frame)
    {
        slot.putBytes(0, templates, frame * SLOT, lengths[frame]);
        return lengths[frame];
    }
}
