package io.vireo.gateway.dns;

import java.nio.ByteOrder;
import java.util.Arrays;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.dataplane.headers.Checksums;
import org.agrona.concurrent.UnsafeBuffer;
import org.xbill.DNS.Message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A router's DNS server over arbitrary IPv4 packets to port 53, UDP or TCP, as the router stage hands them
 * over: the input is the IPv4 packet (after an Ethernet header the test writes), made to pass the stage's
 * checks first (version 4, its header checksum, total length within the frame) and {@link RouterDns#isDns}.
 * Nothing is written past the slot's capacity (guard bytes), an answer fits the slot, has right IPv4 and
 * transport checksums, goes back to the sender from the router, and its DNS message parses with dnsjava.
 */
class RouterDnsFuzzTest
{
    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int CAPACITY = 2048;
    private static final int GUARD = 64;
    private static final byte FILLER = (byte)0x5A;
    private static final long ROUTER_MAC = 0x0200_0000_00FEL;
    private static final long CLIENT_MAC = 0x0200_0000_0001L;

    private final RouterDns dns = new RouterDns(new DnsStats(), 42);
    private final DnsRecords records = DnsRecords.builder().addA("web.svc.vireo", 0x0A60_000A)
        .addSrv("web.svc.vireo", 0, 1, 80, "web.svc.vireo").build();

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void answersStayInTheSlotAndAreWellFormed(final byte[] packet)
    {
        if (packet.length < 28 || packet.length > CAPACITY - 14)
        {
            return;
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[CAPACITY + GUARD]);
        buffer.setMemory(0, CAPACITY + GUARD, FILLER);
        buffer.putShort(0, (short)(ROUTER_MAC >>> 32), NETWORK);
        buffer.putInt(2, (int)ROUTER_MAC, NETWORK);
        buffer.putShort(6, (short)(CLIENT_MAC >>> 32), NETWORK);
        buffer.putInt(8, (int)CLIENT_MAC, NETWORK);
        buffer.putShort(12, (short)0x0800, NETWORK);
        buffer.putBytes(14, packet);
        // What the router stage checks before it asks: a valid IPv4 header with a right checksum.
        buffer.putByte(14, (byte)(0x40 | Math.max(5, buffer.getByte(14) & 0x0F)));
        final int headerLength = (buffer.getByte(14) & 0x0F) * 4;
        final int totalLength = buffer.getShort(16, NETWORK) & 0xFFFF;
        if (headerLength > packet.length || totalLength < headerLength || totalLength > packet.length ||
            !RouterDns.isDns(buffer, 14))
        {
            return;
        }
        buffer.putShort(24, (short)0);
        buffer.putShort(24, (short)Checksums.checksum(buffer, 14, headerLength), NETWORK);
        final int source = buffer.getInt(26, NETWORK);
        final int router = buffer.getInt(30, NETWORK);
        final int protocol = buffer.getByte(23) & 0xFF;

        final int length = dns.answer(buffer, 0, 14 + packet.length, CAPACITY, ROUTER_MAC, false, records, false);
        for (int i = CAPACITY; i < CAPACITY + GUARD; i++)
        {
            assertEquals(FILLER, buffer.getByte(i), "nothing written past the slot");
        }
        if (length < 0)
        {
            assertTrue(RouterDns.NONE == length || RouterDns.CONSUMED == length, "no upstream: nothing forwarded");
            return;
        }
        assertTrue(length >= 60 && length <= CAPACITY, "a frame in the slot: " + length);
        assertEquals(CLIENT_MAC, ((long)(buffer.getShort(0, NETWORK) & 0xFFFF) << 32) | (buffer.getInt(2, NETWORK) & 0xFFFF_FFFFL));
        assertEquals(0, Checksums.checksum(buffer, 14, 20), "IPv4 header checksum");
        assertEquals(router, buffer.getInt(26, NETWORK), "from the router");
        assertEquals(source, buffer.getInt(30, NETWORK), "to the sender");
        final int l4Length = (buffer.getShort(16, NETWORK) & 0xFFFF) - 20;
        assertEquals(0, Checksums.finish(Checksums.ipv4PseudoHeaderSum(router, source, protocol, l4Length) +
            Checksums.sum(buffer, 34, l4Length)), "transport checksum");
        final int message = 6 == protocol ? 34 + ((buffer.getByte(46) & 0xFF) >>> 4) * 4 + 2 : 42;
        final int messageLength = 34 + l4Length - message;
        if (messageLength > 0)
        {
            final byte[] bytes = new byte[messageLength];
            buffer.getBytes(message, bytes);
            try
            {
                new Message(bytes);
            }
            catch (final Exception ex)
            {
                fail("dnsjava cannot parse the answer: " + ex + " " + Arrays.toString(bytes));
            }
        }
    }
}
