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

    public static byte[] hex(final String hex)
    {
        return HexFormat.of().parseHex(hex);
    }
}
