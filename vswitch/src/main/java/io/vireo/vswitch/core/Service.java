package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.gateway.service.BackendStats;
import io.vireo.gateway.service.Maglev;
import io.vireo.gateway.service.ServiceView;

/**
 * One load-balanced service of a router as the control plane keeps it: what it was given (checked and
 * normalised), its backends with their {@link BackendStats} slots and health, and its forwarding view,
 * built again only when something it shows changes. Called under {@link Vireo}'s lock.
 */
final class Service
{
    static final int MAX_WEIGHT = 1000;
    static final int MAX_BACKENDS_PER_SERVICE = 1000;
    static final String STATIC = "static";
    static final String REGISTRY = "registry";

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final List<String> ALGORITHMS = List.of("rr", "wrr", "least-conn", "source-hash", "maglev");
    private static final ServiceSpec.HealthCheck DEFAULT_HEALTH = new ServiceSpec.HealthCheck(true, 2_000L, 1_000L, 2, 3);

    final String name;
    final int routerId;
    final String routerName;
    final String vipText;
    final String protocolName;
    final int protocol;
    final int vip;
    final int port;
    final String algorithm;
    final String registry;
    final ServiceSpec.HealthCheck health;
    final List<Backend> backends = new ArrayList<>();
    private final AtomicLong turn = new AtomicLong();
    private ServiceView view;

    private Service(final String name, final int routerId, final String routerName, final String vipText,
        final String protocolName, final int vip, final int port, final String algorithm, final String registry,
        final ServiceSpec.HealthCheck health)
    {
        this.name = name;
        this.routerId = routerId;
        this.routerName = routerName;
        this.vipText = vipText;
        this.protocolName = protocolName;
        this.protocol = "udp".equals(protocolName) ? 17 : 6;
        this.vip = vip;
        this.port = port;
        this.algorithm = algorithm;
        this.registry = registry;
        this.health = health;
    }

    /**
     * @param routerId   the id of the router it belongs to.
     * @param routerName that router's name.
     * @throws VireoException (invalid) naming what is wrong with the spec.
     */
    static Service of(final ServiceSpec spec, final int routerId, final String routerName)
    {
        if (null == spec.name() || !NAME.matcher(spec.name()).matches())
        {
            throw VireoException.invalid("invalid service name '" + spec.name() +
                "': a DNS label, 1-63 lower-case letters, digits and '-', not starting or ending with '-'");
        }
        final String protocol = null == spec.protocol() ? "tcp" : spec.protocol().toLowerCase(Locale.ROOT);
        if (!"tcp".equals(protocol) && !"udp".equals(protocol))
        {
            throw VireoException.invalid("protocol must be tcp or udp: " + spec.protocol());
        }
        final String algorithm = null == spec.algorithm() ? "rr" : spec.algorithm();
        if (!ALGORITHMS.contains(algorithm))
        {
            throw VireoException.invalid("algorithm must be one of " + String.join(", ", ALGORITHMS) + ": " + algorithm);
        }
        if (null != spec.registry() && !NAME.matcher(spec.registry()).matches())
        {
            throw VireoException.invalid("invalid registry service name '" + spec.registry() + "'");
        }
        final long endpoint = endpoint(spec.vip(), "vip");
        return new Service(spec.name(), routerId, routerName, format(endpoint), protocol, (int)(endpoint >>> 16),
            (int)endpoint & 0xFFFF, algorithm, spec.registry(), health(spec.health(), "udp".equals(protocol)));
    }

    /** The spec that makes this service again: its static backends, the health as filled in. */
    ServiceSpec spec()
    {
        return new ServiceSpec(name, vipText, protocolName, algorithm, registry, health, backends.stream()
            .filter(backend -> !backend.fromRegistry)
            .map(backend -> new ServiceSpec.BackendSpec(backend.text(), backend.weight))
            .toList());
    }

    /** The backend at this address and port, or null. */
    Backend backend(final long endpoint)
    {
        for (final Backend backend : backends)
        {
            if (backend.endpoint() == endpoint)
            {
                return backend;
            }
        }
        return null;
    }

    /** Something the forwarding view shows changed: it is built again when next asked for. */
    void changed()
    {
        view = null;
    }

    ServiceView view()
    {
        if (null == view)
        {
            final int count = backends.size();
            final int[] addresses = new int[count];
            final int[] ports = new int[count];
            final int[] weights = new int[count];
            final int[] slots = new int[count];
            final boolean[] up = new boolean[count];
            for (int i = 0; i < count; i++)
            {
                final Backend backend = backends.get(i);
                addresses[i] = backend.address;
                ports[i] = backend.port;
                weights[i] = backend.weight;
                slots[i] = backend.slot;
                up[i] = backend.up;
            }
            view = new ServiceView(protocol, vip, port, ALGORITHMS.indexOf(algorithm), addresses, ports, weights, slots, up, turn,
                Maglev.DEFAULT_TABLE_SIZE);
        }
        return view;
    }

    ServiceInfo info(final BackendSlots slots)
    {
        return new ServiceInfo(name, vipText, protocolName, algorithm, registry, health, backends.stream()
            .map(backend -> new ServiceInfo.BackendInfo(backend.text(), backend.weight,
                backend.fromRegistry ? REGISTRY : STATIC, backend.up ? "up" : "down", slots.open(backend.slot),
                slots.connections(backend.slot), slots.packets(backend.slot), slots.bytes(backend.slot)))
            .toList());
    }

    /**
     * Parses {@code IP:PORT} (IPv4).
     *
     * @return {@code address << 16 | port}.
     * @throws VireoException (invalid) saying what is wrong.
     */
    static long endpoint(final String text, final String what)
    {
        final int colon = null == text ? -1 : text.lastIndexOf(':');
        if (colon <= 0)
        {
            throw VireoException.invalid("give " + what + " as IPV4-ADDRESS:PORT: " + text);
        }
        final IpPrefix address = Routers.parsePrefix(text.substring(0, colon));
        if (!address.isIpv4() || address.length() != 32)
        {
            throw VireoException.invalid(what + " must be one IPv4 address and a port: " + text);
        }
        final int port;
        try
        {
            port = Integer.parseInt(text.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw VireoException.invalid("invalid port in " + what + " " + text);
        }
        if (port < 1 || port > 65_535)
        {
            throw VireoException.invalid("the port in " + what + " must be 1..65535: " + text);
        }
        return ((address.low() & 0xFFFF_FFFFL) << 16) | port;
    }

    static String format(final long endpoint)
    {
        return IpPrefix.formatIpv4((int)(endpoint >>> 16)) + ":" + (endpoint & 0xFFFF);
    }

    static int weight(final Integer weight)
    {
        final int value = null == weight ? 1 : weight;
        if (value < 1 || value > MAX_WEIGHT)
        {
            throw VireoException.invalid("weight must be 1.." + MAX_WEIGHT + ": " + weight);
        }
        return value;
    }

    private static ServiceSpec.HealthCheck health(final ServiceSpec.HealthCheck given, final boolean udp)
    {
        final ServiceSpec.HealthCheck spec = null == given ? new ServiceSpec.HealthCheck(null, null, null, null, null) : given;
        final boolean enabled = null == spec.enabled() ? !udp : spec.enabled();
        if (enabled && udp)
        {
            throw VireoException.invalid("a UDP service's backends cannot be probed (a TCP SYN is the probe): " +
                "leave health out or disable it");
        }
        final long interval = null == spec.intervalMs() ? DEFAULT_HEALTH.intervalMs() : spec.intervalMs();
        final long timeout = null == spec.timeoutMs() ? Math.min(DEFAULT_HEALTH.timeoutMs(), interval / 2) : spec.timeoutMs();
        final int rise = null == spec.rise() ? DEFAULT_HEALTH.rise() : spec.rise();
        final int fall = null == spec.fall() ? DEFAULT_HEALTH.fall() : spec.fall();
        if (interval < 100 || interval > 3_600_000)
        {
            throw VireoException.invalid("the probe interval must be 100 ms to 1 hour: " + interval + " ms");
        }
        if (timeout < 10 || timeout >= interval)
        {
            throw VireoException.invalid("the probe timeout must be at least 10 ms and less than the interval: " + timeout + " ms");
        }
        if (rise < 1 || rise > 100 || fall < 1 || fall > 100)
        {
            throw VireoException.invalid("rise and fall must be 1..100: " + rise + ", " + fall);
        }
        return new ServiceSpec.HealthCheck(enabled, interval, timeout, rise, fall);
    }

    /** A backend: where it is, its weight, where it came from, its figures' slot and its health. */
    static final class Backend
    {
        final int address;
        final int port;
        final boolean fromRegistry;
        final int slot;
        int weight;
        boolean up = true;
        /** Probe results in a row: successes if positive, failures if negative. */
        int streak;
        /** When the next probe goes. */
        long nextProbeMs;
        /** When the probe in flight began (its SYN may wait for the next hop's MAC), or -1 for none. */
        long probeStartedMs = -1;
        /** The probe's sequence number, once its SYN went. */
        int probeSequence;
        boolean probeSent;

        Backend(final long endpoint, final int weight, final boolean fromRegistry, final int slot)
        {
            this.address = (int)(endpoint >>> 16);
            this.port = (int)endpoint & 0xFFFF;
            this.weight = weight;
            this.fromRegistry = fromRegistry;
            this.slot = slot;
        }

        long endpoint()
        {
            return ((address & 0xFFFF_FFFFL) << 16) | port;
        }

        String text()
        {
            return format(endpoint());
        }
    }
}
