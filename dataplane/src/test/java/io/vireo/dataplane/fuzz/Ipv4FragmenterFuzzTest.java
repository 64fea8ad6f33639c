package io.vireo.dataplane.fuzz;

import java.util.Arrays;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.offload.Ipv4Fragmenter;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router's fragmentation (what an egress port does with a routed packet over its MTU) over arbitrary frames,
 * given as {@code [mtu, 2 bytes][frame]}: the frame is left as it was, and a packet that is cut comes out as
 * fragments within the MTU, each a valid IPv4 header with its checksum right and the packet's identification,
 * addresses, protocol and TTL, their offsets following one another from the packet's own, MF on all but the last
 * (which keeps the packet's), the link header repeated, and their payloads together the packet's payload.
 */
class Ipv4FragmenterFuzzTest
{
    private static final int MTU_LENGTH = 2;
    /** Past the largest fragment of the largest frame the input can give. */
    private static final int OUT_CAPACITY = 1 << 17;

    private final Ipv4Fragmenter fragmenter = new Ipv4Fragmenter();
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[OUT_CAPACITY]);
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight packet = new Ipv4Flyweight();
    private final Ipv4Flyweight fragment = new Ipv4Flyweight();

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void fragmentsFitTheMtuAndAddUpToThePacket(final byte[] input)
    {
        if (input.length < MTU_LENGTH)
        {
            return;
        }
        final int mtu = (input[0] & 0xFF) << 8 | input[1] & 0xFF;
        final byte[] original = input.clone();
        final UnsafeBuffer frame = new UnsafeBuffer(input);
        final int length = input.length - MTU_LENGTH;

        final int count = fragmenter.fragmentCount(frame, MTU_LENGTH, length, mtu);
        assertTrue(count >= 0, "a count, or 0 for a packet that cannot be cut");
        if (count > 1)
        {
            final int link = ethernet.wrap(frame, MTU_LENGTH, length).headerLength();  // VLAN tags included
            packet.wrap(frame, MTU_LENGTH + link, length - link);
            final int headerLength = packet.headerLength();
            final int payloadLength = packet.totalLength() - headerLength;
            final byte[] payload = new byte[payloadLength];
            int expectedOffset = packet.fragmentOffset();
            int reassembled = 0;
            for (int index = 0; index < count; index++)
            {
                final int written = fragmenter.writeFragment(frame, MTU_LENGTH, length, mtu, index, out, 0);
                assertTrue(written > link && written - link <= mtu, "fragment " + index + " within the MTU " + mtu);
                fragment.wrap(out, link, written - link);
                assertTrue(fragment.isValid(), "fragment " + index + " has a valid header");
                assertEquals(written - link, fragment.totalLength(), "Total Length is the fragment's");
                assertEquals(0, Checksums.checksum(out, link, fragment.headerLength()), "header checksum");
                assertEquals(packet.identification(), fragment.identification());
                assertEquals(packet.sourceAddress(), fragment.sourceAddress());
                assertEquals(packet.destinationAddress(), fragment.destinationAddress());
                assertEquals(packet.protocol(), fragment.protocol());
                assertEquals(packet.ttl(), fragment.ttl());
                assertEquals(expectedOffset, fragment.fragmentOffset(), "fragment " + index + " follows the one before");
                final boolean last = index == count - 1;
                assertEquals(last ? packet.moreFragments() : true, fragment.moreFragments(), "MF of fragment " + index);
                assertTrue(Arrays.equals(input, MTU_LENGTH, MTU_LENGTH + link, out.byteArray(), 0, link), "link header repeated");
                final int slice = fragment.totalLength() - fragment.headerLength();
                assertTrue(last || 0 == slice % 8, "a slice before the last is a whole number of 8-byte units");
                assertTrue(reassembled + slice <= payloadLength, "no more payload than the packet's");
                out.getBytes(link + fragment.headerLength(), payload, reassembled, slice);
                reassembled += slice;
                expectedOffset += slice / 8;
            }
            assertEquals(payloadLength, reassembled, "the fragments carry the whole payload");
            final int payloadOffset = MTU_LENGTH + link + headerLength;
            assertArrayEquals(Arrays.copyOfRange(input, payloadOffset, payloadOffset + payloadLength), payload, "the payload, in order");
        }
        assertArrayEquals(original, input, "the frame is left as it was");
    }
}
