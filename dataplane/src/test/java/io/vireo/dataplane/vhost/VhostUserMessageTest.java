package io.vireo.dataplane.vhost;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The codec against messages written out byte by byte, as they cross the socket on x86_64. */
class VhostUserMessageTest
{
    private final VhostUserMessage message = new VhostUserMessage();

    private static byte[] bytes(final String hex)
    {
        final String digits = hex.replace(" ", "");
        final byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    private void load(final byte[] wire)
    {
        message.buffer().putBytes(0, wire);
    }

    private byte[] written()
    {
        final byte[] wire = new byte[message.length()];
        message.buffer().getBytes(0, wire);
        return wire;
    }

    @Test
    void decodesSetVringAddrInItsOddFieldOrder()
    {
        load(bytes("09000000 01000000 28000000" +
            "01000000 00000000" +
            "0010000000550000 0030000000550000 0020000000550000 0000000000000000"));

        assertEquals(VhostUserMessage.SET_VRING_ADDR, message.request());
        assertEquals(40, message.size());
        assertFalse(message.needsReply());
        assertEquals(1, message.vringIndex());
        assertEquals(0x5500_0000_1000L, message.descAddress());
        assertEquals(0x5500_0000_3000L, message.usedAddress(), "used comes before avail");
        assertEquals(0x5500_0000_2000L, message.availAddress());
    }

    @Test
    void decodesAMemoryTable()
    {
        load(bytes("05000000 09000000 28000000" +
            "01000000 00000000" +
            "00000040 00000000 00000020 00000000 00000000 557f0000 00100000 00000000"));

        assertEquals(VhostUserMessage.SET_MEM_TABLE, message.request());
        assertTrue(message.needsReply());
        assertEquals(1, message.regionCount());
        assertEquals(0x4000_0000L, message.regionGuestAddress(0));
        assertEquals(0x2000_0000L, message.regionSize(0));
        assertEquals(0x7F55_0000_0000L, message.regionUserAddress(0));
        assertEquals(0x1000, message.regionMmapOffset(0));
        assertEquals(VhostUserMessage.memoryTableSize(1), message.size());
    }

    @Test
    void decodesVringStateAndFilePayloads()
    {
        load(bytes("0a000000 01000000 08000000 01000000 2a000000"));
        assertEquals(VhostUserMessage.SET_VRING_BASE, message.request());
        assertEquals(1, message.vringIndex());
        assertEquals(42, message.vringNum());

        load(bytes("0d000000 01000000 08000000 0101000000000000"));
        assertEquals(VhostUserMessage.SET_VRING_CALL, message.request());
        assertEquals(1, message.u64() & VhostUserMessage.VRING_FILE_INDEX_MASK);
        assertEquals(VhostUserMessage.VRING_FILE_NO_FD, message.u64() & VhostUserMessage.VRING_FILE_NO_FD);
    }

    @Test
    void readsAHostileSizeUnsigned()
    {
        load(bytes("01000000 01000000 ffffffff"));

        assertEquals(0xFFFF_FFFFL, message.size());
    }

    @Test
    void encodesRepliesWithFlagsExactlyFive()
    {
        message.header(VhostUserMessage.GET_FEATURES, VhostUserMessage.REPLY_FLAGS, VhostUserMessage.U64_LENGTH)
            .u64(Features.OFFERED);
        // CSUM GUEST_CSUM GUEST_TSO4/6 GUEST_ECN HOST_TSO4/6 HOST_ECN MRG_RXBUF INDIRECT_DESC PROTOCOL_FEATURES
        // VERSION_1 GUEST_USO4/6 HOST_USO: bits 0 1 7 8 9 11 12 13 15 28 30 32 54 55 56.
        assertArrayEquals(bytes("01000000 05000000 08000000 83bb00500100c001"), written());

        message.header(VhostUserMessage.GET_VRING_BASE, VhostUserMessage.REPLY_FLAGS, VhostUserMessage.VRING_STATE_LENGTH)
            .vringState(1, 0x1234);
        assertArrayEquals(bytes("0b000000 05000000 08000000 01000000 34120000"), written());
    }

    @Test
    void encodesRequestsAsAFrontendSendsThem()
    {
        message.header(VhostUserMessage.SET_VRING_ADDR, VhostUserMessage.VERSION, VhostUserMessage.VRING_ADDRESS_LENGTH)
            .vringAddress(0, 0x1000, 0x3000, 0x2000);
        assertArrayEquals(bytes("09000000 01000000 28000000 00000000 00000000" +
            "0010000000000000 0030000000000000 0020000000000000 0000000000000000"), written());

        message.header(VhostUserMessage.SET_MEM_TABLE, VhostUserMessage.VERSION, VhostUserMessage.memoryTableSize(1))
            .regionCount(1).region(0, 0x4000_0000L, 0x2000_0000L, 0x7F55_0000_0000L, 0x1000);
        assertArrayEquals(bytes("05000000 01000000 28000000 01000000 00000000" +
            "00000040 00000000 00000020 00000000 00000000 557f0000 00100000 00000000"), written());
    }

    @Test
    void namesRequestsForLogs()
    {
        assertEquals("SET_MEM_TABLE", VhostUserMessage.name(5));
        assertEquals("request 99", VhostUserMessage.name(99));
        load(bytes("12000000 09000000 08000000"));
        assertEquals("SET_VRING_ENABLE{flags=0x9, size=8}", message.toString());
    }
}
