package io.vireo.vswitch.core;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.gateway.dns.DnsResponder;
import io.vireo.gateway.dns.DnsStats;
import io.vireo.gateway.router.RouterDirectory;

/**
 * The routers' DNS servers as the API sets and reads them: the settings go to {@link Routers}, the queries for an
 * upstream to a {@link DnsUpstream} thread started once a router has an upstream, and the figures come from both.
 * Control thread only: the caller holds the switch's lock.
 */
final class RoutersDns implements AutoCloseable
{
    private final Routers routers;
    private final RouterDirectory directory;
    private final InjectionPorts injectionPorts;
    /** Null until a router has an upstream. */
    private DnsUpstream upstream;

    RoutersDns(final Routers routers, final RouterDirectory directory, final InjectionPorts injectionPorts)
    {
        this.routers = routers;
        this.directory = directory;
        this.injectionPorts = injectionPorts;
    }

    /** Sets a router's DNS server: each field given replaces what it has; the upstream thread follows. */
    DnsSpec set(final String router, final DnsSpec spec)
    {
        final DnsSpec set = routers.setDns(router, spec);
        final Map<Integer, InetSocketAddress> upstreams = routers.upstreams();
        if (null == upstream && !upstreams.isEmpty())
        {
            upstream = new DnsUpstream(directory, injectionPorts::onBridge);
        }
        if (null != upstream)
        {
            upstream.upstreams(upstreams);
        }
        return set;
    }

    /**
     * DNS queries the routers took, by outcome name (answered, nxdomain, formerr, dropped, ...), and those passed
     * upstream: upstream_sent, upstream_answered, upstream_unanswered.
     */
    Map<String, Long> counts()
    {
        final Map<String, Long> counts = new LinkedHashMap<>();
        for (int outcome = 0; outcome < DnsResponder.OUTCOMES; outcome++)
        {
            counts.put(DnsStats.name(outcome), directory.dnsStats().count(outcome));
        }
        final Map<String, Long> upstreamCounts = null == upstream ? Map.of() : upstream.counts();
        for (final String name : List.of("sent", "answered", "unanswered"))
        {
            counts.put("upstream_" + name, upstreamCounts.getOrDefault(name, 0L));
        }
        return counts;
    }

    /** Stops the upstream thread, if one runs: before the injection ports it writes go. */
    @Override
    public void close()
    {
        if (null != upstream)
        {
            upstream.close();
        }
    }
}
