package io.vireo.dataplane.offload;

import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import org.agrona.MutableDirectBuffer;

/**
 * Cuts an IPv4 packet larger than an MTU into fragments (RFC 791 section 3.2), as a router does for a
 * packet without DF: each fragment repeats the link header and the IP header, with its own Total Length,
 * fragment offset, MF flag and header checksum, and carries the next slice of the payload.
 * <pre>
 *  packet:       | L2 | IPv4, H bytes,  offset O, MF m | payload, P bytes                                 |
 *  fragment 0:   | L2 | IPv4, H bytes,  offset O,                 MF 1 | payload [0, F)      |
 *  fragment 1:   | L2 | IPv4, H' bytes, offset O + F/8,           MF 1 | payload [F, F + L)  |
 *  ...
 *  fragment n-1: | L2 | IPv4, H' bytes, offset O + (F + (n-2)L)/8, MF m | payload [..., P)    |
 *
 *  H' = 20 + the options whose copy bit (0x80 of the type) is set, padded to 4 bytes with End of Options
 *  F = mtu - H, L = mtu - H', each rounded down to a multiple of 8: offsets count 8-byte units
 * </pre>
 * The first fragment keeps every option, the later ones only those to be copied (a source route, say;
 * not a record route or timestamp). A packet that is itself a fragment is cut the same way: offsets stay
 * relative to the original datagram and the last piece keeps the packet's own MF. Identification, TTL,
 * addresses and the rest of the header are kept. Trailing bytes past Total Length (Ethernet padding) are
 * not sent. Allocates nothing, throws nothing for bad input.
 */
public final class Ipv4Fragmenter
{
    /** The smallest MTU cut to: RFC 791's, the packet every IPv4 module takes whole (a 60-byte header and 8 bytes). */
    public static final int MIN_MTU = 68;

    private static final int FRAGMENT_UNIT = 8;
    private static final int HEADER_UNIT = 4;
    private static final int END_OF_OPTIONS = 0;
    private static final int NO_OPERATION = 1;
    private static final int COPIED = 0x80;
    private static final int MALFORMED = -1;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv4Flyweight fragment = new Ipv4Flyweight();

    /**
     * How many fragments the frame's IPv4 packet is cut into for {@code mtu}: 1 if it fits as it is.
     *
     * @return the count, or 0 if it cannot be cut: not an IPv4 frame, a malformed header or options, an MTU
     * below {@link #MIN_MTU}, or fragment offsets that would pass 65,528 bytes.
     */
    public int fragmentCount(final MutableDirectBuffer buffer, final int offset, final int length, final int mtu)
    {
        if (!wrap(buffer, offset, length))
        {
            return 0;
        }
        final int totalLength = ipv4.totalLength();
        if (totalLength <= mtu)
        {
            return 1;
        }
        final int laterHeader = laterHeaderLength();
        if (mtu < MIN_MTU || MALFORMED == laterHeader)
        {
            return 0;
        }
        final int first = sliceLength(mtu, ipv4.headerLength());
        final int later = sliceLength(mtu, laterHeader);
        final int count = 1 + (ipv4.payloadLength() - first + later - 1) / later;
        final int lastOffset = ipv4.fragmentOffset() + (first + (count - 2) * later) / FRAGMENT_UNIT;
        return lastOffset > Ipv4Flyweight.FRAGMENT_OFFSET_MASK ? 0 : count;
    }

    /**
     * Writes fragment {@code index} of the frame's packet, link header included, at {@code out}'s
     * {@code outOffset}. Call only with an index below a non-zero {@link #fragmentCount} for the same frame
     * and MTU.
     *
     * @return the fragment frame's length.
     */
    public int writeFragment(
        final MutableDirectBuffer buffer, final int offset, final int length, final int mtu, final int index,
        final MutableDirectBuffer out, final int outOffset)
    {
        wrap(buffer, offset, length);
        final int l2Length = ethernet.headerLength();
        final int headerLength = 0 == index ? ipv4.headerLength() : laterHeaderLength();
        final int first = sliceLength(mtu, ipv4.headerLength());
        final int start = 0 == index ? 0 : first + (index - 1) * sliceLength(mtu, headerLength);
        final int sliceLength = Math.min(sliceLength(mtu, headerLength), ipv4.payloadLength() - start);
        final int flags = ipv4.flagsAndFragmentOffset();
        final int moreFragments = start + sliceLength == ipv4.payloadLength() ? flags & Ipv4Flyweight.FLAG_MF : Ipv4Flyweight.FLAG_MF;
        final int fragmentOffset = (flags & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) + start / FRAGMENT_UNIT;

        if (0 == index)
        {
            out.putBytes(outOffset, buffer, offset, l2Length + headerLength);
        }
        else
        {
            out.putBytes(outOffset, buffer, offset, l2Length + Ipv4Flyweight.MIN_HEADER_LENGTH);
            final int options = outOffset + l2Length + Ipv4Flyweight.MIN_HEADER_LENGTH;
            final int copied = copyOptions(out, options);
            out.setMemory(options + copied, headerLength - Ipv4Flyweight.MIN_HEADER_LENGTH - copied, (byte)END_OF_OPTIONS);
        }
        out.putBytes(outOffset + l2Length + headerLength, buffer, ipv4.payloadOffset() + start, sliceLength);
        fragment.wrap(out, outOffset + l2Length, headerLength + sliceLength)
            .headerLength(headerLength)
            .totalLength(headerLength + sliceLength)
            .flagsAndFragmentOffset(
                flags & ~(Ipv4Flyweight.FLAG_MF | Ipv4Flyweight.FRAGMENT_OFFSET_MASK) | moreFragments | fragmentOffset)
            .updateChecksum();
        return l2Length + headerLength + sliceLength;
    }

    private boolean wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        ethernet.wrap(buffer, offset, length);
        if (!ethernet.isValid() || EthernetFlyweight.ETHER_TYPE_IPV4 != ethernet.payloadEtherType())
        {
            return false;
        }
        ipv4.wrap(buffer, offset + ethernet.headerLength(), length - ethernet.headerLength());
        return ipv4.isValid();
    }

    /** The header length of every fragment but the first, or {@link #MALFORMED}. */
    private int laterHeaderLength()
    {
        final int copied = copyOptions(null, 0);
        return MALFORMED == copied ? MALFORMED :
            Ipv4Flyweight.MIN_HEADER_LENGTH + (copied + HEADER_UNIT - 1) / HEADER_UNIT * HEADER_UNIT;
    }

    /**
     * Writes the wrapped header's options whose copy bit is set at {@code out}'s {@code outOffset} (none if
     * {@code out} is null), in order.
     *
     * @return their length, or {@link #MALFORMED} if an option's length is below 2 or reaches past the header.
     */
    private int copyOptions(final MutableDirectBuffer out, final int outOffset)
    {
        final MutableDirectBuffer buffer = ipv4.buffer();
        final int end = ipv4.offset() + ipv4.headerLength();
        int copied = 0;
        int option = ipv4.offset() + Ipv4Flyweight.MIN_HEADER_LENGTH;
        while (option < end)
        {
            final int type = buffer.getByte(option) & 0xFF;
            if (END_OF_OPTIONS == type)
            {
                break;
            }
            if (NO_OPERATION == type)
            {
                option++;
                continue;
            }
            final int optionLength = option + 1 < end ? buffer.getByte(option + 1) & 0xFF : 0;
            if (optionLength < 2 || option + optionLength > end)
            {
                return MALFORMED;
            }
            if (0 != (type & COPIED))
            {
                if (null != out)
                {
                    out.putBytes(outOffset + copied, buffer, option, optionLength);
                }
                copied += optionLength;
            }
            option += optionLength;
        }
        return copied;
    }

    /** The payload a fragment with a header of {@code headerLength} bytes carries, but the last. */
    private static int sliceLength(final int mtu, final int headerLength)
    {
        return (mtu - headerLength) & -FRAGMENT_UNIT;
    }
}
