package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.NativeException;
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
 * Opens TAP ports: creates (or attaches to) the TAP with a queue per forwarding thread, moves it into
 * its namespace and sets MAC, MTU and address there over rtnetlink ({@link Links}), brings it up. Everything
 * is checked first; on any failure nothing is left behind. The namespace is entered once, for the check that
 * the name is free there and the configuration ({@link LinkSession}).
 * <p>
 * The TAP is created here and moved, though the move costs the kernel 15-35 ms (RCU grace periods) and a TAP
 * created by a thread inside the namespace would be born there: a TAP's descriptors hold the namespace they
 * were opened in, so the namespace would outlive its container for as long as the switch (and the port
 * keeper) held the port, and the port would no longer fail when its namespace is deleted.
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

    /**
     * A session in the port's namespace, where no interface has its name yet; null without a namespace, or
     * when it cannot be entered (then {@link Links#configure} says why, as it did before sessions).
     */
    private static LinkSession namespaceOf(final TapPortSpec spec)
    {
        if (null == spec.netns())
        {
            return null;
        }
        final LinkSession there;
        try
        {
            there = LinkSession.open(spec.netns());
        }
        catch (final LinkException ex)
        {
            return null;
        }
        if (there.exists(spec.name()))
        {
            there.close();
            throw VireoException.conflict("an interface named " + spec.name() + " already exists in namespace " + spec.netns());
        }
        return there;
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
        try (LinkSession there = namespaceOf(spec))
        {
            final List<TapPort> queues = openQueues(spec.name(), offloads, topology.threads());
            try
            {
                final Links.LinkState link = null == there ? Links.configure(spec.name(), spec.netns(), mac, mtu, spec.ip()) :
                    Links.configure(there, spec.name(), spec.netns(), mac, mtu, spec.ip());
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
                    queues.add(TapPort.adopt(spec.name(), fds[i]));
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

    /** A TAP with a queue per forwarding thread (multi-queue when there are several). */
    private static List<TapPort> openQueues(final String name, final boolean offloads, final int queues)
    {
        try
        {
            return TapPort.openQueues(name, offloads, queues);
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
