package io.vireo.cluster;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressBlocksTest
{
    @Test
    void normalisesTheSubnetAndTakesTheDefaultBlockSize()
    {
        final Network network = AddressBlocks.network("blue", 42, "10.244.3.7/16", null);
        assertEquals("10.244.0.0/16", network.subnet());
        assertEquals(26, network.blockPrefix());
        assertEquals(1024, AddressBlocks.blockCount(network));
        assertEquals("10.244.0.0/26", AddressBlocks.block(network, 0));
        assertEquals("10.244.0.64/26", AddressBlocks.block(network, 1));
        assertEquals("10.244.255.192/26", AddressBlocks.block(network, 1023));
        assertEquals("10.244.0.1", AddressBlocks.gateway(network));
    }

    @Test
    void aSubnetSmallerThanABlockIsOneBlock()
    {
        final Network network = AddressBlocks.network("small", 7, "192.168.5.0/28", null);
        assertEquals(28, network.blockPrefix());
        assertEquals(1, AddressBlocks.blockCount(network));
    }

    @Test
    void handsOutEveryAddressButTheReservedOnesOnce()
    {
        final Network network = AddressBlocks.network("tiny", 1, "10.0.0.0/29", null);
        final Map<String, Allocation> allocated = new HashMap<>();
        final Set<String> seen = new HashSet<>();
        String address;
        while (null != (address = AddressBlocks.firstFree(network, "10.0.0.0/29", allocated, Set.of())))
        {
            assertTrue(seen.add(address), address);
            allocated.put(address, new Allocation("n1", "c" + seen.size()));
        }
        // 8 addresses less the network, the gateway (.1) and the broadcast (.7)
        assertEquals(Set.of("10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"), seen);
        assertNull(AddressBlocks.firstFree(network, "10.0.0.0/29", allocated, Set.of()));
    }

    @Test
    void aBlockInsideTheSubnetReservesNothingOfItsOwn()
    {
        final Network network = AddressBlocks.network("blue", 42, "10.244.0.0/16", null);
        assertEquals("10.244.0.64", AddressBlocks.firstFree(network, "10.244.0.64/26", Map.of(), Set.of()));
        assertEquals("10.244.0.65", AddressBlocks.firstFree(network, "10.244.0.64/26", Map.of(), Set.of("10.244.0.64")));
        assertEquals("10.244.0.2", AddressBlocks.firstFree(network, "10.244.0.0/26", Map.of(), Set.of()));
    }

    @Test
    void racingNodesStartAtDifferentBlocks()
    {
        final Network network = AddressBlocks.network("blue", 42, "10.244.0.0/16", null);
        final Set<Long> starts = new HashSet<>();
        for (final String node : new String[] {"node-a", "node-b", "node-c", "node-d"})
        {
            final long first = AddressBlocks.firstCandidate(network, node);
            assertTrue(first >= 0 && first < AddressBlocks.blockCount(network));
            starts.add(first);
        }
        assertTrue(starts.size() >= 3, "starts " + starts);
    }

    @Test
    void refusesWhatIsNotANetwork()
    {
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("blue", 0, "10.0.0.0/16", null));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("blue", 1 << 24, "10.0.0.0/16", null));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("blue", 1, "10.0.0.0", null));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("blue", 1, "10.0.0.256/16", null));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("blue", 1, "10.0.0.0/31", null));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("blue", 1, "10.0.0.0/24", 20));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("-blue", 1, "10.0.0.0/24", null));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("a/b", 1, "10.0.0.0/24", null));
    }

    @Test
    void anIpv6SubnetIsNormalisedAndCutIntoBlocksOf122()
    {
        final Network network = AddressBlocks.network("six", 42, "FD00:0010:0000::abcd/64", null);
        assertEquals("fd00:10::/64", network.subnet());
        assertEquals(122, network.blockPrefix());
        assertEquals(64, AddressBlocks.prefixOf(network));
        assertEquals(1L << 58, AddressBlocks.blockCount(network));
        assertEquals("fd00:10::/122", AddressBlocks.block(network, 0));
        assertEquals("fd00:10::40/122", AddressBlocks.block(network, 1));
        assertEquals("fd00:10::1:0/122", AddressBlocks.block(network, 1024));
        assertEquals("fd00:10::ffff:ffff:ffff:ffc0/122", AddressBlocks.block(network, (1L << 58) - 1));
        assertEquals("fd00:10::1", AddressBlocks.gateway(network));
        final long first = AddressBlocks.firstCandidate(network, "node-a");
        assertTrue(first >= 0 && first < AddressBlocks.blockCount(network));
    }

    @Test
    void ipv6ReservesTheSubnetRouterAnycastAddressAndTheGatewayButHasNoBroadcast()
    {
        final Network network = AddressBlocks.network("six", 1, "fd00:10::/125", null);
        assertEquals(125, network.blockPrefix());
        assertEquals(1, AddressBlocks.blockCount(network));
        final Map<String, Allocation> allocated = new HashMap<>();
        final Set<String> seen = new HashSet<>();
        String address;
        while (null != (address = AddressBlocks.firstFree(network, "fd00:10::/125", allocated, Set.of())))
        {
            assertTrue(seen.add(address), address);
            allocated.put(address, new Allocation("n1", "c" + seen.size()));
        }
        // 8 addresses less the subnet-router anycast (::) and the gateway (::1); the last one (::7) is an address
        assertEquals(Set.of("fd00:10::2", "fd00:10::3", "fd00:10::4", "fd00:10::5", "fd00:10::6", "fd00:10::7"), seen);
    }

    @Test
    void anIpv6BlockInsideTheSubnetReservesNothingOfItsOwn()
    {
        final Network network = AddressBlocks.network("six", 1, "fd00:10::/64", null);
        assertEquals("fd00:10::2", AddressBlocks.firstFree(network, "fd00:10::/122", Map.of(), Set.of()));
        assertEquals("fd00:10::40", AddressBlocks.firstFree(network, "fd00:10::40/122", Map.of(), Set.of()));
        assertEquals("fd00:10::41", AddressBlocks.firstFree(network, "fd00:10::40/122", Map.of(), Set.of("fd00:10::40")));
        final Network wide = AddressBlocks.network("wide", 1, "fd00::/16", null);
        assertEquals(AddressBlocks.MAX_BLOCKS, AddressBlocks.blockCount(wide), "2^106 blocks: the first 2^62 used");
        assertEquals("fd00::f:ffff:ffff:ffff:ffc0/122", AddressBlocks.block(wide, AddressBlocks.MAX_BLOCKS - 1));
    }

    @Test
    void ipv6AddressesAreWrittenInTheOneFormOfRfc5952()
    {
        assertEquals("2001:db8::1:0:0:1/128", cidr("2001:0db8:0000:0000:0001:0000:0000:0001/128"), "the first longest run");
        assertEquals("2001:db8:0:1:1:1:1:1/128", cidr("2001:db8::1:1:1:1:1/128"), "one zero group is not ::");
        assertEquals("2001:db8::2:1/128", cidr("2001:DB8:0:0:0:0:2:1/128"), "lower case");
        assertEquals("::/0", cidr("0:0:0:0:0:0:0:0/0"));
        assertEquals("::1/128", cidr("::1/128"));
        assertEquals("fd00::/128", cidr("fd00:0::/128"));
        assertEquals("1:0:0:2::/128", cidr("1:0:0:2:0:0:0:0/128"), "the longer run, later");
        assertEquals("1:2:3:4:5:6:7:0/128", cidr("1:2:3:4:5:6:7::/128"));
    }

    private static String cidr(final String text)
    {
        return AddressBlocks.parseCidr(text).toString();
    }

    @Test
    void refusesWhatIsNotAnIpv6Network()
    {
        assertMessage("an IPv6 subnet's prefix must be /16../125", () -> AddressBlocks.network("six", 1, "fd00::/127", null));
        assertMessage("an IPv6 subnet's prefix must be /16../125", () -> AddressBlocks.network("six", 1, "fd00::/126", null));
        assertMessage("an IPv6 subnet's prefix must be /16../125", () -> AddressBlocks.network("six", 1, "fd00::/8", null));
        assertMessage("the prefix must be 0..128", () -> AddressBlocks.network("six", 1, "fd00::/129", null));
        assertMessage("for IPv6 subnet fd00:10::/64: must be /64../126", () -> AddressBlocks.network("six", 1, "fd00:10::/64", 26));
        assertMessage("for IPv6 subnet fd00:10::/64: must be /64../126", () -> AddressBlocks.network("six", 1, "fd00:10::/64", 127));
        assertMessage("for IPv4 subnet 10.0.0.0/16: must be /16../30", () -> AddressBlocks.network("four", 1, "10.0.0.0/16", 122));
        assertMessage("one subnet, of one family", () -> AddressBlocks.network("dual", 1, "10.0.0.0/16,fd00::/64", null));
        assertMessage("IPv4-mapped addresses are IPv4", () -> AddressBlocks.network("six", 1, "::ffff:10.0.0.0/120", null));
        assertMessage("1 to 4 hex digits", () -> AddressBlocks.network("six", 1, "fe80::%eth0/64", null));
        assertMessage("1 to 4 hex digits", () -> AddressBlocks.network("six", 1, "fd00::g/64", null));
        assertMessage("invalid address 'fd00:::/64'", () -> AddressBlocks.network("six", 1, "fd00:::/64", null));
        assertMessage("'::' may appear once", () -> AddressBlocks.network("six", 1, "fd00::1::/64", null));
        assertMessage("8 groups", () -> AddressBlocks.network("six", 1, "fd00:1:2:3/64", null));
        assertMessage("8 groups", () -> AddressBlocks.network("six", 1, "1:2:3:4::5:6:7:8/64", null));
        assertMessage("8 groups", () -> AddressBlocks.network("six", 1, "1:2:3:4:5:6:7:8:9/64", null));
    }

    private static void assertMessage(final String part, final org.junit.jupiter.api.function.Executable call)
    {
        final String message = assertThrows(IllegalArgumentException.class, call).getMessage();
        assertTrue(message.contains(part), message);
        assertTrue(!message.contains("\n"), message);
    }
}
