package io.vireo.vswitch.core;

import java.io.PrintStream;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.gateway.answer.RouterAnswers;
import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.router.NeighbourTable;
import io.vireo.gateway.router.NextHop;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.router.RouterInterface;
import io.vireo.gateway.router.RouterView;
import io.vireo.gateway.service.HealthProbes;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Probes the backends of services with health checks from the router itself, through the dataplane: a
 * TCP SYN from the router's address on the backend's side (port {@link HealthProbes#port}), written by the
 * control plane into the bridge's injection port, switched to the backend as any frame; the SYN/ACK or
 * reset it gets back is taken by the router stage ({@link HealthProbes}). A probe answered by a SYN/ACK
 * within the timeout is a success; a reset (nothing listens), no answer, no route or no answer to ARP is
 * a failure; {@code fall} failures
 * in a row take a backend out of selection, {@code rise} successes bring it back, each change logged and
 * published at once. A probe whose next hop's MAC is unknown first sends an ARP request and waits for the
 * answer within its timeout. Run by the conductor every tick, under the switch's lock.
 */
final class HealthProber
{
    private final Routers routers;
    private final RouterDirectory directory;
    private final NeighbourTable neighbours;
    private final IntFunction<LoopbackPort> portOnBridge;
    private final PrintStream log;
    private final HealthProbes probes;
    private final RouterAnswers answers = new RouterAnswers();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[128]);
    private final SplittableRandom random = new SplittableRandom();
    private long transitions;

    /**
     * @param portOnBridge the injection port of a bridge, or null if it has none.
     * @param log          where changes of health are told.
     */
    HealthProber(final Routers routers, final RouterDirectory directory, final NeighbourTable neighbours,
        final IntFunction<LoopbackPort> portOnBridge, final PrintStream log)
    {
        this.routers = routers;
        this.directory = directory;
        this.neighbours = neighbours;
        this.portOnBridge = portOnBridge;
        this.log = log;
        this.probes = directory.healthProbes();
    }

    /** Backends that went out of selection or came back, since the switch started. */
    long transitions()
    {
        return transitions;
    }

    /** Whether any service's backends are probed: then the conductor ticks often, for the probes' answers. */
    boolean probing()
    {
        return !routers.probed().isEmpty();
    }

    /** @return work done: probes sent and results taken. Allocates nothing unless a backend's health changes. */
    int tick(final long nowMs)
    {
        final List<Service> services = routers.probed();
        int work = 0;
        for (int i = 0; i < services.size(); i++)
        {
            final Service service = services.get(i);
            for (int j = 0; j < service.backends.size(); j++)
            {
                work += probe(service, service.backends.get(j), nowMs);
            }
        }
        return work;
    }

    private int probe(final Service service, final Service.Backend backend, final long nowMs)
    {
        final ServiceSpec.HealthCheck health = service.health;
        if (backend.probeStartedMs >= 0)
        {
            final int answer = backend.probeSent ? probes.result(backend.slot, backend.probeSequence) : HealthProbes.NONE;
            if (HealthProbes.NONE != answer)
            {
                backend.probeStartedMs = -1;
                result(service, backend, HealthProbes.ACCEPTED == answer);
                return 1;
            }
            if (nowMs - backend.probeStartedMs >= health.timeoutMs())
            {
                backend.probeStartedMs = -1;
                result(service, backend, false);
                return 1;
            }
            return backend.probeSent ? 0 : send(service.routerId, backend, nowMs);
        }
        if (nowMs < backend.nextProbeMs)
        {
            return 0;
        }
        backend.nextProbeMs = nowMs + health.intervalMs();
        backend.probeStartedMs = nowMs;
        backend.probeSent = false;
        return send(service.routerId, backend, nowMs);
    }

    /**
     * Sends the backend's SYN if its next hop's MAC is known, else solicits it.
     *
     * @return 1 if a frame went.
     */
    private int send(final int routerId, final Service.Backend backend, final long nowMs)
    {
        final RouterDirectory.Snapshot snapshot = directory.snapshot();
        final RouterView view = snapshot.router(routerId);
        final int route = null == view ? Ipv4RouteTable.NO_ROUTE : view.ipv4Routes().lookup(backend.address);
        final NextHop nextHop = Ipv4RouteTable.NO_ROUTE == route ? null : view.nextHops()[route];
        final RouterInterface out = null == nextHop ? null : snapshot.interfaceOn(nextHop.bridgeId());
        final LoopbackPort port = null == out ? null : portOnBridge.apply(out.bridgeId());
        if (null == port || out.routerId() != routerId || 0 == out.ipv4().length)
        {
            return 0;   // no way there: the timeout makes it a failure
        }
        final int target = nextHop.connected() ? backend.address : (int)nextHop.gatewayLow();
        final long mac = neighbours.resolveIpv4(out.bridgeId(), target, nowMs);
        if (NeighbourTable.UNRESOLVED == mac)
        {
            if (neighbours.solicitIpv4(out.bridgeId(), target, nowMs))
            {
                port.inject(frame, 0, answers.arpRequest(frame, 0, out.mac(), out.primaryIpv4(), target));
                return 1;
            }
            return 0;
        }
        final int sequence = random.nextInt();
        probes.sent(backend.slot, sequence);
        backend.probeSequence = sequence;
        backend.probeSent = true;
        port.inject(frame, 0, answers.tcpSyn(frame, 0, out.mac(), mac, out.primaryIpv4(), backend.address,
            HealthProbes.port(backend.slot), backend.port, sequence));
        return 1;
    }

    private void result(final Service service, final Service.Backend backend, final boolean success)
    {
        final ServiceSpec.HealthCheck health = service.health;
        backend.streak = success ? Math.max(1, backend.streak + 1) : Math.min(-1, backend.streak - 1);
        if (backend.up && -backend.streak >= health.fall())
        {
            backend.up = false;
            changed(service, backend, "down: " + health.fall() + " probes failed");
        }
        else if (!backend.up && backend.streak >= health.rise())
        {
            backend.up = true;
            changed(service, backend, "up: " + health.rise() + " probes answered");
        }
    }

    private void changed(final Service service, final Service.Backend backend, final String what)
    {
        transitions++;
        routers.healthChanged(service);
        log.println("vireo: router " + service.routerName + " service " + service.name + " backend " + backend.text() + " " + what);
    }
}
