package io.vireo.vswitch.core;

import io.vireo.flowtable.policy.IpPrefix;

/** An interface address as given: the address, and its subnet (the connected route). */
record InterfaceAddress(String text, IpPrefix address, IpPrefix subnet)
{
    static InterfaceAddress parse(final String text)
    {
        final int slash = null == text ? -1 : text.indexOf('/');
        if (slash < 0)
        {
            throw VireoException.invalid("invalid interface address '" + text + "': give ADDRESS/LENGTH");
        }
        final IpPrefix address = Routers.parsePrefix(text.substring(0, slash));
        final int length;
        try
        {
            length = Integer.parseInt(text.substring(slash + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw VireoException.invalid("invalid prefix length in '" + text + "'");
        }
        if (length < 1 || length >= address.addressBits())
        {
            throw VireoException.invalid("invalid prefix length in '" + text + "': must be 1.." + (address.addressBits() - 1));
        }
        final IpPrefix subnet = address.isIpv4() ?
            IpPrefix.ipv4((int)address.low() & (-1 << (32 - length)), length) :
            IpPrefix.ipv6(address.high() & mask(length), address.low() & mask(length - 64), length);
        return new InterfaceAddress(text, address, subnet);
    }

    private static long mask(final int bits)
    {
        return bits <= 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
    }

    boolean contains(final IpPrefix host)
    {
        if (host.isIpv4() != subnet.isIpv4())
        {
            return false;
        }
        final int length = subnet.length();
        if (host.isIpv4())
        {
            final int hostMask = -1 << (32 - length);
            return ((int)host.low() & hostMask) == (int)subnet.low();
        }
        return (host.high() & mask(length)) == subnet.high() && (host.low() & mask(length - 64)) == subnet.low();
    }
}
