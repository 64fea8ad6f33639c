package io.vireo.dataplane.offload;

import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import org.agrona.MutableDirectBuffer;

/**
 * Cuts an IPv4 packet larger than an MTU into fragments (RFC 791 section 3.2), as a router does for a
 * packet without DF: each fragment repeats the link header and the IP header, with its own Total Length,
 * fragment offset, MF flag and header checksum, and carries the next slice of the payload.
 * <pre>
 *  packet:      | L2 | IPv4 (20 B), offset O, MF m | payload, P bytes                              |
 *  fragment 0:  | L2 | IPv4, offset O,         MF 1 | payload [0, S)     |
 *  fragment 1:  | L2 | IPv4, offset O + S/8,   MF 1 | payload [S, 2S)    |
 *  ...
 *  fragment n-1:| L2 | IPv4, offset O + (n-1)S/8, MF m | payload [(n-1)S, P) |
 *
 *  S = (mtu - 20) rounded down to a multiple of 8: offsets count 8-byte units
 * </pre>
 * A packet that is itself a fragment is cut the same way: offsets stay relative to the original datagram
 * and the last piece keeps the packet's own MF. Identification, TTL, addresses and the rest of the header
 * are kept. A packet with IP options is not cut (their copy bits would make the later fragments' headers
 * shorter than the first's); the router drops it instead. Trailing bytes past Total Length (Ethernet
 * padding) are not sent. Allocates nothing, throws nothing for bad input.
 */
public final class Ipv4Fragmenter
{
    /** The smallest MTU cut to: RFC 791's, the packet every IPv4 module takes whole. */
    public static final int MIN_MTU = 68;

    private static final int FRAGMENT_UNIT = 8;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv4Flyweight fragment = new Ipv4Flyweight();

    /**
     * How many fragments the frame's IPv4 packet is cut into for {@code mtu}: 1 if it fits as it is.
     *
     * @return the count, or 0 if it cannot be cut: not an IPv4 frame, a malformed header, IP options, an MTU
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
        if (mtu < MIN_MTU || Ipv4Flyweight.MIN_HEADER_LENGTH != ipv4.headerLength())
        {
            return 0;
        }
        final int slice = sliceLength(mtu);
        final int count = (totalLength - Ipv4Flyweight.MIN_HEADER_LENGTH + slice - 1) / slice;
        final int lastOffset = ipv4.fragmentOffset() + (count - 1) * (slice / FRAGMENT_UNIT);
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
        final int headers = ethernet.headerLength() + Ipv4Flyweight.MIN_HEADER_LENGTH;
        final int payload = ipv4.totalLength() - Ipv4Flyweight.MIN_HEADER_LENGTH;
        final int slice = sliceLength(mtu);
        final int start = index * slice;
        final int sliceLength = Math.min(slice, payload - start);
        final int flags = ipv4.flagsAndFragmentOffset();
        final int moreFragments = start + sliceLength == payload ? flags & Ipv4Flyweight.FLAG_MF : Ipv4Flyweight.FLAG_MF;
        final int fragmentOffset = (flags & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) + start / FRAGMENT_UNIT;

        out.putBytes(outOffset, buffer, offset, headers);
        out.putBytes(outOffset + headers, buffer, offset + headers + start, sliceLength);
        fragment.wrap(out, outOffset + ethernet.headerLength(), Ipv4Flyweight.MIN_HEADER_LENGTH + sliceLength)
            .totalLength(Ipv4Flyweight.MIN_HEADER_LENGTH + sliceLength)
            .flagsAndFragmentOffset(
                flags & ~(Ipv4Flyweight.FLAG_MF | Ipv4Flyweight.FRAGMENT_OFFSET_MASK) | moreFragments | fragmentOffset)
            .updateChecksum();
        return headers + sliceLength;
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

    /** The payload every fragment but the last carries. */
    private static int sliceLength(final int mtu)
    {
        return (mtu - Ipv4Flyweight.MIN_HEADER_LENGTH) & -FRAGMENT_UNIT;
    }
}
