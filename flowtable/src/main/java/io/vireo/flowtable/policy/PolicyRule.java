package io.vireo.flowtable.policy;

import java.util.Objects;

import io.vireo.flowtable.MacAddress;

/**
 * One endpoint policy rule: allow or deny frames whose fields match. Every field is optional; an
 * absent field matches anything. A rule matches a frame when all its fields do:
 * <ul>
 *   <li>source / destination MAC: equal to the frame's.</li>
 *   <li>source / destination prefix: the frame is of the prefix's family (by EtherType) and its
 *   address is inside the prefix. {@code 0.0.0.0/0} therefore matches every IPv4 frame and no
 *   other. When both are given they must be of one family.</li>
 *   <li>protocol: the frame is IPv4 or IPv6 and carries this protocol (next header).</li>
 *   <li>source / destination ports: an inclusive range; the rule must then name protocol TCP, UDP
 *   or SCTP.</li>
 * </ul>
 * Of the rules that match, the one with the highest priority decides; among equal priorities the
 * lowest rule id (the earliest added). With none, the bridge's default action decides.
 * <p>
 * Immutable; built with {@link #builder()}, which validates each field and the combination and
 * throws {@link IllegalArgumentException} naming what is wrong. The id is 0 until
 * {@link PolicyTable#add} assigns one.
 */
public final class PolicyRule
{
    /** Lowest priority. */
    public static final int MIN_PRIORITY = 0;
    /** Highest priority. */
    public static final int MAX_PRIORITY = 0xFFFF;
    /** No MAC condition. */
    public static final long ANY_MAC = -1;
    /** No protocol condition. */
    public static final int ANY_PROTOCOL = -1;
    public static final int PROTOCOL_TCP = 6;
    public static final int PROTOCOL_UDP = 17;
    public static final int PROTOCOL_SCTP = 132;
    /** Largest L4 port. */
    public static final int MAX_PORT = 0xFFFF;

    private static final int NO_ACTION = -1;

    private final int id;
    private final int priority;
    private final int action;
    private final long sourceMac;
    private final long destinationMac;
    private final IpPrefix sourcePrefix;
    private final IpPrefix destinationPrefix;
    private final int protocol;
    private final int sourcePortLow;
    private final int sourcePortHigh;
    private final int destinationPortLow;
    private final int destinationPortHigh;

    private PolicyRule(final Builder builder, final int id)
    {
        this.id = id;
        priority = builder.priority;
        action = builder.action;
        sourceMac = builder.sourceMac;
        destinationMac = builder.destinationMac;
        sourcePrefix = builder.sourcePrefix;
        destinationPrefix = builder.destinationPrefix;
        protocol = builder.protocol;
        sourcePortLow = builder.sourcePortLow;
        sourcePortHigh = builder.sourcePortHigh;
        destinationPortLow = builder.destinationPortLow;
        destinationPortHigh = builder.destinationPortHigh;
    }

    /**
     * @return a builder for a rule that matches everything at priority 0; the action must be set.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @return the id {@link PolicyTable#add} assigned, 0 before.
     */
    public int id()
    {
        return id;
    }

    public int priority()
    {
        return priority;
    }

    /**
     * @return {@link PolicyTable#ALLOW} or {@link PolicyTable#DENY}.
     */
    public int action()
    {
        return action;
    }

    /**
     * @return the MAC in the low 48 bits, or {@link #ANY_MAC}.
     */
    public long sourceMac()
    {
        return sourceMac;
    }

    /**
     * @return the MAC in the low 48 bits, or {@link #ANY_MAC}.
     */
    public long destinationMac()
    {
        return destinationMac;
    }

    /**
     * @return the prefix, or null for any address (and frames without IP).
     */
    public IpPrefix sourcePrefix()
    {
        return sourcePrefix;
    }

    /**
     * @return the prefix, or null for any address (and frames without IP).
     */
    public IpPrefix destinationPrefix()
    {
        return destinationPrefix;
    }

    /**
     * @return 0..255, or {@link #ANY_PROTOCOL}.
     */
    public int protocol()
    {
        return protocol;
    }

    public int sourcePortLow()
    {
        return sourcePortLow;
    }

    public int sourcePortHigh()
    {
        return sourcePortHigh;
    }

    public int destinationPortLow()
    {
        return destinationPortLow;
    }

    public int destinationPortHigh()
    {
        return destinationPortHigh;
    }

    /**
     * @return true if the rule restricts source ports.
     */
    public boolean hasSourcePorts()
    {
        return 0 != sourcePortLow || MAX_PORT != sourcePortHigh;
    }

    /**
     * @return true if the rule restricts destination ports.
     */
    public boolean hasDestinationPorts()
    {
        return 0 != destinationPortLow || MAX_PORT != destinationPortHigh;
    }

    /**
     * The same rule with the id the table assigned.
     */
    PolicyRule withId(final int id)
    {
        return new PolicyRule(toBuilder(), id);
    }

    /**
     * @return a builder holding this rule's fields, to derive a changed rule.
     */
    public Builder toBuilder()
    {
        final Builder builder = new Builder();
        builder.priority = priority;
        builder.action = action;
        builder.sourceMac = sourceMac;
        builder.destinationMac = destinationMac;
        builder.sourcePrefix = sourcePrefix;
        builder.destinationPrefix = destinationPrefix;
        builder.protocol = protocol;
        builder.sourcePortLow = sourcePortLow;
        builder.sourcePortHigh = sourcePortHigh;
        builder.destinationPortLow = destinationPortLow;
        builder.destinationPortHigh = destinationPortHigh;
        return builder;
    }

    @Override
    public boolean equals(final Object other)
    {
        if (!(other instanceof PolicyRule))
        {
            return false;
        }
        final PolicyRule rule = (PolicyRule)other;
        return id == rule.id && priority == rule.priority && action == rule.action &&
            sourceMac == rule.sourceMac && destinationMac == rule.destinationMac &&
            Objects.equals(sourcePrefix, rule.sourcePrefix) && Objects.equals(destinationPrefix, rule.destinationPrefix) &&
            protocol == rule.protocol &&
            sourcePortLow == rule.sourcePortLow && sourcePortHigh == rule.sourcePortHigh &&
            destinationPortLow == rule.destinationPortLow && destinationPortHigh == rule.destinationPortHigh;
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(id, priority, action, sourceMac, destinationMac, sourcePrefix, destinationPrefix, protocol,
            sourcePortLow, sourcePortHigh, destinationPortLow, destinationPortHigh);
    }

    /**
     * @return e.g. {@code #7 priority 100 deny tcp src 10.0.0.0/8 dst-port 80-89}; absent fields are
     * left out.
     */
    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder()
            .append('#').append(id)
            .append(" priority ").append(priority)
            .append(' ').append(PolicyTable.ALLOW == action ? "allow" : "deny");
        if (ANY_PROTOCOL != protocol)
        {
            text.append(' ').append(protocolName(protocol));
        }
        if (ANY_MAC != sourceMac)
        {
            text.append(" src-mac ").append(MacAddress.format(sourceMac));
        }
        if (ANY_MAC != destinationMac)
        {
            text.append(" dst-mac ").append(MacAddress.format(destinationMac));
        }
        if (null != sourcePrefix)
        {
            text.append(" src ").append(sourcePrefix);
        }
        if (null != destinationPrefix)
        {
            text.append(" dst ").append(destinationPrefix);
        }
        if (hasSourcePorts())
        {
            text.append(" src-port ").append(range(sourcePortLow, sourcePortHigh));
        }
        if (hasDestinationPorts())
        {
            text.append(" dst-port ").append(range(destinationPortLow, destinationPortHigh));
        }
        return text.toString();
    }

    private static String protocolName(final int protocol)
    {
        switch (protocol)
        {
            case PROTOCOL_TCP:
                return "tcp";
            case PROTOCOL_UDP:
                return "udp";
            case PROTOCOL_SCTP:
                return "sctp";
            default:
                return "protocol " + protocol;
        }
    }

    private static String range(final int low, final int high)
    {
        return low == high ? Integer.toString(low) : low + "-" + high;
    }

    /**
     * Collects a rule's fields, checking each as it is set and the combination in {@link #build()}.
     */
    public static final class Builder
    {
        private int priority = MIN_PRIORITY;
        private int action = NO_ACTION;
        private long sourceMac = ANY_MAC;
        private long destinationMac = ANY_MAC;
        private IpPrefix sourcePrefix;
        private IpPrefix destinationPrefix;
        private int protocol = ANY_PROTOCOL;
        private int sourcePortLow;
        private int sourcePortHigh = MAX_PORT;
        private int destinationPortLow;
        private int destinationPortHigh = MAX_PORT;

        private Builder()
        {
        }

        /**
         * @param priority {@link #MIN_PRIORITY}..{@link #MAX_PRIORITY}; higher wins.
         * @return this.
         */
        public Builder priority(final int priority)
        {
            if (priority < MIN_PRIORITY || priority > MAX_PRIORITY)
            {
                throw new IllegalArgumentException("priority must be " + MIN_PRIORITY + ".." + MAX_PRIORITY + ": " + priority);
            }
            this.priority = priority;
            return this;
        }

        /**
         * @param action {@link PolicyTable#ALLOW} or {@link PolicyTable#DENY}.
         * @return this.
         */
        public Builder action(final int action)
        {
            this.action = PolicyTable.checkAction(action);
            return this;
        }

        /**
         * @return this, allowing what matches.
         */
        public Builder allow()
        {
            return action(PolicyTable.ALLOW);
        }

        /**
         * @return this, denying what matches.
         */
        public Builder deny()
        {
            return action(PolicyTable.DENY);
        }

        /**
         * @param mac in the low 48 bits, or {@link #ANY_MAC}.
         * @return this.
         */
        public Builder sourceMac(final long mac)
        {
            sourceMac = checkMac("source", mac);
            return this;
        }

        /**
         * @param mac in the low 48 bits, or {@link #ANY_MAC}.
         * @return this.
         */
        public Builder destinationMac(final long mac)
        {
            destinationMac = checkMac("destination", mac);
            return this;
        }

        /**
         * @param prefix the source prefix, or null for any.
         * @return this.
         */
        public Builder sourcePrefix(final IpPrefix prefix)
        {
            sourcePrefix = prefix;
            return this;
        }

        /**
         * @param prefix the destination prefix, or null for any.
         * @return this.
         */
        public Builder destinationPrefix(final IpPrefix prefix)
        {
            destinationPrefix = prefix;
            return this;
        }

        /**
         * @param protocol 0..255 (e.g. {@link #PROTOCOL_TCP}), or {@link #ANY_PROTOCOL}.
         * @return this.
         */
        public Builder protocol(final int protocol)
        {
            if (ANY_PROTOCOL != protocol && (protocol < 0 || protocol > 0xFF))
            {
                throw new IllegalArgumentException("IP protocol must be 0..255: " + protocol);
            }
            this.protocol = protocol;
            return this;
        }

        /**
         * @param low  first port, 0..65535.
         * @param high last port, low..65535.
         * @return this.
         */
        public Builder sourcePorts(final int low, final int high)
        {
            checkPorts("source", low, high);
            sourcePortLow = low;
            sourcePortHigh = high;
            return this;
        }

        /**
         * @param low  first port, 0..65535.
         * @param high last port, low..65535.
         * @return this.
         */
        public Builder destinationPorts(final int low, final int high)
        {
            checkPorts("destination", low, high);
            destinationPortLow = low;
            destinationPortHigh = high;
            return this;
        }

        /**
         * @return the rule, id 0.
         * @throws IllegalArgumentException if the fields do not make a rule.
         */
        public PolicyRule build()
        {
            if (NO_ACTION == action)
            {
                throw new IllegalArgumentException("a rule needs an action: allow or deny");
            }
            if (null != sourcePrefix && null != destinationPrefix && sourcePrefix.isIpv4() != destinationPrefix.isIpv4())
            {
                throw new IllegalArgumentException("source prefix " + sourcePrefix + " and destination prefix " +
                    destinationPrefix + " are of different IP versions; a frame has one");
            }
            final boolean ports = 0 != sourcePortLow || MAX_PORT != sourcePortHigh ||
                0 != destinationPortLow || MAX_PORT != destinationPortHigh;
            if (ports && PROTOCOL_TCP != protocol && PROTOCOL_UDP != protocol && PROTOCOL_SCTP != protocol)
            {
                throw new IllegalArgumentException("port ranges need protocol tcp (6), udp (17) or sctp (132), not " +
                    (ANY_PROTOCOL == protocol ? "any protocol" : "protocol " + protocol));
            }
            return new PolicyRule(this, 0);
        }

        private static long checkMac(final String which, final long mac)
        {
            if (ANY_MAC != mac && (mac & ~MacAddress.BROADCAST) != 0)
            {
                throw new IllegalArgumentException(which + " MAC is not a 48-bit address: 0x" + Long.toHexString(mac));
            }
            return mac;
        }

        private static void checkPorts(final String which, final int low, final int high)
        {
            if (low < 0 || low > MAX_PORT || high < 0 || high > MAX_PORT)
            {
                throw new IllegalArgumentException(which + " ports must be 0.." + MAX_PORT + ": " + low + "-" + high);
            }
            if (low > high)
            {
                throw new IllegalArgumentException(which + " port range is inverted: " + low + "-" + high);
            }
        }
    }
}
