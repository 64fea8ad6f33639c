package io.vireo.dataplane.nativeio;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.HexFormat;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.nativeio.CapturedNetlink.ADDRESS_DUMP;
import static io.vireo.dataplane.nativeio.CapturedNetlink.ADDRESS_DUMP_DONE;
import static io.vireo.dataplane.nativeio.CapturedNetlink.INVALID_GATEWAY;
import static io.vireo.dataplane.nativeio.CapturedNetlink.LINK_ACK;
import static io.vireo.dataplane.nativeio.CapturedNetlink.LINK_VETH;
import static io.vireo.dataplane.nativeio.CapturedNetlink.NO_SUCH_LINK;
import static io.vireo.dataplane.nativeio.CapturedNetlink.ROUTE_EXISTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The requests byte for byte as iproute2 6.1's {@code ip} sends them (taken with {@code strace -e trace=sendmsg
 * -xx}; NLM_F_ACK added where ip goes without), and answers the kernel sent ({@link CapturedNetlink}) read
 * back; then answers cut short or with lengths that lie, which must fail as malformed, never read past.
 */
class RtMessagesTest
{
    private static final int SEQUENCE = 0x6B10_5D0D;
    /** The sequence number as it appears in a header. */
    private static final String SEQ = "0d5d106b";

    /** Filled with a pattern first: every byte of a request, padding too, must be written. */
    private final UnsafeBuffer request = new UnsafeBuffer(filled(512));
    private final RtMessages messages = new RtMessages(request);
    private final NetlinkReader reader = new NetlinkReader();

    @Test
    void looksUpALinkAsIpLinkShowDoes()
    {
        // ip link show dev d0: RTM_GETLINK, an empty ifinfomsg, IFLA_EXT_MASK = VF | SKIP_STATS, IFLA_IFNAME "d0"
        assertRequest("30000000 1200 0500" + SEQ + "00000000" +
                "00000000 00000000 00000000 00000000" +
                "0800 1d00 09000000" +
                "0700 0300 64300000",
            messages.getLink(SEQUENCE, "d0"));
    }

    @Test
    void dumpsTheAddresses()
    {
        // RTM_GETADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, an ifaddrmsg of family AF_UNSPEC (linux/rtnetlink.h)
        assertRequest("18000000 1600 0503" + SEQ + "00000000" + "00000000 00000000", messages.getAddresses(SEQUENCE));
    }

    @Test
    void changesALinkAsIpLinkSetDoes()
    {
        // ip link set dev d0 address 02:00:00:00:00:07 mtu 1400 up: flags and change IFF_UP, IFLA_ADDRESS, IFLA_MTU
        assertRequest("34000000 1000 0500" + SEQ + "00000000" +
                "00000000 03000000 01000000 01000000" +
                "0a00 0100 020000000007 0000" +
                "0800 0400 78050000",
            messages.changeLink(SEQUENCE, 3, new RtNetlink.LinkChange(null, "02:00:00:00:00:07", 1400, true)));
        // ip link set dev d0 name e0
        assertRequest("28000000 1000 0500" + SEQ + "00000000" +
                "00000000 03000000 00000000 00000000" +
                "0700 0300 65300000",
            messages.changeLink(SEQUENCE, 3, RtNetlink.LinkChange.rename("e0")));
        // ip link set dev d0 down: IFF_UP in the change mask, not in the flags
        assertRequest("20000000 1000 0500" + SEQ + "00000000" + "00000000 03000000 00000000 01000000",
            messages.changeLink(SEQUENCE, 3, RtNetlink.LinkChange.state(false)));
    }

    @Test
    void movesALinkAsIpLinkSetNetnsDoes()
    {
        // ip link set dev d1 netns /run/netns/NAME, the namespace open on descriptor 4: IFLA_NET_NS_FD
        assertRequest("28000000 1000 0500" + SEQ + "00000000" +
                "00000000 02000000 00000000 00000000" +
                "0800 1c00 04000000",
            messages.moveLink(SEQUENCE, 2, 4));
    }

    @Test
    void addsAddressesAsIpAddrAddDoes() throws Exception
    {
        // ip addr add 10.1.2.3/24 dev d0: NLM_F_CREATE | NLM_F_EXCL, IFA_LOCAL then IFA_ADDRESS, no flags
        assertRequest("28000000 1400 0506" + SEQ + "00000000" +
                "02 18 00 00 03000000" +
                "0800 0200 0a010203" +
                "0800 0100 0a010203",
            messages.addAddress(SEQUENCE, 3, InetAddress.getByName("10.1.2.3").getAddress(), 24));
        // ip addr add fd00::5/64 dev d0: no IFA_F_NODAD, duplicate address detection runs
        assertRequest("40000000 1400 0506" + SEQ + "00000000" +
                "0a 40 00 00 03000000" +
                "1400 0200 fd000000000000000000000000000005" +
                "1400 0100 fd000000000000000000000000000005",
            messages.addAddress(SEQUENCE, 3, InetAddress.getByName("fd00::5").getAddress(), 64));
    }

    @Test
    void addsRoutesAsIpRouteAddDoes() throws Exception
    {
        // ip route add 10.9.0.0/16 via 10.1.2.1 dev d0: main table, proto boot, scope universe, unicast
        assertRequest("34000000 1800 0506" + SEQ + "00000000" +
                "02 10 00 00 fe 03 00 01 00000000" +
                "0800 0100 0a090000" +
                "0800 0500 0a010201" +
                "0800 0400 03000000",
            route("10.9.0.0", 16, "10.1.2.1"));
        // ip route add 0.0.0.0/0 via 10.1.2.1 dev d0: the destination given, so sent, all zeros
        assertRequest("34000000 1800 0506" + SEQ + "00000000" +
                "02 00 00 00 fe 03 00 01 00000000" +
                "0800 0100 00000000" +
                "0800 0500 0a010201" +
                "0800 0400 03000000",
            route("0.0.0.0", 0, "10.1.2.1"));
        // ip route add 10.5.0.0/16 dev d0: no gateway, so scope link
        assertRequest("2c000000 1800 0506" + SEQ + "00000000" +
                "02 10 00 00 fe 03 fd 01 00000000" +
                "0800 0100 0a050000" +
                "0800 0400 03000000",
            route("10.5.0.0", 16, null));
        // ip -6 route add ::/0 via fd00::1 dev d0: IPv6 routes keep scope universe
        assertRequest("4c000000 1800 0506" + SEQ + "00000000" +
                "0a 00 00 00 fe 03 00 01 00000000" +
                "1400 0100 00000000000000000000000000000000" +
                "1400 0500 fd000000000000000000000000000001" +
                "0800 0400 03000000",
            route("::", 0, "fd00::1"));
    }

    @Test
    void readsALinkAndItsAcknowledgement()
    {
        reader.wrap(buffer(LINK_VETH + LINK_ACK), 1124 + 36);
        assertTrue(reader.next());
        assertEquals(Netlink.RTM_NEWLINK, reader.type());
        assertEquals(1, reader.sequence());
        assertEquals(new RtNetlink.Link(3, "d0", "02:00:00:00:00:07", 1400, 0x1003, "veth"), messages.link(reader));
        assertTrue(messages.link(reader).up());
        assertTrue(reader.next());
        assertEquals(Netlink.NLMSG_ERROR, reader.type());
        assertEquals(0, reader.error(), "an acknowledgement");
        assertFalse(reader.next());
    }

    @Test
    void readsTheAddressesOfOneLinkFromADump() throws Exception
    {
        reader.wrap(buffer(ADDRESS_DUMP), 148);
        assertTrue(reader.next());
        assertEquals(Netlink.NLM_F_MULTI, reader.flags() & Netlink.NLM_F_MULTI);
        assertEquals(new RtNetlink.Address(InetAddress.getByName("10.1.2.3"), 24), messages.address(reader, 3));
        assertNull(messages.address(reader, 4), "another link's");
        assertTrue(reader.next());
        assertEquals("fd00:0:0:0:0:0:0:5/64", messages.address(reader, 3).toString());
        assertFalse(reader.next());

        reader.wrap(buffer(ADDRESS_DUMP_DONE), 20);
        assertTrue(reader.next());
        assertEquals(Netlink.NLMSG_DONE, reader.type());
        assertEquals(0, reader.error());
    }

    @Test
    void readsRefusalsAsIpPrintsThem()
    {
        reader.wrap(buffer(NO_SUCH_LINK), 36);
        assertTrue(reader.next());
        assertEquals(-Errno.ENODEV, reader.error());
        assertNull(reader.errorText());

        reader.wrap(buffer(INVALID_GATEWAY), 68);
        assertTrue(reader.next());
        assertEquals(-101, reader.error());
        assertEquals("Nexthop has invalid gateway", reader.errorText());
        assertEquals("add route: Error: Nexthop has invalid gateway.",
            NetlinkException.refused("add route", 101, reader.errorText()).getMessage());

        reader.wrap(buffer(ROUTE_EXISTS), 36);
        assertTrue(reader.next());
        assertEquals(5, reader.sequence());
        assertEquals(-Errno.EEXIST, reader.error());
        final NetlinkException refused = NetlinkException.refused("add route", Errno.EEXIST, reader.errorText());
        assertEquals("RTNETLINK answers: File exists (EEXIST, errno 17)", refused.answer());
        assertEquals(Errno.EEXIST, refused.errno());
    }

    @Test
    void aDatagramCutShortIsMalformed()
    {
        reader.wrap(buffer(LINK_VETH), 100);
        assertMalformed("message of 1124 bytes where 100 are left", reader::next);
        reader.wrap(buffer(LINK_ACK), 10);
        assertMalformed("10 bytes after the last message, less than a header", reader::next);
        final UnsafeBuffer shortLength = buffer(LINK_ACK);
        shortLength.putInt(0, 8);
        reader.wrap(shortLength, 36);
        assertMalformed("message of 8 bytes where 36 are left", reader::next);
    }

    @Test
    void lengthsThatLieAreMalformed()
    {
        final byte[] link = HexFormat.of().parseHex(LINK_VETH.replace(" ", ""));
        link[32] = (byte)0xF0; // IFLA_IFNAME's rta_len: 240 bytes, past the end of a message cut to 100
        link[0] = 100;
        link[1] = 0;
        reader.wrap(new UnsafeBuffer(Arrays.copyOf(link, 100)), 100);
        assertTrue(reader.next());
        assertMalformed("attribute of 240 bytes where 68 are left", () -> messages.link(reader));

        link[32] = 2; // shorter than its own header
        reader.wrap(new UnsafeBuffer(Arrays.copyOf(link, 100)), 100);
        assertTrue(reader.next());
        assertMalformed("attribute of 2 bytes where 68 are left", () -> messages.link(reader));

        final byte[] mtu = HexFormat.of().parseHex(LINK_VETH.replace(" ", ""));
        mtu[72] = 6; // IFLA_MTU with a 2-byte value
        reader.wrap(new UnsafeBuffer(mtu), mtu.length);
        assertTrue(reader.next());
        assertMalformed("attribute 4 has 2 bytes, a u32 takes 4", () -> messages.link(reader));

        reader.wrap(buffer("18000000 1000 0000 01000000 00000000 00000000 00000000"), 24);
        assertTrue(reader.next());
        assertMalformed("message type 16 has 8 bytes of payload, struct ifinfomsg takes 16", () -> messages.link(reader));

        // An error claiming to echo a 1000-byte request in a 40-byte message.
        reader.wrap(buffer("28000000 0200 0002 01000000 00000000 9bffffff e8030000 1800 0506 01000000 00000000 00000000"), 40);
        assertTrue(reader.next());
        assertMalformed("an error echoing a request of 1000 bytes in a message of 40", reader::errorText);

        // IFA_LOCAL of 3 bytes for an IPv4 address.
        reader.wrap(buffer("20000000 1400 0000 01000000 00000000 02180000 03000000 0700 0200 0a0102 00"), 32);
        assertTrue(reader.next());
        assertMalformed("an address of family 2 in 3 bytes", () -> messages.address(reader, 3));
    }

    @Test
    void anAttributeValueMustFitItsLength()
    {
        final NetlinkWriter writer = new NetlinkWriter(new UnsafeBuffer(new byte[70_000]));
        writer.begin(Netlink.RTM_NEWLINK, 0, 1);
        assertThrows(IllegalArgumentException.class, () -> writer.attribute(Netlink.IFLA_IFNAME, new byte[65_532]));
    }

    private int route(final String destination, final int prefixLength, final String gateway) throws Exception
    {
        return messages.addRoute(SEQUENCE, InetAddress.getByName(destination).getAddress(), prefixLength,
            null == gateway ? null : InetAddress.getByName(gateway).getAddress(), 3);
    }

    private void assertRequest(final String expectedHex, final int length)
    {
        final byte[] expected = bytes(expectedHex);
        final byte[] written = new byte[length];
        request.getBytes(0, written);
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(written));
    }

    private static void assertMalformed(final String what, final Runnable read)
    {
        final NetlinkException ex = assertThrows(NetlinkException.class, read::run);
        assertEquals(Errno.EBADMSG, ex.errno());
        assertEquals("malformed netlink answer: " + what, ex.getMessage());
    }

    private static UnsafeBuffer buffer(final String hex)
    {
        return new UnsafeBuffer(bytes(hex));
    }

    private static byte[] bytes(final String hex)
    {
        return HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
    }

    private static byte[] filled(final int length)
    {
        final byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte)0xA5);
        return bytes;
    }
}
