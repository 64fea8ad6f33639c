package io.vireo.tunnel.vxlan;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receive side of a VTEP over an underlay TAP, fed arbitrary frames as the host's stack would hand them over
 * (a packet socket pair stands in for the TAP: each write one read).
 * <p>
 * The input is {@code [settings, 1 byte][record]...}; a record is {@code [meta, 1 byte][length, 2, big-endian]
 * [bytes]}, bytes past the input's end zero. Settings bit 0 lets the endpoint learn any sender; bit 1 picks a burst
 * of 2 KiB slots rather than 128 KiB ones. With meta bit 0 the record's bytes are a tunnel virtio-net header (24
 * bytes) and an inner frame, between which the test puts well-formed outer headers from a peer (meta bit 1: from an
 * unknown sender); without it, they are the whole frame as read from the TAP.
 * <p>
 * Invariants, frame by frame: it is delivered, or counted under one drop reason, or it is ARP (a request for the
 * local address answered with one reply); nothing throws. A delivered frame is the read's bytes after the outer
 * headers, byte for byte, from the peer the outer source address names, and its virtio-net header is one a port can
 * act on: no DATA_VALID, a partial checksum's field inside the frame past the Ethernet header, a GSO type with no
 * tunnel bit only with a partial checksum, a segment size and a header length (the kernel's hint) within the
 * frame.
 */
class VtepTapUnderlayFuzzTest
{
    private static final int VNI = 42;
    private static final int LOCAL = 0x0A4E_0001;
    private static final int PEER = 0x0A4E_0002;
    private static final int STRANGER = 0x0A4E_0003;
    private static final int PREFIX = 74;
    private static final int TUNNEL_HEADER = 24;
    private static final int RECORD_HEADER_LENGTH = 3;

    private final PortCounters counters = new PortCounters(new CountersManager(
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.METADATA_LENGTH, 64)),
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.COUNTER_LENGTH, 64))), "vx");
    private final FrameBurst[] bursts = {new FrameBurst(4, 131_072, 128), new FrameBurst(4, 2_048, 128)};
    private final UnsafeBuffer frame = new UnsafeBuffer(BufferUtil.allocateDirectAligned(131_072 + PREFIX, 64));
    private final Side[] sides = {new Side(false), new Side(true)};

    /** An endpoint over one end of a packet socket pair, the host's end the other. */
    private final class Side
    {
        final VtepPeers peers = new VtepPeers();
        final VtepTapUnderlay underlay;
        final Fd host;

        Side(final boolean learnAnyPeer)
        {
            final int[] pair = UnixSocket.packetPair();
            host = Fd.own(pair[1]);
            underlay = new VtepTapUnderlay(pair[0], 0x0200_0000_00AAL, VNI, LOCAL, 4789, 64, learnAnyPeer, peers, counters);
            peers.add(PEER, false);
        }
    }

    @AfterEach
    void tearDown()
    {
        for (final Side side : sides)
        {
            side.underlay.close();
            side.host.close();
        }
    }

    @FuzzTest(maxDuration = "50s")
    void everyFrameIsDeliveredAnsweredOrCounted(final byte[] input)
    {
        if (input.length < 1)
        {
            return;
        }
        final Side side = sides[input[0] & 1];
        final FrameBurst burst = bursts[(input[0] >>> 1) & 1];
        int position = 1;
        while (position + RECORD_HEADER_LENGTH <= input.length)
        {
            final int meta = input[position] & 0xFF;
            final boolean wellFormed = 0 != (meta & 1);
            // No longer than a slot holds: a TAP reports a longer frame's whole length (dropped as oversize), the
            // socket pair standing in for it only what fits.
            final int fits = burst.frameCapacity() + (wellFormed ? TUNNEL_HEADER : PREFIX);
            final int recordLength = Math.min(fits, (input[position + 1] & 0xFF) << 8 | input[position + 2] & 0xFF);
            position += RECORD_HEADER_LENGTH;
            final int present = Math.min(recordLength, input.length - position);
            final int length = wellFormed ? wellFormed(input, position, present, recordLength, 0 != (meta & 2)) :
                raw(input, position, present, recordLength);
            position += present;
            check(side, burst, length);
        }
    }

    /** The record as the whole frame. */
    private int raw(final byte[] input, final int position, final int present, final int length)
    {
        frame.putBytes(0, input, position, present);
        frame.setMemory(present, length - present, (byte)0);
        return length;
    }

    /** The record's tunnel header, well-formed outer headers, then the rest of the record as the inner frame. */
    private int wellFormed(final byte[] input, final int position, final int present, final int length, final boolean stranger)
    {
        final int tunnel = Math.min(TUNNEL_HEADER, length);
        final int total = PREFIX + Math.max(0, length - TUNNEL_HEADER);
        frame.setMemory(0, total, (byte)0);
        frame.putBytes(0, input, position, Math.min(tunnel, present));
        if (present > tunnel)
        {
            frame.putBytes(PREFIX, input, position + tunnel, present - tunnel);
        }
        frame.putShort(TUNNEL_HEADER + 12, (short)0x0800, BIG_ENDIAN);
        frame.putByte(TUNNEL_HEADER + 14, (byte)0x45);
        frame.putShort(TUNNEL_HEADER + 16, (short)(total - TUNNEL_HEADER - 14), BIG_ENDIAN);
        frame.putByte(TUNNEL_HEADER + 23, (byte)17);
        frame.putInt(TUNNEL_HEADER + 26, stranger ? STRANGER : PEER, BIG_ENDIAN);
        frame.putInt(TUNNEL_HEADER + 30, LOCAL, BIG_ENDIAN);
        frame.putShort(TUNNEL_HEADER + 36, (short)4789, BIG_ENDIAN);
        frame.putByte(TUNNEL_HEADER + 42, (byte)0x08);
        frame.putInt(TUNNEL_HEADER + 46, VNI << 8, BIG_ENDIAN);
        return total;
    }

    /** Writes the frame to the endpoint, receives, and checks what became of it. */
    private void check(final Side side, final FrameBurst burst, final int length)
    {
        final long dropsBefore = drops();
        burst.clear();
        assertEquals(length, side.host.write(frame.addressOffset(), length), "the frame written");
        final int received = side.underlay.receive(burst);
        final long dropped = drops() - dropsBefore;
        final boolean arp = length >= TUNNEL_HEADER + 14 && 0x0806 == (frame.getShort(TUNNEL_HEADER + 12, BIG_ENDIAN) & 0xFFFF);
        if (arp)
        {
            assertEquals(0, received + dropped, "ARP is neither delivered nor dropped");
            final boolean forLocal = length >= TUNNEL_HEADER + 14 + 28 && LOCAL == frame.getInt(TUNNEL_HEADER + 14 + 24, BIG_ENDIAN);
            final long answer = side.host.read(frame.addressOffset(), frame.capacity());
            if (answer > 0)
            {
                assertTrue(forLocal, "an answer only to a request for the local address");
                assertEquals(2, frame.getShort(TUNNEL_HEADER + 14 + 6, BIG_ENDIAN), "a reply");
                assertEquals(LOCAL, frame.getInt(TUNNEL_HEADER + 14 + 14, BIG_ENDIAN));
            }
            return;
        }
        assertEquals(1, received + dropped, () -> "delivered " + received + ", dropped " + dropped);
        if (1 == received)
        {
            assertDelivered(side, burst, length);
        }
    }

    private void assertDelivered(final Side side, final FrameBurst burst, final int length)
    {
        final int frameLength = burst.frameLength(0);
        assertEquals(length - PREFIX, frameLength);
        assertTrue(frameLength >= 14 && frameLength <= burst.frameCapacity());
        final byte[] expected = new byte[frameLength];
        frame.getBytes(PREFIX, expected);
        final byte[] got = new byte[frameLength];
        burst.buffer().getBytes(burst.frameOffset(0), got);
        assertArrayEquals(expected, got, "the inner frame, byte for byte");
        assertEquals(frame.getInt(TUNNEL_HEADER + 26, BIG_ENDIAN), side.peers.address(burst.peer(0)), "from the peer it names");
        final VirtioNetHeaderFlyweight header = new VirtioNetHeaderFlyweight()
            .wrap(burst.buffer(), burst.netHeaderOffset(0), VirtioNetHeaderFlyweight.LENGTH);
        assertEquals(0, header.flags() & ~VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, "no flag but NEEDS_CSUM");
        if (0 != header.flags())
        {
            assertTrue(header.csumStart() >= 14 && header.csumStart() + header.csumOffset() + 2 <= frameLength,
                () -> "checksum field inside the frame: " + header.csumStart() + "+" + header.csumOffset());
        }
        if (VirtioNetHeaderFlyweight.GSO_NONE != header.gsoType())
        {
            assertEquals(0, header.gsoType() & (VtepTapUnderlay.GSO_UDP_TUNNEL_IPV4 | VtepTapUnderlay.GSO_UDP_TUNNEL_IPV6));
            assertTrue(0 != header.flags() && header.gsoSize() > 0 && header.hdrLen() <= frameLength,
                "a GSO frame a port can cut");
        }
    }

    private long drops()
    {
        long total = 0;
        for (final DropReason reason : DropReason.values())
        {
            total += counters.drops(reason);
        }
        return total;
    }
}
