package io.vireo.dataplane.offload;

import java.io.ByteArrayOutputStream;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4FragmenterTest
{
    private static final int ETHERNET = EthernetFlyweight.HEADER_LENGTH;
    private static final int IP = Ipv4Flyweight.MIN_HEADER_LENGTH;
    private static final int IDENTIFICATION = 0xBEEF;
    private static final int OFFSET = 64;

    private final Ipv4Fragmenter fragmenter = new Ipv4Fragmenter();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[80_000]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[80_000]);
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    @Test
    void cutsIntoFragmentsOfTheMtuWithOffsetsInEightByteUnits()
    {
        final int length = packet(3000, 0, 0);

        assertEquals(3, fragmenter.fragmentCount(frame, OFFSET, length, 1280));

        final int slice = 1256;  // 1280 - 20, down to a multiple of 8
        final int[] payloads = {slice, slice, 2980 - 2 * slice};
        for (int i = 0; i < 3; i++)
        {
            final int written = fragmenter.writeFragment(frame, OFFSET, length, 1280, i, out, 0);
            assertEquals(ETHERNET + IP + payloads[i], written, "fragment " + i);
            assertTrue(IP + payloads[i] <= 1280);
            ipv4.wrap(out, ETHERNET, written - ETHERNET);
            assertTrue(ipv4.isValid());
            assertEquals(IP + payloads[i], ipv4.totalLength());
            assertEquals(i * slice / 8, ipv4.fragmentOffset());
            assertEquals(i < 2, ipv4.moreFragments(), "MF on all but the last");
            assertFalse(ipv4.dontFragment());
            assertEquals(IDENTIFICATION, ipv4.identification());
            assertEquals(63, ipv4.ttl());
            assertEquals(17, ipv4.protocol());
            assertEquals(0x0A01_0002, ipv4.sourceAddress());
            assertEquals(0x0A02_0002, ipv4.destinationAddress());
            assertEquals(0, Checksums.checksum(out, ETHERNET, IP), "header checksum of fragment " + i);
            assertArrayEquals(bytes(frame, OFFSET, ETHERNET), bytes(out, 0, ETHERNET), "link header copied");
        }
        assertArrayEquals(payload(length), reassembled(length, 1280, 3));
    }

    @Test
    void packetOfExactlyTheMtuIsOneAndOneByteMoreIsTwo()
    {
        assertEquals(1, fragmenter.fragmentCount(frame, OFFSET, packet(1280, 0, 0), 1280));

        final int length = packet(1281, 0, 0);
        assertEquals(2, fragmenter.fragmentCount(frame, OFFSET, length, 1280));
        assertEquals(ETHERNET + IP + 1256, fragmenter.writeFragment(frame, OFFSET, length, 1280, 0, out, 0));
        assertEquals(ETHERNET + IP + 1261 - 1256, fragmenter.writeFragment(frame, OFFSET, length, 1280, 1, out, 0));
        assertArrayEquals(payload(length), reassembled(length, 1280, 2));
    }

    @Test
    void cutsToTheMinimumMtuButNotBelow()
    {
        final int length = packet(1500, 0, 0);

        assertEquals(0, fragmenter.fragmentCount(frame, OFFSET, length, Ipv4Fragmenter.MIN_MTU - 1));
        final int count = fragmenter.fragmentCount(frame, OFFSET, length, Ipv4Fragmenter.MIN_MTU);
        assertEquals((1480 + 47) / 48, count, "48 bytes of payload a fragment");
        for (int i = 0; i < count; i++)
        {
            final int written = fragmenter.writeFragment(frame, OFFSET, length, Ipv4Fragmenter.MIN_MTU, i, out, 0);
            assertTrue(written - ETHERNET <= Ipv4Fragmenter.MIN_MTU);
        }
        assertArrayEquals(payload(length), reassembled(length, Ipv4Fragmenter.MIN_MTU, count));
    }

    @Test
    void refragmentsAFragmentRelativeToTheOriginalDatagramKeepingItsMoreFragmentsFlag()
    {
        final int middle = packet(1500, Ipv4Flyweight.FLAG_MF, 185);

        assertEquals(2, fragmenter.fragmentCount(frame, OFFSET, middle, 1280));
        for (int i = 0; i < 2; i++)
        {
            fragmenter.writeFragment(frame, OFFSET, middle, 1280, i, out, 0);
            ipv4.wrap(out, ETHERNET, 1280);
            assertEquals(185 + i * 1256 / 8, ipv4.fragmentOffset());
            assertTrue(ipv4.moreFragments(), "the original's MF on the last piece");
        }

        final int last = packet(1500, 0, 185);
        fragmenter.writeFragment(frame, OFFSET, last, 1280, 0, out, 0);
        assertTrue(ipv4.wrap(out, ETHERNET, 1280).moreFragments());
        fragmenter.writeFragment(frame, OFFSET, last, 1280, 1, out, 0);
        assertFalse(ipv4.wrap(out, ETHERNET, 1280).moreFragments());
        assertEquals(185 + 157, ipv4.fragmentOffset());
    }

    @Test
    void refusesWhatItCannotCut()
    {
        final int nearTheEnd = packet(1500, 0, 8100);
        assertEquals(0, fragmenter.fragmentCount(frame, OFFSET, nearTheEnd, 1280), "offsets past 65,528 bytes");

        final int badOption = packet(1500, 0, 0);
        ipv4.wrap(frame, OFFSET + ETHERNET, badOption - ETHERNET).headerLength(24);
        frame.putInt(OFFSET + ETHERNET + IP, 0x8305_0000, BIG_ENDIAN);
        assertEquals(0, fragmenter.fragmentCount(frame, OFFSET, badOption, 1280), "an option reaching past the header");

        final int truncated = packet(1500, 0, 0);
        assertEquals(0, fragmenter.fragmentCount(frame, OFFSET, truncated - 1, 1280), "shorter than Total Length");

        final int ipv6 = packet(1500, 0, 0);
        frame.putShort(OFFSET + EthernetFlyweight.ETHER_TYPE_OFFSET, (short)EthernetFlyweight.ETHER_TYPE_IPV6,
            BIG_ENDIAN);
        assertEquals(0, fragmenter.fragmentCount(frame, OFFSET, ipv6, 1280), "not IPv4");
    }

    /**
     * A 32-byte header with options NOP, record route (not copied, 7 bytes) and loose source route (copied,
     * 3 bytes), End of Options: the first fragment has them all, the later ones the source route alone,
     * padded to a 24-byte header.
     */
    @Test
    void copiesIntoLaterFragmentsOnlyTheOptionsWithTheCopyBit()
    {
        final byte[] options = {1, 7, 7, 4, 0, 0, 0, 0, (byte)0x83, 3, 4, 0};
        final int length = packet(1500, 0, 0, options);

        assertEquals(2, fragmenter.fragmentCount(frame, OFFSET, length, 1280));

        final int firstLength = fragmenter.writeFragment(frame, OFFSET, length, 1280, 0, out, 0);
        ipv4.wrap(out, ETHERNET, firstLength - ETHERNET);
        assertEquals(32, ipv4.headerLength());
        assertEquals(32 + 1248, ipv4.totalLength(), "1280 - 32, down to a multiple of 8");
        assertArrayEquals(options, bytes(out, ETHERNET + IP, 12));
        assertEquals(0, Checksums.checksum(out, ETHERNET, 32));
        final byte[] firstPayload = bytes(out, ETHERNET + 32, 1248);

        final int laterLength = fragmenter.writeFragment(frame, OFFSET, length, 1280, 1, out, 0);
        ipv4.wrap(out, ETHERNET, laterLength - ETHERNET);
        assertEquals(24, ipv4.headerLength());
        assertEquals(24 + 1500 - 32 - 1248, ipv4.totalLength());
        assertEquals(1248 / 8, ipv4.fragmentOffset());
        assertArrayEquals(new byte[] {(byte)0x83, 3, 4, 0}, bytes(out, ETHERNET + IP, 4), "the source route, then End of Options");
        assertEquals(0, Checksums.checksum(out, ETHERNET, 24));

        final byte[] payload = new byte[1500 - 32];
        System.arraycopy(firstPayload, 0, payload, 0, 1248);
        out.getBytes(ETHERNET + 24, payload, 1248, payload.length - 1248);
        assertArrayEquals(bytes(frame, OFFSET + ETHERNET + 32, 1500 - 32), payload);
    }

    @Test
    void leavesEthernetPaddingOut()
    {
        final int length = packet(1400, 0, 0);

        assertEquals(2, fragmenter.fragmentCount(frame, OFFSET, length + 30, 1280));
        assertEquals(ETHERNET + IP + 1380 - 1256, fragmenter.writeFragment(frame, OFFSET, length + 30, 1280, 1, out, 0));
    }

    /** Random headers and options, any MTU: no exception, every fragment within the MTU and its header checksum right. */
    @Test
    void randomPacketsNeverThrowAndEveryFragmentFits()
    {
        final java.util.SplittableRandom random = new java.util.SplittableRandom(14);
        int cut = 0;
        for (int i = 0; i < 20_000; i++)
        {
            final int totalLength = 21 + random.nextInt(3000);
            final byte[] options = new byte[random.nextBoolean() ? 0 : 4 * random.nextInt(11)];
            random.nextBytes(options);
            final int packet = packet(Math.max(totalLength, IP + options.length), random.nextInt(0x4000),
                random.nextInt(random.nextBoolean() ? 8192 : 64), options);
            final int length = packet - random.nextInt(2);  // one byte short of Total Length: not a packet
            final int mtu = random.nextInt(1500);
            final int count = fragmenter.fragmentCount(frame, OFFSET, length, mtu);
            cut += count > 1 ? 1 : 0;
            for (int index = 0; count > 1 && index < count; index++)
            {
                final int written = fragmenter.writeFragment(frame, OFFSET, length, mtu, index, out, 0);
                assertTrue(written - ETHERNET <= mtu, () -> "within the MTU " + mtu);
                assertEquals(0, Checksums.checksum(out, ETHERNET, ipv4.wrap(out, ETHERNET, mtu).headerLength()));
            }
        }
        assertTrue(cut > 2_000, "packets cut: " + cut);
    }

    /** A UDP packet of {@code totalLength} bytes, TTL 63, with the flags and offset given; returns the frame's length. */
    private int packet(final int totalLength, final int flags, final int fragmentOffset)
    {
        return packet(totalLength, flags, fragmentOffset, new byte[0]);
    }

    /** As {@link #packet(int, int, int)}, with these options (a multiple of 4 bytes) in the header. */
    private int packet(final int totalLength, final int flags, final int fragmentOffset, final byte[] options)
    {
        frame.setMemory(OFFSET, ETHERNET, (byte)0x02);
        frame.putShort(OFFSET + EthernetFlyweight.ETHER_TYPE_OFFSET, (short)EthernetFlyweight.ETHER_TYPE_IPV4,
            BIG_ENDIAN);
        for (int i = IP; i < totalLength; i++)
        {
            frame.putByte(OFFSET + ETHERNET + i, (byte)(i * 7));
        }
        frame.putBytes(OFFSET + ETHERNET + IP, options);
        ipv4.wrap(frame, OFFSET + ETHERNET, totalLength).headerLength(IP + options.length).totalLength(totalLength)
            .identification(IDENTIFICATION).flagsAndFragmentOffset(flags | fragmentOffset).ttl(63).protocol(17)
            .sourceAddress(0x0A01_0002).destinationAddress(0x0A02_0002).updateChecksum();
        return ETHERNET + totalLength;
    }

    private byte[] payload(final int length)
    {
        return bytes(frame, OFFSET + ETHERNET + IP, length - ETHERNET - IP);
    }

    /** The fragments' payloads put back at their offsets. */
    private byte[] reassembled(final int length, final int mtu, final int count)
    {
        final ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++)
        {
            final int written = fragmenter.writeFragment(frame, OFFSET, length, mtu, i, out, 0);
            assertEquals(payload.size(), ipv4.wrap(out, ETHERNET, written - ETHERNET).fragmentOffset() * 8);
            payload.writeBytes(bytes(out, ETHERNET + IP, written - ETHERNET - IP));
        }
        return payload.toByteArray();
    }

    private static byte[] bytes(final UnsafeBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }
}
