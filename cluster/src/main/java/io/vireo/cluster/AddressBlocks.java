package io.vireo.cluster;

import java.math.BigInteger;
import java.util.Map;
import java.util.Set;

import io.vireo.flowtable.policy.IpPrefix;

/**
 * A network's addresses, IPv4 or IPv6, cut into blocks of {@code /blockPrefix}, as Calico's IPAM does: a
 * node claims a whole block with one compare-and-swap in the store, then hands out its addresses without
 * racing any other node. A network has one subnet, of one family.
 * <p>
 * Reserved in every network: its first address (the IPv4 network address, the IPv6 subnet-router anycast
 * address) and the one after it (the gateway, kept for a router on the network); in an IPv4 network its
 * last address too (broadcast; IPv6 has none).
 * <ul>
 *   <li>IPv4: subnets /8../29, blocks up to /30, by default /26 (64 addresses).</li>
 *   <li>IPv6: subnets /16../125, blocks up to /126, by default /122 (64 addresses, as an IPv4 block).</li>
 * </ul>
 * Addresses are written in one canonical form, so that two nodes never write two keys for one address:
 * IPv4 dotted decimal without leading zeros, IPv6 as RFC 5952 has it (lower-case hexadecimal without
 * leading zeros, the longest run of two or more zero groups, the first of equal runs, written {@code ::},
 * no dotted-quad tail: flowtable's {@link IpPrefix#formatIpv6}). Input is read in any form of either
 * family and written back canonical; an IPv4-mapped IPv6 subnet is refused (it is IPv4).
 */
final class AddressBlocks
{
    static final int DEFAULT_BLOCK_PREFIX = 26;
    static final int DEFAULT_IPV6_BLOCK_PREFIX = 122;
    static final int MAX_VNI = (1 << 24) - 1;
    /** A network of more blocks than this (an IPv6 one wider than /60 in blocks of /122) uses its first this many. */
    static final long MAX_BLOCKS = 1L << 62;
    /** ::ffff:0:0/96 without its last 32 bits. */
    private static final BigInteger IPV4_MAPPED = BigInteger.valueOf(0xFFFF);

    /** What a family's subnets and blocks may be. */
    enum Family
    {
        IPV4("IPv4", 32, 8, 29, 30, DEFAULT_BLOCK_PREFIX),
        IPV6("IPv6", 128, 16, 125, 126, DEFAULT_IPV6_BLOCK_PREFIX);

        final String label;
        final int bits;
        final int minPrefix;
        final int maxPrefix;
        final int maxBlockPrefix;
        final int defaultBlockPrefix;

        Family(final String label, final int bits, final int minPrefix, final int maxPrefix, final int maxBlockPrefix,
            final int defaultBlockPrefix)
        {
            this.label = label;
            this.bits = bits;
            this.minPrefix = minPrefix;
            this.maxPrefix = maxPrefix;
            this.maxBlockPrefix = maxBlockPrefix;
            this.defaultBlockPrefix = defaultBlockPrefix;
        }
    }

    /** A CIDR taken apart: its family, its address as an unsigned number and its prefix length. */
    record Cidr(Family family, BigInteger address, int prefix)
    {
        /** The first address of the prefix (the host bits cleared). */
        BigInteger base()
        {
            return address.shiftRight(family.bits - prefix).shiftLeft(family.bits - prefix);
        }

        BigInteger size()
        {
            return BigInteger.ONE.shiftLeft(family.bits - prefix);
        }

        @Override
        public String toString()
        {
            return text(family, base()) + '/' + prefix;
        }
    }

    private AddressBlocks()
    {
    }

    /** A network checked, its subnet normalised to its first address; {@code blockPrefix} null for the default. */
    static Network network(final String name, final int vni, final String subnet, final Integer blockPrefix)
    {
        final Cidr parsed = parseCidr(subnet);
        final Network network = new Network(name, vni, parsed.toString(),
            null == blockPrefix ? Math.max(parsed.prefix(), parsed.family().defaultBlockPrefix) : blockPrefix);
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
        final Cidr subnet = parseCidr(network.subnet());
        final Family family = subnet.family();
        if (family == Family.IPV6 && subnet.prefix() >= 96 && subnet.base().shiftRight(32).equals(IPV4_MAPPED))
        {
            throw new IllegalArgumentException("invalid subnet " + network.subnet() +
                ": IPv4-mapped addresses are IPv4: give the IPv4 subnet");
        }
        if (subnet.prefix() < family.minPrefix || subnet.prefix() > family.maxPrefix)
        {
            throw new IllegalArgumentException("invalid subnet " + network.subnet() + ": an " + family.label +
                " subnet's prefix must be /" + family.minPrefix + "../" + family.maxPrefix);
        }
        if (network.blockPrefix() < subnet.prefix() || network.blockPrefix() > family.maxBlockPrefix)
        {
            throw new IllegalArgumentException("invalid block size /" + network.blockPrefix() + " for " + family.label +
                " subnet " + network.subnet() + ": must be /" + subnet.prefix() + "../" + family.maxBlockPrefix);
        }
    }

    /** How many blocks the network has, at most {@link #MAX_BLOCKS}. */
    static long blockCount(final Network network)
    {
        final int bits = network.blockPrefix() - prefixOf(network);
        return bits >= 62 ? MAX_BLOCKS : 1L << bits;
    }

    /** Block {@code index} of a network, as ADDRESS/LEN. */
    static String block(final Network network, final long index)
    {
        final Cidr subnet = parseCidr(network.subnet());
        final BigInteger first = subnet.base().add(BigInteger.valueOf(index).shiftLeft(subnet.family().bits - network.blockPrefix()));
        return text(subnet.family(), first) + '/' + network.blockPrefix();
    }

    /** Where a node starts looking for a block to claim: spread by its name, so racing nodes rarely collide. */
    static long firstCandidate(final Network network, final String node)
    {
        return Math.floorMod((long)(node.hashCode() * 0x9E3779B9), blockCount(network));
    }

    /** The lowest address of {@code block} that is neither reserved, allocated nor pending; null if none. */
    static String firstFree(
        final Network network, final String block, final Map<String, Allocation> allocated, final Set<String> pending)
    {
        final Cidr range = parseCidr(block);
        final Cidr subnet = parseCidr(network.subnet());
        final BigInteger end = range.base().add(range.size());
        for (BigInteger address = range.base(); address.compareTo(end) < 0; address = address.add(BigInteger.ONE))
        {
            if (isReserved(subnet, address))
            {
                continue;
            }
            final String text = text(subnet.family(), address);
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
        final Cidr subnet = parseCidr(network.subnet());
        return text(subnet.family(), subnet.base().add(BigInteger.ONE));
    }

    static int prefixOf(final Network network)
    {
        return parseCidr(network.subnet()).prefix();
    }

    private static boolean isReserved(final Cidr subnet, final BigInteger address)
    {
        final BigInteger offset = address.subtract(subnet.base());
        return offset.signum() == 0 || offset.equals(BigInteger.ONE) ||
            subnet.family() == Family.IPV4 && offset.equals(subnet.size().subtract(BigInteger.ONE));
    }

    /** A CIDR of either family; IllegalArgumentException if it is not one. */
    static Cidr parseCidr(final String cidr)
    {
        final String expected = "invalid subnet '" + cidr + "': expected one IPv4 A.B.C.D/LEN or IPv6 X:X::X/LEN";
        if (null != cidr && cidr.indexOf(',') >= 0)
        {
            throw new IllegalArgumentException(expected + " (a cluster network has one subnet, of one family)");
        }
        final int slash = null == cidr ? -1 : cidr.indexOf('/');
        if (slash < 0)
        {
            throw new IllegalArgumentException(expected);
        }
        final String address = cidr.substring(0, slash);
        final Family family = address.indexOf(':') >= 0 ? Family.IPV6 : Family.IPV4;
        final String length = cidr.substring(slash + 1);
        if (length.isEmpty() || length.length() > 3 || !length.chars().allMatch(c -> c >= '0' && c <= '9') ||
            Integer.parseInt(length) > family.bits)
        {
            throw new IllegalArgumentException("invalid subnet '" + cidr + "': the prefix must be 0.." + family.bits);
        }
        return new Cidr(family, family == Family.IPV6 ? parseIpv6(address, cidr) :
            BigInteger.valueOf(Integer.toUnsignedLong(parseIpv4(address, cidr))), Integer.parseInt(length));
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

    /** An IPv6 address in any RFC 4291 text (IpPrefix's reading) as a number; no zone. */
    static BigInteger parseIpv6(final String address, final String context)
    {
        final IpPrefix parsed;
        try
        {
            parsed = IpPrefix.parse(address + "/128");
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("invalid address '" + context + "': " +
                ex.getMessage().substring(ex.getMessage().indexOf(": ") + 2));
        }
        return unsigned(parsed.high()).shiftLeft(64).or(unsigned(parsed.low()));
    }

    private static BigInteger unsigned(final long word)
    {
        return new BigInteger(Long.toUnsignedString(word));
    }

    /** An address of {@code family} in its canonical text. */
    static String text(final Family family, final BigInteger address)
    {
        return family == Family.IPV4 ? IpPrefix.formatIpv4(address.intValue()) :
            IpPrefix.formatIpv6(address.shiftRight(64).longValue(), address.longValue());
    }
}
