package io.vireo.flowtable.policy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import io.vireo.flowtable.flowcache.FlowKey;

/**
 * Random rules and frames drawn from small pools, so rules overlap, tie and match often, and a
 * reference classifier written straight from {@link PolicyRule}'s documented semantics: a linear
 * scan, sharing no code with {@link RuleSet}.
 */
final class PolicyFixtures
{
    static final int ETHERTYPE_ARP = 0x0806;

    private static final long[] MACS = {
        0x0200_0000_0001L, 0x0200_0000_0002L, 0x0A00_0000_0003L, 0xFFFF_FFFF_FFFFL };
    private static final int[] IPV4 = {
        0, 0x0A00_0000, 0x0A00_0001, 0x0A00_00FF, 0x0A00_0100, 0x0AFF_FFFF, 0x7FFF_FFFF, 0x8000_0000,
        0xC0A8_0001, 0xFFFF_FFFF };
    private static final long[][] IPV6 = {
        { 0, 0 }, { 0, 1 }, { 0xFD00_0000_0000_0000L, 1 }, { 0xFD00_0000_0000_0000L, Long.MIN_VALUE },
        { 0xFD00_0000_0000_0001L, 0 }, { 0x7FFF_FFFF_FFFF_FFFFL, -1 }, { Long.MIN_VALUE, 0 }, { -1, -1 } };
    private static final int[] IPV4_LENGTHS = { 0, 1, 8, 16, 24, 31, 32 };
    private static final int[] IPV6_LENGTHS = { 0, 1, 63, 64, 65, 127, 128 };
    private static final int[] PROTOCOLS = { PolicyRule.PROTOCOL_TCP, PolicyRule.PROTOCOL_UDP, PolicyRule.PROTOCOL_SCTP, 1, 58 };
    private static final int PORT_POOL = 90;

    private PolicyFixtures()
    {
    }

    static PolicyRule randomRule(final SplittableRandom random)
    {
        final PolicyRule.Builder rule = PolicyRule.builder()
            .priority(random.nextInt(20))
            .action(random.nextBoolean() ? PolicyTable.ALLOW : PolicyTable.DENY);
        if (random.nextInt(7) == 0)
        {
            rule.sourceMac(MACS[random.nextInt(MACS.length)]);
        }
        if (random.nextInt(7) == 0)
        {
            rule.destinationMac(MACS[random.nextInt(MACS.length)]);
        }
        if (random.nextBoolean())
        {
            final boolean ipv4 = random.nextInt(5) < 3;
            if (random.nextBoolean())
            {
                rule.sourcePrefix(randomPrefix(random, ipv4));
            }
            if (random.nextBoolean())
            {
                rule.destinationPrefix(randomPrefix(random, ipv4));
            }
        }
        if (random.nextBoolean())
        {
            final int protocol = PROTOCOLS[random.nextInt(PROTOCOLS.length)];
            rule.protocol(protocol);
            if (protocol != 1 && protocol != 58)
            {
                if (random.nextInt(3) == 0)
                {
                    final int low = random.nextInt(PORT_POOL);
                    rule.sourcePorts(low, Math.min(PolicyRule.MAX_PORT, low + random.nextInt(20)));
                }
                if (random.nextBoolean())
                {
                    final int low = random.nextInt(PORT_POOL);
                    rule.destinationPorts(low, random.nextInt(10) == 0 ? PolicyRule.MAX_PORT : low + random.nextInt(20));
                }
            }
        }
        return rule.build();
    }

    static IpPrefix randomPrefix(final SplittableRandom random, final boolean ipv4)
    {
        if (ipv4)
        {
            final int length = IPV4_LENGTHS[random.nextInt(IPV4_LENGTHS.length)];
            final int address = IPV4[random.nextInt(IPV4.length)];
            return IpPrefix.ipv4(0 == length ? 0 : address & (-1 << (32 - length)), length);
        }
        final int length = IPV6_LENGTHS[random.nextInt(IPV6_LENGTHS.length)];
        final long[] address = IPV6[random.nextInt(IPV6.length)];
        return IpPrefix.ipv6(address[0] & IpPrefix.maskHigh(length), address[1] & IpPrefix.maskLow(length), length);
    }

    /**
     * Fill a key with a random frame of bridge {@code bridgeId}: IPv4, IPv6 or ARP, near the pools.
     */
    static FlowKey randomKey(final SplittableRandom random, final FlowKey key, final int bridgeId)
    {
        key.reset()
            .ingressPort(random.nextInt(4))
            .bridgeId(bridgeId)
            .sourceMac(randomMac(random))
            .destinationMac(randomMac(random));
        final int family = random.nextInt(20);
        if (family < 3)
        {
            return key.etherType(ETHERTYPE_ARP);
        }
        if (family < 12)
        {
            key.etherType(FlowKey.ETHERTYPE_IPV4).ipv4Source(randomIpv4(random)).ipv4Destination(randomIpv4(random));
        }
        else
        {
            final long[] source = randomIpv6(random);
            final long[] destination = randomIpv6(random);
            key.etherType(FlowKey.ETHERTYPE_IPV6).ipv6Source(source[0], source[1]).ipv6Destination(destination[0], destination[1]);
        }
        final int protocol = random.nextInt(8) == 0 ? random.nextInt(256) : PROTOCOLS[random.nextInt(PROTOCOLS.length)];
        key.protocol(protocol);
        if (PolicyRule.PROTOCOL_TCP == protocol || PolicyRule.PROTOCOL_UDP == protocol || PolicyRule.PROTOCOL_SCTP == protocol)
        {
            key.sourcePort(randomPort(random)).destinationPort(randomPort(random));
        }
        return key;
    }

    /**
     * @return the verdict {@link PolicyTable#classify} must give, by a linear scan.
     */
    static int reference(final List<PolicyRule> rules, final int defaultAction, final FlowKey key)
    {
        final List<PolicyRule> ordered = new ArrayList<>(rules);
        ordered.sort(Comparator.comparingInt(PolicyRule::priority).reversed().thenComparingInt(PolicyRule::id));
        for (final PolicyRule rule : ordered)
        {
            if (matches(rule, key))
            {
                return (rule.id() << 1) | rule.action();
            }
        }
        return defaultAction;
    }

    static boolean matches(final PolicyRule rule, final FlowKey key)
    {
        final boolean ipv4 = FlowKey.ETHERTYPE_IPV4 == key.etherType();
        final boolean ip = ipv4 || FlowKey.ETHERTYPE_IPV6 == key.etherType();
        return (PolicyRule.ANY_MAC == rule.sourceMac() || rule.sourceMac() == key.sourceMac()) &&
            (PolicyRule.ANY_MAC == rule.destinationMac() || rule.destinationMac() == key.destinationMac()) &&
            contains(rule.sourcePrefix(), ip, ipv4, key.sourceAddressHigh(), key.sourceAddressLow()) &&
            contains(rule.destinationPrefix(), ip, ipv4, key.destinationAddressHigh(), key.destinationAddressLow()) &&
            (PolicyRule.ANY_PROTOCOL == rule.protocol() || (ip && rule.protocol() == key.protocol())) &&
            rule.sourcePortLow() <= key.sourcePort() && key.sourcePort() <= rule.sourcePortHigh() &&
            rule.destinationPortLow() <= key.destinationPort() && key.destinationPort() <= rule.destinationPortHigh();
    }

    private static boolean contains(
        final IpPrefix prefix, final boolean ip, final boolean ipv4, final long high, final long low)
    {
        if (null == prefix)
        {
            return true;
        }
        if (!ip || prefix.isIpv4() != ipv4)
        {
            return false;
        }
        final int hostBits = prefix.addressBits() - prefix.length();
        return address(high, low).shiftRight(hostBits).equals(address(prefix.high(), prefix.low()).shiftRight(hostBits));
    }

    private static BigInteger address(final long high, final long low)
    {
        return new BigInteger(Long.toUnsignedString(high)).shiftLeft(64).or(new BigInteger(Long.toUnsignedString(low)));
    }

    private static long randomMac(final SplittableRandom random)
    {
        return random.nextInt(5) == 0 ? random.nextLong() & 0xFFFF_FFFF_FFFFL : MACS[random.nextInt(MACS.length)];
    }

    private static int randomIpv4(final SplittableRandom random)
    {
        return random.nextInt(6) == 0 ? random.nextInt() : IPV4[random.nextInt(IPV4.length)] + random.nextInt(3) - 1;
    }

    private static long[] randomIpv6(final SplittableRandom random)
    {
        if (random.nextInt(6) == 0)
        {
            return new long[] { random.nextLong(), random.nextLong() };
        }
        final long[] address = IPV6[random.nextInt(IPV6.length)];
        return new long[] { address[0], address[1] + random.nextInt(3) - 1 };
    }

    private static int randomPort(final SplittableRandom random)
    {
        return random.nextInt(10) == 0 ? PolicyRule.MAX_PORT - random.nextInt(2) : random.nextInt(PORT_POOL + 20);
    }
}
