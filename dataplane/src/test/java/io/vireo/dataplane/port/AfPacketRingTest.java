package io.vireo.dataplane.port;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.MappedMemory;
import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.port.AfPacketRing.BLOCK_FIRST_PACKET_OFFSET;
import static io.vireo.dataplane.port.AfPacketRing.BLOCK_PACKETS_OFFSET;
import static io.vireo.dataplane.port.AfPacketRing.BLOCK_SEQUENCE_OFFSET;
import static io.vireo.dataplane.port.AfPacketRing.BLOCK_STATUS_OFFSET;
import static io.vireo.dataplane.port.AfPacketRing.PACKET_LEN_OFFSET;
import static io.vireo.dataplane.port.AfPacketRing.PACKET_MAC_OFFSET;
import static io.vireo.dataplane.port.AfPacketRing.PACKET_NEXT_OFFSET;
import static io.vireo.dataplane.port.AfPacketRing.PACKET_SNAPLEN_OFFSET;
import static io.vireo.dataplane.port.AfPacketRing.TP_STATUS_KERNEL;
import static io.vireo.dataplane.port.AfPacketRing.TP_STATUS_LOSING;
import static io.vireo.dataplane.port.AfPacketRing.TP_STATUS_USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link AfPacketRing} over synthetic TPACKET_V3 blocks laid out as the kernel lays them out, in a memfd mapping. */
class AfPacketRingTest
{
    private static final int BLOCK_SIZE = 4096;
    private static final int BLOCKS = 3;
    /** tpacket3_hdr (48) + sockaddr_ll (20), aligned, + room for the net header: where the kernel puts a frame. */
    private static final int MAC = 96;
    /** The block descriptor is 48 bytes; the kernel puts the first frame right after it. */
    private static final int FIRST_PACKET = 48;

    private final MappedMemory memory = map();
    private final FrameBurst burst = new FrameBurst(4, 2048, 64);

    @AfterEach
    void tearDown()
    {
        memory.close();
    }

    @Test
    void takesTheFramesOfABlockWithTheirHeadersAndHandsTheBlockBack()
    {
        block(0, TP_STATUS_USER, 60, 1400);
        final AfPacketRing ring = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);

        assertEquals(2, ring.receive(burst));
        assertEquals(60, burst.frameLength(0));
        assertEquals(1400, burst.frameLength(1));
        for (int frame = 0; frame < 2; frame++)
        {
            assertEquals(frame + 1, burst.buffer().getByte(burst.netHeaderOffset(frame)), "header flags");
            assertEquals(0x5A5A, burst.buffer().getShort(burst.netHeaderOffset(frame) + 8) & 0xFFFF, "csum_offset");
            assertEquals(0, burst.buffer().getShort(burst.netHeaderOffset(frame) + 10), "num_buffers");
            assertEquals((byte)(frame + 1), burst.buffer().getByte(burst.frameOffset(frame)));
            assertEquals((byte)(frame + 1), burst.buffer().getByte(burst.frameOffset(frame) + burst.frameLength(frame) - 1));
        }
        assertEquals(TP_STATUS_KERNEL, memory.getInt(BLOCK_STATUS_OFFSET), "block 0 handed back");
        assertEquals(0, ring.receive(burst), "block 1 is still the kernel's");
        assertFalse(ring.takeLosing());
        assertEquals(0, ring.truncated());
    }

    @Test
    void holdsAPartlyTakenBlockUntilTheNextCall()
    {
        block(0, TP_STATUS_USER, 60, 61, 62);
        final AfPacketRing ring = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);
        final FrameBurst small = new FrameBurst(2, 2048, 64);

        assertEquals(2, ring.receive(small));
        assertEquals(TP_STATUS_USER, memory.getInt(BLOCK_STATUS_OFFSET), "one frame left: block still held");
        small.clear();
        assertEquals(1, ring.receive(small));
        assertEquals(62, small.frameLength(0));
        assertEquals(3, small.buffer().getByte(small.frameOffset(0)));
        assertEquals(TP_STATUS_KERNEL, memory.getInt(BLOCK_STATUS_OFFSET));
    }

    @Test
    void walksRoundTheRingAndSkipsEmptyBlocks()
    {
        block(0, TP_STATUS_USER);
        block(1, TP_STATUS_USER | TP_STATUS_LOSING, 100);
        block(2, TP_STATUS_USER, 200);
        final AfPacketRing ring = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);

        assertEquals(2, ring.receive(burst));
        assertEquals(100, burst.frameLength(0));
        assertEquals(200, burst.frameLength(1));
        assertTrue(ring.takeLosing(), "block 1 said the kernel was dropping frames");
        assertFalse(ring.takeLosing(), "said once");

        block(0, TP_STATUS_USER, 300);
        burst.clear();
        assertEquals(1, ring.receive(burst), "after the last block, the first again");
        assertEquals(300, burst.frameLength(0));
    }

    @Test
    void countsATruncatedFrameAndCommitsItAsLongerThanTheSlot()
    {
        block(0, TP_STATUS_USER, 60);
        memory.putInt(FIRST_PACKET + PACKET_LEN_OFFSET, 1000);
        final AfPacketRing ring = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);

        assertEquals(1, ring.receive(burst));
        assertTrue(burst.frameLength(0) > burst.frameCapacity(), "the pipeline drops it as oversize");
        assertEquals(1, ring.truncated());
    }

    @Test
    void aReaderTakingOverGoesOnInsideTheBlockTheOtherStoppedIn()
    {
        block(0, TP_STATUS_USER, 60, 61, 62);
        block(1, TP_STATUS_USER, 63);
        final AfPacketRing running = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);
        final FrameBurst small = new FrameBurst(2, 2048, 64);
        assertEquals(2, running.receive(small));

        final AfPacketRing.Position position = running.position();
        assertEquals("0:2", position.toString());
        assertEquals(TP_STATUS_USER, memory.getInt(BLOCK_STATUS_OFFSET), "the block is still a reader's");
        final AfPacketRing takingOver = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);
        takingOver.resume(AfPacketRing.Position.parse(position.toString()));

        assertEquals(2, takingOver.receive(burst), "the third frame of block 0, then block 1");
        assertEquals(62, burst.frameLength(0));
        assertEquals(3, burst.buffer().getByte(burst.frameOffset(0)));
        assertEquals(63, burst.frameLength(1));
        assertEquals(TP_STATUS_KERNEL, memory.getInt(BLOCK_STATUS_OFFSET), "block 0 handed back by the new reader");
        assertEquals(TP_STATUS_KERNEL, memory.getInt(BLOCK_SIZE + BLOCK_STATUS_OFFSET));
        assertEquals("2:0", takingOver.position().toString());
    }

    @Test
    void aReaderTakingOverBetweenBlocksWaitsForTheNextAsTheOtherWould()
    {
        block(0, TP_STATUS_USER, 60);
        final AfPacketRing running = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);
        assertEquals(1, running.receive(burst));
        final AfPacketRing takingOver = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);
        takingOver.resume(running.position());

        burst.clear();
        assertEquals(0, takingOver.receive(burst), "block 1 is the kernel's");
        block(1, TP_STATUS_USER, 70);
        assertEquals(1, takingOver.receive(burst));
        assertEquals(70, burst.frameLength(0));
    }

    @Test
    void refusesAPositionThatDoesNotFitTheRing()
    {
        block(0, TP_STATUS_USER, 60, 61);
        final AfPacketRing ring = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);

        assertThrows(IllegalArgumentException.class, () -> ring.resume(new AfPacketRing.Position(BLOCKS, 0)));
        assertThrows(IllegalArgumentException.class, () -> ring.resume(new AfPacketRing.Position(0, 2)), "2 of 2 taken");
        assertThrows(IllegalArgumentException.class, () -> ring.resume(new AfPacketRing.Position(1, 1)), "the kernel's block");
        assertThrows(IllegalArgumentException.class, () -> AfPacketRing.Position.parse("3"));
    }

    @Test
    void aReaderResumingAfterAFailedHandoverGoesOnWhereTheRingWasLeftUntouched()
    {
        final FrameBurst small = new FrameBurst(2, 2048, 64);
        final AfPacketRing running = stoppedAfterTwoOfThree(small);

        running.resynchronize();
        small.clear();
        assertEquals(1, running.receive(small), "the third frame, not the block again");
        assertEquals(62, small.frameLength(0));
    }

    @Test
    void aReaderResumingAfterTheOtherReadTheRingGoesOnFromTheOldestBlockThatIsAReaders()
    {
        final FrameBurst small = new FrameBurst(2, 2048, 64);
        final AfPacketRing running = stoppedAfterTwoOfThree(small);
        // the reader taking over read blocks 0 and 1 and gave them back; the kernel has filled block 2 and 0 since
        block(2, TP_STATUS_USER, 80);
        memory.putLong(2L * BLOCK_SIZE + BLOCK_SEQUENCE_OFFSET, 7);
        block(0, TP_STATUS_USER, 90);
        memory.putLong(BLOCK_SEQUENCE_OFFSET, 8);

        running.resynchronize();
        small.clear();
        assertEquals(2, running.receive(small));
        assertEquals(80, small.frameLength(0), "block 2 (seq 7) first");
        assertEquals(90, small.frameLength(1), "then block 0 (seq 8), from its first frame");
    }

    @Test
    void aReaderResumingWhenNoBlockIsReadyFindsTheOneTheKernelFillsNext()
    {
        block(0, TP_STATUS_USER, 60);
        final AfPacketRing running = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);
        assertEquals(1, running.receive(burst));
        running.position();
        // the reader taking over read block 1 and gave it back: the kernel fills block 2 next, not 1
        running.resynchronize();
        burst.clear();
        assertEquals(0, running.receive(burst));
        block(2, TP_STATUS_USER, 80);
        assertEquals(1, running.receive(burst));
        assertEquals(80, burst.frameLength(0));
        block(0, TP_STATUS_USER, 90);
        burst.clear();
        assertEquals(1, running.receive(burst), "then round the ring as before");
        assertEquals(90, burst.frameLength(0));
    }

    @Test
    void receivingAllocatesNothing()
    {
        final AfPacketRing ring = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);
        Allocations.assertAllocatesNothing("ring receive", () ->
        {
            long frames = 0;
            for (int round = 0; round < 1000; round++)
            {
                for (int block = 0; block < BLOCKS; block++)
                {
                    memory.putIntRelease((long)block * BLOCK_SIZE + BLOCK_STATUS_OFFSET, TP_STATUS_USER);
                    memory.putInt((long)block * BLOCK_SIZE + BLOCK_PACKETS_OFFSET, 0);
                }
                burst.clear();
                frames += ring.receive(burst);
            }
            return frames;
        });
        block(0, TP_STATUS_USER, 60, 70);
        block(1, TP_STATUS_USER, 80);
        block(2, TP_STATUS_USER, 90);
        Allocations.assertAllocatesNothing("ring receive with frames", () ->
        {
            long frames = 0;
            for (int round = 0; round < 1000; round++)
            {
                for (int block = 0; block < BLOCKS; block++)
                {
                    memory.putIntRelease((long)block * BLOCK_SIZE + BLOCK_STATUS_OFFSET, TP_STATUS_USER);
                }
                burst.clear();
                frames += ring.receive(burst);
            }
            return frames;
        });
    }

    /** A reader that took two of block 0's three frames (sequence 5) into {@code small} and told its position. */
    private AfPacketRing stoppedAfterTwoOfThree(final FrameBurst small)
    {
        block(0, TP_STATUS_USER, 60, 61, 62);
        memory.putLong(BLOCK_SEQUENCE_OFFSET, 5);
        final AfPacketRing running = new AfPacketRing(memory, BLOCK_SIZE, BLOCKS);
        assertEquals(2, running.receive(small));
        assertEquals("0:2", running.position().toString());
        return running;
    }

    /**
     * Lays out block {@code index} with frames of the given lengths: frame i (from 1) is filled with byte i
     * and has a 10-byte virtio-net header whose flags byte is i and whose other bytes are 0x5A; the two
     * bytes before that header are 0x77, which must not reach the burst.
     */
    private void block(final int index, final int status, final int... lengths)
    {
        final long base = (long)index * BLOCK_SIZE;
        memory.setMemory(base, BLOCK_SIZE, (byte)0);
        memory.putInt(base + BLOCK_PACKETS_OFFSET, lengths.length);
        memory.putInt(base + BLOCK_FIRST_PACKET_OFFSET, FIRST_PACKET);
        long packet = base + FIRST_PACKET;
        for (int i = 0; i < lengths.length; i++)
        {
            final int length = lengths[i];
            final long next = (MAC + length + 15) & ~15;
            memory.putInt(packet + PACKET_NEXT_OFFSET, i + 1 < lengths.length ? (int)next : 0);
            memory.putInt(packet + PACKET_SNAPLEN_OFFSET, length);
            memory.putInt(packet + PACKET_LEN_OFFSET, length);
            memory.putShort(packet + PACKET_MAC_OFFSET, (short)MAC);
            memory.setMemory(packet + MAC - 12, 2, (byte)0x77);
            memory.setMemory(packet + MAC - 10, 10, (byte)0x5A);
            memory.putByte(packet + MAC - 10, (byte)(i + 1));
            memory.setMemory(packet + MAC, length, (byte)(i + 1));
            packet += next;
        }
        memory.putIntRelease(base + BLOCK_STATUS_OFFSET, status);
    }

    private static MappedMemory map()
    {
        final int fd = MappedMemory.createMemfd("afpacket-ring", (long)BLOCK_SIZE * BLOCKS);
        try (Fd owned = Fd.own(fd))
        {
            return MappedMemory.mapShared(owned.value(), (long)BLOCK_SIZE * BLOCKS);
        }
    }
}
