package io.vireo.vswitch.core;

import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.flowtable.policy.PolicyRule;
import io.vireo.flowtable.policy.PolicyTable;

/** Translation between {@link PolicySpec} (what users write) and flowtable's {@link PolicyRule}. */
final class PolicyRules
{
    static final int DEFAULT_PRIORITY = 100;

    private PolicyRules()
    {
    }

    /** @throws IllegalArgumentException naming the field that is wrong. */
    static PolicyRule toRule(final PolicySpec spec)
    {
        final PolicyRule.Builder rule = PolicyRule.builder()
            .priority(null == spec.priority() ? DEFAULT_PRIORITY : spec.priority())
            .action(action(spec.action()));
        if (null != spec.srcMac())
        {
            rule.sourceMac(MacAddress.parse(spec.srcMac()));
        }
        if (null != spec.dstMac())
        {
            rule.destinationMac(MacAddress.parse(spec.dstMac()));
        }
        if (null != spec.src())
        {
            rule.sourcePrefix(IpPrefix.parse(spec.src()));
        }
        if (null != spec.dst())
        {
            rule.destinationPrefix(IpPrefix.parse(spec.dst()));
        }
        if (null != spec.protocol())
        {
            rule.protocol(protocol(spec.protocol()));
        }
        if (null != spec.srcPorts())
        {
            final int[] range = ports(spec.srcPorts());
            rule.sourcePorts(range[0], range[1]);
        }
        if (null != spec.dstPorts())
        {
            final int[] range = ports(spec.dstPorts());
            rule.destinationPorts(range[0], range[1]);
        }
        return rule.build();
    }

    static PolicySpec toSpec(final PolicyRule rule)
    {
        return new PolicySpec(
            rule.id(),
            rule.priority(),
            actionName(rule.action()),
            PolicyRule.ANY_MAC == rule.sourceMac() ? null : MacAddress.format(rule.sourceMac()),
            PolicyRule.ANY_MAC == rule.destinationMac() ? null : MacAddress.format(rule.destinationMac()),
            null == rule.sourcePrefix() ? null : rule.sourcePrefix().toString(),
            null == rule.destinationPrefix() ? null : rule.destinationPrefix().toString(),
            PolicyRule.ANY_PROTOCOL == rule.protocol() ? null : protocolName(rule.protocol()),
            rule.hasSourcePorts() ? range(rule.sourcePortLow(), rule.sourcePortHigh()) : null,
            rule.hasDestinationPorts() ? range(rule.destinationPortLow(), rule.destinationPortHigh()) : null);
    }

    static int action(final String text)
    {
        if ("allow".equals(text))
        {
            return PolicyTable.ALLOW;
        }
        if ("deny".equals(text))
        {
            return PolicyTable.DENY;
        }
        throw new IllegalArgumentException("invalid action '" + text + "': use allow or deny");
    }

    static String actionName(final int action)
    {
        return action == PolicyTable.DENY ? "deny" : "allow";
    }

    private static int protocol(final String text)
    {
        switch (text)
        {
            case "tcp": return PolicyRule.PROTOCOL_TCP;
            case "udp": return PolicyRule.PROTOCOL_UDP;
            case "sctp": return PolicyRule.PROTOCOL_SCTP;
            case "icmp": return 1;
            case "icmpv6": return 58;
            default:
                try
                {
                    return Integer.parseInt(text);
                }
                catch (final NumberFormatException ex)
                {
                    throw new IllegalArgumentException(
                        "invalid protocol '" + text + "': use tcp, udp, sctp, icmp, icmpv6 or a number 0..255");
                }
        }
    }

    private static String protocolName(final int protocol)
    {
        switch (protocol)
        {
            case PolicyRule.PROTOCOL_TCP: return "tcp";
            case PolicyRule.PROTOCOL_UDP: return "udp";
            case PolicyRule.PROTOCOL_SCTP: return "sctp";
            case 1: return "icmp";
            case 58: return "icmpv6";
            default: return Integer.toString(protocol);
        }
    }

    private static int[] ports(final String text)
    {
        final int dash = text.indexOf('-');
        try
        {
            final int low = Integer.parseInt(dash < 0 ? text : text.substring(0, dash));
            final int high = dash < 0 ? low : Integer.parseInt(text.substring(dash + 1));
            return new int[] {low, high};
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("invalid port range '" + text + "': use PORT or LOW-HIGH");
        }
    }

    private static String range(final int low, final int high)
    {
        return low == high ? Integer.toString(low) : low + "-" + high;
    }
}
