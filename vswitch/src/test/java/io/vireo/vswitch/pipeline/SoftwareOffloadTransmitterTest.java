package io.vireo.vswitch.pipeline;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.offload.Offloads;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.Port;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_NONE;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_TCPV4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** What reaches a port depends on the offloads it takes: whole frames where it takes them, resolved ones where not. */
class SoftwareOffloadTransmitterTest
{
    private static final int PAYLOAD = 3000;
    private static final int HEADERS = 14 + 20 + 20;

    private final FrameBurst burst = new FrameBurst(4, 16384, 128);
    private final VirtioNetHeaderFlyweight header = new VirtioNetHeaderFlyweight();
    private final SoftwareOffloadTransmitter transmitter = new SoftwareOffloadTransmitter(4);

    /** A port that keeps what it is given: each frame's length and virtio-net header. */
    private static final class RecordingPort implements Port
    {
        final List<Integer> lengths = new ArrayList<>();
        final List<byte[]> headers = new ArrayList<>();

        @Override
        public String name()
        {
            return "rec";
        }

        @Override
        public String type()
        {
            return "test";
        }

        @Override
        public int receive(final FrameBurst burst)
        {
            return 0;
        }

        @Override
        public int transmit(final FrameBurst frames, final int[] indexes, final int count)
        {
            for (int i = 0; i < count; i++)
            {
                lengths.add(frames.frameLength(indexes[i]));
                final byte[] bytes = new byte[FrameBurst.NET_HEADER_LENGTH];
                frames.buffer().getBytes(frames.netHeaderOffset(indexes[i]), bytes);
                headers.add(bytes);
            }
            return count;
        }

        @Override
        public int failure()
        {
            return 0;
        }

        @Override
        public void close()
        {
        }
    }

    private static PortEntry entry(final RecordingPort port)
    {
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[16 * 1024]));
        final PortEntry entry = new PortEntry(port, 0, 0, new PortCounters(counters, port.name()), 4);
        entry.txIndexes[0] = 0;
        entry.txCount = 1;
        return entry;
    }

    /** An IPv4 TCP frame of 3000 payload bytes as a TAP with TSO hands it over: partial checksum, GSO or not. */
    private byte[] putTcpFrame(final int gsoType)
    {
        burst.clear();
        final UnsafeBuffer frame = new UnsafeBuffer(burst.buffer(), burst.nextFrameOffset(), HEADERS + PAYLOAD);
        frame.setMemory(0, HEADERS + PAYLOAD, (byte)0);
        frame.putShort(12, (short)0x0800, ByteOrder.BIG_ENDIAN);
        frame.putByte(14, (byte)0x45);
        frame.putShort(16, (short)(20 + 20 + PAYLOAD), ByteOrder.BIG_ENDIAN);
        frame.putByte(22, (byte)64);
        frame.putByte(23, (byte)6);
        frame.putInt(26, 0x0A000001, ByteOrder.BIG_ENDIAN);
        frame.putInt(30, 0x0A000002, ByteOrder.BIG_ENDIAN);
        frame.putByte(46, (byte)0x50);
        frame.putByte(47, (byte)0x10);
        burst.commit(HEADERS + PAYLOAD);
        header.wrap(burst.buffer(), burst.netHeaderOffset(0), FrameBurst.NET_HEADER_LENGTH).clear()
            .flags(FLAG_NEEDS_CSUM).gsoType(gsoType).hdrLen(HEADERS).gsoSize(GSO_NONE == gsoType ? 0 : 1448)
            .csumStart(34).csumOffset(16);
        final byte[] bytes = new byte[FrameBurst.NET_HEADER_LENGTH];
        burst.buffer().getBytes(burst.netHeaderOffset(0), bytes);
        return bytes;
    }

    @Test
    void aPortThatTakesTcpSegmentationGetsTheGsoFrameWhole()
    {
        final RecordingPort port = new RecordingPort();
        final byte[] sent = putTcpFrame(GSO_TCPV4);

        transmitter.transmit(burst, entry(port), Offloads.CHECKSUM | Offloads.TCP4);

        assertEquals(List.of(HEADERS + PAYLOAD), port.lengths);
        assertArrayEquals(sent, port.headers.get(0));
    }

    @Test
    void aPortThatTakesOnlyChecksumsGetsSegmentsOfTheGsoFrame()
    {
        final RecordingPort port = new RecordingPort();
        putTcpFrame(GSO_TCPV4);

        transmitter.transmit(burst, entry(port), Offloads.CHECKSUM | Offloads.TCP6);

        assertEquals(List.of(HEADERS + 1448, HEADERS + 1448, HEADERS + 104), port.lengths);
        port.headers.forEach(segment -> assertArrayEquals(new byte[FrameBurst.NET_HEADER_LENGTH], segment));
    }

    @Test
    void aPartialChecksumIsLeftToAPortThatTakesIt()
    {
        final RecordingPort port = new RecordingPort();
        final byte[] sent = putTcpFrame(GSO_NONE);

        transmitter.transmit(burst, entry(port), Offloads.CHECKSUM);

        assertArrayEquals(sent, port.headers.get(0));
    }

    @Test
    void aPartialChecksumIsCompletedForAPortThatDoesNotTakeIt()
    {
        final RecordingPort port = new RecordingPort();
        putTcpFrame(GSO_NONE);

        transmitter.transmit(burst, entry(port), Offloads.TCP4);

        assertEquals(List.of(HEADERS + PAYLOAD), port.lengths);
        assertEquals(0, port.headers.get(0)[0] & FLAG_NEEDS_CSUM, "checksum completed, flag cleared");
        assertNotEquals(0, burst.buffer().getShort(burst.frameOffset(0) + 34 + 16), "checksum written (0 is sent as 0xFFFF)");
    }

    @Test
    void aPacketMarkedForFragmentsIsCutWithItsChecksumCompletedForAPortThatTakesEveryOffload()
    {
        final RecordingPort port = new RecordingPort();
        putTcpFrame(GSO_NONE);
        burst.fragmentMtu(0, 1280);
        final PortEntry entry = entry(port);

        transmitter.transmit(burst, entry, Offloads.ALL);

        assertEquals(List.of(14 + 20 + 1256, 14 + 20 + 1256, 14 + 20 + 20 + PAYLOAD - 2 * 1256), port.lengths);
        port.headers.forEach(fragment -> assertArrayEquals(new byte[FrameBurst.NET_HEADER_LENGTH], fragment));
        assertNotEquals(0, burst.buffer().getShort(burst.frameOffset(0) + 34 + 16), "checksum completed before cutting");
        assertEquals(3, entry.counters.fragments());
    }
}
