package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.NetworkNamespace;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.TapPort;
import io.vireo.flowtable.MacAddress;
import io.vireo.vswitch.link.Cidr;
import io.vireo.vswitch.link.LinkException;
import io.vireo.vswitch.link.LinkSession;
import io.vireo.vswitch.link.Links;
import org.agrona.concurrent.status.CountersManager;

/**
 * Opens TAP ports: creates the TAP with a queue per forwarding thread inside its namespace, or creates
 * (or attaches to) it in the switch's own, sets MAC, MTU and address over rtnetlink ({@link Links}) and brings
 * it up. Everything is checked first; on any failure nothing is left behind.
 * <p>
 * A TAP for a namespace is born there ({@link TapPort#createQueuesHere}) rather than made here and moved: the
 * move costs the kernel 15-35 ms (RCU grace periods), most of a CNI ADD. Its descriptors then hold the
 * namespace, which would outlive its container for as long as the switch (and the port keeper) held the port;
 * so the conductor asks every such port each second whether its namespace's path still names the namespace it
 * was born in ({@link #forEachGoneNamespace}), and the switch deletes the port once it does not: the port goes
 * when its namespace goes, as it did when the kernel removed a moved TAP with its namespace.
 */
final class TapPorts
{
    static final int MIN_MTU = 68;
    static final int MAX_MTU = 65_535;

    private TapPorts()
    {
    }

    /** Checks a TAP port's settings before anything is made; returns its MAC, normalized, or null. */
    private static String check(final TapPortSpec spec)
    {
        final String mac = null == spec.mac() ? null : validMac(spec.mac());
        if (null != spec.ip())
        {
            VireoException.checked(() -> Cidr.validate(spec.ip()));
        }
        if (null != spec.mtu() && (spec.mtu() < MIN_MTU || spec.mtu() > MAX_MTU))
        {
            throw VireoException.invalid("invalid MTU " + spec.mtu() + ": must be " + MIN_MTU + ".." + MAX_MTU);
        }
        if (null != spec.netns() && !Links.namespaceExists(spec.netns()))
        {
            throw VireoException.notFound("no network namespace named " + spec.netns());
        }
        return mac;
    }

    /** A TAP's queues, and a session in the namespace where the TAP is, to configure it. */
    private record Opened(LinkSession session, List<TapPort> queues)
    {
    }

    /** The TAP in this process's namespace (created, or attached to if it exists), and a session here. */
    private static Opened openHere(final TapPortSpec spec, final boolean offloads, final int queues)
    {
        final LinkSession here = session(null);
        try
        {
            return new Opened(here, openQueues(spec, offloads, queues));
        }
        catch (final RuntimeException ex)
        {
            here.close();
            throw ex;
        }
    }

    /**
     * The TAP born in its namespace, where no interface may have its name yet, and a session there: one thread
     * enters the namespace for both (each entry is a thread and a {@code setns}, 1-4 ms on a busy machine).
     */
    private static Opened openInside(final TapPortSpec spec, final boolean offloads, final int queues)
    {
        try
        {
            return NetworkNamespace.call(Links.namespacePath(spec.netns()), () ->
            {
                final LinkSession there = session(spec.netns());
                try
                {
                    if (there.exists(spec.name()))
                    {
                        throw VireoException.conflict("an interface named " + spec.name() + " already exists in namespace " +
                            spec.netns());
                    }
                    return new Opened(there, openQueues(spec, offloads, queues));
                }
                catch (final RuntimeException ex)
                {
                    there.close();
                    throw ex;
                }
            });
        }
        catch (final NativeException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, ex.getMessage(), ex);
        }
    }

    /** A session in the calling thread's namespace, which messages call {@code netns}. */
    private static LinkSession session(final String netns)
    {
        try
        {
            return LinkSession.openHere(netns);
        }
        catch (final LinkException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, ex.getMessage(), ex);
        }
    }

    /**
     * Opens and configures the TAP and adds it to the bridge.
     *
     * @param defaultMtu the MTU when the spec gives none (a VXLAN bridge's overlay MTU), or null.
     */
    static PortRecord open(
        final Topology topology, final CountersManager counters, final Bridge bridge, final TapPortSpec spec,
        final boolean defaultOffloads, final Integer defaultMtu, final String owner)
    {
        final String mac = check(spec);
        final Integer mtu = null != spec.mtu() ? spec.mtu() : defaultMtu;
        final boolean offloads = null == spec.offloads() ? defaultOffloads : spec.offloads();
        final Opened opened = null == spec.netns() ? openHere(spec, offloads, topology.threads()) :
            openInside(spec, offloads, topology.threads());
        try (LinkSession there = opened.session())
        {
            final List<TapPort> queues = opened.queues();
            try
            {
                final Links.LinkState link = Links.configure(there, spec.name(), mac, mtu, spec.ip());
                return topology.add(bridge, List.copyOf(queues),
                    new PortDetails(spec.netns(), spec.ip(), link.mac(), link.mtu(), offloads, null, null, owner),
                    new PortCounters(counters, spec.name()), null);
            }
            catch (final LinkException ex)
            {
                queues.forEach(TapPort::close);
                throw new VireoException(VireoException.Kind.FAILED, ex.getMessage(), ex);
            }
            catch (final RuntimeException ex)
            {
                queues.forEach(TapPort::close);
                throw ex;
            }
        }
    }

    /**
     * Adds to the bridge a TAP an earlier run of the switch made, through the descriptors the port keeper
     * held ({@code fds}, one per queue; this takes them): the device is wherever, and named whatever, its
     * user made it since, and is not touched; {@code spec} says what it was made with, {@code earlierCounters}
     * (by label) what its counters were. With as many queues
     * as forwarding threads each thread takes one; otherwise all share the first and the others close.
     */
    static PortRecord adopt(
        final Topology topology, final CountersManager counters, final Bridge bridge, final TapPortSpec spec,
        final int[] fds, final String owner, final ToLongFunction<String> earlierCounters)
    {
        final List<TapPort> queues = new ArrayList<>();
        final int used = fds.length == topology.threads() ? fds.length : 1;
        for (int i = used; i < fds.length; i++)
        {
            UnixSocket.closeDescriptor(fds[i]);
        }
        try
        {
            for (int i = 0; i < used; i++)
            {
                try
                {
                    queues.add(TapPort.adopt(spec.name(), fds[i],
                        null == spec.netns() ? null : Links.namespacePath(spec.netns())));
                }
                catch (final RuntimeException ex)
                {
                    for (int rest = i + 1; rest < used; rest++)
                    {
                        UnixSocket.closeDescriptor(fds[rest]);
                    }
                    throw ex;
                }
            }
            final PortCounters portCounters = new PortCounters(counters, spec.name());
            portCounters.carryOver(earlierCounters);
            return topology.add(bridge, List.copyOf(queues),
                new PortDetails(spec.netns(), spec.ip(), spec.mac(), spec.mtu(), 0 != queues.get(0).offloads(), null, null, owner),
                portCounters, null);
        }
        catch (final NativeException ex)
        {
            queues.forEach(TapPort::close);
            throw new VireoException(VireoException.Kind.FAILED, "cannot take back TAP " + spec.name() + ": " +
                ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            queues.forEach(TapPort::close);
            throw ex;
        }
    }

    /**
     * Hands {@code gone} every TAP port whose namespace's path no longer names the namespace its TAP was born in
     * (or adopted from); returns how many. Allocates nothing while none is gone.
     */
    static int forEachGoneNamespace(final Topology topology, final Consumer<PortRecord> gone)
    {
        int found = 0;
        final BitSet portIds = topology.portIds();
        for (int id = portIds.nextSetBit(0); id >= 0; id = portIds.nextSetBit(id + 1))
        {
            final PortRecord record = topology.portById(id);
            if (record.port() instanceof TapPort tap && tap.namespaceGone())
            {
                gone.accept(record);
                found++;
            }
        }
        return found;
    }

    /**
     * A TAP with a queue per forwarding thread (multi-queue when there are several); with a namespace, created
     * in the calling thread's, which has entered it.
     */
    private static List<TapPort> openQueues(final TapPortSpec spec, final boolean offloads, final int queues)
    {
        final String name = spec.name();
        try
        {
            return null == spec.netns() ? TapPort.openQueues(name, offloads, queues) :
                TapPort.createQueuesHere(Links.namespacePath(spec.netns()), name, offloads, queues);
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.conflict(ex.getMessage());
        }
        catch (final NativeException ex)
        {
            final String hint = ex.errno() == Errno.EPERM ? " (vireod needs root or CAP_NET_ADMIN)" :
                ex.errno() == Errno.EBUSY ? " (another process holds this TAP)" : "";
            throw new VireoException(VireoException.Kind.FAILED, "cannot open TAP " + name + ": " +
                ex.getMessage() + hint, ex);
        }
        catch (final IllegalStateException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, ex.getMessage(), ex);
        }
    }

    private static String validMac(final String text)
    {
        final long mac = VireoException.checked(() -> MacAddress.parse(text));
        if (MacAddress.isMulticast(mac) || MacAddress.isZero(mac))
        {
            throw VireoException.invalid("invalid MAC " + text + ": a port needs a unicast, non-zero address");
        }
        return MacAddress.format(mac);
    }
}
