package io.vireo.vswitch.core;

import java.util.List;
import java.util.Random;

import io.vireo.flowtable.policy.IpPrefix;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link VxlanPorts#dottedQuad}, the cluster path's IPv4 reader, reads what {@link IpPrefix#parse} reads and no more. */
class DottedQuadTest
{
    @Test
    void readsWhatFormatIpv4WritesAsTheParserDoes()
    {
        final Random random = new Random(16);
        for (int i = 0; i < 100_000; i++)
        {
            final int address = i < 4 ? new int[] { 0, -1, 0x0A00_0001, 0x7F00_0001 }[i] : random.nextInt();
            final String text = IpPrefix.formatIpv4(address);
            assertEquals(address & 0xFFFF_FFFFL, VxlanPorts.dottedQuad(text), text);
            assertEquals(IpPrefix.parse(text), OverlayEntries.address(text));
            assertEquals(address, VxlanPorts.ipv4Address(text, "address"));
        }
    }

    @Test
    void leavesEverythingElseToTheParser()
    {
        for (final String text : List.of("", ".", "1.2.3", "1.2.3.4.", ".1.2.3", "1..2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04",
            "256.1.1.1", "1.2.3.1000", "1.2.3.-4", "1.2.3.4/32", " 1.2.3.4", "1.2.3.4 ", "a.b.c.d", "::1", "::ffff:1.2.3.4",
            "1.2.3.4a", "00.1.2.3"))
        {
            assertEquals(-1, VxlanPorts.dottedQuad(text), text);
        }
        assertEquals(-1, VxlanPorts.dottedQuad(null));
        assertEquals(IpPrefix.parse("fe80::1"), OverlayEntries.address("fe80::1"));
        assertThrows(VireoException.class, () -> OverlayEntries.address("01.2.3.4"));
        assertThrows(VireoException.class, () -> OverlayEntries.address("10.0.0.1/32"));
        assertThrows(VireoException.class, () -> VxlanPorts.ipv4Address("256.1.1.1", "peer"));
    }
}
