package io.vireo.vswitch.core;

import java.util.BitSet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CpuListTest
{
    @Test
    void listsAndRangesKeepTheOrderGiven()
    {
        assertArrayEquals(new int[] {1}, CpuList.parse("1"));
        assertArrayEquals(new int[] {0, 1}, CpuList.parse("0,1"));
        assertArrayEquals(new int[] {1, 0}, CpuList.parse("1,0"));
        assertArrayEquals(new int[] {2, 3, 4, 5}, CpuList.parse("2-5"));
        assertArrayEquals(new int[] {6, 0, 1}, CpuList.parse(" 6 , 0-1 "));
        assertArrayEquals(new int[] {1023}, CpuList.parse("1023"));
    }

    @Test
    void badListsSayWhatIsWrong()
    {
        assertMessage("empty CPU list", "");
        assertMessage("empty CPU list", " ");
        assertMessage("bad CPU '' in '0,'", "0,");
        assertMessage("bad CPU 'a' in 'a'", "a");
        assertMessage("bad CPU '-1' in '-1'", "-1");
        assertMessage("bad CPU range '1-2-3' in '1-2-3'", "1-2-3");
        assertMessage("CPU range '3-1' runs backwards in '3-1'", "3-1");
        assertMessage("CPU 1 appears twice in '0-2,1'", "0-2,1");
        assertMessage("CPU 1024 is beyond 1023 in '1024'", "1024");
        assertMessage("bad CPU '99999' in '99999'", "99999");
    }

    @Test
    void setsAreWrittenWithRanges()
    {
        final BitSet cpus = new BitSet();
        assertEquals("", CpuList.format(cpus));
        cpus.set(0);
        assertEquals("0", CpuList.format(cpus));
        cpus.set(1);
        cpus.set(2);
        cpus.set(3);
        cpus.set(6);
        cpus.set(8);
        cpus.set(9);
        assertEquals("0-3,6,8-9", CpuList.format(cpus));
    }

    private static void assertMessage(final String message, final String list)
    {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> CpuList.parse(list)).getMessage());
    }
}
