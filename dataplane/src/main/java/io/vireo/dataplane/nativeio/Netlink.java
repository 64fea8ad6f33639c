package io.vireo.dataplane.nativeio;

/**
 * The route netlink wire format, as {@code linux/netlink.h}, {@code linux/rtnetlink.h}, {@code linux/if_link.h}
 * and {@code linux/if_addr.h} define it: the structures {@link NetlinkWriter} writes and {@link NetlinkReader}
 * reads, and the numbers Vireo uses. Integers are in host byte order (little-endian on the hosts Vireo runs
 * on); addresses inside attributes are in network order, as bytes.
 * <pre>
 * A datagram holds one or more messages, each a header, a fixed structure and attributes, every part
 * starting on a 4-byte boundary:
 *
 * struct nlmsghdr (16 B)
 *  0              4          6          8              12             16
 * +--------------+----------+----------+--------------+--------------+
 * | nlmsg_len    | type     | flags    | nlmsg_seq    | nlmsg_pid    |
 * | (u32, whole  | (u16)    | (u16)    | (u32)        | (u32, port;  |
 * |  message)    |          |          |              |  0: kernel)  |
 * +--------------+----------+----------+--------------+--------------+
 *
 * struct rtattr (4 B, then the value, then zeros up to a 4-byte boundary)
 *  0          2          4
 * +----------+----------+------------------------+---------+
 * | rta_len  | rta_type | value                  | padding |
 * | (u16)    | (u16)    | (rta_len - 4 bytes)    |         |
 * +----------+----------+------------------------+---------+
 *  rta_len counts header and value, not the padding; bit 15 of rta_type marks a nested attribute
 *  (its value is attributes), bit 14 a value in network order.
 *
 * struct ifinfomsg (16 B), after the header of RTM_NEWLINK and RTM_GETLINK
 *  0        1        2          4              8              12             16
 * +--------+--------+----------+--------------+--------------+--------------+
 * | family | pad    | ifi_type | ifi_index    | ifi_flags    | ifi_change   |
 * | (u8)   |        | (u16)    | (i32)        | (u32, IFF_*) | (u32: flags  |
 * |        |        |          |              |              |  to change)  |
 * +--------+--------+----------+--------------+--------------+--------------+
 *
 * struct ifaddrmsg (8 B), after the header of RTM_NEWADDR and RTM_GETADDR
 *  0        1          2        3        4              8
 * +--------+----------+--------+--------+--------------+
 * | family | prefix-  | flags  | scope  | ifa_index    |
 * | (u8)   | len (u8) | (u8)   | (u8)   | (u32)        |
 * +--------+----------+--------+--------+--------------+
 *
 * struct rtmsg (12 B), after the header of RTM_NEWROUTE
 *  0        1        2        3        4        5          6        7        8              12
 * +--------+--------+--------+--------+--------+----------+--------+--------+--------------+
 * | family | dst_len| src_len| tos    | table  | protocol | scope  | type   | rtm_flags    |
 * +--------+--------+--------+--------+--------+----------+--------+--------+--------------+
 *   (all u8 but rtm_flags, u32)
 *
 * struct nlmsgerr, the payload of NLMSG_ERROR: the answer to a request with NLM_F_ACK
 *  0              4                         20
 * +--------------+-------------------------+---------------------------+--------------------+
 * | error (i32:  | the request's nlmsghdr  | the request's payload     | attributes         |
 * | 0 or -errno) | (16 B)                  | (absent if NLM_F_CAPPED)  | (if NLM_F_ACK_TLVS)|
 * +--------------+-------------------------+---------------------------+--------------------+
 *  NLMSGERR_ATTR_MSG among the attributes: the kernel's explanation, a NUL-terminated string.
 * NLMSG_DONE, the end of a dump, carries an i32 too: 0, or minus the errno that cut the dump short.
 * </pre>
 */
final class Netlink
{
    static final int AF_UNSPEC = 0;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;

    static final int HEADER_LENGTH = 16;
    static final int LENGTH_OFFSET = 0;
    static final int TYPE_OFFSET = 4;
    static final int FLAGS_OFFSET = 6;
    static final int SEQUENCE_OFFSET = 8;

    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int RTM_NEWLINK = 16;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWADDR = 20;
    static final int RTM_GETADDR = 22;
    static final int RTM_NEWROUTE = 24;

    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_MULTI = 0x2;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP_INTR = 0x10;
    static final int NLM_F_DUMP = 0x300;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;
    /** On NLMSG_ERROR: the request's payload is not echoed. */
    static final int NLM_F_CAPPED = 0x100;
    /** On NLMSG_ERROR: attributes follow the echoed request. */
    static final int NLM_F_ACK_TLVS = 0x200;

    static final int ATTRIBUTE_HEADER_LENGTH = 4;
    static final int ATTRIBUTE_TYPE_OFFSET = 2;
    /** rta_type without the nested and byte-order bits. */
    static final int ATTRIBUTE_TYPE_MASK = 0x3FFF;

    static final int IFINFOMSG_LENGTH = 16;
    static final int IFI_FAMILY_OFFSET = 0;
    static final int IFI_INDEX_OFFSET = 4;
    static final int IFI_FLAGS_OFFSET = 8;
    static final int IFI_CHANGE_OFFSET = 12;
    static final int IFF_UP = 0x1;

    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;
    static final int IFLA_LINKINFO = 18;
    static final int IFLA_NET_NS_FD = 28;
    static final int IFLA_EXT_MASK = 29;
    /** Inside IFLA_LINKINFO: the link's driver kind ("veth", "tun", "bridge"). */
    static final int IFLA_INFO_KIND = 1;
    /** IFLA_EXT_MASK as {@code ip link show} sends it: no VF details, no statistics. */
    static final int RTEXT_FILTER_VF = 0x1;
    static final int RTEXT_FILTER_SKIP_STATS = 0x8;

    static final int IFADDRMSG_LENGTH = 8;
    static final int IFA_FAMILY_OFFSET = 0;
    static final int IFA_PREFIX_LENGTH_OFFSET = 1;
    static final int IFA_INDEX_OFFSET = 4;
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;

    static final int RTMSG_LENGTH = 12;
    static final int RTM_FAMILY_OFFSET = 0;
    static final int RTM_DST_LENGTH_OFFSET = 1;
    static final int RTM_TABLE_OFFSET = 4;
    static final int RTM_PROTOCOL_OFFSET = 5;
    static final int RTM_SCOPE_OFFSET = 6;
    static final int RTM_TYPE_OFFSET = 7;
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RT_TABLE_MAIN = 254;
    /** What {@code ip route add} says made the route. */
    static final int RTPROT_BOOT = 3;
    static final int RT_SCOPE_UNIVERSE = 0;
    /** An IPv4 route with no gateway: the destination is on the link. */
    static final int RT_SCOPE_LINK = 253;
    static final int RTN_UNICAST = 1;

    static final int NLMSGERR_ERROR_OFFSET = 0;
    static final int NLMSGERR_REQUEST_OFFSET = 4;
    static final int NLMSGERR_ATTR_MSG = 1;

    private Netlink()
    {
    }

    /** {@code length} rounded up to the 4-byte boundary the next message or attribute starts on. */
    static int align(final int length)
    {
        return (length + 3) & ~3;
    }
}
