package io.vireo.dataplane.vhost;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.vhost.DescriptorChain.F_INDIRECT;
import static io.vireo.dataplane.vhost.DescriptorChain.F_NEXT;
import static io.vireo.dataplane.vhost.DescriptorChain.F_WRITE;
import static io.vireo.dataplane.vhost.TestDriver.guest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Walking and validating descriptor chains of queue 1 of a hand-written ring. */
class DescriptorChainTest
{
    private static final int SIZE = 16;

    private final TestDriver driver = new TestDriver(SIZE);
    private final GuestMemory memory = driver.guestMemory();
    private final DescriptorChain chain = chain(true);

    @AfterEach
    void close()
    {
        memory.close();
        driver.close();
    }

    private DescriptorChain chain(final boolean indirect)
    {
        final RegionTable table = memory.table();
        final int region = table.findUser(driver.descUser(1), SIZE * 16L);
        return new DescriptorChain(memory, memory.mapping(region), table.userToMapping(region, driver.descUser(1)), SIZE, indirect);
    }

    @Test
    void walksADirectChainTranslatingEachBuffer()
    {
        driver.descriptor(1, 3, guest(0x30000), 12, F_NEXT, 9);
        driver.descriptor(1, 9, guest(0x31000), 100, F_NEXT | F_WRITE, 0);
        driver.descriptor(1, 0, guest(0x32000), 0, 0, 5);

        assertTrue(chain.start(3));
        assertEquals(TestDriver.fileOffset(0x30000), chain.bufferOffset(), "guest 0x4003_0000 is file offset 0x31000");
        assertEquals(12, chain.bufferLength());
        assertFalse(chain.writable());
        assertTrue(chain.advance());
        assertEquals(TestDriver.fileOffset(0x31000), chain.bufferOffset());
        assertEquals(100, chain.bufferLength());
        assertTrue(chain.writable());
        assertTrue(chain.advance());
        assertEquals(0, chain.bufferLength());
        assertFalse(chain.advance(), "no NEXT: its next field is ignored");
        assertNull(chain.violation());
    }

    @Test
    void walksAnIndirectTable()
    {
        driver.indirectEntry(2, 0, guest(0x30000), 12, F_NEXT, 2);
        driver.indirectEntry(2, 2, guest(0x30100), 64, 0, 0);
        driver.descriptor(1, 2, guest(TestDriver.tableOffset(2)), 48, F_INDIRECT, 0);

        assertTrue(chain.start(2));
        assertEquals(12, chain.bufferLength());
        assertTrue(chain.advance());
        assertEquals(TestDriver.fileOffset(0x30100), chain.bufferOffset());
        assertFalse(chain.advance());
        assertNull(chain.violation());
    }

    @Test
    void aChainLongerThanTheRingIsALoop()
    {
        for (int i = 0; i < SIZE; i++)
        {
            driver.descriptor(1, i, guest(0x30000), 1, F_NEXT, (i + 1) % SIZE);
        }

        assertTrue(chain.start(0));
        int buffers = 1;
        while (chain.advance())
        {
            buffers++;
        }

        assertEquals(SIZE, buffers, "every descriptor once, then caught");
        assertEquals(Violation.CHAIN_LOOP, chain.violation());
    }

    @Test
    void nextBeyondTheTableIsCaught()
    {
        driver.descriptor(1, 1, guest(0x30000), 1, F_NEXT, SIZE);

        assertTrue(chain.start(1));
        assertFalse(chain.advance());
        assertEquals(Violation.DESCRIPTOR_INDEX, chain.violation());
        assertEquals(SIZE, chain.violationDetail());
        assertFalse(chain.start(SIZE + 5));
        assertEquals(Violation.DESCRIPTOR_INDEX, chain.violation());
    }

    @Test
    void indirectTablesAreBounded()
    {
        driver.descriptor(1, 1, guest(TestDriver.tableOffset(1)), 16L * (SIZE + 1), F_INDIRECT, 0);
        assertFalse(chain.start(1));
        assertEquals(Violation.INDIRECT_LENGTH, chain.violation());

        driver.descriptor(1, 1, guest(TestDriver.REGION_SIZE - 16), 32, F_INDIRECT, 0);
        assertFalse(chain.start(1));
        assertEquals(Violation.OUT_OF_MEMORY, chain.violation());

        driver.descriptor(1, 1, guest(0x30000), 12, F_NEXT, 2);
        driver.descriptor(1, 2, guest(TestDriver.tableOffset(2)), 32, F_INDIRECT, 0);
        assertTrue(chain.start(1));
        assertFalse(chain.advance());
        assertEquals(Violation.INDIRECT_MISPLACED, chain.violation(), "indirect after a direct descriptor");

        driver.indirectEntry(4, 0, guest(0x30000), 12, F_NEXT, 1);
        driver.indirectEntry(4, 1, guest(0x30000), 12, F_NEXT, 7);
        driver.descriptor(1, 4, guest(TestDriver.tableOffset(4)), 32, F_INDIRECT, 0);
        assertTrue(chain.start(4));
        assertTrue(chain.advance());
        assertFalse(chain.advance());
        assertEquals(Violation.DESCRIPTOR_INDEX, chain.violation(), "next must stay inside the indirect table");

        final DescriptorChain withoutIndirect = chain(false);
        assertFalse(withoutIndirect.start(4));
        assertEquals(Violation.INDIRECT_NOT_NEGOTIATED, withoutIndirect.violation());
    }

    @Test
    void aRestartedChainForgetsThePreviousViolation()
    {
        driver.descriptor(1, 1, guest(TestDriver.REGION_SIZE), 16, 0, 0);
        driver.descriptor(1, 2, guest(0x30000), 16, 0, 0);

        assertFalse(chain.start(1));
        assertEquals(Violation.OUT_OF_MEMORY, chain.violation());
        assertTrue(chain.start(2));
        assertNull(chain.violation());
    }
}
