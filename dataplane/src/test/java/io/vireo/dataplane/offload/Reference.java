package io.vireo.dataplane.offload;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GSO segmentation and the Internet checksum written as plainly as possible over byte arrays,
 * sharing no code with {@link SoftwareOffload} or the header flyweights, to check them against.
 */
final class Reference
{
    private Reference()
    {
    }

    /** @return the Internet checksum over the concatenated parts (RFC 1071). */
    static int checksum(final byte[]... parts)
    {
        return ~fold(sum(parts)) & 0xFFFF;
    }

    /** @return the one's complement sum folded to 16 bits. */
    static int fold(final long sum)
    {
        long folded = sum;
        while (folded > 0xFFFF)
        {
            folded = (folded & 0xFFFF) + (folded >>> 16);
        }
        return (int)folded;
    }

    /** @return the unfolded sum of 16-bit big-endian words over the concatenated parts, an odd end padded with zero. */
    static long sum(final byte[]... parts)
    {
        final ByteBuffer all = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(part -> part.length).sum() + 1);
        for (final byte[] part : parts)
        {
            all.put(part);
        }
        long sum = 0;
        for (int i = 0; i + 1 < all.capacity(); i += 2)
        {
            sum += all.getShort(i) & 0xFFFF;
        }
        return sum;
    }

    /** @return the unfolded sum of the IPv4 or IPv6 pseudo-header (the address length tells which). */
    static long pseudoHeaderSum(final byte[] source, final byte[] destination, final int protocol, final int length)
    {
        final ByteBuffer lengthAndProtocol = ByteBuffer.allocate(8).putInt(length).putInt(protocol);
        return sum(source, destination, lengthAndProtocol.array());
    }

    /** Where the headers of a frame are. */
    record Layout(int ipStart, boolean ipv6, int l4Start, int protocol, int l4HeaderLength, int ipEnd)
    {
        static Layout of(final byte[] frame)
        {
            final ByteBuffer bytes = ByteBuffer.wrap(frame);
            int position = 12;
            while (bytes.getShort(position) == (short)0x8100 || bytes.getShort(position) == (short)0x88A8)
            {
                position += 4;
            }
            final boolean ipv6 = bytes.getShort(position) == (short)0x86DD;
            final int ipStart = position + 2;
            final int l4Start = ipv6 ? ipStart + 40 : ipStart + (frame[ipStart] & 0x0F) * 4;
            final int protocol = frame[ipv6 ? ipStart + 6 : ipStart + 9];
            final int ipEnd = ipv6 ? l4Start + (bytes.getShort(ipStart + 4) & 0xFFFF) :
                ipStart + (bytes.getShort(ipStart + 2) & 0xFFFF);
            final int l4HeaderLength = protocol == 6 ? (frame[l4Start + 12] >>> 4 & 0x0F) * 4 : 8;
            return new Layout(ipStart, ipv6, l4Start, protocol, l4HeaderLength, ipEnd);
        }

        int checksumField()
        {
            return l4Start + (protocol == 6 ? 16 : 6);
        }

        byte[] source(final byte[] frame)
        {
            return ipv6 ? Arrays.copyOfRange(frame, ipStart + 8, ipStart + 24) :
                Arrays.copyOfRange(frame, ipStart + 12, ipStart + 16);
        }

        byte[] destination(final byte[] frame)
        {
            return ipv6 ? Arrays.copyOfRange(frame, ipStart + 24, ipStart + 40) :
                Arrays.copyOfRange(frame, ipStart + 16, ipStart + 20);
        }
    }

    /** @return the segments of a GSO frame, by the rules of the kernel's software GSO. */
    static List<byte[]> segment(final GsoFrame gso)
    {
        final byte[] frame = gso.frame();
        final int gsoSize = ByteBuffer.wrap(gso.header()).order(java.nio.ByteOrder.LITTLE_ENDIAN).getShort(4) & 0xFFFF;
        final Layout layout = Layout.of(frame);
        final int headersLength = layout.l4Start + layout.l4HeaderLength;
        final int payloadLength = layout.ipEnd - headersLength;
        final int count = Math.max(1, (payloadLength + gsoSize - 1) / gsoSize);
        final List<byte[]> segments = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final int payload = Math.min(gsoSize, payloadLength - i * gsoSize);
            final byte[] segment = Arrays.copyOf(frame, headersLength + payload);
            System.arraycopy(frame, headersLength + i * gsoSize, segment, headersLength, payload);
            final ByteBuffer bytes = ByteBuffer.wrap(segment);
            final int l4Length = layout.l4HeaderLength + payload;
            if (layout.ipv6)
            {
                bytes.putShort(layout.ipStart + 4, (short)l4Length);
            }
            else
            {
                bytes.putShort(layout.ipStart + 2, (short)(layout.l4Start - layout.ipStart + l4Length));
                bytes.putShort(layout.ipStart + 4, (short)(bytes.getShort(layout.ipStart + 4) + i));
                bytes.putShort(layout.ipStart + 10, (short)0);
                bytes.putShort(layout.ipStart + 10, (short)checksum(Arrays.copyOfRange(segment, layout.ipStart, layout.l4Start)));
            }
            if (layout.protocol == 6)
            {
                bytes.putInt(layout.l4Start + 4, bytes.getInt(layout.l4Start + 4) + i * gsoSize);
                int flags = segment[layout.l4Start + 13] & 0xFF;
                if (i > 0)
                {
                    flags &= ~0x80; // CWR
                }
                if (i < count - 1)
                {
                    flags &= ~0x09; // PSH, FIN
                }
                segment[layout.l4Start + 13] = (byte)flags;
            }
            else
            {
                bytes.putShort(layout.l4Start + 4, (short)l4Length);
            }
            bytes.putShort(layout.checksumField(), (short)0);
            final long pseudoHeader =
                pseudoHeaderSum(layout.source(segment), layout.destination(segment), layout.protocol, l4Length);
            int l4Checksum = ~fold(pseudoHeader + sum(Arrays.copyOfRange(segment, layout.l4Start, segment.length))) & 0xFFFF;
            // As the kernel's GSO: a UDP checksum of 0 would mean none, so it goes out as 0xFFFF; TCP's stays 0.
            if (layout.protocol == 17 && l4Checksum == 0)
            {
                l4Checksum = 0xFFFF;
            }
            bytes.putShort(layout.checksumField(), (short)l4Checksum);
            segments.add(segment);
        }
        return segments;
    }

    /** @return true if the L4 checksum of a complete frame verifies (the sum over everything it covers is all ones). */
    static boolean l4ChecksumVerifies(final byte[] frame)
    {
        final Layout layout = Layout.of(frame);
        final int l4Length = layout.ipEnd - layout.l4Start;
        return fold(pseudoHeaderSum(layout.source(frame), layout.destination(frame), layout.protocol, l4Length) +
            sum(Arrays.copyOfRange(frame, layout.l4Start, layout.ipEnd))) == 0xFFFF;
    }

    /** @return true if the IPv4 header checksum of a frame verifies; true for IPv6, which has none. */
    static boolean ipChecksumVerifies(final byte[] frame)
    {
        final Layout layout = Layout.of(frame);
        return layout.ipv6 || fold(sum(Arrays.copyOfRange(frame, layout.ipStart, layout.l4Start))) == 0xFFFF;
    }
}
