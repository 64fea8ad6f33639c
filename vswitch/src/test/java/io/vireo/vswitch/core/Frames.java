package io.vireo.vswitch.core;

import java.util.HexFormat;

import io.vireo.flowtable.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;

/** Builds test frames. */
public final class Frames
{
    private Frames()
    {
    }

    /** An untagged frame whose payload bytes count up from 0. */
    public static byte[] ethernet(final long destination, final long source, final int etherType, final int payload)
    {
        final byte[] frame = new byte[14 + payload];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        MacAddress.write(buffer, 0, destination);
        MacAddress.write(buffer, 6, source);
        buffer.putShort(12, (short)etherType, java.nio.ByteOrder.BIG_ENDIAN);
        for (int i = 14; i < frame.length; i++)
        {
            frame[i] = (byte)i;
        }
        return frame;
    }

    /** An 802.1Q-tagged frame. */
    public static byte[] tagged(final long destination, final long source, final int vlan, final int etherType, final int payload)
    {
        final byte[] frame = new byte[18 + payload];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        MacAddress.write(buffer, 0, destination);
        MacAddress.write(buffer, 6, source);
        buffer.putShort(12, (short)0x8100, java.nio.ByteOrder.BIG_ENDIAN);
        buffer.putShort(14, (short)vlan, java.nio.ByteOrder.BIG_ENDIAN);
        buffer.putShort(16, (short)etherType, java.nio.ByteOrder.BIG_ENDIAN);
        return frame;
    }

    /** An ARP request from {@code sender}. */
    public static byte[] arpRequest(final long sender, final int senderIp, final int targetIp)
    {
        final byte[] frame = ethernet(MacAddress.BROADCAST, sender, 0x0806, 46);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        buffer.putShort(14, (short)1, java.nio.ByteOrder.BIG_ENDIAN);
        buffer.putShort(16, (short)0x0800, java.nio.ByteOrder.BIG_ENDIAN);
        buffer.putByte(18, (byte)6);
        buffer.putByte(19, (byte)4);
        buffer.putShort(20, (short)1, java.nio.ByteOrder.BIG_ENDIAN);
        MacAddress.write(buffer, 22, sender);
        buffer.putInt(28, senderIp, java.nio.ByteOrder.BIG_ENDIAN);
        buffer.putInt(38, targetIp, java.nio.ByteOrder.BIG_ENDIAN);
        return frame;
    }

    /** An IPv4 UDP datagram with a valid header checksum and no UDP checksum, 64 bytes of payload. */
    public static byte[] udp(final long destination, final long source, final int sourceIp, final int destinationIp)
    {
        final byte[] frame = ethernet(destination, source, 0x0800, 20 + 8 + 64);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final java.nio.ByteOrder network = java.nio.ByteOrder.BIG_ENDIAN;
        buffer.setMemory(14, 28, (byte)0);
        buffer.putByte(14, (byte)0x45);
        buffer.putShort(16, (short)(20 + 8 + 64), network);
        buffer.putByte(22, (byte)64);
        buffer.putByte(23, (byte)17);
        buffer.putInt(26, sourceIp, network);
        buffer.putInt(30, destinationIp, network);
        buffer.putShort(24, (short)io.vireo.dataplane.headers.Checksums.checksum(buffer, 14, 20), network);
        buffer.putShort(34, (short)40_000, network);
        buffer.putShort(36, (short)53, network);
        buffer.putShort(38, (short)(8 + 64), network);
        return frame;
    }

    /**
     * A neighbour solicitation from {@code sender} at fe80::{@code senderLow} for {@code targetHigh/Low}, to its
     * solicited-node address, with a source link-layer address option; checksum right.
     */
    public static byte[] neighbourSolicitation(final long sender, final long senderLow, final long targetHigh, final long targetLow)
    {
        final long solicitedNodeLow = 0x0000_0001_FF00_0000L | (targetLow & 0xFF_FFFF);
        final byte[] frame = ethernet(0x3333_FF00_0000L | (targetLow & 0xFF_FFFF), sender, 0x86DD, 40 + 32);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final java.nio.ByteOrder network = java.nio.ByteOrder.BIG_ENDIAN;
        buffer.setMemory(14, 40 + 32, (byte)0);
        buffer.putInt(14, 0x6000_0000, network);
        buffer.putShort(18, (short)32, network);
        buffer.putByte(20, (byte)58);
        buffer.putByte(21, (byte)255);
        buffer.putLong(22, 0xFE80_0000_0000_0000L, network);
        buffer.putLong(30, senderLow, network);
        buffer.putLong(38, 0xFF02_0000_0000_0000L, network);
        buffer.putLong(46, solicitedNodeLow, network);
        buffer.putByte(54, (byte)135);
        buffer.putLong(62, targetHigh, network);
        buffer.putLong(70, targetLow, network);
        buffer.putByte(78, (byte)1);
        buffer.putByte(79, (byte)1);
        MacAddress.write(buffer, 80, sender);
        final long sum = io.vireo.dataplane.headers.Checksums.ipv6PseudoHeaderSum(0xFE80_0000_0000_0000L, senderLow,
            0xFF02_0000_0000_0000L, solicitedNodeLow, 58, 32) + io.vireo.dataplane.headers.Checksums.sum(buffer, 54, 32);
        buffer.putShort(56, (short)io.vireo.dataplane.headers.Checksums.finish(sum), network);
        return frame;
    }

    /** Every frame a loopback port was sent since the last drain, copied, in order. */
    public static java.util.List<byte[]> drain(final io.vireo.dataplane.port.LoopbackPort port)
    {
        final java.util.List<byte[]> frames = new java.util.ArrayList<>();
        port.drainTransmitted((type, buffer, index, length) ->
        {
            final byte[] frame = new byte[length];
            buffer.getBytes(index, frame);
            frames.add(frame);
        });
        return frames;
    }

    public static byte[] hex(final String hex)
    {
        return HexFormat.of().parseHex(hex);
    }
}
