package io.vireo.gateway.answer;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.icmp.IcmpErrors;
import org.agrona.MutableDirectBuffer;

/** What every kind of answer checks and writes the same way: the Ethernet header, the IPv6 ICMP message, the padding. */
final class AnswerFrames
{
    static final int ETHERNET_LENGTH = EthernetFlyweight.HEADER_LENGTH;
    static final int IP_OFFSET = ETHERNET_LENGTH;
    static final int ICMPV6_OFFSET = IP_OFFSET + Ipv6Flyweight.HEADER_LENGTH;
    /** TTL or hop limit of the router's own packets. */
    static final int TTL = 64;

    private static final long GROUP_MAC_BIT = 0x0100_0000_0000L;

    private AnswerFrames()
    {
    }

    /**
     * Wraps {@code ethernet} over the frame.
     *
     * @return its EtherType if it holds an Ethernet header and comes from a unicast MAC, else 0.
     */
    static int unicastEtherType(
        final EthernetFlyweight ethernet, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (length < ETHERNET_LENGTH || isGroup(ethernet.wrap(buffer, offset, length).source()))
        {
            return 0;
        }
        return ethernet.etherType();
    }

    /**
     * Wraps {@code ipv6} over the frame's IPv6 packet and checks that it carries, right after the
     * fixed header, an ICMPv6 message of at least {@code minLength} bytes with a valid checksum.
     *
     * @param hopLimit the hop limit the packet must have, or -1 for any.
     * @return the message's type, or -1 if the packet is not such.
     */
    static int icmpv6Message(
        final Ipv6Flyweight ipv6, final MutableDirectBuffer buffer, final int offset, final int length, final int hopLimit,
        final int minLength)
    {
        ipv6.wrap(buffer, offset + IP_OFFSET, length - IP_OFFSET);
        if (!ipv6.isValid() || ipv6.nextHeader() != IcmpErrors.PROTOCOL_ICMPV6 || ipv6.payloadLength() < minLength ||
            (hopLimit >= 0 && ipv6.hopLimit() != hopLimit))
        {
            return -1;
        }
        final int icmpLength = ipv6.payloadLength();
        final long sum = ipv6.pseudoHeaderSum(IcmpErrors.PROTOCOL_ICMPV6, icmpLength) + Checksums.sum(buffer, ipv6.payloadOffset(), icmpLength);
        return 0 == Checksums.finish(sum) ? buffer.getByte(ipv6.payloadOffset()) & 0xFF : -1;
    }

    static boolean isGroup(final long mac)
    {
        return 0 != (mac & GROUP_MAC_BIT);
    }

    /** Zeros what is missing to the Ethernet minimum. */
    static int padded(final MutableDirectBuffer buffer, final int offset, final int frameLength)
    {
        if (frameLength >= RouterAnswers.MIN_FRAME_LENGTH)
        {
            return frameLength;
        }
        buffer.setMemory(offset + frameLength, RouterAnswers.MIN_FRAME_LENGTH - frameLength, (byte)0);
        return RouterAnswers.MIN_FRAME_LENGTH;
    }
}
