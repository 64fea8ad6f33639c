package io.vireo.vswitch.core;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.gateway.router.RouterInterface;

/** A router's interface on one bridge. */
record RouterAttachment(String bridgeName, int bridgeId, long mac, int mtu, List<InterfaceAddress> addresses)
{
    /** True if it has exactly these addresses (in any order and spelling), this MAC and MTU. */
    boolean sameAs(final List<InterfaceAddress> others, final long otherMac, final int otherMtu)
    {
        return mac == otherMac && mtu == otherMtu && prefixes(addresses).equals(prefixes(others));
    }

    String addressTexts()
    {
        return String.join(", ", addresses.stream().map(InterfaceAddress::text).toList());
    }

    private static Set<List<IpPrefix>> prefixes(final List<InterfaceAddress> list)
    {
        return list.stream().map(a -> List.of(a.address(), a.subnet())).collect(Collectors.toSet());
    }

    RouterInterface toInterface(final int routerId)
    {
        final List<InterfaceAddress> v4 = addresses.stream().filter(a -> a.address().isIpv4()).toList();
        final List<InterfaceAddress> v6 = addresses.stream().filter(a -> !a.address().isIpv4()).toList();
        return new RouterInterface(routerId, bridgeId, mac, mtu,
            v4.stream().mapToInt(a -> (int)a.address().low()).toArray(),
            v4.stream().mapToInt(a -> a.subnet().length()).toArray(),
            v6.stream().mapToLong(a -> a.address().high()).toArray(),
            v6.stream().mapToLong(a -> a.address().low()).toArray(),
            v6.stream().mapToInt(a -> a.subnet().length()).toArray());
    }
}
