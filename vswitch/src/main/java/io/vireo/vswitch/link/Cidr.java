package io.vireo.vswitch.link;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Validation and parsing of interface addresses written as {@code address/prefix}, IPv4 or IPv6. */
public final class Cidr
{
    private Cidr()
    {
    }

    /**
     * Checks {@code text} is an IPv4 or IPv6 address with a prefix length and returns it unchanged.
     *
     * @throws IllegalArgumentException naming what is wrong.
     */
    public static String validate(final String text)
    {
        final int slash = text.indexOf('/');
        if (slash < 0)
        {
            throw new IllegalArgumentException("invalid address '" + text + "': expected ADDRESS/PREFIX, e.g. 10.0.0.1/24");
        }
        final String address = text.substring(0, slash);
        final boolean ipv6 = address.indexOf(':') >= 0;
        final int maxPrefix = ipv6 ? 128 : 32;
        final int prefix;
        try
        {
            prefix = Integer.parseInt(text.substring(slash + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("invalid address '" + text + "': prefix is not a number");
        }
        if (prefix < 0 || prefix > maxPrefix)
        {
            throw new IllegalArgumentException("invalid address '" + text + "': prefix must be 0.." + maxPrefix);
        }
        if (ipv6 ? !isIpv6(address) : !isIpv4(address))
        {
            throw new IllegalArgumentException("invalid address '" + text + "': '" + address + "' is not an IP address");
        }
        return text;
    }

    /** The address of a valid {@code address/prefix}. */
    static InetAddress address(final String cidr)
    {
        final String valid = validate(cidr);
        return literal(valid.substring(0, valid.indexOf('/')));
    }

    /** The prefix length of a valid {@code address/prefix}. */
    static int prefixLength(final String cidr)
    {
        final String valid = validate(cidr);
        return Integer.parseInt(valid.substring(valid.indexOf('/') + 1));
    }

    /**
     * An IPv4 or IPv6 address literal, never looked up in DNS. Written with ':' it is IPv6, as the kernel
     * takes it, even IPv4-mapped ({@code ::ffff:10.0.0.1}, which InetAddress would make IPv4).
     *
     * @throws IllegalArgumentException if it is not an address.
     */
    static InetAddress literal(final String address)
    {
        final boolean ipv6 = address.indexOf(':') >= 0;
        if (ipv6 ? !isIpv6(address) : !isIpv4(address))
        {
            throw new IllegalArgumentException("'" + address + "' is not an IP address");
        }
        try
        {
            final InetAddress parsed = InetAddress.getByName(address);
            if (ipv6 && parsed instanceof Inet4Address mapped)
            {
                final byte[] bytes = new byte[16];
                bytes[10] = (byte)0xFF;
                bytes[11] = (byte)0xFF;
                System.arraycopy(mapped.getAddress(), 0, bytes, 12, 4);
                return Inet6Address.getByAddress(null, bytes, -1);
            }
            return parsed;
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("'" + address + "' is not an IP address");
        }
    }

    private static boolean isIpv4(final String address)
    {
        final String[] octets = address.split("\\.", -1);
        if (octets.length != 4)
        {
            return false;
        }
        for (final String octet : octets)
        {
            if (octet.isEmpty() || octet.length() > 3 || !octet.chars().allMatch(Character::isDigit) ||
                Integer.parseInt(octet) > 255)
            {
                return false;
            }
        }
        return true;
    }

    /** A string with ':' is parsed as an IPv6 literal by InetAddress, never resolved by DNS. */
    private static boolean isIpv6(final String address)
    {
        if (!address.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.'))
        {
            return false;
        }
        try
        {
            InetAddress.getByName(address);
            return true;
        }
        catch (final UnknownHostException ex)
        {
            return false;
        }
    }
}
