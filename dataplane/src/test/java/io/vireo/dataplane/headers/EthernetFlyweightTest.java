package io.vireo.dataplane.headers;

import io.vireo.flowtable.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.vireo.dataplane.headers.CapturedFrames.ARP_REQUEST;
import static io.vireo.dataplane.headers.CapturedFrames.ICMP_ECHO;
import static io.vireo.dataplane.headers.CapturedFrames.ICMP_ECHO_QINQ_10_20;
import static io.vireo.dataplane.headers.CapturedFrames.ICMP_ECHO_VLAN_100;
import static io.vireo.dataplane.headers.TestBuffers.OFFSET;
import static io.vireo.dataplane.headers.TestBuffers.bytes;
import static io.vireo.dataplane.headers.TestBuffers.copy;
import static io.vireo.dataplane.headers.TestBuffers.frame;
import static io.vireo.dataplane.headers.TestBuffers.truncatedFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EthernetFlyweightTest
{
    private final EthernetFlyweight eth = new EthernetFlyweight();

    @Test
    void readsUntaggedFrame()
    {
        final UnsafeBuffer buffer = frame(ICMP_ECHO);
        eth.wrap(buffer, OFFSET, 50);

        assertTrue(eth.isValid());
        assertEquals(0x0200_0000_0002L, eth.destination());
        assertEquals(0x0200_0000_0001L, eth.source());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, eth.etherType());
        assertEquals(0, eth.vlanTagCount());
        assertEquals(0, eth.vlanId());
        assertEquals(0, eth.innerVlanId());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, eth.payloadEtherType());
        assertEquals(EthernetFlyweight.HEADER_LENGTH, eth.headerLength());
        assertEquals(OFFSET + 14, eth.payloadOffset());
        assertEquals(36, eth.payloadLength());
    }

    @Test
    void readsBroadcastArpFrame()
    {
        eth.wrap(frame(ARP_REQUEST), OFFSET, 42);

        assertTrue(eth.isValid());
        assertEquals(MacAddress.BROADCAST, eth.destination());
        assertTrue(MacAddress.isMulticast(eth.destination()));
        assertFalse(MacAddress.isMulticast(eth.source()));
        assertEquals(EthernetFlyweight.ETHER_TYPE_ARP, eth.payloadEtherType());
        assertEquals(ArpFlyweight.LENGTH, eth.payloadLength());
    }

    @Test
    void recognisesMulticastByTheFirstOctet()
    {
        assertTrue(MacAddress.isMulticast(0x3333_0000_0016L));
        assertTrue(MacAddress.isMulticast(0x0100_5E00_00FBL));
        assertFalse(MacAddress.isMulticast(0x0200_0000_0001L));
        assertFalse(MacAddress.isMulticast(0x00FF_FFFF_FFFFL));
    }

    @Test
    void skipsOne8021QTag()
    {
        eth.wrap(frame(ICMP_ECHO_VLAN_100), OFFSET, 54);

        assertTrue(eth.isValid());
        assertEquals(EthernetFlyweight.ETHER_TYPE_VLAN, eth.etherType());
        assertEquals(1, eth.vlanTagCount());
        assertEquals(100, eth.vlanId());
        assertEquals(100, eth.taggedVlanId());
        assertEquals(0, eth.innerVlanId());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, eth.payloadEtherType());
        assertEquals(18, eth.headerLength());
        assertEquals(OFFSET + 18, eth.payloadOffset());
        assertEquals(36, eth.payloadLength());
    }

    @Test
    void skipsQinQTags()
    {
        eth.wrap(frame(ICMP_ECHO_QINQ_10_20), OFFSET, 58);

        assertTrue(eth.isValid());
        assertEquals(EthernetFlyweight.ETHER_TYPE_QINQ, eth.etherType());
        assertEquals(2, eth.vlanTagCount());
        assertEquals(10, eth.vlanId());
        assertEquals(10, eth.taggedVlanId());
        assertEquals(20, eth.innerVlanId());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, eth.payloadEtherType());
        assertEquals(22, eth.headerLength());
        assertEquals(OFFSET + 22, eth.payloadOffset());
        assertEquals(36, eth.payloadLength());
    }

    @Test
    void countsOnlyTwoTags()
    {
        final String tripleTagged = "020000000002 020000000001 88a8 000a 8100 0014 8100 001e 0800";
        eth.wrap(frame(tripleTagged), OFFSET, 26);

        assertTrue(eth.isValid());
        assertEquals(2, eth.vlanTagCount());
        assertEquals(EthernetFlyweight.ETHER_TYPE_VLAN, eth.payloadEtherType());
        assertEquals(4, eth.payloadLength());
    }

    @Test
    void acceptsTaggedHeaderWithoutPayload()
    {
        eth.wrap(truncatedFrame(ICMP_ECHO_VLAN_100, 18), OFFSET, 18);

        assertTrue(eth.isValid());
        assertEquals(100, eth.vlanId());
        assertEquals(0, eth.payloadLength());
    }

    /** The buffers end with the frame, so reading past its length would throw, not just be wrong. */
    @ParameterizedTest
    @CsvSource({
        "untagged, 0", "untagged, 13",
        "vlan, 14", "vlan, 15", "vlan, 16", "vlan, 17",
        "qinq, 16", "qinq, 18", "qinq, 20", "qinq, 21"})
    void reportsTruncatedFrameInvalidWithoutReadingPastIt(final String kind, final int length)
    {
        final String hex = "vlan".equals(kind) ? ICMP_ECHO_VLAN_100 : "qinq".equals(kind) ? ICMP_ECHO_QINQ_10_20 : ICMP_ECHO;
        eth.wrap(truncatedFrame(hex, length), OFFSET, length);

        assertInvalid();
    }

    @Test
    void honoursTheWrappedLengthRatherThanTheBuffer()
    {
        // The whole tagged frame is in the buffer, but only 16 bytes of it belong to this frame.
        eth.wrap(frame(ICMP_ECHO_VLAN_100), OFFSET, 16);

        assertInvalid();
    }

    @Test
    void writesAndReadsBackFields()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 14]);
        eth.wrap(buffer, OFFSET, 14)
            .destination(0xFFFF_FFFF_FFFEL)
            .source(0x0A1B_2C3D_4E5FL)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV6);

        assertEquals(0xFFFF_FFFF_FFFEL, eth.destination());
        assertEquals(0x0A1B_2C3D_4E5FL, eth.source());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV6, eth.payloadEtherType());
        assertArrayEquals(bytes("fffffffffffe 0a1b2c3d4e5f 86dd"), copy(buffer, OFFSET, 14));
    }

    @Test
    void rewritesVlanIdKeepingPriority()
    {
        final UnsafeBuffer buffer = frame(ICMP_ECHO_QINQ_10_20);
        eth.wrap(buffer, OFFSET, 58).vlanId(4095);

        assertEquals(4095, eth.vlanId());
        assertEquals(20, eth.innerVlanId());
        assertArrayEquals(bytes("88a8 0fff 8100 0014"), copy(buffer, OFFSET + 12, 8));

        eth.wrap(frame(ICMP_ECHO_VLAN_100), OFFSET, 54).vlanId(200);

        assertArrayEquals(bytes("8100 a0c8 0800"), copy(eth.buffer(), OFFSET + 12, 6));
    }

    private void assertInvalid()
    {
        assertFalse(eth.isValid());
        assertEquals(-1, eth.vlanTagCount());
        assertEquals(0, eth.vlanId());
        assertEquals(0, eth.innerVlanId());
        assertEquals(0, eth.payloadEtherType());
        assertEquals(-1, eth.headerLength());
        assertEquals(-1, eth.payloadOffset());
        assertEquals(-1, eth.payloadLength());
    }
}
