package io.vireo.vswitch.link;

/**
 * One change to an interface or to the routes of a network namespace, as one {@code ip} command would make
 * it; {@link Links#apply} makes a list of them over one netlink socket, in order. A device is named as it is
 * when the operation runs (after an earlier {@link Rename}, by its new name). {@link #toString()} is the
 * {@code ip} command, without {@code ip}, for messages.
 */
public sealed interface LinkOperation
{
    static LinkOperation up(final String device)
    {
        return new SetLink(device, null, null, true);
    }

    static LinkOperation down(final String device)
    {
        return new SetLink(device, null, null, false);
    }

    /** {@code link set dev DEVICE [address MAC] [mtu MTU] [up|down]}; a null setting stays as it is. */
    record SetLink(String device, String mac, Integer mtu, Boolean up) implements LinkOperation
    {
        @Override
        public String toString()
        {
            return "link set dev " + device + (null == mac ? "" : " address " + mac) + (null == mtu ? "" : " mtu " + mtu) +
                (null == up ? "" : up ? " up" : " down");
        }
    }

    /** {@code link set dev DEVICE name NAME}. */
    record Rename(String device, String name) implements LinkOperation
    {
        @Override
        public String toString()
        {
            return "link set dev " + device + " name " + name;
        }
    }

    /** {@code link set dev DEVICE netns NETNS}, NETNS a name under /run/netns or a path. */
    record Move(String device, String netns) implements LinkOperation
    {
        @Override
        public String toString()
        {
            return "link set dev " + device + " netns " + netns;
        }
    }

    /** {@code addr add CIDR dev DEVICE}, IPv4 or IPv6. */
    record AddAddress(String device, String cidr) implements LinkOperation
    {
        @Override
        public String toString()
        {
            return "addr add " + cidr + " dev " + device;
        }
    }

    /**
     * {@code route add DESTINATION [via GATEWAY] dev DEVICE} (DESTINATION an {@code address/prefix}, GATEWAY
     * null for a route on the link), except that a route to DESTINATION that exists already is kept and the
     * operation counts as done, as the reference CNI plugins have it: a container on two networks whose IPAM
     * both give a default route keeps the first network's.
     */
    record AddRoute(String destination, String gateway, String device) implements LinkOperation
    {
        @Override
        public String toString()
        {
            return "route add " + destination + (null == gateway ? "" : " via " + gateway) + " dev " + device;
        }
    }
}
