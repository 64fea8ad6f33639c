package io.vireo.dataplane.headers;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Buffers for flyweight tests. A frame is placed at {@link #OFFSET}, an odd index so no accessor can
 * rely on alignment, and the buffer ends exactly where the frame ends, so any read past the frame
 * fails Agrona's bounds check.
 */
final class TestBuffers
{
    static final int OFFSET = 3;

    private static final byte FILL = (byte)0xA5;

    private TestBuffers()
    {
    }

    /** @param hex bytes in hex, whitespace ignored. */
    static byte[] bytes(final String hex)
    {
        return HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
    }

    /** @return a buffer holding the frame at {@link #OFFSET} and ending with it. */
    static UnsafeBuffer frame(final String hex)
    {
        return frame(bytes(hex));
    }

    static UnsafeBuffer frame(final byte[] frame)
    {
        final byte[] array = new byte[OFFSET + frame.length];
        Arrays.fill(array, 0, OFFSET, FILL);
        System.arraycopy(frame, 0, array, OFFSET, frame.length);
        return new UnsafeBuffer(array);
    }

    /** @return a buffer holding the first {@code length} bytes of the frame at {@link #OFFSET}, and nothing after. */
    static UnsafeBuffer truncatedFrame(final String hex, final int length)
    {
        return frame(Arrays.copyOf(bytes(hex), length));
    }

    /** @return {@code length} bytes of the buffer from {@code index}. */
    static byte[] copy(final DirectBuffer buffer, final int index, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(index, bytes);
        return bytes;
    }

    /**
     * The Internet checksum written as plainly as possible, to check {@link Checksums} against: sum
     * the concatenated parts as 16-bit big-endian words, padding an odd end with zero, fold the
     * carries back in, complement.
     */
    static int referenceChecksum(final byte[]... parts)
    {
        int total = 0;
        for (final byte[] part : parts)
        {
            total += part.length;
        }
        final byte[] data = new byte[total + 1];
        int position = 0;
        for (final byte[] part : parts)
        {
            System.arraycopy(part, 0, data, position, part.length);
            position += part.length;
        }

        long sum = 0;
        for (int i = 0; i < total; i += 2)
        {
            sum += ((data[i] & 0xFF) << 8) | (data[i + 1] & 0xFF);
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    /** The IPv4 pseudo-header as bytes: source, destination, zero, protocol, length. */
    static byte[] ipv4PseudoHeader(final byte[] source, final byte[] destination, final int protocol, final int length)
    {
        final byte[] header = new byte[12];
        System.arraycopy(source, 0, header, 0, 4);
        System.arraycopy(destination, 0, header, 4, 4);
        header[9] = (byte)protocol;
        header[10] = (byte)(length >>> 8);
        header[11] = (byte)length;
        return header;
    }

    /** The IPv6 pseudo-header as bytes: source, destination, 32-bit length, three zeros, next header. */
    static byte[] ipv6PseudoHeader(final byte[] source, final byte[] destination, final int nextHeader, final int length)
    {
        final byte[] header = new byte[40];
        System.arraycopy(source, 0, header, 0, 16);
        System.arraycopy(destination, 0, header, 16, 16);
        header[32] = (byte)(length >>> 24);
        header[33] = (byte)(length >>> 16);
        header[34] = (byte)(length >>> 8);
        header[35] = (byte)length;
        header[39] = (byte)nextHeader;
        return header;
    }
}
