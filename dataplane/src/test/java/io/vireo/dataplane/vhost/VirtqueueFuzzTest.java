package io.vireo.dataplane.vhost;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.MappedMemory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;

import static io.vireo.dataplane.vhost.DescriptorChain.DESCRIPTOR_LENGTH;
import static io.vireo.dataplane.vhost.DescriptorChain.F_INDIRECT;
import static io.vireo.dataplane.vhost.DescriptorChain.F_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A split virtqueue of 8 entries over rings and descriptor tables a hostile driver wrote, in the guest memory of
 * a {@link TestDriver} (one 4 MiB region). The input is {@code [settings, 1 byte][base, 2 bytes][descriptor
 * table, 128 bytes][available ring, 22 bytes][indirect tables]}, each part written where the test driver keeps
 * it (the indirect tables from that of descriptor 0 on) over a region otherwise zero. Settings bit 0: the device
 * fills the driver's receive buffers ({@link Virtqueue#transmit} of three frames on queue 0) instead of taking
 * its frames ({@link Virtqueue#receive} on queue 1); bits 1-3 negotiate MRG_RXBUF, INDIRECT_DESC and the
 * offloads. The base is where the queue starts, as SET_VRING_BASE gives it.
 * <p>
 * Nothing escapes the walk: every access goes through a bounds-checked mapping, so none outside the region goes
 * unnoticed. What the device writes is only the queue's used ring and, when it fills buffers, buffers a
 * descriptor (in the ring's table or an indirect one, before or after) marks device-writable; taking frames
 * writes no buffer. The used index moves by the chains consumed, no more than the driver made available; frames
 * taken are no longer than {@link Virtqueue#MAX_FRAME_LENGTH}. A walk that stops early (fewer frames taken
 * than available and room for, fewer sent than given) reports why: a violation, or no room for a frame.
 */
class VirtqueueFuzzTest
{
    private static final int SIZE = 8;
    private static final int SETTINGS_LENGTH = 3;
    private static final int TABLE_LENGTH = SIZE * DESCRIPTOR_LENGTH;
    private static final int AVAIL_LENGTH = Virtqueue.RING_OFFSET + 2 * SIZE + 2;
    private static final int USED_LENGTH = Virtqueue.RING_OFFSET + Virtqueue.USED_ENTRY_LENGTH * SIZE + 2;
    private static final int MAX_TABLES_LENGTH = SIZE * 4096;
    private static final int[] FRAME_LENGTHS = {60, 1000, 1514};
    private static final int[] FRAMES = {0, 1, 2};

    private final TestDriver driver = new TestDriver(SIZE);
    private final GuestMemory memory = driver.guestMemory();
    private final MappedMemory file = driver.file();
    private final FrameBurst burst = new FrameBurst(32, 2048, 64);
    private final byte[] before = new byte[(int)TestDriver.REGION_SIZE];
    private final byte[] after = new byte[(int)TestDriver.REGION_SIZE];

    @AfterEach
    void close()
    {
        memory.close();
        driver.close();
    }

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void devicesStayInsideTheBuffersTheyWereGiven(final byte[] input)
    {
        if (input.length < SETTINGS_LENGTH + TABLE_LENGTH + AVAIL_LENGTH)
        {
            return;
        }
        final boolean fills = 0 != (input[0] & 1);
        final long features = Features.VIRTIO_F_VERSION_1 |
            (0 != (input[0] & 2) ? Features.VIRTIO_NET_F_MRG_RXBUF : 0) |
            (0 != (input[0] & 4) ? Features.VIRTIO_RING_F_INDIRECT_DESC : 0) |
            (0 != (input[0] & 8) ? Features.HOST_OFFLOADS | Features.GUEST_OFFLOADS : 0);
        final int base = (input[1] & 0xFF) << 8 | input[2] & 0xFF;
        final int queue = fills ? 0 : 1;
        final long desc = region(driver.descUser(queue));
        final long avail = region(driver.availUser(queue));
        final long used = region(driver.usedUser(queue));
        file.setMemory(TestDriver.fileOffset(0), TestDriver.REGION_SIZE, (byte)0);
        write(desc, input, SETTINGS_LENGTH, TABLE_LENGTH);
        write(avail, input, SETTINGS_LENGTH + TABLE_LENGTH, AVAIL_LENGTH);
        final int tables = SETTINGS_LENGTH + TABLE_LENGTH + AVAIL_LENGTH;
        write(TestDriver.tableOffset(0), input, tables, Math.min(input.length - tables, MAX_TABLES_LENGTH));
        copyRegion(before);

        final VirtqueueTest.RecordingEvents events = new VirtqueueTest.RecordingEvents();
        final Virtqueue virtqueue = Virtqueue.start(queue, SIZE, driver.descUser(queue), driver.availUser(queue),
            driver.usedUser(queue), base, memory, features, null, events);
        final int available = (file.getShort(TestDriver.fileOffset(avail) + Virtqueue.IDX_OFFSET) - base) & 0xFFFF;
        final int moved;
        if (fills)
        {
            putFrames();
            final int sent = virtqueue.transmit(burst, FRAMES, FRAMES.length);
            moved = (virtqueue.nextAvail() - base) & 0xFFFF;
            assertTrue(sent == FRAMES.length || !events.violations.isEmpty() || events.refused > 0,
                () -> sent + " of " + FRAMES.length + " sent, no reason given");
            assertTrue(moved >= sent, () -> sent + " frames sent in " + moved + " chains");
        }
        else
        {
            burst.clear();
            final int taken = virtqueue.receive(burst);
            moved = taken;
            assertEquals(taken, (virtqueue.nextAvail() - base) & 0xFFFF);
            assertTrue(taken == Math.min(available, burst.capacity()) || !events.violations.isEmpty(),
                () -> taken + " of " + available + " available taken, no violation reported");
            for (int i = 0; i < taken; i++)
            {
                assertTrue(burst.frameLength(i) <= Virtqueue.MAX_FRAME_LENGTH, "a frame no longer than accepted");
            }
        }
        assertTrue(moved <= (available > SIZE ? 0 : available), () -> "consumed " + moved + " of " + available + " available");
        copyRegion(after);
        writesOnlyWhereAllowed(used, fills);
    }

    /** Every byte that changed is in the used ring or, when the device fills buffers, in a writable one. */
    private void writesOnlyWhereAllowed(final long used, final boolean fills)
    {
        final List<long[]> allowed = new ArrayList<>();
        allowed.add(new long[] {used, used + USED_LENGTH});
        if (fills)
        {
            final long desc = region(driver.descUser(0));
            writableBuffers(before, desc, allowed);
            writableBuffers(after, desc, allowed);
        }
        for (int changed = Arrays.mismatch(before, after); changed >= 0; changed = nextChange(changed + 1))
        {
            final int offset = changed;
            assertTrue(isIn(offset, allowed), () -> "the device wrote region offset 0x" + Long.toHexString(offset) +
                " outside the used ring" + (fills ? " and the writable buffers" : ""));
        }
    }

    /** The writable buffers of the ring's descriptors and of the indirect tables they point to, as region offsets. */
    private static void writableBuffers(final byte[] region, final long table, final List<long[]> allowed)
    {
        final UnsafeBuffer bytes = new UnsafeBuffer(region);
        for (int d = 0; d < SIZE; d++)
        {
            final long entry = table + (long)d * DESCRIPTOR_LENGTH;
            final long address = bytes.getLong((int)entry) - TestDriver.GUEST_BASE;
            final long length = bytes.getInt((int)entry + 8) & 0xFFFF_FFFFL;
            final int flags = bytes.getShort((int)entry + 12);
            if (0 != (flags & F_WRITE))
            {
                allowed.add(new long[] {address, address + length});
            }
            if (0 != (flags & F_INDIRECT) && address >= 0 && address + length <= region.length)
            {
                for (long e = address; e + DESCRIPTOR_LENGTH <= address + length; e += DESCRIPTOR_LENGTH)
                {
                    if (0 != (bytes.getShort((int)e + 12) & F_WRITE))
                    {
                        final long buffer = bytes.getLong((int)e) - TestDriver.GUEST_BASE;
                        allowed.add(new long[] {buffer, buffer + (bytes.getInt((int)e + 8) & 0xFFFF_FFFFL)});
                    }
                }
            }
        }
    }

    /** The first byte from {@code from} on that the walk changed, or -1. */
    private int nextChange(final int from)
    {
        final int next = Arrays.mismatch(before, from, before.length, after, from, after.length);
        return next < 0 ? -1 : from + next;
    }

    private static boolean isIn(final long offset, final List<long[]> ranges)
    {
        return ranges.stream().anyMatch(range -> offset >= range[0] && offset < range[1]);
    }

    private void putFrames()
    {
        burst.clear();
        for (final int length : FRAME_LENGTHS)
        {
            burst.buffer().putBytes(burst.nextFrameOffset(), VirtqueueTest.frame(length, length));
            burst.clearNextNetHeader();
            burst.commit(length);
        }
    }

    private void write(final long regionOffset, final byte[] input, final int from, final int length)
    {
        file.copyFrom(TestDriver.fileOffset(regionOffset), new UnsafeBuffer(input), from, length);
    }

    private void copyRegion(final byte[] into)
    {
        file.copyTo(TestDriver.fileOffset(0), new UnsafeBuffer(into), 0, into.length);
    }

    private static long region(final long userAddress)
    {
        return userAddress - TestDriver.USER_BASE;
    }
}
