package io.vireo.dataplane.vhost;

import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.EventFd;
import io.vireo.dataplane.offload.Offloads;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.FLAG_DATA_VALID;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_ECN;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_NONE;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_TCPV4;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_TCPV6;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_UDP_L4;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.NUM_BUFFERS_OFFSET;
import static io.vireo.dataplane.vhost.DescriptorChain.F_INDIRECT;
import static io.vireo.dataplane.vhost.DescriptorChain.F_NEXT;
import static io.vireo.dataplane.vhost.TestDriver.HEADER;
import static io.vireo.dataplane.vhost.TestDriver.bufferOffset;
import static io.vireo.dataplane.vhost.TestDriver.guest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Split-ring semantics of {@link Virtqueue} against a hand-written driver, without the protocol. */
class VirtqueueTest
{
    private static final int SIZE = 64;
    private static final long ALL = Features.OFFERED;
    private static final long NO_MERGE = Features.OFFERED & ~Features.VIRTIO_NET_F_MRG_RXBUF;

    private final TestDriver driver = new TestDriver(SIZE);
    private final GuestMemory memory = driver.guestMemory();
    private final RecordingEvents events = new RecordingEvents();
    private final FrameBurst burst = new FrameBurst(32, 2048, 64);

    static final class RecordingEvents implements Virtqueue.Events
    {
        final List<Violation> violations = new ArrayList<>();
        final List<Long> details = new ArrayList<>();
        long refused;

        @Override
        public void violation(final Violation violation, final int queue, final long detail)
        {
            violations.add(violation);
            details.add(detail);
        }

        @Override
        public void refused(final int frames)
        {
            refused += frames;
        }
    }

    @AfterEach
    void close()
    {
        memory.close();
        driver.close();
    }

    private Virtqueue queue(final int index, final long features, final EventFd call)
    {
        return queue(driver, memory, index, features, call);
    }

    /** Queue {@code index} of {@code ring}, whose memory is {@code guest}, as large as the ring. */
    private Virtqueue queue(
        final TestDriver ring, final GuestMemory guest, final int index, final long features, final EventFd call)
    {
        return Virtqueue.start(index, ring.size, ring.descUser(index), ring.availUser(index), ring.usedUser(index), 0,
            guest, features, call, events);
    }

    static byte[] frame(final int length, final int seed)
    {
        final byte[] frame = new byte[length];
        for (int i = 0; i < length; i++)
        {
            frame[i] = (byte)(seed + i * 7);
        }
        return frame;
    }

    private static byte[] frameIn(final FrameBurst frames, final int index)
    {
        final byte[] bytes = new byte[frames.frameLength(index)];
        frames.buffer().getBytes(frames.frameOffset(index), bytes);
        return bytes;
    }

    private static void putIn(final FrameBurst into, final byte[]... frames)
    {
        into.clear();
        for (final byte[] frame : frames)
        {
            into.buffer().putBytes(into.nextFrameOffset(), frame);
            into.commit(frame.length);
        }
    }

    private static int[] upTo(final int count)
    {
        final int[] indexes = new int[count];
        for (int i = 0; i < count; i++)
        {
            indexes[i] = i;
        }
        return indexes;
    }

    @Test
    void startAsksTheDriverNotToKick()
    {
        queue(1, ALL, null);

        assertEquals(Virtqueue.VRING_USED_F_NO_NOTIFY, driver.usedFlags(1));
    }

    @Test
    void receivesFramesLaidOutEveryWayADriverMay()
    {
        final Virtqueue queue = queue(1, ALL, null);
        final byte[] plain = frame(60, 1);
        final byte[] chained = frame(1514, 2);
        final byte[] indirect = frame(333, 3);
        final int first = driver.send(plain);
        final int second = driver.sendChained(chained);
        final int third = driver.sendIndirect(indirect);

        assertEquals(3, queue.receive(burst));

        assertArrayEquals(plain, frameIn(burst, 0));
        assertArrayEquals(chained, frameIn(burst, 1));
        assertArrayEquals(indirect, frameIn(burst, 2));
        assertEquals(3, driver.usedIdx(1));
        assertEquals(first, driver.usedId(1, 0));
        assertEquals(second, driver.usedId(1, 1));
        assertEquals(third, driver.usedId(1, 2));
        assertEquals(0, driver.usedLength(1, 0), "nothing written into a transmit buffer");
        assertEquals(3, queue.nextAvail());
        assertTrue(events.violations.isEmpty());
    }

    @Test
    void receiveStopsWhenTheBurstIsFullAndResumes()
    {
        final Virtqueue queue = queue(1, ALL, null);
        for (int i = 0; i < 40; i++)
        {
            driver.send(frame(64, i));
        }

        assertEquals(32, queue.receive(burst));
        assertEquals(32, driver.usedIdx(1));
        burst.clear();
        assertEquals(8, queue.receive(burst));
        assertArrayEquals(frame(64, 39), frameIn(burst, 7));
        assertEquals(0, queue.receive(burst));
    }

    @Test
    void receiveTruncatesToTheSlotButReportsTheLength()
    {
        final FrameBurst small = new FrameBurst(4, 256, 64);
        final Virtqueue queue = queue(1, ALL, null);
        driver.send(frame(1000, 5));

        assertEquals(1, queue.receive(small));

        assertEquals(1000, small.frameLength(0));
    }

    @Test
    void transmitWritesHeaderAndFrameIntoOneBuffer()
    {
        final Virtqueue queue = queue(0, NO_MERGE, null);
        driver.postReceiveBuffers(4, 2048);
        final byte[] first = frame(64, 9);
        final byte[] second = frame(1514, 10);
        putIn(burst, first, second);

        assertEquals(2, queue.transmit(burst, upTo(2), 2));

        final List<byte[]> received = driver.receive();
        assertEquals(2, received.size());
        assertArrayEquals(first, received.get(0));
        assertArrayEquals(second, received.get(1));
        assertEquals(HEADER + 64, driver.usedLength(0, 0));
        assertArrayEquals(new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, driver.receivedHeader(driver.usedId(0, 0)),
            "no offloads, num_buffers 1");
    }

    /**
     * More frames than the queue reads the chains of ahead of writing (64 at a time), one of them spread over two
     * mergeable buffers in the second run: every frame arrives whole and in order, one used entry a buffer.
     */
    @Test
    void transmitKeepsFramesWholeAndInOrderOverSeveralRuns()
    {
        try (TestDriver ring = new TestDriver(256); GuestMemory guest = ring.guestMemory())
        {
            final Virtqueue queue = queue(ring, guest, 0, ALL, null);
            final FrameBurst many = new FrameBurst(150, 4096, 64);
            final byte[][] sent = new byte[150][];
            for (int i = 0; i < 150; i++)
            {
                sent[i] = frame(100 == i ? 3000 : 60 + i, i);
            }
            putIn(many, sent);
            ring.postReceiveBuffers(200, 2048);

            assertEquals(150, queue.transmit(many, upTo(150), 150));

            assertEquals(151, ring.usedIdx(0), "a buffer a frame, two for the 3,000-byte one");
            final List<byte[]> received = ring.receive();
            assertEquals(150, received.size());
            for (int i = 0; i < 150; i++)
            {
                assertArrayEquals(sent[i], received.get(i), "frame " + i);
            }
        }
    }

    /**
     * More chains than the queue gathers before returning them (64 at a time), a third of them chained, then one
     * that loops: the frames before it are taken whole and in order, and the used ring returns their heads in order.
     */
    @Test
    void receiveReturnsTheChainsItTookInOrderOverSeveralRuns()
    {
        try (TestDriver ring = new TestDriver(256); GuestMemory guest = ring.guestMemory())
        {
            final Virtqueue queue = queue(ring, guest, 1, ALL, null);
            final FrameBurst many = new FrameBurst(200, 2048, 64);
            final List<Integer> heads = new ArrayList<>();
            for (int i = 0; i < 150; i++)
            {
                heads.add(0 == i % 3 ? ring.sendChained(frame(80, i)) : ring.send(frame(60 + i, i)));
            }
            ring.descriptor(1, 252, guest(bufferOffset(1, 252)), 100, F_NEXT, 252);
            ring.publish(1, 252);

            assertEquals(150, queue.receive(many));

            assertEquals(List.of(Violation.CHAIN_LOOP), events.violations);
            assertEquals(150, ring.usedIdx(1));
            for (int i = 0; i < 150; i++)
            {
                assertArrayEquals(frame(0 == i % 3 ? 80 : 60 + i, i), frameIn(many, i), "frame " + i);
                assertEquals(heads.get(i), ring.usedId(1, i), "used entry " + i);
                assertEquals(0, ring.usedLength(1, i));
            }
        }
    }

    @Test
    void transmitSpreadsAFrameOverMergeableBuffers()
    {
        final FrameBurst jumbo = new FrameBurst(2, 16384, 64);
        final Virtqueue queue = queue(0, ALL, null);
        driver.postReceiveBuffers(8, 2048);
        final byte[] frame = frame(9000, 11);
        jumbo.buffer().putBytes(jumbo.nextFrameOffset(), frame);
        jumbo.commit(frame.length);

        assertEquals(1, queue.transmit(jumbo, upTo(1), 1));

        assertEquals(5, driver.usedIdx(0), "9012 bytes in 2048-byte buffers");
        assertEquals(5, driver.receivedHeader(driver.usedId(0, 0))[10]);
        final List<byte[]> received = driver.receive();
        assertArrayEquals(frame, received.get(0));
    }

    @Test
    void transmitRefusesWhatDoesNotFitAndLeavesTheBuffersAvailable()
    {
        final Virtqueue queue = queue(0, NO_MERGE, null);
        driver.postReceiveBuffers(2, 128);
        putIn(burst, frame(64, 1), frame(200, 2), frame(64, 3));

        assertEquals(1, queue.transmit(burst, upTo(3), 3), "the second frame does not fit a 128-byte buffer");
        assertEquals(2, events.refused);
        assertEquals(1, driver.usedIdx(0));

        putIn(burst, frame(100, 4));
        assertEquals(1, queue.transmit(burst, upTo(1), 1), "the buffer the big frame touched is still usable");
        assertArrayEquals(frame(100, 4), driver.receive().get(1));
    }

    private byte[] burstHeader(final int index)
    {
        final byte[] bytes = new byte[HEADER];
        burst.buffer().getBytes(burst.netHeaderOffset(index), bytes);
        return bytes;
    }

    @Test
    void receiveCarriesTheDriversOffloadsInTheFramesHeader()
    {
        final Virtqueue queue = queue(1, ALL, null);
        final byte[] header = TestDriver.header(FLAG_NEEDS_CSUM, GSO_TCPV4 | GSO_ECN, 66, 1448, 34, 16);
        final byte[] chainedHeader = TestDriver.header(FLAG_NEEDS_CSUM, GSO_NONE, 0, 0, 34, 16);
        final byte[] frame = frame(1500, 4);
        final byte[] chained = frame(1514, 5);
        driver.send(header, frame);
        driver.sendChained(chainedHeader, chained);

        assertEquals(2, queue.receive(burst));

        assertArrayEquals(header, burstHeader(0));
        assertArrayEquals(frame, frameIn(burst, 0));
        assertArrayEquals(chainedHeader, burstHeader(1), "a header in a descriptor of its own");
        assertArrayEquals(chained, frameIn(burst, 1));
        assertTrue(events.violations.isEmpty());
    }

    @Test
    void receiveIgnoresTheHeaderWhenNoOffloadWasNegotiated()
    {
        final Virtqueue queue = queue(1, ALL & ~Features.HOST_OFFLOADS, null);
        burst.buffer().setMemory(0, burst.buffer().capacity(), (byte)0x5A);
        driver.send(TestDriver.header(FLAG_NEEDS_CSUM, GSO_TCPV4, 66, 1448, 34, 16), frame(64, 4));

        assertEquals(1, queue.receive(burst));

        assertArrayEquals(new byte[HEADER], burstHeader(0));
        assertTrue(events.violations.isEmpty());
    }

    @Test
    void receiveRefusesAHeaderAskingForAnOffloadNotNegotiated()
    {
        final Virtqueue queue = queue(1, ALL & ~Features.VIRTIO_NET_F_HOST_USO, null);
        driver.send(frame(64, 1));
        driver.send(TestDriver.header(FLAG_NEEDS_CSUM, GSO_UDP_L4, 42, 1400, 34, 6), frame(3000, 2));

        assertEquals(1, queue.receive(burst), "the frame before it is kept");

        assertEquals(List.of(Violation.NET_HEADER), events.violations);
    }

    /** Refused inside a run of chains that are one buffer each: the frames before it are kept, it is reported once. */
    @Test
    void receiveRefusesAHeaderInsideARunOnce()
    {
        final Virtqueue queue = queue(1, ALL & ~Features.VIRTIO_NET_F_HOST_USO, null);
        driver.send(frame(64, 1));
        driver.send(frame(70, 2));
        driver.send(TestDriver.header(FLAG_NEEDS_CSUM, GSO_UDP_L4, 42, 1400, 34, 6), frame(100, 3));
        driver.send(frame(64, 4));

        assertEquals(2, queue.receive(burst));

        assertEquals(List.of(Violation.NET_HEADER), events.violations);
        assertEquals(2, driver.usedIdx(1));
        assertArrayEquals(frame(64, 1), frameIn(burst, 0));
        assertArrayEquals(frame(70, 2), frameIn(burst, 1));
    }

    /**
     * Large frames in one buffer each: the burst stops taking them once its frames hold {@link FrameBurst#RECEIVE_BYTES},
     * inside a run, and the chains after stay available.
     */
    @Test
    void receiveStopsAtTheBurstsBytesInsideARun()
    {
        final Virtqueue queue = queue(1, ALL, null);
        final FrameBurst large = new FrameBurst(8, 131_072, 64);
        final int length = 60_000;
        for (int d = 0; d < 6; d++)
        {
            final long buffer = bufferOffset(1, 0) + d * 65_536L;
            driver.file().setMemory(TestDriver.fileOffset(buffer), HEADER, (byte)0);
            driver.file().copyFrom(TestDriver.fileOffset(buffer) + HEADER, new UnsafeBuffer(frame(length, d)), 0, length);
            driver.descriptor(1, d, guest(buffer), HEADER + length, 0, 0);
            driver.publish(1, d);
        }

        assertEquals(4, queue.receive(large), "taken while the burst holds fewer than " + FrameBurst.RECEIVE_BYTES + " bytes");
        assertEquals(4, driver.usedIdx(1));
        large.clear();
        assertEquals(2, queue.receive(large));

        assertArrayEquals(frame(length, 4), frameIn(large, 0));
        assertArrayEquals(frame(length, 5), frameIn(large, 1));
        assertEquals(6, driver.usedIdx(1));
        assertTrue(events.violations.isEmpty());
    }

    @Test
    void transmitHandsTheFramesOffloadsToADriverThatTakesThem()
    {
        final FrameBurst large = new FrameBurst(2, 16384, 64);
        final Virtqueue queue = queue(0, ALL, null);
        driver.postReceiveBuffers(4, 2048);
        final byte[] frame = frame(3000, 6);
        final byte[] header = TestDriver.header(FLAG_NEEDS_CSUM | FLAG_DATA_VALID, GSO_TCPV4, 66, 1448, 34, 16);
        large.buffer().putBytes(large.netHeaderOffset(0), header);
        large.buffer().putBytes(large.nextFrameOffset(), frame);
        large.commit(frame.length);

        assertEquals(1, queue.transmit(large, upTo(1), 1));

        header[NUM_BUFFERS_OFFSET] = 2;
        assertArrayEquals(header, driver.receivedHeader(driver.usedId(0, 0)), "3012 bytes in 2048-byte buffers");
        assertArrayEquals(frame, driver.receive().get(0));
        assertEquals(Offloads.ALL, queue.guestOffloads());
    }

    @Test
    void transmitHandsTheOffloadsOfAFrameThatFitsOneBufferAlike()
    {
        final Virtqueue queue = queue(0, ALL, null);
        driver.postReceiveBuffers(2, 2048);
        final byte[] frame = frame(1000, 7);
        putIn(burst, frame);
        final byte[] header = TestDriver.header(FLAG_NEEDS_CSUM | FLAG_DATA_VALID, GSO_TCPV4, 66, 1448, 34, 16);
        burst.buffer().putBytes(burst.netHeaderOffset(0), header);

        assertEquals(1, queue.transmit(burst, upTo(1), 1));

        header[NUM_BUFFERS_OFFSET] = 1;
        assertArrayEquals(header, driver.receivedHeader(driver.usedId(0, 0)), "1012 bytes in one 2048-byte buffer");
        assertEquals(HEADER + 1000, driver.usedLength(0, 0));
        assertArrayEquals(frame, driver.receive().get(0));
    }

    @Test
    void transmitStopsAtAnOffloadTheDriverDoesNotTake()
    {
        final Virtqueue queue = queue(0, ALL & ~(Features.VIRTIO_NET_F_GUEST_TSO6 | Features.VIRTIO_NET_F_GUEST_ECN), null);
        driver.postReceiveBuffers(8, 2048);
        putIn(burst, frame(64, 1), frame(3000, 2), frame(64, 3));
        burst.buffer().putBytes(burst.netHeaderOffset(1), TestDriver.header(FLAG_NEEDS_CSUM, GSO_TCPV6, 74, 1428, 54, 16));

        assertEquals(1, queue.transmit(burst, upTo(3), 3));

        assertEquals(Offloads.CHECKSUM | Offloads.TCP4 | Offloads.UDP_L4, queue.guestOffloads());
        assertEquals(0, events.refused, "not for want of buffers");
        assertEquals(1, driver.usedIdx(0));
    }

    @Test
    void transmitGivesADriverWithoutGuestOffloadsAZeroHeader()
    {
        final Virtqueue queue = queue(0, ALL & ~Features.GUEST_OFFLOADS, null);
        driver.postReceiveBuffers(2, 2048);
        putIn(burst, frame(64, 1));
        burst.buffer().putBytes(burst.netHeaderOffset(0), TestDriver.header(FLAG_DATA_VALID, 0, 0, 0, 0, 0));

        assertEquals(1, queue.transmit(burst, upTo(1), 1));

        assertArrayEquals(new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, driver.receivedHeader(driver.usedId(0, 0)));
        assertEquals(0, queue.guestOffloads());
    }

    @Test
    void transmitRefusesWhenTheDriverHasNoBuffers()
    {
        final Virtqueue queue = queue(0, ALL, null);
        putIn(burst, frame(64, 1), frame(64, 2));

        assertEquals(0, queue.transmit(burst, upTo(2), 2));
        assertEquals(2, events.refused);

        driver.postReceiveBuffers(1, 2048);
        assertEquals(1, queue.transmit(burst, upTo(2), 2));
        assertEquals(3, events.refused);
    }

    @Test
    void signalsTheCallEventfdOnlyWhenTheDriverWantsInterrupts()
    {
        try (EventFd call = EventFd.create())
        {
            final Virtqueue queue = queue(1, ALL, call);
            driver.availFlags(1, Virtqueue.VRING_AVAIL_F_NO_INTERRUPT);
            driver.send(frame(64, 1));
            assertEquals(1, queue.receive(burst));
            assertEquals(0, call.drain());

            driver.availFlags(1, 0);
            driver.send(frame(64, 2));
            assertEquals(1, queue.receive(burst));
            assertEquals(1, call.drain());

            assertEquals(0, queue.receive(burst));
            assertEquals(0, call.drain(), "nothing used, nothing signalled");
        }
    }

    @Test
    void indexesWrapAround16Bits()
    {
        final Virtqueue queue = Virtqueue.start(1, SIZE, driver.descUser(1), driver.availUser(1), driver.usedUser(1),
            65530, memory, ALL, null, events);
        driver.availIdx(1, 65530);
        for (int i = 0; i < 12; i++)
        {
            driver.send(frame(64, i));
        }

        assertEquals(12, queue.receive(burst));
        assertEquals(6, queue.nextAvail());
        assertEquals(6, driver.usedIdx(1));
        assertArrayEquals(frame(64, 11), frameIn(burst, 11));
    }

    @Test
    void availableIndexRunningAheadIsAViolation()
    {
        final Virtqueue queue = queue(1, ALL, null);
        driver.availIdx(1, SIZE + 1);

        assertEquals(0, queue.receive(burst));

        assertEquals(List.of(Violation.AVAIL_INDEX), events.violations);
    }

    @Test
    void headBeyondTheRingIsAViolation()
    {
        final Virtqueue queue = queue(1, ALL, null);
        driver.publish(1, SIZE);

        assertEquals(0, queue.receive(burst));

        assertEquals(List.of(Violation.DESCRIPTOR_INDEX), events.violations);
        assertEquals(0, driver.usedIdx(1), "nothing returned");
    }

    @Test
    void framesBeforeAViolationAreKept()
    {
        final Virtqueue queue = queue(1, ALL, null);
        driver.send(frame(64, 1));
        driver.descriptor(1, 5, guest(bufferOffset(1, 5)), 100, F_NEXT, 5);
        driver.publish(1, 5);

        assertEquals(1, queue.receive(burst));

        assertEquals(List.of(Violation.CHAIN_LOOP), events.violations);
        assertEquals(1, driver.usedIdx(1));
    }

    @Test
    void hostileTransmitChainsAreViolations()
    {
        assertReceiveViolation(Violation.OUT_OF_MEMORY, d -> driver.descriptor(1, d, guest(TestDriver.REGION_SIZE), 64, 0, 0));
        assertReceiveViolation(Violation.OUT_OF_MEMORY,
            d -> driver.descriptor(1, d, guest(TestDriver.REGION_SIZE - 32), 64, 0, 0));
        assertReceiveViolation(Violation.OUT_OF_MEMORY, d -> driver.descriptor(1, d, -16, 64, 0, 0));
        assertReceiveViolation(Violation.OUT_OF_MEMORY, d -> driver.descriptor(1, d, guest(0), 0xFFFF_FFFFL, 0, 0));
        assertReceiveViolation(Violation.SHORT_FRAME, d -> driver.descriptor(1, d, guest(bufferOffset(1, d)), 8, 0, 0));
        assertReceiveViolation(Violation.OVERSIZED_FRAME,
            d -> driver.descriptor(1, d, guest(bufferOffset(1, 0)), HEADER + Virtqueue.MAX_FRAME_LENGTH + 1, 0, 0));
        assertReceiveViolation(Violation.INDIRECT_LENGTH,
            d -> driver.descriptor(1, d, guest(TestDriver.tableOffset(d)), 24, F_INDIRECT, 0));
        assertReceiveViolation(Violation.INDIRECT_MISPLACED,
            d -> driver.descriptor(1, d, guest(TestDriver.tableOffset(d)), 32, F_INDIRECT | F_NEXT, 0));
        assertReceiveViolation(Violation.INDIRECT_MISPLACED, d ->
        {
            driver.indirectEntry(d, 0, guest(TestDriver.tableOffset(d + 1)), 16, F_INDIRECT, 0);
            driver.descriptor(1, d, guest(TestDriver.tableOffset(d)), 16, F_INDIRECT, 0);
        });
        assertReceiveViolation(Violation.CHAIN_LOOP, d ->
        {
            driver.indirectEntry(d, 0, guest(bufferOffset(1, d)), 12, F_NEXT, 1);
            driver.indirectEntry(d, 1, guest(bufferOffset(1, d)), 12, F_NEXT, 0);
            driver.descriptor(1, d, guest(TestDriver.tableOffset(d)), 32, F_INDIRECT, 0);
        });
    }

    private void assertReceiveViolation(final Violation expected, final java.util.function.IntConsumer corrupt)
    {
        final Virtqueue queue = queue(1, ALL, null);
        final int d = 7;
        corrupt.accept(d);
        driver.availIdx(1, 0);
        driver.publish(1, d);
        events.violations.clear();
        burst.clear();

        assertEquals(0, queue.receive(burst));

        assertEquals(List.of(expected), events.violations);
    }

    @Test
    void indirectWithoutTheFeatureIsAViolation()
    {
        final Virtqueue queue = queue(1, Features.OFFERED & ~Features.VIRTIO_RING_F_INDIRECT_DESC, null);
        driver.sendIndirect(frame(64, 1));

        assertEquals(0, queue.receive(burst));

        assertEquals(List.of(Violation.INDIRECT_NOT_NEGOTIATED), events.violations);
    }

    @Test
    void readOnlyReceiveBufferIsAViolation()
    {
        final Virtqueue queue = queue(0, ALL, null);
        driver.descriptor(0, 0, guest(bufferOffset(0, 0)), 2048, 0, 0);
        driver.publish(0, 0);
        putIn(burst, frame(64, 1));

        assertEquals(0, queue.transmit(burst, upTo(1), 1));

        assertEquals(List.of(Violation.READ_ONLY_BUFFER), events.violations);
        assertEquals(0, events.refused, "a violation is not a refusal");
    }

    @Test
    void startRejectsRingsOutsideMemoryMisalignedOrBadlySized()
    {
        assertStartViolation(Violation.RING_SIZE, 100, driver.descUser(1), driver.availUser(1), driver.usedUser(1));
        assertStartViolation(Violation.RING_SIZE, 65536, driver.descUser(1), driver.availUser(1), driver.usedUser(1));
        assertStartViolation(Violation.RING_ADDRESS, SIZE, TestDriver.user(TestDriver.REGION_SIZE - 512),
            driver.availUser(1), driver.usedUser(1));
        assertStartViolation(Violation.RING_ADDRESS, SIZE, driver.descUser(1) + 8, driver.availUser(1), driver.usedUser(1));
        assertStartViolation(Violation.RING_ADDRESS, SIZE, driver.descUser(1), driver.availUser(1) + 1, driver.usedUser(1));
        assertStartViolation(Violation.RING_ADDRESS, SIZE, driver.descUser(1), driver.availUser(1), driver.usedUser(1) + 2);
        assertStartViolation(Violation.RING_ADDRESS, SIZE, TestDriver.guest(0), driver.availUser(1), driver.usedUser(1));
    }

    private void assertStartViolation(final Violation expected, final int size, final long desc, final long avail, final long used)
    {
        final ViolationException thrown = assertThrows(ViolationException.class,
            () -> Virtqueue.start(1, size, desc, avail, used, 0, memory, ALL, null, events));
        assertEquals(expected, thrown.violation());
    }
}
