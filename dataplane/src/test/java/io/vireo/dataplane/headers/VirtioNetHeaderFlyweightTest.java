package io.vireo.dataplane.headers;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.CapturedFrames.VIRTIO_TCP_SYN_NEEDS_CSUM;
import static io.vireo.dataplane.headers.CapturedFrames.VIRTIO_UDP_GSO_HEADERS;
import static io.vireo.dataplane.headers.TestBuffers.OFFSET;
import static io.vireo.dataplane.headers.TestBuffers.bytes;
import static io.vireo.dataplane.headers.TestBuffers.copy;
import static io.vireo.dataplane.headers.TestBuffers.frame;
import static io.vireo.dataplane.headers.TestBuffers.ipv4PseudoHeader;
import static io.vireo.dataplane.headers.TestBuffers.referenceChecksum;
import static io.vireo.dataplane.headers.TestBuffers.truncatedFrame;
import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioNetHeaderFlyweightTest
{
    private final VirtioNetHeaderFlyweight virtio = new VirtioNetHeaderFlyweight();
    private final Ipv4Flyweight ip = new Ipv4Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();

    @Test
    void readsCapturedChecksumOffloadHeader()
    {
        virtio.wrap(frame(VIRTIO_TCP_SYN_NEEDS_CSUM), OFFSET, 86);

        assertTrue(virtio.isValid());
        assertEquals(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, virtio.flags());
        assertEquals(VirtioNetHeaderFlyweight.GSO_NONE, virtio.gsoType());
        assertEquals(0, virtio.hdrLen());
        assertEquals(0, virtio.gsoSize());
        assertEquals(34, virtio.csumStart());
        assertEquals(TcpFlyweight.CHECKSUM_OFFSET, virtio.csumOffset());
        assertEquals(0, virtio.numBuffers());
        assertEquals(OFFSET + 12, virtio.payloadOffset());
        assertEquals(74, virtio.payloadLength());
    }

    @Test
    void completesPartialChecksumFromCsumStart()
    {
        final UnsafeBuffer buffer = frame(VIRTIO_TCP_SYN_NEEDS_CSUM);
        virtio.wrap(buffer, OFFSET, 86);
        final int start = virtio.payloadOffset() + virtio.csumStart();
        final int field = start + virtio.csumOffset();
        assertEquals(0x1433, buffer.getShort(field, BIG_ENDIAN) & 0xFFFF, "pseudo-header sum as captured");

        final int completed = Checksums.checksum(buffer, start, virtio.payloadLength() - virtio.csumStart());
        buffer.putShort(field, (short)completed, BIG_ENDIAN);

        assertEquals(0x6A97, completed);
        ip.wrap(buffer, virtio.payloadOffset() + 14, 60);
        tcp.wrap(buffer, ip.payloadOffset(), ip.payloadLength());
        assertEquals(tcp.computeChecksum(ip.pseudoHeaderSum(TcpFlyweight.PROTOCOL, tcp.length())), completed);
        final byte[] pseudoHeader = ipv4PseudoHeader(bytes("0a010001"), bytes("0a010002"), TcpFlyweight.PROTOCOL, 40);
        assertEquals(0, referenceChecksum(pseudoHeader, copy(buffer, start, 40)), "verifies as a whole");
    }

    @Test
    void readsCapturedSegmentationOffloadHeader()
    {
        virtio.wrap(frame(VIRTIO_UDP_GSO_HEADERS), OFFSET, 54);

        assertTrue(virtio.isValid());
        assertEquals(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, virtio.flags());
        assertEquals(VirtioNetHeaderFlyweight.GSO_UDP_L4, virtio.gsoType());
        assertEquals(42, virtio.hdrLen());
        assertEquals(1000, virtio.gsoSize());
        assertEquals(34, virtio.csumStart());
        assertEquals(UdpFlyweight.CHECKSUM_OFFSET, virtio.csumOffset());
        assertEquals(0, virtio.numBuffers());
    }

    @Test
    void writesLittleEndianFields()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 12]);
        virtio.wrap(buffer, OFFSET, 12)
            .flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM)
            .gsoType(VirtioNetHeaderFlyweight.GSO_TCPV6 | VirtioNetHeaderFlyweight.GSO_ECN)
            .hdrLen(0x1234)
            .gsoSize(65535)
            .csumStart(54)
            .csumOffset(16)
            .numBuffers(3);

        assertEquals(1, virtio.flags());
        assertEquals(0x84, virtio.gsoType());
        assertEquals(0x1234, virtio.hdrLen());
        assertEquals(65535, virtio.gsoSize());
        assertEquals(54, virtio.csumStart());
        assertEquals(16, virtio.csumOffset());
        assertEquals(3, virtio.numBuffers());
        assertArrayEquals(bytes("01 84 3412 ffff 3600 1000 0300"), copy(buffer, OFFSET, 12));
    }

    @Test
    void clearZeroesTheHeaderOnly()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 14]);
        buffer.setMemory(0, buffer.capacity(), (byte)0xFF);

        virtio.wrap(buffer, OFFSET, 14).clear();

        assertArrayEquals(new byte[12], copy(buffer, OFFSET, 12));
        assertEquals((byte)0xFF, buffer.getByte(OFFSET - 1));
        assertEquals((byte)0xFF, buffer.getByte(OFFSET + 12));
    }

    @Test
    void rejectsTruncatedHeader()
    {
        virtio.wrap(truncatedFrame(VIRTIO_TCP_SYN_NEEDS_CSUM, 11), OFFSET, 11);

        assertFalse(virtio.isValid());
    }
}
