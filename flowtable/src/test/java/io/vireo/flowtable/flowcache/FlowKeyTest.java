package io.vireo.flowtable.flowcache;

import io.vireo.flowtable.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FlowKeyTest
{
    private static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    private static final long MAC_B = MacAddress.parse("fe:dc:ba:98:76:54");

    @Test
    void everyFieldReadsBackWhatWasSetWithoutTouchingItsNeighbours()
    {
        final FlowKey key = fullKey(new FlowKey());

        assertEquals(0x7FFF_FFFE, key.ingressPort());
        assertEquals(0xFFFF, key.bridgeId());
        assertEquals(0xFFF, key.vlan());
        assertEquals(MAC_B, key.destinationMac());
        assertEquals(MAC_A, key.sourceMac());
        assertEquals(FlowKey.ETHERTYPE_IPV6, key.etherType());
        assertEquals(255, key.protocol());
        assertEquals(65535, key.sourcePort());
        assertEquals(1, key.destinationPort());
        assertEquals(0xFD00_0000_0000_0001L, key.sourceAddressHigh());
        assertEquals(0xFFFF_FFFF_FFFF_FFFFL, key.sourceAddressLow());
        assertEquals(0x8000_0000_0000_0000L, key.destinationAddressHigh());
        assertEquals(2, key.destinationAddressLow());
    }

    @Test
    void ipv4AddressesGoInTheLow32BitsOfTheLowWord()
    {
        final FlowKey key = new FlowKey().ipv6Source(-1, -1).ipv4Source(0xC0A8_0001).ipv4Destination(0xFFFF_FFFF);

        assertEquals(0, key.sourceAddressHigh());
        assertEquals(0xC0A8_0001L, key.sourceAddressLow());
        assertEquals(0xFFFF_FFFFL, key.destinationAddressLow());
    }

    @Test
    void resetZeroesAllSixtyFourBytes()
    {
        final FlowKey key = fullKey(new FlowKey()).reset();

        for (int word = 0; word < FlowKey.LENGTH / Long.BYTES; word++)
        {
            assertEquals(0, key.word(word));
        }
    }

    @Test
    void wrapsAKeyInsideABiggerBuffer()
    {
        final UnsafeBuffer burst = new UnsafeBuffer(new byte[FlowKey.LENGTH * 4]);
        final FlowKey key = new FlowKey().wrap(burst, FlowKey.LENGTH * 2);
        fullKey(key);

        assertEquals(0, burst.getLong(FlowKey.LENGTH * 2 - 8));
        assertEquals(0, burst.getLong(FlowKey.LENGTH * 3));
        assertEquals(MAC_A, new FlowKey().wrap(burst, FlowKey.LENGTH * 2).sourceMac());
        assertEquals(FlowKey.LENGTH * 2, key.offset());
    }

    @Test
    void describesItself()
    {
        final FlowKey key = new FlowKey().ingressPort(3).bridgeId(1).sourceMac(MAC_A).destinationMac(MAC_B)
            .etherType(FlowKey.ETHERTYPE_IPV4).ipv4Source(0x0A00_0001).ipv4Destination(0x0A00_0002)
            .protocol(6).sourcePort(40000).destinationPort(80);

        assertEquals("FlowKey{port=3, bridge=1, vlan=0, dst=fe:dc:ba:98:76:54, src=02:00:00:00:00:0a, " +
            "etherType=0x800, 10.0.0.1 > 10.0.0.2, protocol=6, ports=40000>80}", key.toString());
    }

    static FlowKey fullKey(final FlowKey key)
    {
        return key.reset()
            .ingressPort(0x7FFF_FFFE)
            .bridgeId(0xFFFF)
            .vlan(0xFFF)
            .destinationMac(MAC_B)
            .sourceMac(MAC_A)
            .etherType(FlowKey.ETHERTYPE_IPV6)
            .protocol(255)
            .sourcePort(65535)
            .destinationPort(1)
            .ipv6Source(0xFD00_0000_0000_0001L, 0xFFFF_FFFF_FFFF_FFFFL)
            .ipv6Destination(0x8000_0000_0000_0000L, 2);
    }
}
