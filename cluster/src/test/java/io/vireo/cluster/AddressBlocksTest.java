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
        final Set<Integer> starts = new HashSet<>();
        for (final String node : new String[] {"node-a", "node-b", "node-c", "node-d"})
        {
            final int first = AddressBlocks.firstCandidate(network, node);
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
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("blue", 1, "fd00::/64", null));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("blue", 1, "10.0.0.0/24", 20));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("-blue", 1, "10.0.0.0/24", null));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.network("a/b", 1, "10.0.0.0/24", null));
    }
}
