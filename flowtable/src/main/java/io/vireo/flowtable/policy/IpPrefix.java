package io.vireo.flowtable.policy;

import java.util.Objects;

import io.vireo.flowtable.flowcache.FlowKey;

/**
 * An IPv4 or IPv6 prefix, e.g. {@code 10.0.0.0/8} or {@code fd00::/64}, for policy rules. The
 * address is held as {@link FlowKey} holds it: IPv6 in two {@code long}s (high = bytes 0 to 7), IPv4
 * in the low 32 bits of the low word. The host bits of the address are always zero.
 * <p>
 * Immutable; for configuration and display, not for the forwarding path.
 */
public final class IpPrefix
{
    /** Bits in an IPv4 address. */
    public static final int IPV4_BITS = 32;
    /** Bits in an IPv6 address. */
    public static final int IPV6_BITS = 128;

    private static final int IPV6_GROUPS = 8;
    private static final int IPV4_OCTETS = 4;

    private final boolean ipv4;
    private final long high;
    private final long low;
    private final int length;

    private IpPrefix(final boolean ipv4, final long high, final long low, final int length)
    {
        this.ipv4 = ipv4;
        this.high = high;
        this.low = low;
        this.length = length;
    }

    /**
     * @param address {@code 10.0.0.0} as {@code 0x0A00_0000}.
     * @param length  0..32.
     * @return the prefix.
     * @throws IllegalArgumentException if the length is out of range or host bits are set.
     */
    public static IpPrefix ipv4(final int address, final int length)
    {
        if (length < 0 || length > IPV4_BITS)
        {
            throw new IllegalArgumentException("IPv4 prefix length must be 0.." + IPV4_BITS + ": " + length);
        }
        final long value = address & 0xFFFF_FFFFL;
        final long hostMask = 0xFFFF_FFFFL >>> length;
        if ((value & hostMask) != 0)
        {
            throw hostBitsSet(formatIpv4(address) + "/" + length, formatIpv4((int)(value & ~hostMask)) + "/" + length);
        }
        return new IpPrefix(true, 0, value, length);
    }

    /**
     * @param high   bytes 0 to 7 of the address.
     * @param low    bytes 8 to 15.
     * @param length 0..128.
     * @return the prefix.
     * @throws IllegalArgumentException if the length is out of range or host bits are set.
     */
    public static IpPrefix ipv6(final long high, final long low, final int length)
    {
        if (length < 0 || length > IPV6_BITS)
        {
            throw new IllegalArgumentException("IPv6 prefix length must be 0.." + IPV6_BITS + ": " + length);
        }
        final long highMask = maskHigh(length);
        final long lowMask = maskLow(length);
        if ((high & ~highMask) != 0 || (low & ~lowMask) != 0)
        {
            throw hostBitsSet(formatIpv6(high, low) + "/" + length,
                formatIpv6(high & highMask, low & lowMask) + "/" + length);
        }
        return new IpPrefix(false, high, low, length);
    }

    /**
     * Parse {@code ADDRESS/LENGTH}, or a bare address meaning one host ({@code /32} or {@code /128}).
     * IPv4 is dotted decimal; IPv6 is RFC 4291 text ({@code ::} compression, an IPv4 tail allowed).
     *
     * @param text the prefix.
     * @return the prefix.
     * @throws IllegalArgumentException if the text is not a prefix, with the reason.
     */
    public static IpPrefix parse(final String text)
    {
        Objects.requireNonNull(text, "text");
        final int slash = text.indexOf('/');
        final String address = slash < 0 ? text : text.substring(0, slash);
        final boolean v6 = address.indexOf(':') >= 0;
        final int length = slash < 0 ? (v6 ? IPV6_BITS : IPV4_BITS) : parseLength(text, text.substring(slash + 1));
        if (v6)
        {
            final long[] words = parseIpv6(text, address);
            return ipv6(words[0], words[1], length);
        }
        return ipv4(parseIpv4(text, address), length);
    }

    /**
     * @param address {@code 10.0.0.1} as {@code 0x0A00_0001}.
     * @return dotted decimal text.
     */
    public static String formatIpv4(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /**
     * RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups (the
     * first of equals) as {@code ::}.
     *
     * @param high bytes 0 to 7 of the address.
     * @param low  bytes 8 to 15.
     * @return the text.
     */
    public static String formatIpv6(final long high, final long low)
    {
        final int[] groups = new int[IPV6_GROUPS];
        for (int i = 0; i < IPV6_GROUPS; i++)
        {
            final long word = i < 4 ? high : low;
            groups[i] = (int)(word >>> (48 - (i % 4) * 16)) & 0xFFFF;
        }

        int runStart = -1;
        int runLength = 1;
        for (int i = 0; i < IPV6_GROUPS; )
        {
            int j = i;
            while (j < IPV6_GROUPS && 0 == groups[j])
            {
                j++;
            }
            if (j - i > runLength)
            {
                runStart = i;
                runLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }

        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < IPV6_GROUPS; i++)
        {
            if (i == runStart)
            {
                text.append("::");
                i += runLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':')
            {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    /**
     * @return true for IPv4, false for IPv6.
     */
    public boolean isIpv4()
    {
        return ipv4;
    }

    /**
     * @return bytes 0 to 7 of an IPv6 address; 0 for IPv4.
     */
    public long high()
    {
        return high;
    }

    /**
     * @return bytes 8 to 15 of an IPv6 address; an IPv4 address in the low 32 bits.
     */
    public long low()
    {
        return low;
    }

    /**
     * @return the prefix length.
     */
    public int length()
    {
        return length;
    }

    /**
     * @return bits in an address of this family: 32 or 128.
     */
    public int addressBits()
    {
        return ipv4 ? IPV4_BITS : IPV6_BITS;
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof IpPrefix && ((IpPrefix)other).ipv4 == ipv4 &&
            ((IpPrefix)other).high == high && ((IpPrefix)other).low == low && ((IpPrefix)other).length == length;
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(ipv4, high, low, length);
    }

    /**
     * @return {@code ADDRESS/LENGTH}, the form {@link #parse} reads.
     */
    @Override
    public String toString()
    {
        return (ipv4 ? formatIpv4((int)low) : formatIpv6(high, low)) + "/" + length;
    }

    static long maskHigh(final int length)
    {
        return 0 == length ? 0 : length >= 64 ? -1L : -1L << (64 - length);
    }

    static long maskLow(final int length)
    {
        return length <= 64 ? 0 : -1L << (IPV6_BITS - length);
    }

    private static IllegalArgumentException hostBitsSet(final String prefix, final String network)
    {
        return new IllegalArgumentException(prefix + " has host bits set; the network is " + network);
    }

    private static int parseLength(final String text, final String digits)
    {
        if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(c -> c >= '0' && c <= '9'))
        {
            throw invalid(text, "the prefix length after '/' must be a decimal number");
        }
        return Integer.parseInt(digits);
    }

    private static int parseIpv4(final String text, final String address)
    {
        final String[] octets = address.split("\\.", -1);
        if (IPV4_OCTETS != octets.length)
        {
            throw invalid(text, "expected an IPv4 address a.b.c.d or an IPv6 address");
        }
        int value = 0;
        for (final String octet : octets)
        {
            if (octet.isEmpty() || octet.length() > 3 || !octet.chars().allMatch(c -> c >= '0' && c <= '9') ||
                (octet.length() > 1 && octet.charAt(0) == '0') || Integer.parseInt(octet) > 255)
            {
                throw invalid(text, "IPv4 octets are decimal numbers 0..255 without leading zeros: \"" + octet + "\"");
            }
            value = (value << 8) | Integer.parseInt(octet);
        }
        return value;
    }

    /**
     * @return {high, low}.
     */
    private static long[] parseIpv6(final String text, final String address)
    {
        final int gap = address.indexOf("::");
        if (gap >= 0 && address.indexOf("::", gap + 1) >= 0)
        {
            throw invalid(text, "'::' may appear once");
        }

        final int[] head = parseGroups(text, gap < 0 ? address : address.substring(0, gap), gap < 0);
        final int[] tail = gap < 0 ? new int[0] : parseGroups(text, address.substring(gap + 2), true);
        final int count = head.length + tail.length;
        if (gap < 0 ? count != IPV6_GROUPS : count > IPV6_GROUPS - 1)
        {
            throw invalid(text, "an IPv6 address has 8 groups of 16 bits, or fewer with '::'");
        }

        final int[] groups = new int[IPV6_GROUPS];
        System.arraycopy(head, 0, groups, 0, head.length);
        System.arraycopy(tail, 0, groups, IPV6_GROUPS - tail.length, tail.length);
        long high = 0;
        long low = 0;
        for (int i = 0; i < IPV6_GROUPS; i++)
        {
            if (i < 4)
            {
                high = (high << 16) | groups[i];
            }
            else
            {
                low = (low << 16) | groups[i];
            }
        }
        return new long[] { high, low };
    }

    /**
     * Groups separated by ':'; at the end of the address the last may be dotted IPv4 (two groups).
     */
    private static int[] parseGroups(final String text, final String part, final boolean endsAddress)
    {
        if (part.isEmpty())
        {
            return new int[0];
        }
        final String[] fields = part.split(":", -1);
        final boolean ipv4Tail = endsAddress && fields[fields.length - 1].indexOf('.') >= 0;
        final int[] groups = new int[fields.length + (ipv4Tail ? 1 : 0)];
        for (int i = 0; i < fields.length; i++)
        {
            final String field = fields[i];
            if (ipv4Tail && i == fields.length - 1)
            {
                final int v4 = parseIpv4(text, field);
                groups[i] = v4 >>> 16;
                groups[i + 1] = v4 & 0xFFFF;
            }
            else if (field.isEmpty() || field.length() > 4 || !field.chars().allMatch(IpPrefix::isHexDigit))
            {
                throw invalid(text, "IPv6 groups are 1 to 4 hex digits: \"" + field + "\"");
            }
            else
            {
                groups[i] = Integer.parseInt(field, 16);
            }
        }
        return groups;
    }

    private static boolean isHexDigit(final int c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static IllegalArgumentException invalid(final String text, final String reason)
    {
        return new IllegalArgumentException("invalid IP prefix \"" + text + "\": " + reason);
    }
}
