package io.vireo.dataplane.headers;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * The Internet checksum (RFC 1071): the one's complement of the one's complement sum of 16-bit
 * big-endian words, used by IPv4, UDP, TCP and ICMP.
 * <p>
 * Sums are kept unfolded in a non-negative {@code long} so partial sums of separate regions (a
 * pseudo-header, a header with its checksum field skipped, a payload) can simply be added, then
 * {@link #finish(long) finished} once. Every region summed must start at an even position of the
 * checksummed data; only the last may have an odd length.
 */
public final class Checksums
{
    private static final long WORD_MASK = 0xFFFF;
    private static final long INT_MASK = 0xFFFF_FFFFL;
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private Checksums()
    {
    }

    /**
     * Unfolded sum of the big-endian 16-bit words of a region; an odd last byte counts as the high
     * byte of a word padded with zero.
     *
     * @param buffer holding the region.
     * @param offset index of the region's first byte.
     * @param length bytes in the region.
     * @return the partial sum, to be added to others and {@link #finish(long) finished}.
     */
    public static long sum(final DirectBuffer buffer, final int offset, final int length)
    {
        // Eight bytes per read, as two 32-bit little-endian words: the one's complement sum of
        // byte-swapped 16-bit words is the byte-swapped sum (RFC 1071, "byte order independence"),
        // and 32-bit words sum to the same result as pairs of 16-bit ones, since 2^16 is 1 modulo
        // 2^16 - 1. Swapped back once at the end; the tail goes a word at a time, big-endian. Two
        // sums, so consecutive adds do not wait on each other; one bounds check for the region.
        buffer.boundsCheck(offset, length);
        final byte[] array = buffer.byteArray();
        final long address = buffer.addressOffset() + offset;
        long even = 0;
        long odd = 0;
        int i = 0;
        for (final int end = length - 15; i < end; i += 16)
        {
            final long first = littleEndian(UnsafeApi.getLong(array, address + i));
            final long second = littleEndian(UnsafeApi.getLong(array, address + i + 8));
            even += (first & INT_MASK) + (first >>> 32);
            odd += (second & INT_MASK) + (second >>> 32);
        }
        if (i + 7 < length)
        {
            final long last = littleEndian(UnsafeApi.getLong(array, address + i));
            even += (last & INT_MASK) + (last >>> 32);
            i += 8;
        }
        final long swapped = fold(even) + (long)fold(odd);
        final int folded = fold(swapped);
        long sum = ((folded & 0xFF) << 8) | (folded >>> 8);
        if (i + 3 < length)
        {
            sum += buffer.getInt(offset + i, BIG_ENDIAN) & INT_MASK;
            i += 4;
        }
        if (i + 1 < length)
        {
            sum += buffer.getShort(offset + i, BIG_ENDIAN) & WORD_MASK;
            i += 2;
        }
        if (i < length)
        {
            sum += (buffer.getByte(offset + i) & 0xFFL) << 8;
        }
        return sum;
    }

    private static long littleEndian(final long nativeWord)
    {
        return NATIVE_LITTLE_ENDIAN ? nativeWord : Long.reverseBytes(nativeWord);
    }

    /**
     * @param sum an unfolded sum.
     * @return the sum folded to 16 bits with end-around carry.
     */
    public static int fold(final long sum)
    {
        long folded = sum;
        while ((folded >>> 16) != 0)
        {
            folded = (folded & WORD_MASK) + (folded >>> 16);
        }
        return (int)folded;
    }

    /**
     * @param sum an unfolded sum of everything covered, with the checksum field itself counted as
     *            zero (or, when completing a partial checksum, as the partial value).
     * @return the checksum to store: the folded sum's one's complement.
     */
    public static int finish(final long sum)
    {
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * Checksum of one region. This also completes a partial checksum such as a virtio
     * {@code NEEDS_CSUM} frame's, where the checksum field already holds the folded pseudo-header
     * sum: sum from {@code csum_start} to the end and store the result at
     * {@code csum_start + csum_offset}.
     *
     * @param buffer holding the region.
     * @param offset index of the region's first byte.
     * @param length bytes in the region.
     * @return the checksum over the region.
     */
    public static int checksum(final DirectBuffer buffer, final int offset, final int length)
    {
        return finish(sum(buffer, offset, length));
    }

    /**
     * Sum of the IPv4 pseudo-header that UDP and TCP checksums cover (RFC 768, RFC 9293).
     *
     * @param sourceAddress      IPv4 source address.
     * @param destinationAddress IPv4 destination address.
     * @param protocol           upper-layer protocol number.
     * @param upperLayerLength   bytes of the UDP datagram or TCP segment, header included.
     * @return the unfolded pseudo-header sum.
     */
    public static long ipv4PseudoHeaderSum(
        final int sourceAddress, final int destinationAddress, final int protocol, final int upperLayerLength)
    {
        return (sourceAddress & INT_MASK) + (destinationAddress & INT_MASK) +
            (protocol & 0xFF) + (upperLayerLength & WORD_MASK);
    }

    /**
     * Sum of the IPv6 pseudo-header that UDP, TCP and ICMPv6 checksums cover (RFC 8200 section 8.1).
     *
     * @param sourceHigh         first 8 bytes of the source address.
     * @param sourceLow          last 8 bytes of the source address.
     * @param destinationHigh    first 8 bytes of the destination address.
     * @param destinationLow     last 8 bytes of the destination address.
     * @param nextHeader         upper-layer protocol number, not that of an extension header.
     * @param upperLayerLength   bytes of the upper-layer header and its payload.
     * @return the unfolded pseudo-header sum.
     */
    public static long ipv6PseudoHeaderSum(
        final long sourceHigh,
        final long sourceLow,
        final long destinationHigh,
        final long destinationLow,
        final int nextHeader,
        final int upperLayerLength)
    {
        return halves(sourceHigh) + halves(sourceLow) + halves(destinationHigh) + halves(destinationLow) +
            (nextHeader & 0xFF) + (upperLayerLength & INT_MASK);
    }

    /**
     * Incremental update of a checksum after one 16-bit word of the covered data changed, by
     * RFC 1624 equation 3: {@code HC' = ~(~HC + ~m + m')}. Gives the same result as recomputing the
     * checksum over data that is not all zero.
     *
     * @param checksum the checksum before the change.
     * @param oldWord  the word's value before the change.
     * @param newWord  the word's value after the change.
     * @return the checksum after the change.
     */
    public static int adjust(final int checksum, final int oldWord, final int newWord)
    {
        return finish((~checksum & WORD_MASK) + (~oldWord & WORD_MASK) + (newWord & WORD_MASK));
    }

    private static long halves(final long value)
    {
        return (value >>> 32) + (value & INT_MASK);
    }
}
