package io.vireo.gateway.router;

/**
 * A router's interface on a bridge, as the forwarding threads see it: its MAC, MTU and addresses.
 * Immutable; the arrays are never changed after construction.
 *
 * @param routerId     the router it belongs to.
 * @param bridgeId     the bridge it sits on.
 * @param mac          its MAC, the bridge's endpoints' gateway MAC.
 * @param mtu          the largest IP packet it sends onto the bridge.
 * @param ipv4         its IPv4 addresses.
 * @param ipv4Lengths  their prefix lengths.
 * @param ipv6High     its IPv6 addresses, high 64 bits.
 * @param ipv6Low      their low 64 bits.
 * @param ipv6Lengths  their prefix lengths.
 */
public record RouterInterface(
    int routerId, int bridgeId, long mac, int mtu,
    int[] ipv4, int[] ipv4Lengths, long[] ipv6High, long[] ipv6Low, int[] ipv6Lengths)
{
    /** True if {@code address} is one of this interface's IPv4 addresses. */
    public boolean ownsIpv4(final int address)
    {
        for (final int own : ipv4)
        {
            if (own == address)
            {
                return true;
            }
        }
        return false;
    }

    /** True if {@code address} is in the subnet of one of this interface's IPv4 addresses. */
    public boolean onLinkIpv4(final int address)
    {
        for (int i = 0; i < ipv4.length; i++)
        {
            final int length = ipv4Lengths[i];
            final int mask = 0 == length ? 0 : -1 << (32 - length);
            if ((address & mask) == (ipv4[i] & mask))
            {
                return true;
            }
        }
        return false;
    }

    /** True if the address is one of this interface's IPv6 addresses. */
    public boolean ownsIpv6(final long high, final long low)
    {
        for (int i = 0; i < ipv6High.length; i++)
        {
            if (ipv6High[i] == high && ipv6Low[i] == low)
            {
                return true;
            }
        }
        return false;
    }

    /** True if the address is link-local or in the subnet of one of this interface's IPv6 addresses. */
    public boolean onLinkIpv6(final long high, final long low)
    {
        if ((high >>> 54) == 0x3FA)
        {
            return true;
        }
        for (int i = 0; i < ipv6High.length; i++)
        {
            final int length = ipv6Lengths[i];
            final long highMask = length >= 64 ? -1L : 0 == length ? 0 : -1L << (64 - length);
            final long lowMask = length <= 64 ? 0 : -1L << (128 - length);
            if ((high & highMask) == (ipv6High[i] & highMask) && (low & lowMask) == (ipv6Low[i] & lowMask))
            {
                return true;
            }
        }
        return false;
    }

    /** The IPv4 address the interface answers from: its first. */
    public int primaryIpv4()
    {
        return ipv4[0];
    }
}
