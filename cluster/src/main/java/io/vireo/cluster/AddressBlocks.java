package io.vireo.cluster;

import java.util.Map;
import java.util.Set;

/**
 * A network's IPv4 addresses cut into blocks of {@code /blockPrefix}, as Calico's IPAM does: a node
 * claims a whole block with one compare-and-swap in the store, then hands out its addresses without
 * racing any other node. Reserved in every network: its first address (the network), its last
 * (broadcast) and the one after the first (the gateway, kept for a router on the network).
 */
final class AddressBlocks
{
    static final int DEFAULT_BLOCK_PREFIX = 26;
    static final int MAX_VNI = (1 << 24) - 1;

    private AddressBlocks()
    {
    }

    /** A network checked, its subnet normalised to its first address; {@code blockPrefix} null for the default. */
    static Network network(final String name, final int vni, final String subnet, final Integer blockPrefix)
    {
        final int[] parsed = parseCidr(subnet);
        final int prefix = parsed[1];
        final String normal = text(parsed[0] & mask(prefix)) + '/' + prefix;
        final Network network = new Network(name, vni, normal,
            null == blockPrefix ? Math.max(prefix, DEFAULT_BLOCK_PREFIX) : blockPrefix);
        check(network);
        return network;
    }

    /** Throws IllegalArgumentException naming what is wrong with a network. */
    static void check(final Network network)
    {
        if (null == network.name() || !ClusterConfig.NAME.matcher(network.name()).matches() || network.name().length() > 32)
        {
            throw new IllegalArgumentException("invalid network name '" + network.name() +
                "': 1-32 letters, digits, '_', '.', '-', starting with a letter or digit");
        }
        if (network.vni() < 1 || network.vni() > MAX_VNI)
        {
            throw new IllegalArgumentException("invalid VNI " + network.vni() + ": must be 1.." + MAX_VNI);
        }
        final int prefix = parseCidr(network.subnet())[1];
        if (prefix < 8 || prefix > 29)
        {
            throw new IllegalArgumentException("invalid subnet " + network.subnet() + ": the prefix must be /8../29");
        }
        if (network.blockPrefix() < prefix || network.blockPrefix() > 30)
        {
            throw new IllegalArgumentException("invalid block size /" + network.blockPrefix() + " for subnet " +
                network.subnet() + ": must be /" + prefix + "../30");
        }
    }

    static int blockCount(final Network network)
    {
        return 1 << (network.blockPrefix() - prefixOf(network));
    }

    /** Block {@code index} of a network, as A.B.C.D/LEN. */
    static String block(final Network network, final int index)
    {
        final int base = parseCidr(network.subnet())[0];
        return text(base + (index << (32 - network.blockPrefix()))) + '/' + network.blockPrefix();
    }

    /** Where a node starts looking for a block to claim: spread by its name, so racing nodes rarely collide. */
    static int firstCandidate(final Network network, final String node)
    {
        return Math.floorMod(node.hashCode() * 0x9E3779B9, blockCount(network));
    }

    /** The lowest address of {@code block} that is neither reserved, allocated nor pending; null if none. */
    static String firstFree(
        final Network network, final String block, final Map<String, Allocation> allocated, final Set<String> pending)
    {
        final int[] parsed = parseCidr(block);
        final int[] subnet = parseCidr(network.subnet());
        final int size = 1 << (32 - parsed[1]);
        for (int offset = 0; offset < size; offset++)
        {
            final int address = parsed[0] + offset;
            if (isReserved(subnet, address))
            {
                continue;
            }
            final String text = text(address);
            if (!allocated.containsKey(text) && !pending.contains(text))
            {
                return text;
            }
        }
        return null;
    }

    /** The address kept for a gateway on the network. */
    static String gateway(final Network network)
    {
        return text(parseCidr(network.subnet())[0] + 1);
    }

    static int prefixOf(final Network network)
    {
        return parseCidr(network.subnet())[1];
    }

    private static boolean isReserved(final int[] subnet, final int address)
    {
        final int last = subnet[0] | ~mask(subnet[1]);
        return address == subnet[0] || address == subnet[0] + 1 || address == last;
    }

    /** {address, prefix} of an IPv4 CIDR; IllegalArgumentException if it is not one. */
    static int[] parseCidr(final String cidr)
    {
        final int slash = null == cidr ? -1 : cidr.indexOf('/');
        if (slash < 0)
        {
            throw new IllegalArgumentException("invalid subnet '" + cidr + "': expected an IPv4 A.B.C.D/LEN");
        }
        final int prefix;
        try
        {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("invalid subnet '" + cidr + "': expected an IPv4 A.B.C.D/LEN");
        }
        if (prefix < 0 || prefix > 32)
        {
            throw new IllegalArgumentException("invalid subnet '" + cidr + "': the prefix must be 0..32");
        }
        return new int[] {parseIpv4(cidr.substring(0, slash), cidr), prefix};
    }

    static int parseIpv4(final String address, final String context)
    {
        final String[] octets = address.split("\\.", -1);
        if (octets.length != 4)
        {
            throw new IllegalArgumentException("invalid address '" + context + "': expected IPv4");
        }
        int value = 0;
        for (final String octet : octets)
        {
            if (octet.isEmpty() || octet.length() > 3 || !octet.chars().allMatch(Character::isDigit))
            {
                throw new IllegalArgumentException("invalid address '" + context + "': expected IPv4");
            }
            final int number = Integer.parseInt(octet);
            if (number > 255)
            {
                throw new IllegalArgumentException("invalid address '" + context + "': expected IPv4");
            }
            value = value << 8 | number;
        }
        return value;
    }

    static String text(final int address)
    {
        return (address >>> 24) + "." + (address >>> 16 & 0xFF) + '.' + (address >>> 8 & 0xFF) + '.' + (address & 0xFF);
    }

    private static int mask(final int prefix)
    {
        return 0 == prefix ? 0 : -1 << (32 - prefix);
    }
}
