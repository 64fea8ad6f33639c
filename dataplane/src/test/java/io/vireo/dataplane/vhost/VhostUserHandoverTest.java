package io.vireo.dataplane.vhost;

import io.vireo.dataplane.nativeio.EventFd;
import io.vireo.dataplane.nativeio.Native;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handover's text: read back as it was written, and refused (descriptors closed) when it does not hold. */
class VhostUserHandoverTest
{
    private static final int F_GETFD = 1;

    private static VhostUserHandover sample(final int[] fds)
    {
        final long[][] queues = {
            {256, 0x7f0000001000L, 0x7f0000002000L, 0x7f0000003000L,
                VhostUserHandover.ADDRESSED | VhostUserHandover.KICKED | VhostUserHandover.ENABLED | VhostUserHandover.HAS_CALL, 0xfffe},
            {256, 0x7f0000011000L, 0x7f0000012000L, 0x7f0000013000L, VhostUserHandover.ADDRESSED, 7}};
        return new VhostUserHandover(true, true, 0x1_0000_8000L, new long[][] {{0, 1 << 30, 0x7f0000000000L, 0}}, queues, fds);
    }

    @Test
    void readsBackWhatItWrote()
    {
        final int[] fds = {10, 11, 12, 13};
        final VhostUserHandover written = sample(fds);
        final VhostUserHandover read = VhostUserHandover.parse(written.state(), fds);
        assertEquals(written.state(), read.state());
        assertTrue(read.connected());
        assertArrayEquals(fds, read.fds());
        assertEquals(0xfffe, read.queues[0][5]);
        assertEquals(0x7f0000000000L, read.regions[0][2]);
    }

    @Test
    void refusesStateThatDoesNotHoldAndClosesTheDescriptors()
    {
        final EventFd one = EventFd.create();
        final String state = sample(new int[4]).state();
        assertThrows(IllegalArgumentException.class, () -> VhostUserHandover.parse(state, new int[] {one.fd()}));
        assertTrue(Native.libc().fcntl(one.fd(), F_GETFD, 0) < 0, "the descriptor was closed");
        assertThrows(IllegalArgumentException.class, () -> VhostUserHandover.parse("1,1,zz", new int[0]));
        assertThrows(IllegalArgumentException.class, () -> VhostUserHandover.parse("1,1,0,9", new int[0]));
    }
}
