package io.vireo.gateway.nat;

import java.nio.ByteOrder;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.router.RouterInterface;
import io.vireo.gateway.service.BackendStats;
import io.vireo.gateway.service.ServiceView;
import org.agrona.MutableDirectBuffer;

/**
 * A router's address translation for IPv4, in two steps around its route lookup, over the shared
 * {@link ConnectionTable} (the router's id is the connection's zone):
 * <ol>
 *   <li>{@link #beforeRouting}: a packet of a known connection is translated at once, in either
 *   direction (a reply to a masqueraded connection gets its inside address back); the first packet
 *   of a connection to a published port of the router's address has its destination translated to
 *   the rule's target, and the first packet to a service's address and port to the backend its
 *   algorithm picks ({@link ServiceView}), so the route lookup sees where it really goes. A service
 *   without a healthy backend makes the verdict {@link #NO_BACKEND}.</li>
 *   <li>{@link #afterRouting}: a first packet that is published or masqueraded (it leaves by an
 *   interface with a masquerade rule, or a published connection would go back out of the interface
 *   it came in by: hairpin) becomes a connection. A masqueraded one gets the router's address on
 *   its egress interface and a free port, tried from a hash of the connection up to
 *   {@link #PORT_TRIES} times (the table refuses a reply tuple in use, so no two connections share
 *   one); a SYN that finds them all taken tries them again, taking one from a TCP connection in
 *   TIME_WAIT or CLOSE. A published or balanced one that is not masqueraded has one reply tuple
 *   only, the target's and the client's: a client that connects again from the port of a closed
 *   connection to the same target would find it taken, so a SYN takes it from a TCP connection in
 *   TIME_WAIT or CLOSE ({@link ConnectionTable#create}'s {@code opening}).</li>
 * </ol>
 * Only TCP, UDP and ICMP echo are tracked. A fragmented datagram goes through as VPP's NAT44 "virtual
 * reassembly" takes it ({@link FragmentTable}, this thread's): its first fragment (the one with the
 * ports) is translated as any packet, and what it became is recorded under the datagram's identity;
 * the later fragments, which have no ports to find the connection by, get the same addresses (their
 * IP header alone changes). A later fragment that comes before the first is {@link #HELD} by the
 * caller and routed again once the first has gone through; one whose datagram did not go through, or
 * that is malformed, overlapping, or finds the table full, is dropped ({@link #FRAGMENT}, for
 * {@link #fragmentDrop()}): no fragment of a translated datagram leaves untranslated. An ICMP error
 * (destination unreachable, time exceeded, parameter problem) about a packet of a known connection
 * is translated with it: its own addresses as a packet of that connection in the error's direction,
 * and the packet it quotes back to what that packet was on the other side, so the sender learns of
 * the error in its own terms.
 * <p>
 * A service's connection carries its backend's slot as its label: its packets, both ways, are counted
 * for the backend, and its first FIN or RST ends it as an open connection ({@link BackendStats}). One
 * per forwarding thread; it keeps the first step's findings for the second, so a thread calls them for
 * one packet at a time.
 */
public final class Ipv4Nat
{
    /** {@link #beforeRouting}: nothing to do with NAT; route the packet as it is. */
    public static final int UNTRACKED = 0;
    /** {@link #beforeRouting}: a packet of a known connection, translated. */
    public static final int TRANSLATED = 1;
    /** {@link #beforeRouting}: the first packet of a connection; {@link #afterRouting} decides. */
    public static final int NEW = 2;
    /** {@link #beforeRouting}: a fragment that does not go on; drop it for {@link #fragmentDrop()}. */
    public static final int FRAGMENT = 3;
    /** {@link #beforeRouting}: the first packet to a service none of whose backends is healthy; refuse it. */
    public static final int NO_BACKEND = 4;
    /**
     * {@link #beforeRouting}: a later fragment whose first fragment has not come yet: hold it, under
     * {@link #heldKeyHigh()} and {@link #heldKeyLow()}, and route it again when {@link #fragmentState} says.
     */
    public static final int HELD = 5;

    /** Datagrams in fragments a thread tracks at once, by default. */
    public static final int FRAGMENT_CAPACITY = 1_024;

    /** Packets of a burst whose connections {@link #loadAhead} loads, at most. */
    public static final int LOADS_AHEAD = 64;

    /** Ports tried for a masqueraded connection before it is refused. */
    public static final int PORT_TRIES = 64;
    /** Masqueraded connections get source ports in [FIRST_PORT, FIRST_PORT + PORTS), as Linux's ephemeral range. */
    public static final int FIRST_PORT = 32_768;
    public static final int PORTS = 28_232;

    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int ICMP_ECHO_REPLY = 0;
    private static final int ICMP_DESTINATION_UNREACHABLE = 3;
    private static final int ICMP_ECHO_REQUEST = 8;
    private static final int ICMP_TIME_EXCEEDED = 11;
    private static final int ICMP_PARAMETER_PROBLEM = 12;
    private static final int ICMP_HEADER = 8;
    private static final int ICMP_CHECKSUM = 2;
    private static final int TCP_FLAGS = 13;
    private static final int MORE_FRAGMENTS = 0x2000;
    private static final int FRAGMENT_OFFSET = 0x1FFF;
    private static final int NOT_A_FRAGMENT = -1;
    private static final int MAX_DATAGRAM = 65_535;

    private final ConnectionTable connections;
    private final BackendStats.ThreadCounters backends;
    private final FragmentTable fragments;
    private final long[] aheadKeys = new long[LOADS_AHEAD];
    private int aheadCount;
    /** What {@link #loadAhead} loaded, kept so that its loads are not dropped. */
    private long loadedAhead;
    private int fragmentSlot = NOT_A_FRAGMENT;
    private int fragmentPayload;
    private DropReason fragmentDrop;
    private long heldKeyHigh;
    private long heldKeyLow;
    private int protocol;
    private int tcpFlags;
    private int source;
    private int destination;
    private int sourcePort;
    private int destinationPort;
    private int publishRule;
    private int backendSlot;
    private int backendAddress;
    private int backendPort;
    private int newSource;
    private int newSourcePort;
    private int newDestination;
    private int newDestinationPort;
    private int label;

    /**
     * @param connections the connection table, shared by the forwarding threads.
     * @param stats       the services' backend figures, shared; this thread counts into its own part.
     */
    public Ipv4Nat(final ConnectionTable connections, final BackendStats stats)
    {
        this(connections, stats, FRAGMENT_CAPACITY);
    }

    /**
     * @param fragmentCapacity datagrams in fragments this thread tracks at once ({@link FragmentTable}).
     */
    public Ipv4Nat(final ConnectionTable connections, final BackendStats stats, final int fragmentCapacity)
    {
        this.connections = connections;
        this.backends = stats.newThreadCounters();
        this.fragments = new FragmentTable(fragmentCapacity);
    }

    /**
     * A burst's first pass, before any of its packets goes to {@link #beforeRouting}: notes the connection
     * that step would look this IPv4 packet up by (TCP, UDP or ICMP echo, not a later fragment), for
     * {@link #loadAhead}. Nothing else is checked: a packet that the first step will not look up costs
     * only a few wasted loads. Beyond {@link #LOADS_AHEAD} packets, nothing is noted.
     *
     * @param length bytes from {@code ip} to the end of the frame.
     */
    public void aheadOf(final MutableDirectBuffer buffer, final int ip, final int length, final int zone)
    {
        if (LOADS_AHEAD == aheadCount || length < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return;
        }
        final int headerLength = (buffer.getByte(ip) & 0x0F) * 4;
        final int packetProtocol = buffer.getByte(ip + 9) & 0xFF;
        // The frame holds the first 8 bytes past the IP header: the ports, or the ICMP type and echo identifier.
        if (length < headerLength + ICMP_HEADER || 0 != (buffer.getShort(ip + 6, NETWORK) & FRAGMENT_OFFSET) ||
            Ipv4Rewrite.PROTOCOL_ICMP == packetProtocol && !isEcho(buffer.getByte(ip + headerLength) & 0xFF) ||
            Ipv4Rewrite.PROTOCOL_ICMP != packetProtocol && Ipv4Rewrite.PROTOCOL_TCP != packetProtocol &&
            Ipv4Rewrite.PROTOCOL_UDP != packetProtocol)
        {
            return;
        }
        aheadKeys[aheadCount++] = ConnectionTable.key(zone, packetProtocol, buffer.getInt(ip + 12, NETWORK),
            buffer.getInt(ip + 16, NETWORK), Ipv4Rewrite.sourcePort(buffer, ip),
            Ipv4Rewrite.destinationPort(buffer, ip));
    }

    /**
     * Loads into the cache what the lookups of the connections {@link #aheadOf} noted will read
     * ({@link ConnectionTable#touch}), so that their cache misses overlap, and forgets them.
     */
    public void loadAhead()
    {
        loadedAhead = connections.touch(aheadKeys, aheadCount);
        aheadCount = 0;
    }

    /**
     * The first step (see the class comment), on a valid IPv4 packet to the router's MAC.
     *
     * @param ip              offset of the IPv4 header; the packet holds its whole L4 header if it has one.
     * @param partialChecksum the packet's TCP/UDP checksum is partial (virtio {@code NEEDS_CSUM}).
     * @param owner           the router's interface whose address the packet is sent to, or null.
     * @return {@link #UNTRACKED}, {@link #TRANSLATED}, {@link #NEW}, {@link #FRAGMENT}, {@link #NO_BACKEND} or
     * {@link #HELD}.
     */
    public int beforeRouting(
        final MutableDirectBuffer buffer, final int ip, final boolean partialChecksum, final int zone, final NatRules rules,
        final RouterInterface owner, final long nowMs)
    {
        final int flagsAndOffset = buffer.getShort(ip + 6, NETWORK) & 0xFFFF;
        fragmentSlot = NOT_A_FRAGMENT;
        if (0 != (flagsAndOffset & (MORE_FRAGMENTS | FRAGMENT_OFFSET)))
        {
            if (0 != (flagsAndOffset & FRAGMENT_OFFSET))
            {
                return laterFragment(buffer, ip, zone, flagsAndOffset, nowMs);
            }
            if (!firstFragment(buffer, ip, zone, nowMs))
            {
                return FRAGMENT;
            }
        }
        final int verdict = translateBeforeRouting(buffer, ip, partialChecksum, zone, rules, owner, nowMs);
        if (NOT_A_FRAGMENT != fragmentSlot)
        {
            if (NEW == verdict || NO_BACKEND == verdict)
            {
                // Until afterRouting records the translation: a first fragment that never gets there takes its datagram with it.
                fragments.dropped(fragmentSlot);
            }
            else
            {
                firstFragmentSent(buffer, ip);
            }
        }
        return verdict;
    }

    /** Why {@link #beforeRouting} said {@link #FRAGMENT}. */
    public DropReason fragmentDrop()
    {
        return fragmentDrop;
    }

    /** The datagram of the fragment {@link #beforeRouting} said {@link #HELD} for: the first half of its key. */
    public long heldKeyHigh()
    {
        return heldKeyHigh;
    }

    /** The second half; see {@link #heldKeyHigh()}. */
    public long heldKeyLow()
    {
        return heldKeyLow;
    }

    /**
     * Where a held fragment's datagram stands.
     *
     * @return {@link FragmentTable#PENDING} (wait), {@link FragmentTable#TRANSLATED} (route it again), or
     * {@link FragmentTable#DROPPED} or {@link FragmentTable#MISS} (expired): drop it.
     */
    public int fragmentState(final long keyHigh, final long keyLow, final long nowMs)
    {
        final int slot = fragments.find((int)(keyLow >>> 32), (int)(keyHigh >>> 32), (int)keyHigh, (int)keyLow >>> 24,
            (int)keyLow & 0xFFFF, nowMs);
        return FragmentTable.MISS == slot ? FragmentTable.MISS : fragments.state(slot);
    }

    private int translateBeforeRouting(
        final MutableDirectBuffer buffer, final int ip, final boolean partialChecksum, final int zone, final NatRules rules,
        final RouterInterface owner, final long nowMs)
    {
        if (isIcmpError(buffer, ip))
        {
            return translateError(buffer, ip, zone) ? TRANSLATED : UNTRACKED;
        }
        if (!isTracked(buffer, ip))
        {
            return UNTRACKED;
        }
        source = buffer.getInt(ip + 12, NETWORK);
        destination = buffer.getInt(ip + 16, NETWORK);
        sourcePort = Ipv4Rewrite.sourcePort(buffer, ip);
        destinationPort = Ipv4Rewrite.destinationPort(buffer, ip);
        final long handle = connections.lookup(zone, protocol, source, destination, sourcePort, destinationPort);
        if (ConnectionTable.MISS != handle && translate(buffer, ip, partialChecksum, handle))
        {
            seen(handle, nowMs);
            backends.packet(label, buffer.getShort(ip + 2, NETWORK) & 0xFFFF);
            return TRANSLATED;
        }

        publishRule = null == owner || Ipv4Rewrite.PROTOCOL_ICMP == protocol ? -1 :
            rules.published(protocol, destinationPort, owner.bridgeId());
        backendSlot = -1;
        if (publishRule >= 0)
        {
            Ipv4Rewrite.destination(buffer, ip, partialChecksum, rules.publishTargets()[publishRule],
                rules.publishTargetPorts()[publishRule]);
        }
        else if (Ipv4Rewrite.PROTOCOL_ICMP != protocol && !rules.services().isEmpty())
        {
            final ServiceView service = rules.services().find(protocol, destination, destinationPort);
            if (null != service)
            {
                final int backend = service.select(source, backends.stats());
                if (ServiceView.NO_BACKEND == backend)
                {
                    return NO_BACKEND;
                }
                backendSlot = service.slot(backend);
                backendAddress = service.address(backend);
                backendPort = service.port(backend);
                Ipv4Rewrite.destination(buffer, ip, partialChecksum, backendAddress, backendPort);
            }
        }
        return NEW;
    }

    /**
     * The second step, for a packet {@link #beforeRouting} found {@link #NEW}, once its egress
     * interface is known.
     *
     * @param ingressBridgeId the bridge the packet came in on.
     * @return null if the packet goes on (translated, or not NAT's business), else why it is dropped.
     */
    public DropReason afterRouting(
        final MutableDirectBuffer buffer, final int ip, final boolean partialChecksum, final int zone, final NatRules rules,
        final RouterInterface out, final int ingressBridgeId, final long nowMs)
    {
        final boolean balanced = backendSlot >= 0;
        final boolean published = publishRule >= 0 || balanced;
        final boolean masqueraded = rules.masquerades(out.bridgeId(), source) || (published && out.bridgeId() == ingressBridgeId);
        if (!published && !masqueraded)
        {
            afterRoutingSent(buffer, ip);
            return null;
        }
        final int replySource = balanced ? backendAddress : publishRule >= 0 ? rules.publishTargets()[publishRule] : destination;
        final int replySourcePort = balanced ? backendPort :
            publishRule >= 0 ? rules.publishTargetPorts()[publishRule] : destinationPort;
        final int newLabel = balanced ? BackendStats.label(backendSlot) : ConnectionTable.NO_LABEL;
        final boolean opening = Ipv4Rewrite.PROTOCOL_TCP == protocol &&
            TcpFlyweight.FLAG_SYN == (tcpFlags & (TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK));
        if (!masqueraded)
        {
            // The reply tuple is the target's and the client's: a SYN may take it from a closed connection (see create).
            final long handle = connections.create(zone, protocol, source, destination, sourcePort, destinationPort,
                replySource, source, replySourcePort, sourcePort, newLabel, opening, nowMs);
            final DropReason refused = created(handle, newLabel, buffer, ip, nowMs);
            if (null == refused)
            {
                afterRoutingSent(buffer, ip);
            }
            return refused;
        }

        final int address = out.primaryIpv4();
        final int first = Math.floorMod(mix(source, destination, sourcePort, destinationPort), PORTS);
        // A SYN that finds every port it tries taken tries them again, taking one from a closed connection (TIME_WAIT,
        // CLOSE), as Linux does once its tries run low: a client's short connections to one server would otherwise
        // run out of ports after 28,232 in TIME_WAIT's 120 s.
        final int tries = opening ? 2 * PORT_TRIES : PORT_TRIES;
        for (int attempt = 0; attempt < tries; attempt++)
        {
            final int port = FIRST_PORT + (first + attempt % PORT_TRIES) % PORTS;
            final long handle = connections.create(zone, protocol, source, destination, sourcePort, destinationPort,
                replySource, address, Ipv4Rewrite.PROTOCOL_ICMP == protocol ? port : replySourcePort, port, newLabel,
                attempt >= PORT_TRIES, nowMs);
            if (ConnectionTable.TAKEN != handle)
            {
                final DropReason refused = created(handle, newLabel, buffer, ip, nowMs);
                if (null == refused)
                {
                    Ipv4Rewrite.source(buffer, ip, partialChecksum, address, port);
                    afterRoutingSent(buffer, ip);
                }
                return refused;
            }
        }
        return DropReason.NAT_NO_PORT;
    }

    private DropReason created(
        final long handle, final int newLabel, final MutableDirectBuffer buffer, final int ip, final long nowMs)
    {
        if (ConnectionTable.FULL == handle)
        {
            return DropReason.CONNTRACK_FULL;
        }
        if (handle < 0)
        {
            return DropReason.NAT_NO_PORT;
        }
        label = newLabel;
        if (ConnectionTable.NO_LABEL != newLabel)
        {
            backends.connected(backendSlot);
            backends.packet(newLabel, buffer.getShort(ip + 2, NETWORK) & 0xFFFF);
        }
        seen(handle, nowMs);
        return null;
    }

    /** Records a packet of the connection; one that closes a service's connection ends it for its backend. */
    private void seen(final long handle, final long nowMs)
    {
        if (ConnectionTable.NO_LABEL == label)
        {
            connections.seen(handle, tcpFlags, nowMs);
        }
        else if (0 != (connections.track(handle, tcpFlags, nowMs) & ConnectionTable.ENDED))
        {
            backends.ended(label);
        }
    }

    /**
     * Rewrites the packet as its connection says for its direction.
     *
     * @return false if the connection changed under the read (the packet is then treated as new).
     */
    private boolean translate(final MutableDirectBuffer buffer, final int ip, final boolean partialChecksum, final long handle)
    {
        if (!readTranslation(handle))
        {
            return false;
        }
        Ipv4Rewrite.source(buffer, ip, partialChecksum, newSource, newSourcePort);
        Ipv4Rewrite.destination(buffer, ip, partialChecksum, newDestination, newDestinationPort);
        return true;
    }

    /**
     * A first fragment (offset 0, more fragments): its datagram's entry found or made {@link #fragmentSlot}.
     *
     * @return false, {@link #fragmentDrop} set, if it must be dropped: too short to hold its L4 header (or
     * not a multiple of 8 bytes, which a fragment but the last must be), the table full, its datagram
     * dropped already, or a first fragment again.
     */
    private boolean firstFragment(final MutableDirectBuffer buffer, final int ip, final int zone, final long nowMs)
    {
        final int fragmentProtocol = buffer.getByte(ip + 9) & 0xFF;
        final int payload = payload(buffer, ip);
        if (0 != (payload & 7) || payload < Math.max(8, l4HeaderLength(fragmentProtocol)))
        {
            fragmentDrop = DropReason.NAT_FRAGMENT_BAD;
            return false;
        }
        final int slot = datagram(buffer, ip, zone, nowMs);
        if (FragmentTable.FULL == slot)
        {
            return false;
        }
        if (FragmentTable.PENDING != fragments.state(slot))
        {
            // Sent already: this one repeats it or overlaps it, which spoils the datagram (accept says which).
            fragmentDrop = FragmentTable.DROPPED == fragments.state(slot) ? DropReason.NAT_FRAGMENT :
                DropReason.NAT_FRAGMENT_OVERLAP;
            fragments.accept(slot, 0, payload, false);
            return false;
        }
        fragmentSlot = slot;
        fragmentPayload = payload;
        return true;
    }

    /** The first fragment goes on as the packet now reads: its datagram's later fragments get its addresses. */
    private void firstFragmentSent(final MutableDirectBuffer buffer, final int ip)
    {
        fragments.translated(fragmentSlot, buffer.getInt(ip + 12, NETWORK), buffer.getInt(ip + 16, NETWORK));
        fragments.accept(fragmentSlot, 0, fragmentPayload, false);
    }

    private void afterRoutingSent(final MutableDirectBuffer buffer, final int ip)
    {
        if (NOT_A_FRAGMENT != fragmentSlot)
        {
            firstFragmentSent(buffer, ip);
        }
    }

    /**
     * A fragment with an offset: translated as its datagram's first fragment was, held until that comes, or
     * dropped.
     */
    private int laterFragment(
        final MutableDirectBuffer buffer, final int ip, final int zone, final int flagsAndOffset, final long nowMs)
    {
        final int fragmentProtocol = buffer.getByte(ip + 9) & 0xFF;
        final int headerLength = (buffer.getByte(ip) & 0x0F) * 4;
        final int payload = payload(buffer, ip);
        final int start = (flagsAndOffset & FRAGMENT_OFFSET) * 8;
        final int end = start + payload;
        final boolean last = 0 == (flagsAndOffset & MORE_FRAGMENTS);
        // Empty; not a multiple of 8 but the last; past the largest datagram; reaching back into the L4 header (RFC 1858).
        if (payload <= 0 || (!last && 0 != (payload & 7)) || headerLength + end > MAX_DATAGRAM ||
            start < l4HeaderLength(fragmentProtocol))
        {
            fragmentDrop = DropReason.NAT_FRAGMENT_BAD;
            return FRAGMENT;
        }
        final int slot = datagram(buffer, ip, zone, nowMs);
        if (FragmentTable.FULL == slot)
        {
            return FRAGMENT;
        }
        switch (fragments.state(slot))
        {
            case FragmentTable.PENDING:
                heldKeyHigh = (long)buffer.getInt(ip + 12, NETWORK) << 32 | (buffer.getInt(ip + 16, NETWORK) & 0xFFFF_FFFFL);
                final int protocolAndId = fragmentProtocol << 24 | buffer.getShort(ip + 4, NETWORK) & 0xFFFF;
                heldKeyLow = (long)zone << 32 | (protocolAndId & 0xFFFF_FFFFL);
                return HELD;
            case FragmentTable.TRANSLATED:
                final int newSourceAddress = fragments.translatedSource(slot);
                final int newDestinationAddress = fragments.translatedDestination(slot);
                switch (fragments.accept(slot, start, end, last))
                {
                    case FragmentTable.ACCEPTED, FragmentTable.COMPLETE ->
                    {
                        Ipv4Rewrite.addresses(buffer, ip, newSourceAddress, newDestinationAddress);
                        return TRANSLATED;
                    }
                    case FragmentTable.TOO_MANY_HOLES -> fragmentDrop = DropReason.NAT_FRAGMENT_BAD;
                    default -> fragmentDrop = DropReason.NAT_FRAGMENT_OVERLAP;
                }
                return FRAGMENT;
            default:
                fragmentDrop = DropReason.NAT_FRAGMENT;
                return FRAGMENT;
        }
    }

    /**
     * The entry of the fragment's datagram, found or made {@link FragmentTable#PENDING}.
     *
     * @return its slot, or {@link FragmentTable#FULL} with {@link #fragmentDrop} set.
     */
    private int datagram(final MutableDirectBuffer buffer, final int ip, final int zone, final long nowMs)
    {
        final int slot = fragments.findOrInsert(zone, buffer.getInt(ip + 12, NETWORK), buffer.getInt(ip + 16, NETWORK),
            buffer.getByte(ip + 9) & 0xFF, buffer.getShort(ip + 4, NETWORK) & 0xFFFF, nowMs);
        if (FragmentTable.FULL == slot)
        {
            fragmentDrop = DropReason.NAT_FRAGMENTS_FULL;
        }
        return slot;
    }

    /** The least payload offset a later fragment may start at: past the L4 header the translation read (RFC 1858). */
    private static int l4HeaderLength(final int protocol)
    {
        return switch (protocol)
        {
            case Ipv4Rewrite.PROTOCOL_TCP -> 20;
            case Ipv4Rewrite.PROTOCOL_UDP, Ipv4Rewrite.PROTOCOL_ICMP -> 8;
            default -> 0;
        };
    }

    private static int payload(final MutableDirectBuffer buffer, final int ip)
    {
        return (buffer.getShort(ip + 2, NETWORK) & 0xFFFF) - (buffer.getByte(ip) & 0x0F) * 4;
    }

    private static boolean isIcmpError(final MutableDirectBuffer buffer, final int ip)
    {
        if (Ipv4Rewrite.PROTOCOL_ICMP != (buffer.getByte(ip + 9) & 0xFF))
        {
            return false;
        }
        final int type = buffer.getByte(ip + (buffer.getByte(ip) & 0x0F) * 4) & 0xFF;
        return ICMP_DESTINATION_UNREACHABLE == type || ICMP_TIME_EXCEEDED == type || ICMP_PARAMETER_PROBLEM == type;
    }

    /**
     * Translates an ICMP error whose quoted packet belongs to a known connection (see the class
     * comment), its ICMP checksum computed again over the changed quote.
     *
     * @return false, nothing changed, if it quotes too little (an IP header and 8 bytes of TCP, UDP or
     * ICMP echo) or an unknown connection.
     */
    private boolean translateError(final MutableDirectBuffer buffer, final int ip, final int zone)
    {
        final int icmp = ip + (buffer.getByte(ip) & 0x0F) * 4;
        final int end = ip + (buffer.getShort(ip + 2, NETWORK) & 0xFFFF);
        final int quoted = icmp + ICMP_HEADER;
        if (quoted + 20 > end || 4 != (buffer.getByte(quoted) & 0xFF) >>> 4)
        {
            return false;
        }
        final int quotedL4 = quoted + (buffer.getByte(quoted) & 0x0F) * 4;
        final int quotedProtocol = buffer.getByte(quoted + 9) & 0xFF;
        if (quotedL4 + 8 > end || (Ipv4Rewrite.PROTOCOL_TCP != quotedProtocol && Ipv4Rewrite.PROTOCOL_UDP != quotedProtocol &&
            !(Ipv4Rewrite.PROTOCOL_ICMP == quotedProtocol && isEcho(buffer.getByte(quotedL4) & 0xFF))))
        {
            return false;
        }

        // The quoted packet went the other way: its reverse is a packet of the connection in the error's direction.
        final long handle = connections.lookup(zone, quotedProtocol, buffer.getInt(quoted + 16, NETWORK),
            buffer.getInt(quoted + 12, NETWORK), Ipv4Rewrite.destinationPort(buffer, quoted), Ipv4Rewrite.sourcePort(buffer, quoted));
        if (ConnectionTable.MISS == handle || !readTranslation(handle))
        {
            return false;
        }
        Ipv4Rewrite.addresses(buffer, ip, newSource, newDestination);
        Ipv4Rewrite.quotedSource(buffer, quoted, end, newDestination, newDestinationPort);
        Ipv4Rewrite.quotedDestination(buffer, quoted, end, newSource, newSourcePort);
        buffer.putShort(icmp + ICMP_CHECKSUM, (short)0, NETWORK);
        buffer.putShort(icmp + ICMP_CHECKSUM, (short)Checksums.checksum(buffer, icmp, end - icmp), NETWORK);
        return true;
    }

    /**
     * Reads the tuple a packet in the handle's direction leaves with into {@link #newSource} and the rest.
     *
     * @return false if the connection changed under the reads.
     */
    private boolean readTranslation(final long handle)
    {
        newSource = connections.translatedSource(handle);
        newSourcePort = connections.translatedSourcePort(handle);
        newDestination = connections.translatedDestination(handle);
        newDestinationPort = connections.translatedDestinationPort(handle);
        label = connections.label(handle);
        return connections.isCurrent(handle);
    }

    private static boolean isEcho(final int icmpType)
    {
        return ICMP_ECHO_REQUEST == icmpType || ICMP_ECHO_REPLY == icmpType;
    }

    /** TCP and UDP with their ports, and ICMP echo requests and replies; records protocol and TCP flags. */
    private boolean isTracked(final MutableDirectBuffer buffer, final int ip)
    {
        protocol = buffer.getByte(ip + 9) & 0xFF;
        final int headerLength = (buffer.getByte(ip) & 0x0F) * 4;
        final int payload = (buffer.getShort(ip + 2, NETWORK) & 0xFFFF) - headerLength;
        final int l4 = ip + headerLength;
        tcpFlags = 0;
        switch (protocol)
        {
            case Ipv4Rewrite.PROTOCOL_TCP:
                if (payload < 20)
                {
                    return false;
                }
                tcpFlags = buffer.getByte(l4 + TCP_FLAGS) & 0xFF;
                return true;
            case Ipv4Rewrite.PROTOCOL_UDP:
                return payload >= 8;
            case Ipv4Rewrite.PROTOCOL_ICMP:
                return payload >= 8 && isEcho(buffer.getByte(l4) & 0xFF);
            default:
                return false;
        }
    }

    private static int mix(final int source, final int destination, final int sourcePort, final int destinationPort)
    {
        long hash = ((long)source << 32 | (destination & 0xFFFF_FFFFL)) * 0x9E37_79B9_7F4A_7C15L;
        hash ^= (((long)sourcePort << 16) | destinationPort) * 0xC2B2_AE3D_27D4_EB4FL;
        return (int)(hash ^ (hash >>> 32));
    }
}
