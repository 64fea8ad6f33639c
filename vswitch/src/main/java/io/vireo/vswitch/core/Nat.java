package io.vireo.vswitch.core;

import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;

import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.gateway.nat.NatRules;

/** Translation between {@link NatRuleSpec} (what users write) and the forwarding threads' {@link NatRules}. */
final class Nat
{
    static final String MASQUERADE = "masquerade";
    static final String PUBLISH = "publish";

    private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9:_.\\-]{1,128}");

    private Nat()
    {
    }

    /**
     * @param id      the rule's id, or null.
     * @param bridges the bridges the router has interfaces on.
     * @return the rule, normalised, with that id.
     * @throws VireoException (invalid) naming what is wrong.
     */
    static NatRuleSpec check(final NatRuleSpec spec, final Integer id, final Set<String> bridges)
    {
        if (MASQUERADE.equals(spec.type()))
        {
            if (null != spec.protocol() || null != spec.port() || null != spec.to() || null != spec.on())
            {
                throw VireoException.invalid("a masquerade rule takes out and from only");
            }
            requireInterface(spec.out(), "out", bridges);
            final String from = null == spec.from() ? null : prefix(spec.from()).toString();
            return new NatRuleSpec(id, MASQUERADE, spec.out(), from, null, null, null, null, owner(spec.owner()));
        }
        if (PUBLISH.equals(spec.type()))
        {
            if (null != spec.out() || null != spec.from())
            {
                throw VireoException.invalid("a publish rule takes protocol, port, to and on only");
            }
            protocol(spec.protocol());
            port(spec.port(), "port");
            target(spec.to());
            if (null != spec.on())
            {
                requireInterface(spec.on(), "on", bridges);
            }
            return new NatRuleSpec(id, PUBLISH, null, null, spec.protocol(), spec.port(), spec.to(), spec.on(),
                owner(spec.owner()));
        }
        throw VireoException.invalid("NAT rule type must be masquerade or publish: " + spec.type());
    }

    /**
     * Whether two publish rules would both claim a new connection: the same protocol and port on a common
     * address (one of them on all of the router's addresses, or both on one bridge).
     */
    static boolean overlaps(final NatRuleSpec a, final NatRuleSpec b)
    {
        return PUBLISH.equals(a.type()) && PUBLISH.equals(b.type()) && a.protocol().equals(b.protocol()) &&
            a.port().equals(b.port()) && (null == a.on() || null == b.on() || a.on().equals(b.on()));
    }

    /** The rules of one router as its forwarding view, bridges named by id. */
    static NatRules compile(final List<NatRuleSpec> rules, final ToIntFunction<String> bridgeId)
    {
        final List<NatRuleSpec> masquerade = rules.stream().filter(rule -> MASQUERADE.equals(rule.type())).toList();
        final List<NatRuleSpec> publish = rules.stream().filter(rule -> PUBLISH.equals(rule.type())).toList();
        if (masquerade.isEmpty() && publish.isEmpty())
        {
            return NatRules.NONE;
        }
        return new NatRules(
            masquerade.stream().mapToInt(rule -> bridgeId.applyAsInt(rule.out())).toArray(),
            masquerade.stream().mapToInt(rule -> null == rule.from() ? 0 : (int)prefix(rule.from()).low()).toArray(),
            masquerade.stream().mapToInt(rule -> null == rule.from() ? 0 : prefix(rule.from()).length()).toArray(),
            publish.stream().mapToInt(rule -> protocol(rule.protocol())).toArray(),
            publish.stream().mapToInt(NatRuleSpec::port).toArray(),
            publish.stream().mapToInt(rule -> null == rule.on() ? -1 : bridgeId.applyAsInt(rule.on())).toArray(),
            publish.stream().mapToInt(rule -> (int)target(rule.to()).low()).toArray(),
            publish.stream().mapToInt(rule -> targetPort(rule.to())).toArray());
    }

    private static String owner(final String owner)
    {
        if (null != owner && !OWNER.matcher(owner).matches())
        {
            throw VireoException.invalid("invalid owner '" + owner + "': 1-128 letters, digits and ':_.-'");
        }
        return owner;
    }

    private static void requireInterface(final String bridge, final String field, final Set<String> bridges)
    {
        if (null == bridge)
        {
            throw VireoException.invalid("give " + field + ": the bridge of one of the router's interfaces");
        }
        if (!bridges.contains(bridge))
        {
            throw VireoException.invalid("the router has no interface on bridge " + bridge);
        }
    }

    private static IpPrefix prefix(final String text)
    {
        final IpPrefix prefix = Routers.parsePrefix(text);
        if (!prefix.isIpv4())
        {
            throw VireoException.invalid("NAT is IPv4 only: " + text);
        }
        return prefix;
    }

    private static int protocol(final String protocol)
    {
        if ("tcp".equals(protocol))
        {
            return 6;
        }
        if ("udp".equals(protocol))
        {
            return 17;
        }
        throw VireoException.invalid("protocol must be tcp or udp: " + protocol);
    }

    private static int port(final Integer port, final String what)
    {
        if (null == port || port < 1 || port > 65_535)
        {
            throw VireoException.invalid(what + " must be 1..65535: " + port);
        }
        return port;
    }

    private static IpPrefix target(final String to)
    {
        final int colon = null == to ? -1 : to.lastIndexOf(':');
        if (colon < 0)
        {
            throw VireoException.invalid("give to as IP:PORT: " + to);
        }
        final IpPrefix address = prefix(to.substring(0, colon));
        if (address.length() != 32)
        {
            throw VireoException.invalid("to must be one address and a port: " + to);
        }
        targetPort(to);
        return address;
    }

    private static int targetPort(final String to)
    {
        try
        {
            return port(Integer.parseInt(to.substring(to.lastIndexOf(':') + 1)), "the port in " + to);
        }
        catch (final NumberFormatException ex)
        {
            throw VireoException.invalid("invalid port in " + to);
        }
    }
}
