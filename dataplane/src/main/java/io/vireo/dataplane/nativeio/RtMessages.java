package io.vireo.dataplane.nativeio;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;

import org.agrona.MutableDirectBuffer;

import static io.vireo.dataplane.nativeio.Netlink.AF_INET;
import static io.vireo.dataplane.nativeio.Netlink.AF_INET6;
import static io.vireo.dataplane.nativeio.Netlink.AF_UNSPEC;
import static io.vireo.dataplane.nativeio.Netlink.IFADDRMSG_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.IFA_ADDRESS;
import static io.vireo.dataplane.nativeio.Netlink.IFA_FAMILY_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFA_INDEX_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFA_LOCAL;
import static io.vireo.dataplane.nativeio.Netlink.IFA_PREFIX_LENGTH_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFF_UP;
import static io.vireo.dataplane.nativeio.Netlink.IFINFOMSG_LENGTH;
import static io.vireo.dataplane.nativeio.Netlink.IFI_FLAGS_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFI_INDEX_OFFSET;
import static io.vireo.dataplane.nativeio.Netlink.IFLA_ADDRESS;
import static io.vireo.dataplane.nativeio.Netlink.IFLA_EXT_MASK;
import static io.vireo.dataplane.nativeio.Netlink.IFLA_IFNAME;
import static io.vireo.dataplane.nativeio.Netlink.IFLA_INFO_KIND;
import static io.vireo.dataplane.nativeio.Netlink.IFLA_LINKINFO;
import static io.vireo.dataplane.nativeio.Netlink.IFLA_MTU;
import static io.vireo.dataplane.nativeio.Netlink.IFLA_NET_NS_FD;
import static io.vireo.dataplane.nativeio.Netlink.NLM_F_ACK;
import static io.vireo.dataplane.nativeio.Netlink.NLM_F_CREATE;
import static io.vireo.dataplane.nativeio.Netlink.NLM_F_DUMP;
import static io.vireo.dataplane.nativeio.Netlink.NLM_F_EXCL;
import static io.vireo.dataplane.nativeio.Netlink.NLM_F_REQUEST;
import static io.vireo.dataplane.nativeio.Netlink.RTA_DST;
import static io.vireo.dataplane.nativeio.Netlink.RTA_GATEWAY;
import static io.vireo.dataplane.nativeio.Netlink.RTA_OIF;
import static io.vireo.dataplane.nativeio.Netlink.RTEXT_FILTER_SKIP_STATS;
import static io.vireo.dataplane.nativeio.Netlink.RTEXT_FILTER_VF;
import static io.vireo.dataplane.nativeio.Netlink.RTM_GETADDR;
import static io.vireo.dataplane.nativeio.Netlink.RTM_GETLINK;
import static io.vireo.dataplane.nativeio.Netlink.RTM_NEWADDR;
import static io.vireo.dataplane.nativeio.Netlink.RTM_NEWLINK;
import static io.vireo.dataplane.nativeio.Netlink.RTM_NEWROUTE;
import static io.vireo.dataplane.nativeio.Netlink.RTN_UNICAST;
import static io.vireo.dataplane.nativeio.Netlink.RTPROT_BOOT;
import static io.vireo.dataplane.nativeio.Netlink.RT_SCOPE_LINK;
import static io.vireo.dataplane.nativeio.Netlink.RT_SCOPE_UNIVERSE;
import static io.vireo.dataplane.nativeio.Netlink.RT_TABLE_MAIN;

/**
 * The rtnetlink requests {@link RtNetlink} sends, each as iproute2's {@code ip} sends it (with NLM_F_ACK
 * where ip goes without), and what it reads from the answers. Layouts: {@link Netlink}.
 */
final class RtMessages
{
    private static final int CHANGE = NLM_F_REQUEST | NLM_F_ACK;
    private static final int CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    private static final HexFormat HARDWARE_ADDRESS = HexFormat.ofDelimiter(":");

    private final NetlinkWriter writer;
    private final NetlinkAttributes attributes = new NetlinkAttributes();
    private final NetlinkAttributes nested = new NetlinkAttributes();

    /** @param request where the requests are written, from offset 0. */
    RtMessages(final MutableDirectBuffer request)
    {
        this.writer = new NetlinkWriter(request);
    }

    /** {@code ip link show dev NAME}: RTM_GETLINK by name, without VF details or statistics. @return its length. */
    int getLink(final int sequence, final String name)
    {
        return writer.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, sequence)
            .ifinfomsg(AF_UNSPEC, 0, 0, 0)
            .attribute(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS)
            .attribute(IFLA_IFNAME, name)
            .finish();
    }

    /** A dump of every address of every family: the kernel filters by link only with strict checking on. */
    int getAddresses(final int sequence)
    {
        return writer.begin(RTM_GETADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, sequence)
            .ifaddrmsg(AF_UNSPEC, 0, 0)
            .finish();
    }

    /** {@code ip link set dev NAME [address MAC] [mtu MTU] [name NEW] [up|down]}. */
    int changeLink(final int sequence, final int index, final RtNetlink.LinkChange change)
    {
        final boolean state = null != change.up();
        writer.begin(RTM_NEWLINK, CHANGE, sequence)
            .ifinfomsg(AF_UNSPEC, index, state && change.up() ? IFF_UP : 0, state ? IFF_UP : 0);
        if (null != change.address())
        {
            writer.attribute(IFLA_ADDRESS, HARDWARE_ADDRESS.parseHex(change.address()));
        }
        if (null != change.mtu())
        {
            writer.attribute(IFLA_MTU, change.mtu());
        }
        if (null != change.name())
        {
            writer.attribute(IFLA_IFNAME, change.name());
        }
        return writer.finish();
    }

    /** {@code ip link set dev NAME netns PATH}, with {@code namespaceFd} open on PATH. */
    int moveLink(final int sequence, final int index, final int namespaceFd)
    {
        return writer.begin(RTM_NEWLINK, CHANGE, sequence)
            .ifinfomsg(AF_UNSPEC, index, 0, 0)
            .attribute(IFLA_NET_NS_FD, namespaceFd)
            .finish();
    }

    /** {@code ip addr add ADDRESS/PREFIX dev NAME}: the address as both IFA_LOCAL and IFA_ADDRESS, no flags. */
    int addAddress(final int sequence, final int index, final byte[] address, final int prefixLength)
    {
        return writer.begin(RTM_NEWADDR, CREATE, sequence)
            .ifaddrmsg(family(address), prefixLength, index)
            .attribute(IFA_LOCAL, address)
            .attribute(IFA_ADDRESS, address)
            .finish();
    }

    /** {@code ip route add DESTINATION/PREFIX [via GATEWAY] dev NAME}, to the main table; {@code gateway} may be null. */
    int addRoute(final int sequence, final byte[] destination, final int prefixLength, final byte[] gateway, final int index)
    {
        final int family = family(destination);
        // ip's rule: an IPv4 route with no gateway reaches hosts on the link.
        final int scope = AF_INET == family && null == gateway ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
        writer.begin(RTM_NEWROUTE, CREATE, sequence)
            .rtmsg(family, prefixLength, RT_TABLE_MAIN, RTPROT_BOOT, scope, RTN_UNICAST)
            .attribute(RTA_DST, destination);
        if (null != gateway)
        {
            writer.attribute(RTA_GATEWAY, gateway);
        }
        return writer.attribute(RTA_OIF, index).finish();
    }

    /** The link an RTM_NEWLINK message describes. */
    RtNetlink.Link link(final NetlinkReader message)
    {
        final int at = message.payloadOffset(IFINFOMSG_LENGTH, "struct ifinfomsg");
        String name = null;
        String address = null;
        int mtu = 0;
        String kind = null;
        attributes.wrap(message.buffer(), at + IFINFOMSG_LENGTH, message.payloadLength() - IFINFOMSG_LENGTH);
        while (attributes.next())
        {
            switch (attributes.type())
            {
                case IFLA_IFNAME -> name = attributes.string();
                case IFLA_ADDRESS -> address = HARDWARE_ADDRESS.formatHex(attributes.bytes());
                case IFLA_MTU -> mtu = attributes.u32();
                case IFLA_LINKINFO -> kind = kind(message);
                default ->
                {
                }
            }
        }
        return new RtNetlink.Link(message.buffer().getInt(at + IFI_INDEX_OFFSET), name, address, mtu,
            message.buffer().getInt(at + IFI_FLAGS_OFFSET), kind);
    }

    /** IFLA_INFO_KIND inside the IFLA_LINKINFO attribute {@link #attributes} is at. */
    private String kind(final NetlinkReader message)
    {
        nested.wrap(message.buffer(), attributes.valueOffset(), attributes.valueLength());
        while (nested.next())
        {
            if (IFLA_INFO_KIND == nested.type())
            {
                return nested.string();
            }
        }
        return null;
    }

    /** The address an RTM_NEWADDR message describes if it is link {@code index}'s and IPv4 or IPv6, else null. */
    RtNetlink.Address address(final NetlinkReader message, final int index)
    {
        final int at = message.payloadOffset(IFADDRMSG_LENGTH, "struct ifaddrmsg");
        final int family = message.buffer().getByte(at + IFA_FAMILY_OFFSET);
        if (index != message.buffer().getInt(at + IFA_INDEX_OFFSET) || (AF_INET != family && AF_INET6 != family))
        {
            return null;
        }
        byte[] local = null;
        byte[] address = null;
        attributes.wrap(message.buffer(), at + IFADDRMSG_LENGTH, message.payloadLength() - IFADDRMSG_LENGTH);
        while (attributes.next())
        {
            if (IFA_LOCAL == attributes.type())
            {
                local = attributes.bytes();
            }
            else if (IFA_ADDRESS == attributes.type())
            {
                address = attributes.bytes();
            }
        }
        // IPv4 gives the link's own address as IFA_LOCAL (IFA_ADDRESS is the peer's on a point-to-point link),
        // IPv6 as IFA_ADDRESS alone; ip shows them the same way.
        final byte[] own = null != local ? local : address;
        if (null == own || own.length != (AF_INET == family ? 4 : 16))
        {
            throw NetlinkException.malformed(
                "an address of family " + family + " in " + (null == own ? "no" : own.length) + " bytes");
        }
        return new RtNetlink.Address(inetAddress(own), message.buffer().getByte(at + IFA_PREFIX_LENGTH_OFFSET) & 0xFF);
    }

    private static int family(final byte[] address)
    {
        return 4 == address.length ? AF_INET : AF_INET6;
    }

    /** An IPv6 address stays one even when it is IPv4-mapped, as the kernel has it. */
    private static InetAddress inetAddress(final byte[] bytes)
    {
        try
        {
            return 4 == bytes.length ? InetAddress.getByAddress(bytes) : Inet6Address.getByAddress(null, bytes, -1);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException("an address of " + bytes.length + " bytes", ex);
        }
    }
}
