package io.vireo.tunnel.vxlan;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The group's program, run by a small interpreter of the classic BPF it uses, and the kernel's order of sockets. */
class VtepGroupTest
{
    @Test
    void theProgramReturnsTheIndexOfTheDatagramsVniAndOutOfRangeForAnyOther()
    {
        final UnsafeBuffer program = VtepGroup.program(new int[] {42, 0xFF_FFFF, 0, 7});
        assertEquals(0, run(program, vxlan(42)));
        assertEquals(1, run(program, vxlan(0xFF_FFFF)));
        assertEquals(2, run(program, vxlan(0)));
        assertEquals(3, run(program, vxlan(7)));
        assertEquals(-1, run(program, vxlan(43)), "out of range: the kernel hashes");
        final byte[] reservedSet = vxlan(7);
        reservedSet[7] = (byte)0xAB;
        assertEquals(3, run(program, reservedSet), "the reserved byte after the VNI is shifted out");
        assertEquals(0, run(program, new byte[6]), "too short to hold a VNI: the kernel's 0");
    }

    @Test
    void aMemberNotAdoptedYetMatchesNoVni()
    {
        final UnsafeBuffer program = VtepGroup.program(new int[] {-1, 5});
        assertEquals(1, run(program, vxlan(5)));
        assertEquals(-1, run(program, vxlan(0xFF_FFFF)));
        assertEquals(-1, run(program, vxlan(0)));
    }

    @Test
    void aClosedSocketsPlaceGoesToTheLastOneAsInTheKernel()
    {
        final List<Integer> sockets = new ArrayList<>(List.of(10, 11, 12, 13));
        VtepGroup.removeAsTheKernelDoes(sockets, 1);
        assertEquals(List.of(10, 13, 12), sockets);
        VtepGroup.removeAsTheKernelDoes(sockets, 2);
        assertEquals(List.of(10, 13), sockets, "the last one closing moves nothing");
        VtepGroup.removeAsTheKernelDoes(sockets, 0);
        assertEquals(List.of(13), sockets);
        VtepGroup.removeAsTheKernelDoes(sockets, 0);
        assertEquals(List.of(), sockets);
    }

    @Test
    void theLargestGroupFitsTheKernelsLimitOfInstructions()
    {
        final int instructions = VtepGroup.program(new int[VtepGroup.MAX_MEMBERS]).capacity() / 8;
        assertEquals(3 + 2 * VtepGroup.MAX_MEMBERS, instructions);
        assertEquals(true, instructions <= 4096 && instructions + 2 > 4096, "BPF_MAXINSNS: " + instructions);
    }

    /** A VXLAN header with the I flag and {@code vni}, then a little payload. */
    private static byte[] vxlan(final int vni)
    {
        return new byte[] {0x08, 0, 0, 0, (byte)(vni >>> 16), (byte)(vni >>> 8), (byte)vni, 0, 1, 2, 3};
    }

    /** The classic BPF subset the program uses, as the kernel runs it on the UDP payload: the value returned, as an int. */
    private static int run(final UnsafeBuffer program, final byte[] packet)
    {
        int a = 0;
        int pc = 0;
        while (true)
        {
            final int at = pc * 8;
            final int code = program.getShort(at) & 0xFFFF;
            final int jt = program.getByte(at + 2) & 0xFF;
            final int jf = program.getByte(at + 3) & 0xFF;
            final int k = program.getInt(at + 4);
            pc++;
            switch (code)
            {
                case 0x20 ->
                {
                    if (k + 4 > packet.length)
                    {
                        return 0;
                    }
                    a = (packet[k] & 0xFF) << 24 | (packet[k + 1] & 0xFF) << 16 | (packet[k + 2] & 0xFF) << 8 | packet[k + 3] & 0xFF;
                }
                case 0x74 -> a = a >>> k;
                case 0x15 -> pc += a == k ? jt : jf;
                case 0x06 ->
                {
                    return k;
                }
                default -> throw new AssertionError("instruction " + Integer.toHexString(code));
            }
        }
    }
}
