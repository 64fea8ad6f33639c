package io.vireo.vswitch.core;

import java.util.Collection;
import java.util.List;

import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.InterfaceNames;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.tunnel.vxlan.Vtep;
import org.agrona.concurrent.status.CountersManager;

/**
 * Opens a VXLAN bridge's port, {@code <bridge>-vxlan}: its tunnel endpoint, a UDP socket on the local
 * address and port, carrying the bridge to its peers. Bridges of different VNIs may share a local address and
 * port, each with its own endpoint and socket (the kernel hands each socket its VNI's datagrams); TTL and MTU
 * stay each bridge's own. An endpoint over an underlay TAP ({@link VxlanSpec#underlayTap}) has its local address
 * and its TAP to itself.
 */
final class VxlanPorts
{
    /** The usual 1500-byte underlay less the VXLAN overhead. */
    private static final int DEFAULT_OVERLAY_MTU = 1_500 - Vtep.OVERHEAD;

    private VxlanPorts()
    {
    }

    /** Checks a VXLAN bridge's settings against the bridges there are, and fills in the defaults. */
    static VxlanInfo settings(final String bridgeName, final VxlanSpec spec, final Topology topology)
    {
        if (null == spec.vni() || spec.vni() < 0 || spec.vni() > 0xFF_FFFF)
        {
            throw VireoException.invalid("a VXLAN bridge needs a VNI of 0..16777215, got " + spec.vni());
        }
        if (null == spec.local())
        {
            throw VireoException.invalid("a VXLAN bridge needs the local VTEP address (vtep-local)");
        }
        final int local = ipv4Address(spec.local(), "local VTEP address");
        final int port = null == spec.port() ? Vtep.DEFAULT_UDP_PORT : spec.port();
        if (port < 1 || port > 0xFFFF)
        {
            throw VireoException.invalid("invalid VXLAN UDP port " + port + ": must be 1..65535");
        }
        final int ttl = null == spec.ttl() ? Vtep.DEFAULT_TTL : spec.ttl();
        if (ttl < 1 || ttl > 255)
        {
            throw VireoException.invalid("invalid VXLAN TTL " + ttl + ": must be 1..255");
        }
        if (null != spec.underlayTap())
        {
            VireoException.checked(() -> InterfaceNames.validate(spec.underlayTap()));
        }
        final int mtu = null == spec.mtu() ? DEFAULT_OVERLAY_MTU : spec.mtu();
        if (mtu < TapPorts.MIN_MTU || mtu > TapPorts.MAX_MTU - Vtep.OVERHEAD)
        {
            throw VireoException.invalid("invalid overlay MTU " + mtu + ": must be " + TapPorts.MIN_MTU + ".." +
                (TapPorts.MAX_MTU - Vtep.OVERHEAD));
        }
        for (final Bridge other : topology.bridges())
        {
            // Bridges of other VNIs share the address and port (Vtep: one SO_REUSEPORT group, the VNI picks the socket).
            if (null != other.vxlan && other.vxlan.port() == port && other.vxlan.vni() == spec.vni() &&
                other.vxlan.local().equals(IpPrefix.formatIpv4(local)))
            {
                throw VireoException.conflict("bridge " + other.name + " already carries VNI " + spec.vni() + " on " +
                    other.vxlan.local() + ":" + port);
            }
            // The host routes an underlay TAP's address to that TAP alone.
            if (null != other.vxlan && (null != spec.underlayTap() || null != other.vxlan.underlayTap()) &&
                other.vxlan.local().equals(IpPrefix.formatIpv4(local)))
            {
                throw VireoException.conflict("bridge " + other.name + " has the VTEP address " + other.vxlan.local() +
                    (null == other.vxlan.underlayTap() ? "" : " on its underlay TAP " + other.vxlan.underlayTap()) +
                    ": an endpoint over an underlay TAP has its address to itself");
            }
            if (null != other.vxlan && null != spec.underlayTap() && spec.underlayTap().equals(other.vxlan.underlayTap()))
            {
                throw VireoException.conflict("bridge " + other.name + " has the underlay TAP " + spec.underlayTap());
            }
        }
        final String portName = bridgeName + "-vxlan";
        if (topology.hasPort(portName))
        {
            throw VireoException.conflict("port " + portName + " already exists");
        }
        return new VxlanInfo(spec.vni(), IpPrefix.formatIpv4(local), port, ttl, mtu,
            Boolean.TRUE.equals(spec.learnAnyPeer()), spec.underlayTap(), portName, List.of());
    }

    /**
     * Opens the endpoint, or takes the sockets a switch handed over ({@code handed}, null for none), and adds it to
     * the bridge as its VXLAN port.
     */
    static PortRecord open(
        final Topology topology, final CountersManager counters, final Bridge bridge, final VxlanInfo settings,
        final int burstSize, final HandedPort handed)
    {
        final int local = ipv4Address(settings.local(), "local VTEP address");
        final PortCounters portCounters = new PortCounters(counters, settings.portName());
        final Vtep vtep;
        try
        {
            vtep = open(settings, local, portCounters, burstSize, handed);
        }
        catch (final IllegalArgumentException ex)
        {
            portCounters.close();
            throw new VireoException(VireoException.Kind.FAILED,
                "cannot open the VXLAN endpoint of bridge " + bridge.name + ": " + ex.getMessage(), ex);
        }
        catch (final NativeException ex)
        {
            portCounters.close();
            final String hint = ex.errno() == Errno.EADDRNOTAVAIL && null == settings.underlayTap() ?
                " (no interface of the daemon's namespace has that address)" :
                ex.errno() == Errno.EADDRINUSE ? " (another socket, the kernel's vxlan say, has that port)" : "";
            throw new VireoException(VireoException.Kind.FAILED,
                "cannot open the VXLAN endpoint of bridge " + bridge.name + ": " + ex.getMessage() + hint, ex);
        }
        try
        {
            return topology.add(bridge, List.of(vtep), new PortDetails(null, settings.local() + ":" + settings.port(),
                null, settings.mtu(), null, null, null, null), portCounters, vtep);
        }
        catch (final RuntimeException ex)
        {
            vtep.close();
            throw ex;
        }
    }

    private static Vtep open(
        final VxlanInfo settings, final int local, final PortCounters counters, final int burstSize, final HandedPort handed)
    {
        if (null == settings.underlayTap())
        {
            return null != handed ?
                Vtep.adopt(settings.portName(), settings.vni(), local, settings.port(), settings.mtu(),
                    settings.learnAnyPeer(), counters, burstSize, handed.fds(), handed.sourcePorts()) :
                Vtep.open(settings.portName(), settings.vni(), local, settings.port(), settings.ttl(), settings.mtu(),
                    settings.learnAnyPeer(), counters, burstSize);
        }
        if (null == handed)
        {
            return Vtep.openOverTap(settings.portName(), settings.underlayTap(), settings.vni(), local, settings.port(),
                settings.ttl(), settings.mtu(), settings.learnAnyPeer(), counters);
        }
        if (1 != handed.fds().length)
        {
            for (final int fd : handed.fds())
            {
                Native.libc().close(fd);
            }
            throw new IllegalArgumentException("an endpoint over an underlay TAP is handed over as one descriptor, got " +
                handed.fds().length);
        }
        return Vtep.adoptOverTap(settings.portName(), settings.vni(), local, settings.port(), settings.ttl(),
            settings.mtu(), settings.learnAnyPeer(), counters, handed.fds()[0]);
    }

    /** A bridge's peers as reported. */
    static List<VxlanPeer> peers(final Vtep vtep)
    {
        final Collection<Vtep.Peer> peers = vtep.peers();
        return peers.stream().map(peer -> new VxlanPeer(peer.address(), peer.learned())).toList();
    }

    static int ipv4Address(final String text, final String what)
    {
        final long dotted = dottedQuad(text);
        if (dotted >= 0)
        {
            return (int)dotted;
        }
        final IpPrefix address = VireoException.checked(() -> IpPrefix.parse(text));
        if (!address.isIpv4() || text.indexOf('/') >= 0)
        {
            throw VireoException.invalid("invalid " + what + " '" + text + "': an IPv4 address is needed (the underlay is IPv4)");
        }
        return (int)address.low();
    }

    /**
     * An IPv4 address in its usual text, a.b.c.d (each 0..255, no leading zero), read without the general parser
     * (a cluster node reads one or two for each of a hundred thousand endpoints): the address as an unsigned
     * int, or -1 for any other text, which {@link IpPrefix#parse} then reads or refuses with its reason. The
     * text of an address this reads is the one {@link IpPrefix#formatIpv4} writes.
     */
    static long dottedQuad(final String text)
    {
        if (null == text)
        {
            return -1;
        }
        final int length = text.length();
        long address = 0;
        int octets = 0;
        int i = 0;
        while (i < length)
        {
            final int start = i;
            int octet = 0;
            while (i < length && i - start < 4)
            {
                final char c = text.charAt(i);
                if (c < '0' || c > '9')
                {
                    break;
                }
                octet = octet * 10 + c - '0';
                i++;
            }
            final int digits = i - start;
            if (0 == digits || digits > 3 || octet > 255 || digits > 1 && '0' == text.charAt(start))
            {
                return -1;
            }
            address = address << 8 | octet;
            octets++;
            if (i == length)
            {
                break;
            }
            if ('.' != text.charAt(i) || 4 == octets)
            {
                return -1;
            }
            i++;
            if (i == length)
            {
                return -1;
            }
        }
        return 4 == octets ? address : -1;
    }
}
