package io.vireo.vswitch.pipeline;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.nativeio.LibC;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.dataplane.port.Port;
import io.vireo.dataplane.port.TapPort;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.gateway.answer.RouterAnswers;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.nat.NatRules;
import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.route.Ipv6RouteTable;
import io.vireo.gateway.router.NeighbourTable;
import io.vireo.gateway.router.NextHop;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.router.RouterInterface;
import io.vireo.gateway.router.RouterView;
import io.vireo.gateway.suppression.SuppressionTable;
import io.vireo.tunnel.vxlan.Vtep;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import static io.vireo.dataplane.headers.TcpFlyweight.FLAGS_OFFSET;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_ACK;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_PSH;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_SYN;

/**
 * Runs the forwarding path over synthetic traffic before the switch takes real frames, so the JIT has
 * compiled it by then. An idle switch answering a ping a second runs that path a few times a second:
 * left cold it stays interpreted for minutes, and each frame costs hundreds of microseconds.
 * <p>
 * The traffic crosses a private pipeline (its own forwarding table, policy, counters and agent), all
 * dropped afterwards: no real port, table or counter sees it. Its ports are loopback ports, TAP ports
 * over socket pairs ({@link TapPort#overPacketSocket}) and two VXLAN endpoints, so the TAP code real frames
 * take (reads that find a frame and reads that find none, writes, virtio-net headers) is compiled too, and
 * the JIT profiles more than one kind of port where the pipeline calls one; otherwise the first frame of a
 * real TAP throws that code back to the interpreter (a class the compiled code never saw). The TAP ports
 * have a bridge of their own and one burst in eight, as their frames cost system calls.
 * <p>
 * Then the VXLAN endpoints join two more bridges over the loopback interface, each bridge with a loopback port:
 * the near endpoint on 127.0.0.1 has the far one on 127.0.0.2 as its peer and the other way round, so frames
 * between the two loopback ports are sent as VXLAN datagrams (plain frames through the raw socket, flooded to
 * every peer or to the one learned) and received, checked and delivered, in half as many bursts as the local ports
 * had (of 1 to {@value #VXLAN_BURST} frames, each a datagram through the kernel). Without this the first pings across
 * a VXLAN port ran its code interpreted or barely compiled, each hop through a switch tens of microseconds slower
 * than after thousands of frames. The endpoints come last, as every step polls every port and theirs are system
 * calls (the TAP ports are no longer polled then); they are left out where the loopback interface has no addresses
 * (down, in a namespace of its own).
 * <p>
 * Between the two, a router joins two more bridges, each with a loopback port whose hosts it knows as neighbours:
 * IPv4 (ICMP, TCP, UDP, with header checksums right) and IPv6 to its MAC from a host on one side to a host on the
 * other are routed across, ARP and echo requests for its addresses answered, in a quarter as many bursts as the local
 * ports had. Without this an idle router's frames ran interpreted until hundreds had crossed it: the first 20 pings
 * 50 ms apart through the router of a vireod just started took 0.34 ms (median over seven daemons), 0.21 ms with it.
 * Then as many bursts again with address translation: the near side's hosts masqueraded on their way to the far side,
 * TCP and UDP to a port of the router's far address published to a near host, and the hosts answering what reaches
 * them translated in bursts of their own, so that both ways through the NAT run (a connection's first packet and the
 * packets of known ones) as well as the router's way without it. Without these the NAT's code reached C1's profiling
 * tier only during the first 600 pings through a masquerading router (-XX:+PrintCompilation), and the first 20 pings
 * 50 ms apart took 0.26 ms (median over twelve daemons), 0.22 ms with them.
 * <pre>
 *  bridge 0: loopback 0, 1, 2        bridge 1: TAP 3, TAP 4
 *  bridge 4: loopback 7 --- router 10.0.7.254/24 | 10.0.8.254/24 --- loopback 8 :bridge 5
 *            (then 10.0.7.0/24 masqueraded to 10.0.8.254, and 10.0.8.254:8080 TCP and UDP published to 10.0.7.1:8080)
 *  bridge 2: loopback 5, VXLAN 127.0.0.1 --- UDP over lo --- VXLAN 127.0.0.2, loopback 6 :bridge 3
 * </pre>
 * It mixes what real traffic brings (ARP, IPv4 ICMP, TCP and UDP, IPv6 neighbour solicitations to
 * multicast, ICMPv6, TCP and UDP; known unicast, unknown unicast and flooded frames) in bursts of every
 * size up to the switch's, so that the profile the JIT compiles from is not skewed to one kind of frame.
 * The loopback ports' bridge answers ARP for their hosts' addresses itself (ARP/ND suppression): half the
 * ARP requests are for one of them and answered, half for an address it does not know and flooded. Now and then
 * what real traffic brings rarely comes too: a host that moves to another port, a host never seen before, TCP segments
 * of up to 64 KB that a TAP hands over whole for segmentation, a frame flooded on a bridge with no other port, a routed
 * host the router has to solicit before it can send it anything. The JIT compiles a branch that its profile never saw
 * taken as a trap back to the interpreter, and on an idle switch a method thrown back there stays interpreted, then at
 * C1's profiling tier, for a minute or more.
 * <p>
 * Between bursts the private agent idles as a forwarding thread does, in a {@link PortWaitSet} that spins and yields
 * for a microsecond and then sleeps in epoll, and is woken by its next frames: by the descriptor of a TAP port or
 * VXLAN endpoint they arrive on, or by the wait set's eventfd for a loopback port (which has none), as a thread is
 * woken for a command. That way back from epoll to the ports is on every frame's way through an idle switch; left out
 * of the warm-up, it ran interpreted for 10-30 s after start and at C1's profiling tier for minutes
 * (-XX:+PrintCompilation).
 */
public final class ForwardingWarmUp
{
    private static final int LOOPBACK_PORTS = 3;
    private static final int TAP_PORTS = 2;
    /** The loopback port beside the VXLAN endpoint on 127.0.0.1, and beside the one on 127.0.0.2. */
    private static final int VXLAN_NEAR = LOOPBACK_PORTS + TAP_PORTS;
    private static final int VXLAN_FAR = VXLAN_NEAR + 1;
    /** The loopback ports on either side of the router; their hosts' addresses are 10.0.PORT.HOST. */
    private static final int ROUTED_NEAR = VXLAN_FAR + 1;
    private static final int ROUTED_FAR = ROUTED_NEAR + 1;
    /** Ports with a feed: the warm-up sends into them and takes what they are sent. */
    private static final int FEEDS = ROUTED_FAR + 1;
    /** The endpoints' port ids, after the feeds'. */
    private static final int NEAR_ENDPOINT = FEEDS;
    private static final int FAR_ENDPOINT = FEEDS + 1;
    private static final int PORTS = FAR_ENDPOINT + 1;
    /**
     * One burst in this many goes to a TAP port: a TAP frame costs system calls on both ends, and a daemon starts
     * many times in a day; this many still gets the TAP code compiled.
     */
    private static final int TAP_EVERY = 8;
    /**
     * This many fewer bursts cross the VXLAN endpoints than the local ports get: each step then costs system calls
     * (the endpoints' polls, the datagrams), and the default 20,000 bursts halved get the endpoints' code compiled by
     * C2 (a quarter as many left it at C1's profiling tier).
     */
    private static final int VXLAN_EVERY = 2;
    /**
     * This many fewer bursts go through the router than the local ports get, twice (without NAT, then with it): the
     * stages before the router's are compiled by the local ports' bursts, and a quarter as many gets the router's
     * compiled (by C1 at least; C2 took some of it only during the first hundreds of real frames).
     */
    private static final int ROUTED_EVERY = 4;
    /**
     * The largest burst into a VXLAN endpoint's bridge: pings and short exchanges, the frames the warm-up is for (a
     * TCP stream's GSO frames take a path of their own, which the stream runs thousands of times a second).
     */
    private static final int VXLAN_BURST = 8;
    /**
     * The largest burst into the local ports and the router, whatever the switch's burst size: the loops compile the
     * same for longer bursts, and the start's time grows with the frames (the default 20,000 bursts took 0.4-0.6 s
     * longer with sizes up to 64 than up to 32 on 2 cores).
     */
    private static final int LARGEST_BURST = 32;
    private static final int HOSTS_PER_PORT = 2;
    /**
     * After one burst in this many into a loopback port, a host that moved and a host never seen before speak from
     * there, and frames to both follow from the third loopback port. Real traffic does that now and then (a container
     * started, a MAC that moves); when the warm-up never did, the compiled forwarding path had no code for it, and its
     * first real occurrence sent the path back to the interpreter and C1's profiling tier, where an idle switch left it
     * for a minute (-XX:+LogCompilation).
     */
    private static final int CHURN_EVERY = 64;
    /**
     * After one burst in {@link #CHURN_EVERY} through the router, a near host sends an echo request over IPv4 and one
     * over IPv6 to a far host the router has not met: it holds both, solicits the host (an ARP request, a neighbour
     * solicitation), and sends them on when the host answers. A real router's first frame to a host meets an unknown
     * neighbour; when the warm-up never did, that frame threw the router's delivery, its neighbour table and the output
     * stage back to the interpreter (-XX:+LogCompilation), where a ping a second through the router still found the
     * routing seconds later (perf). The new neighbours are the far hosts from this number on, a new one each time.
     */
    private static final int FIRST_NEW_NEIGHBOUR = 0x10;
    /** How many far hosts are new neighbours in turn: those below the router's own host number. */
    private static final int NEW_NEIGHBOURS = 0xFE - FIRST_NEW_NEIGHBOUR;
    /** The host that moves between loopback ports 0 and 1 at every churn. */
    private static final long MOVING_HOST = 0x02_00_00_00_FE_01L;
    /** A churn's new host is this plus the churn's number. */
    private static final long NEW_HOSTS = 0x06_00_00_00_00_00L;
    /**
     * One TAP burst in this many is followed by a burst of {@link #LARGE_SEGMENTS} TCP segments as a stream's sender
     * hands them to its TAP (up to {@value #LARGE_SEGMENT_LENGTH} bytes, a virtio-net header asking for segmentation
     * into {@value #MSS}-byte segments): the frames longer than the switch's largest that cross the path whole.
     */
    private static final int LARGE_SEGMENTS_EVERY = 16;
    private static final int LARGE_SEGMENT_LENGTH = 65_536;
    /** As many as a TAP port reads into one burst: their bytes then reach {@link FrameBurst#RECEIVE_BYTES}. */
    private static final int LARGE_SEGMENTS = FrameBurst.RECEIVE_BYTES / LARGE_SEGMENT_LENGTH;
    private static final int MSS = 1_448;
    /**
     * Before each burst the warm-up's agent spins for this long (once) and yields until {@link #IDLE_YIELD_UNTIL_NANOS}
     * after its last work (once or twice), then sleeps, as a forwarding thread does between frames for hundreds of
     * microseconds: a wait set that only ever slept had its spin and its yield compiled as branches never taken, and
     * an idle switch's first frame threw that code back to the interpreter (-XX:+LogCompilation).
     */
    private static final long IDLE_SPIN_NANOS = 1;
    private static final long IDLE_YIELD_UNTIL_NANOS = 1_000;
    /**
     * The most entries of the warm-up's forwarding table, which has the switch's size up to this. A table larger than
     * a core's cache loads a burst's lines ahead and one that fits does not ({@link ForwardingTable#lookupBurst}), so
     * the warm-up's must be on the switch's side of that line: when it was not, its bursts compiled the loop of loads
     * ahead as a branch never taken, with a call per key that the switch then made for every frame.
     */
    private static final int MAX_FDB_CAPACITY = 65_536;
    private static final int ANSWERS = LOOPBACK_PORTS * HOSTS_PER_PORT;
    private static final int RING_SIZE = 1 << 16;
    /** Room for the ports' counters (33 each) and the thread's. */
    private static final int COUNTERS = 512;
    private static final int BRIDGE = 0;
    /** The TAP ports' bridge: the loopback ports' flooding stays off their sockets. */
    private static final int TAP_BRIDGE = 1;
    private static final int NEAR_BRIDGE = 2;
    private static final int FAR_BRIDGE = 3;
    private static final int ROUTED_NEAR_BRIDGE = 4;
    private static final int ROUTED_FAR_BRIDGE = 5;
    private static final int BRIDGES = ROUTED_FAR_BRIDGE + 1;
    private static final int ROUTER = 0;
    /** The router's address on a routed port's bridge is 10.0.PORT.254/24, and fd00:0:0:PORT::fe/64. */
    private static final int ROUTER_HOST = 0xFE;
    private static final int ROUTED_PREFIX_LENGTH = 24;
    private static final int ROUTED_IPV6_PREFIX_LENGTH = 64;
    private static final int CONNECTIONS = 64;
    /** The port of the routed hosts' TCP and UDP services. */
    private static final int SERVICE_PORT = 80;
    /** The router's published port, the same on the near host it is published to. */
    private static final int PUBLISHED_PORT = 8_080;
    /** A host's TCP and UDP connections (and its echo identifier) are from this port plus its address's last byte. */
    private static final int CLIENT_PORTS = 49_152;
    private static final int NEAR_ADDRESS = 0x7F00_0001;
    private static final int FAR_ADDRESS = 0x7F00_0002;
    private static final int VNI = 1;
    private static final int VXLAN_MTU = 1_500;
    private static final int MIN_FRAME_LENGTH = 60;
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int IPPROTO_ICMP = 1;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;
    private static final int IPPROTO_ICMPV6 = 58;
    private static final int ICMPV6_NEIGHBOUR_SOLICITATION = 135;
    private static final int ICMP_ECHO_REPLY = 0;
    private static final int ICMP_ECHO_REQUEST = 8;
    private static final int ETHERNET_LENGTH = 14;
    private static final int IPV4_LENGTH = 20;
    private static final int IPV6_LENGTH = 40;
    private static final int L4_LENGTH = 20;
    /** A host no port has: frames for it are unknown unicast, flooded. */
    private static final long UNKNOWN_HOST = 0x02_00_00_00_FF_FFL;
    private static final long IPV6_SOLICITED_NODE = 0x33_33_FF_00_00_01L;
    private static final long IPV6_PREFIX = 0xFD00_0000_0000_0000L;
    private static final MessageHandler DISCARD = (type, buffer, index, length) -> { };

    private ForwardingWarmUp()
    {
    }

    /** The capacity of the warm-up's forwarding table for a switch whose table holds {@code switchCapacity}. */
    static int fdbCapacity(final int switchCapacity)
    {
        return Math.min(switchCapacity, MAX_FDB_CAPACITY);
    }

    /**
     * Forwards {@code bursts} bursts of synthetic frames through a private pipeline of this geometry (with room for
     * the warm-up's own ports and bridges, if it has less) and a forwarding table of {@code fdbCapacity} entries, the
     * switch's (at most {@link #MAX_FDB_CAPACITY}).
     *
     * @return what the private ports with feeds were sent.
     */
    public static Forwarded run(final Pipeline.Geometry geometry, final int fdbCapacity, final int bursts)
    {
        final Pipeline.Geometry sized = new Pipeline.Geometry(geometry.burstSize(), geometry.slotSize(), geometry.headroom(),
            geometry.maxFrameLength(), Math.max(PORTS, geometry.maxPorts()), Math.max(BRIDGES, geometry.maxBridges()),
            geometry.flowCacheCapacity());
        final Generations generations = new Generations();
        final ForwardingTable fdb = new ForwardingTable(fdbCapacity(fdbCapacity));
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(COUNTERS * CountersReader.METADATA_LENGTH, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(COUNTERS * CountersReader.COUNTER_LENGTH, 64)));
        final SuppressionTable answers = new SuppressionTable(ANSWERS);
        final Features features = new Features(sized.maxBridges());
        final RouterDirectory routers = new RouterDirectory(sized.maxBridges());
        final NeighbourTable neighbours = new NeighbourTable(4 * (HOSTS_PER_PORT + NEW_NEIGHBOURS));
        final ConnectionTable connections = new ConnectionTable(CONNECTIONS);
        final Ipv4RouteTable ipv4Routes = new Ipv4RouteTable(1);
        final Ipv6RouteTable ipv6Routes = new Ipv6RouteTable(2);
        final Pipeline pipeline = new Pipeline(fdb, new PolicyTable(generations), generations, features, sized,
            routers, neighbours, connections, answers);
        final PortWaitSet waitSet = new PortWaitSet(IDLE_SPIN_NANOS, IDLE_YIELD_UNTIL_NANOS);
        // The switch's own clock, so the bursts here are tens of microseconds apart in real time (28 us on average in
        // a fresh JVM, 45,837 steps in 1.29 s; a clock of the warm-up's own had them a millisecond apart). C2 compiles
        // the agent's call to it for the class the warm-up gives it (-XX:+LogCompilation: inlined for that class
        // alone), and with a clock of another class a forwarding thread's first steps trapped back to the interpreter
        // (class_check in ForwardingAgent.doWork, seen once by benches/deopt-check.sh).
        final ForwardingAgent agent = pipeline.newAgent("warm-up", ForwardingAgent.ANY_CPU, SystemEpochClock.INSTANCE,
            waitSet, new ThreadCounters(counters, "warm-up"));
        final ForwardingProxy proxy = new ForwardingProxy(new ForwardingAgent[] {agent}, agent::doWork);
        final Feed[] feeds = new Feed[FEEDS];
        final Vtep[] endpoints = new Vtep[2];
        final PortCounters[] endpointCounters = {
            new PortCounters(counters, "warm-up-vxlan-near"), new PortCounters(counters, "warm-up-vxlan-far")};
        try
        {
            for (int bridge = 0; bridge < BRIDGES; bridge++)
            {
                proxy.addBridge(bridge);
            }
            features.set(BRIDGE, Features.SUPPRESSION, true);
            for (int port = 0; port < LOOPBACK_PORTS; port++)
            {
                for (int host = 0; host < HOSTS_PER_PORT; host++)
                {
                    answers.putIpv4(BRIDGE, ip(mac(port, host)), mac(port, host));
                }
            }
            final int largeSegmentLength = largeSegmentLength(sized);
            for (int id = 0; id < VXLAN_NEAR; id++)
            {
                final String name = "warm-up-" + id;
                feeds[id] = id < LOOPBACK_PORTS ? new LoopbackFeed(new LoopbackPort(name, RING_SIZE)) :
                    new TapFeed(name, largeSegmentLength);
                attach(proxy, feeds[id].port(), id, id < LOOPBACK_PORTS ? BRIDGE : TAP_BRIDGE, counters, sized);
            }
            final Traffic traffic = new Traffic(agent, waitSet, feeds, largeSegmentLength);
            final int largestBurst = Math.min(sized.burstSize(), LARGEST_BURST);
            traffic.betweenLocalPorts(largestBurst, bursts);
            for (int id = ROUTED_NEAR; id <= ROUTED_FAR; id++)
            {
                feeds[id] = new LoopbackFeed(new LoopbackPort("warm-up-" + id, RING_SIZE));
                attach(proxy, feeds[id].port(), id, routedBridge(id), counters, sized);
            }
            final RouterView router =
                router(sized.maxBridges(), features, neighbours, ipv4Routes, ipv6Routes, SystemEpochClock.INSTANCE.time());
            publish(routers, router, NatRules.NONE, sized.maxBridges());
            traffic.throughRouter(largestBurst, bursts / ROUTED_EVERY, false);
            publish(routers, router, translation(), sized.maxBridges());
            traffic.throughRouter(largestBurst, bursts / ROUTED_EVERY, true);
            // Attached only now: every forwarding step polls every port, and the endpoints' polls are system calls.
            final int vxlanBursts = bursts / VXLAN_EVERY;
            final boolean vxlan = vxlanBursts > 0 && openEndpoints(endpoints, endpointCounters, sized.burstSize());
            if (vxlan)
            {
                // The TAP ports' reads are system calls too, and nothing comes to them now.
                proxy.poll(0, new int[] {LOOPBACK_PORTS, LOOPBACK_PORTS + 1}, false);
                for (int id = VXLAN_NEAR; id < FEEDS; id++)
                {
                    feeds[id] = new LoopbackFeed(new LoopbackPort("warm-up-" + id, RING_SIZE));
                    attach(proxy, feeds[id].port(), id, id == VXLAN_NEAR ? NEAR_BRIDGE : FAR_BRIDGE, counters, sized);
                }
                attach(proxy, endpoints[0], NEAR_ENDPOINT, NEAR_BRIDGE, endpointCounters[0], sized);
                attach(proxy, endpoints[1], FAR_ENDPOINT, FAR_BRIDGE, endpointCounters[1], sized);
                traffic.acrossVxlan(sized.burstSize(), vxlanBursts);
            }
            return new Forwarded(traffic.sent, traffic.routed, traffic.routedHosts[1].translatedRequests,
                traffic.routedHosts[0].translatedRequests, traffic.translatedAnswers(), traffic.acrossVxlan, vxlan,
                traffic.bursts, waitSet.wakeUps(), traffic.churns, traffic.toChurnedHosts(), traffic.largeSegmentsSent,
                traffic.largeSegmentsWhole(), traffic.newNeighbours, traffic.routedHosts[1].toNewNeighbours);
        }
        finally
        {
            agent.onClose();
            for (final Feed feed : feeds)
            {
                if (null != feed)
                {
                    feed.close();
                }
            }
            for (final Vtep endpoint : endpoints)
            {
                if (null != endpoint)
                {
                    endpoint.close();
                }
            }
            fdb.close();
            answers.close();
            neighbours.close();
            connections.close();
            ipv4Routes.close();
            ipv6Routes.close();
        }
    }

    /**
     * How long the warm-up's large TCP segments are: {@value #LARGE_SEGMENT_LENGTH} bytes, or less where a frame slot
     * is smaller; 0 (none) where they would be no longer than the switch's largest frame.
     */
    private static int largeSegmentLength(final Pipeline.Geometry geometry)
    {
        final int length = Math.min(LARGE_SEGMENT_LENGTH, geometry.slotSize() - geometry.headroom());
        return length > geometry.maxFrameLength() ? length : 0;
    }

    /**
     * The router between the routed ports' bridges: an interface on each, their connected routes, both ports' hosts as
     * its neighbours (heard {@code nowMs}); without address translation.
     */
    private static RouterView router(
        final int maxBridges, final Features features, final NeighbourTable neighbours, final Ipv4RouteTable ipv4Routes,
        final Ipv6RouteTable ipv6Routes, final long nowMs)
    {
        final RouterInterface[] interfaces = new RouterInterface[2];
        final NextHop[] nextHops = new NextHop[2];
        for (int side = 0; side < 2; side++)
        {
            final int port = ROUTED_NEAR + side;
            final int bridge = routedBridge(port);
            interfaces[side] = new RouterInterface(ROUTER, bridge, routerMac(port), VXLAN_MTU,
                new int[] {routerAddress(port)}, new int[] {ROUTED_PREFIX_LENGTH},
                new long[] {ipv6High(port)}, new long[] {ROUTER_HOST}, new int[] {ROUTED_IPV6_PREFIX_LENGTH});
            nextHops[side] = NextHop.connected(bridge);
            ipv4Routes.add(subnet(port), ROUTED_PREFIX_LENGTH, side);
            ipv6Routes.add(ipv6High(port), 0, ROUTED_IPV6_PREFIX_LENGTH, side);
            for (int host = 0; host < HOSTS_PER_PORT; host++)
            {
                final long mac = routedHost(port, host);
                neighbours.learnIpv4(bridge, ip(mac), mac, nowMs);
                neighbours.learnIpv6(bridge, ipv6High(port), mac, mac, nowMs);
            }
            features.set(bridge, Features.ROUTER, true);
        }
        return new RouterView(ROUTER, ipv4Routes, ipv6Routes, nextHops, interfaces, NatRules.NONE);
    }

    /** Publishes the router with these translation rules. */
    private static void publish(
        final RouterDirectory routers, final RouterView router, final NatRules rules, final int maxBridges)
    {
        final RouterInterface[] byBridge = new RouterInterface[maxBridges];
        for (final RouterInterface routerInterface : router.interfaces())
        {
            byBridge[routerInterface.bridgeId()] = routerInterface;
        }
        routers.publish(new RouterDirectory.Snapshot(byBridge, new RouterView[] {new RouterView(router.id(),
            router.ipv4Routes(), router.ipv6Routes(), router.nextHops(), router.interfaces(), rules)}));
    }

    /**
     * The near port's hosts masqueraded on their way to the far port's bridge, and TCP and UDP to
     * {@value #PUBLISHED_PORT} of the router's address there published to the near port's first host.
     */
    private static NatRules translation()
    {
        final int far = routedBridge(ROUTED_FAR);
        final int target = ip(routedHost(ROUTED_NEAR, 0));
        return new NatRules(new int[] {far}, new int[] {subnet(ROUTED_NEAR)}, new int[] {ROUTED_PREFIX_LENGTH},
            new int[] {IPPROTO_TCP, IPPROTO_UDP}, new int[] {PUBLISHED_PORT, PUBLISHED_PORT}, new int[] {far, far},
            new int[] {target, target}, new int[] {PUBLISHED_PORT, PUBLISHED_PORT});
    }

    private static int routedBridge(final int port)
    {
        return ROUTED_NEAR == port ? ROUTED_NEAR_BRIDGE : ROUTED_FAR_BRIDGE;
    }

    /** The /24 of a routed port's hosts and of the router's address beside them. */
    private static int subnet(final int port)
    {
        return 0x0A00_0000 | port << 8;
    }

    /** Whether {@code address} is in the subnet of routed port {@code port}. */
    private static boolean onSubnet(final int port, final int address)
    {
        return subnet(port) == (address & -(1 << (32 - ROUTED_PREFIX_LENGTH)));
    }

    /** The router's address beside a routed port's hosts. */
    private static int routerAddress(final int port)
    {
        return subnet(port) | ROUTER_HOST;
    }

    private static long ipv6High(final int port)
    {
        return IPV6_PREFIX | port;
    }

    private static long routerMac(final int port)
    {
        return mac(port, ROUTER_HOST);
    }

    /** Host {@code host} behind a routed port: hosts 1.., as .0 of a /24 is its network's address. */
    private static long routedHost(final int port, final int host)
    {
        return mac(port, host + 1);
    }

    private static void attach(
        final ForwardingProxy proxy, final Port port, final int id, final int bridge, final CountersManager counters,
        final Pipeline.Geometry geometry)
    {
        attach(proxy, port, id, bridge, new PortCounters(counters, port.name()), geometry);
    }

    private static void attach(
        final ForwardingProxy proxy, final Port port, final int id, final int bridge, final PortCounters counters,
        final Pipeline.Geometry geometry)
    {
        proxy.attach(new PortEntry[] {new PortEntry(port, id, bridge, counters, geometry.burstSize())});
    }

    /**
     * Opens the two VXLAN endpoints, each the other's peer, on a UDP port that no socket had on either address a moment
     * before (an endpoint binds with {@code SO_REUSEPORT}: on a port another process's endpoint holds it would join
     * that group); false, with none open, if the loopback interface has not both addresses or the port was taken.
     */
    private static boolean openEndpoints(final Vtep[] endpoints, final PortCounters[] counters, final int burstSize)
    {
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByAddress(address(FAR_ADDRESS)));
            DatagramSocket nearProbe = new DatagramSocket(probe.getLocalPort(), InetAddress.getByAddress(address(NEAR_ADDRESS))))
        {
            final int port = probe.getLocalPort();
            probe.close();
            nearProbe.close();
            endpoints[0] = Vtep.open("warm-up-vxlan-near", VNI, NEAR_ADDRESS, port, Vtep.DEFAULT_TTL, VXLAN_MTU, false,
                counters[0], burstSize);
            endpoints[1] = Vtep.open("warm-up-vxlan-far", VNI, FAR_ADDRESS, port, Vtep.DEFAULT_TTL, VXLAN_MTU, false,
                counters[1], burstSize);
            endpoints[0].addPeer(FAR_ADDRESS);
            endpoints[1].addPeer(NEAR_ADDRESS);
            return true;
        }
        catch (final IOException | NativeException ex)
        {
            for (int i = 0; i < endpoints.length; i++)
            {
                if (null != endpoints[i])
                {
                    endpoints[i].close();
                    endpoints[i] = null;
                }
            }
            return false;
        }
    }

    private static byte[] address(final int address)
    {
        return new byte[] {(byte)(address >>> 24), (byte)(address >>> 16), (byte)(address >>> 8), (byte)address};
    }

    /**
     * What the warm-up's ports with feeds were sent: {@code frames} in all (a flooded frame counts once per port),
     * {@code routed} of them by the ports on either side of the router, {@code masqueraded} and {@code published} the
     * requests among them that reached a host through the router's NAT (each answered), {@code translatedAnswers} the
     * answers that came back translated back, {@code acrossVxlan} by the ports beside the VXLAN endpoints (datagrams
     * still on their way when it ended not counted), false {@code vxlan} if it ran without the endpoints (too few
     * bursts, or no loopback addresses), how many {@code bursts} it sent, and how many of its sleeps between bursts the
     * next burst's frames or the wake-up ended (all, unless one timed out); how many {@code churns} there were, how
     * many frames to a churn's two hosts reached the loopback port where each had just spoken
     * ({@code toChurnedHosts.reached()}) and how many reached another ({@code strayed()}), and how many large TCP
     * segments were sent into a TAP port and came out of the other with the request for segmentation and their length
     * ({@code largeSegmentsWhole}); to how many {@code newNeighbours} the router's near side sent two echo requests
     * (IPv4 and IPv6), and how many of those requests reached them ({@code toNewNeighbours}) after the router solicited
     * them and they answered.
     */
    public record Forwarded(
        long frames, long routed, long masqueraded, long published, long translatedAnswers, long acrossVxlan,
        boolean vxlan, long bursts, long wakeUps, long churns, ChurnedHosts toChurnedHosts, long largeSegmentsSent,
        long largeSegmentsWhole, long newNeighbours, long toNewNeighbours)
    {
    }

    /** Sends the warm-up's bursts through a private agent and counts what its ports with feeds are sent. */
    private static final class Traffic
    {
        private final ForwardingAgent agent;
        private final PortWaitSet waitSet;
        private final Feed[] feeds;
        private final TapFeed[] taps = new TapFeed[TAP_PORTS];
        /** A TCP segment for each TAP port to send the other's first host, or none. */
        private final byte[][] largeSegments = new byte[TAP_PORTS][];
        private final ChurnWatch churnWatch = new ChurnWatch();
        private final byte[][][] frames = new byte[FEEDS][][];
        private final MessageHandler[] receivers = new MessageHandler[FEEDS];
        private final RoutedHosts[] routedHosts = {new RoutedHosts(ROUTED_NEAR), new RoutedHosts(ROUTED_FAR)};
        private int next;
        private long bursts;
        private long sent;
        private long routed;
        private long acrossVxlan;
        private long churns;
        private long largeSegmentsSent;
        private long newNeighbours;

        Traffic(
            final ForwardingAgent agent, final PortWaitSet waitSet, final Feed[] feeds, final int largeSegmentLength)
        {
            this.agent = agent;
            this.waitSet = waitSet;
            this.feeds = feeds;
            for (int port = 0; port < FEEDS; port++)
            {
                frames[port] = framesFrom(port).toArray(new byte[0][]);
                receivers[port] = DISCARD;
            }
            for (int port = 0; port < LOOPBACK_PORTS; port++)
            {
                final int watched = port;
                receivers[port] = (type, buffer, index, length) -> churnWatch.sent(watched, buffer, index);
            }
            for (int tap = 0; tap < TAP_PORTS; tap++)
            {
                taps[tap] = (TapFeed)feeds[LOOPBACK_PORTS + tap];
                if (largeSegmentLength > 0)
                {
                    largeSegments[tap] = largeSegment(mac(LOOPBACK_PORTS + TAP_PORTS - 1 - tap, 0),
                        mac(LOOPBACK_PORTS + tap, 0), largeSegmentLength);
                }
            }
            for (final RoutedHosts hosts : routedHosts)
            {
                receivers[hosts.port] = hosts;
            }
        }

        /**
         * Loopback and TAP ports: one burst in {@link #TAP_EVERY} to a TAP port, sizes 1..largestBurst in turn; after
         * one TAP burst in {@link #LARGE_SEGMENTS_EVERY} large TCP segments, and after one burst in
         * {@link #CHURN_EVERY} a {@link #churn}.
         */
        void betweenLocalPorts(final int largestBurst, final int bursts)
        {
            for (int burst = 0; burst < bursts; burst++)
            {
                final boolean tap = 0 == burst % TAP_EVERY;
                final int port = tap ? LOOPBACK_PORTS + burst / TAP_EVERY % TAP_PORTS : burst % LOOPBACK_PORTS;
                // A ping is a burst of one, a TCP stream fills bursts.
                burst(port, 1 + burst % largestBurst, 0, VXLAN_NEAR);
                if (tap && 0 == burst / TAP_EVERY % LARGE_SEGMENTS_EVERY)
                {
                    largeSegments(port - LOOPBACK_PORTS);
                }
                else if (1 == burst % CHURN_EVERY)
                {
                    churn();
                }
            }
        }

        /**
         * The moving host speaks from loopback port 0 or 1, where it did not last time, and a new host beside it; then
         * the third loopback port's first host sends each a frame, which must reach that port alone.
         */
        private void churn()
        {
            final int home = (int)(churns % 2);
            final long newHost = NEW_HOSTS | churns;
            final int listenerPort = LOOPBACK_PORTS - 1;
            final long listener = mac(listenerPort, 0);
            churnWatch.expect(home, newHost);
            feeds[home].inject(ipv4(listener, MOVING_HOST, IPPROTO_UDP));
            feeds[home].inject(ipv4(listener, newHost, IPPROTO_UDP));
            forward(home, 0, VXLAN_NEAR);
            feeds[listenerPort].inject(ipv4(MOVING_HOST, listener, IPPROTO_UDP));
            feeds[listenerPort].inject(ipv4(newHost, listener, IPPROTO_UDP));
            forward(listenerPort, 0, VXLAN_NEAR);
            churns++;
        }

        /** Large TCP segments from TAP port {@code tap}'s first host to the other's, if the geometry has room. */
        private void largeSegments(final int tap)
        {
            final byte[] segment = largeSegments[tap];
            if (null != segment)
            {
                for (int i = 0; i < LARGE_SEGMENTS; i++)
                {
                    taps[tap].injectLargeSegment(segment);
                }
                largeSegmentsSent += LARGE_SEGMENTS;
                forward(LOOPBACK_PORTS + tap, 0, VXLAN_NEAR);
            }
        }

        ChurnedHosts toChurnedHosts()
        {
            return new ChurnedHosts(churnWatch.reached, churnWatch.strayed);
        }

        long largeSegmentsWhole()
        {
            long whole = 0;
            for (final TapFeed tap : taps)
            {
                whole += tap.largeSegmentsWhole;
            }
            return whole;
        }

        /**
         * Through the router, from either side in turn, sizes 1..largestBurst; with {@code translating} (the router's NAT
         * rules published) the far port's hosts connect to the published port too, and after each burst the hosts
         * answer what reached them translated, in a burst of their own. After one burst in {@link #CHURN_EVERY}, frames
         * to a host on no other port and {@link #toNewNeighbour to a new neighbour}.
         */
        void throughRouter(final int largestBurst, final int bursts, final boolean translating)
        {
            frames[ROUTED_FAR] = routedFramesFrom(ROUTED_FAR, translating).toArray(new byte[0][]);
            for (int burst = 0; burst < bursts; burst++)
            {
                if (0 == burst % CHURN_EVERY)
                {
                    floodToNoOne();
                    toNewNeighbour();
                }
                routed += burst(ROUTED_NEAR + burst % 2, 1 + burst / 2 % largestBurst, ROUTED_NEAR, ROUTED_FAR + 1);
                for (final RoutedHosts hosts : routedHosts)
                {
                    if (hosts.answer(feeds[hosts.port]) > 0)
                    {
                        routed += forward(hosts.port, ROUTED_NEAR, ROUTED_FAR + 1);
                    }
                }
            }
        }

        /**
         * A frame to a host nobody knows into the near routed port, whose bridge has no other port to flood it to (as
         * a container's first frames, alone on its bridge): dropped.
         */
        private void floodToNoOne()
        {
            feeds[ROUTED_NEAR].inject(ipv4(UNKNOWN_HOST, routedHost(ROUTED_NEAR, 0), IPPROTO_UDP));
            forward(ROUTED_NEAR, ROUTED_NEAR, ROUTED_FAR + 1);
        }

        /**
         * Echo requests, IPv4 and IPv6, from the near port's first host to the next new neighbour behind the far port
         * (see {@link #FIRST_NEW_NEIGHBOUR}): the router holds them and solicits the host out of the far port, the far
         * port's hosts answer for it, and the router, having heard the answers, sends the requests on to it.
         */
        private void toNewNeighbour()
        {
            final long neighbour = mac(ROUTED_FAR, FIRST_NEW_NEIGHBOUR + (int)(newNeighbours++ % NEW_NEIGHBOURS));
            final long source = routedHost(ROUTED_NEAR, 0);
            final long router = routerMac(ROUTED_NEAR);
            feeds[ROUTED_NEAR].inject(request(router, source, ip(neighbour), IPPROTO_ICMP, 0, 0));
            feeds[ROUTED_NEAR].inject(
                ipv6(router, ipv6High(ROUTED_NEAR), source, ipv6High(ROUTED_FAR), neighbour, IPPROTO_ICMPV6));
            routed += forward(ROUTED_NEAR, ROUTED_NEAR, ROUTED_FAR + 1);
            final RoutedHosts far = routedHosts[1];
            if (far.answer(feeds[ROUTED_FAR]) > 0)
            {
                routed += forward(ROUTED_FAR, ROUTED_NEAR, ROUTED_FAR + 1);
            }
        }

        /** Answers that came back to the host that sent the request with the request's own addresses and ports. */
        long translatedAnswers()
        {
            return routedHosts[0].translatedAnswers + routedHosts[1].translatedAnswers;
        }

        /**
         * Across the VXLAN endpoints, from either side in turn, sizes 1..{@link #VXLAN_BURST}; what one burst sent the
         * next receives.
         */
        void acrossVxlan(final int burstSize, final int bursts)
        {
            for (int burst = 0; burst < bursts; burst++)
            {
                final int size = 1 + burst / 2 % Math.min(VXLAN_BURST, burstSize);
                acrossVxlan += burst(VXLAN_NEAR + burst % 2, size, VXLAN_NEAR, VXLAN_FAR + 1);
            }
            acrossVxlan += burst(VXLAN_NEAR, 0, VXLAN_NEAR, VXLAN_FAR + 1);
        }

        /** Sends {@code size} frames into {@code port}, then {@link #forward}s them. */
        private long burst(final int port, final int size, final int from, final int to)
        {
            final byte[][] kinds = frames[port];
            for (int i = 0; i < size; i++)
            {
                feeds[port].inject(kinds[next++ % kinds.length]);
            }
            return forward(port, from, to);
        }

        /**
         * Wakes the agent from its sleep for the frames sent into {@code port}, runs one forwarding step, and takes
         * what feeds {@code from} to {@code to} (exclusive) were sent; returns how many frames that was.
         */
        private long forward(final int port, final int from, final int to)
        {
            if (feeds[port].port().pollFd() < 0)
            {
                waitSet.wake();
            }
            final long sleeps = waitSet.sleeps();
            while (sleeps == waitSet.sleeps())
            {
                waitSet.idle(0);
            }
            waitSet.idle(agent.doWork());
            long drained = 0;
            for (int out = from; out < to; out++)
            {
                drained += feeds[out].drain(receivers[out]);
            }
            bursts++;
            sent += drained;
            return drained;
        }
    }

    /** Frames to a churn's hosts out of the loopback ports: how many out of the one where the host spoke, and others. */
    public record ChurnedHosts(long reached, long strayed)
    {
    }

    /** Watches what the loopback ports send for frames to the moving host and the newest host. */
    private static final class ChurnWatch
    {
        private int home = -1;
        private long newHost;
        private long reached;
        private long strayed;

        void expect(final int home, final long newHost)
        {
            this.home = home;
            this.newHost = newHost;
        }

        void sent(final int port, final MutableDirectBuffer buffer, final int index)
        {
            final long destination = MacAddress.read(buffer, index);
            if (MOVING_HOST == destination || newHost == destination)
            {
                if (port == home)
                {
                    reached++;
                }
                else
                {
                    strayed++;
                }
            }
        }
    }

    /**
     * The hosts behind a routed port as the router's address translation meets them. A request that reaches one of
     * them translated (on the far side from the router's address: masqueraded; on the near side to the published port:
     * its destination translated) is answered, addresses and ports swapped (an echo reply for an echo request, SYN/ACK
     * for a SYN, else ACK), and {@link #answer} sends the answers into the port. An answer that comes back to the host
     * whose request it answers with that request's own addresses and ports (translated back) is counted. The router's
     * ARP requests and neighbour solicitations for a host behind the port are answered as that host would, and what
     * reaches a {@link #FIRST_NEW_NEIGHBOUR new neighbour} is counted.
     */
    private static final class RoutedHosts implements MessageHandler
    {
        private final int port;
        private final List<byte[]> answers = new ArrayList<>();
        private final RouterAnswers neighbourAnswers = new RouterAnswers();
        private long translatedRequests;
        private long translatedAnswers;
        private long toNewNeighbours;

        RoutedHosts(final int port)
        {
            this.port = port;
        }

        @Override
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            final int etherType = buffer.getShort(index + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            final long newNeighbour = MacAddress.read(buffer, index) - mac(ROUTED_FAR, FIRST_NEW_NEIGHBOUR);
            if (ROUTED_FAR == port && newNeighbour >= 0 && newNeighbour < NEW_NEIGHBOURS)
            {
                toNewNeighbours++;
                return;
            }
            if (isSolicitation(buffer, index, length, etherType))
            {
                answerSolicitation(buffer, index, length, etherType);
                return;
            }
            if (length < ETHERNET_LENGTH + IPV4_LENGTH + L4_LENGTH || ETHERTYPE_IPV4 != etherType)
            {
                return;
            }
            final int ip = index + ETHERNET_LENGTH;
            final int l4 = ip + IPV4_LENGTH;
            final int protocol = buffer.getByte(ip + 9) & 0xFF;
            final int source = buffer.getInt(ip + 12, ByteOrder.BIG_ENDIAN);
            final int destination = buffer.getInt(ip + 16, ByteOrder.BIG_ENDIAN);
            final boolean icmp = IPPROTO_ICMP == protocol;
            if (!icmp && IPPROTO_TCP != protocol && IPPROTO_UDP != protocol)
            {
                return;
            }
            // ICMP: the echo's type, and its identifier for both ports; TCP and UDP: the ports.
            final int icmpType = buffer.getByte(l4) & 0xFF;
            final int sourcePort = icmp ? buffer.getShort(l4 + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF :
                buffer.getShort(l4, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            final int destinationPort = icmp ? sourcePort : buffer.getShort(l4 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            final boolean request;
            final boolean translatedBack;
            if (ROUTED_FAR == port)
            {
                request = source == routerAddress(ROUTED_FAR) &&
                    (icmp ? ICMP_ECHO_REQUEST == icmpType : SERVICE_PORT == destinationPort);
                translatedBack = source == routerAddress(ROUTED_FAR) && !icmp && PUBLISHED_PORT == sourcePort &&
                    clientPort(destination) == destinationPort;
            }
            else
            {
                request = !icmp && PUBLISHED_PORT == destinationPort && ip(routedHost(ROUTED_NEAR, 0)) == destination;
                translatedBack = onSubnet(ROUTED_FAR, source) &&
                    (icmp ? ICMP_ECHO_REPLY == icmpType : SERVICE_PORT == sourcePort) &&
                    clientPort(destination) == destinationPort;
            }
            if (request)
            {
                translatedRequests++;
                answers.add(answerTo(buffer, index, length, protocol));
            }
            else if (translatedBack)
            {
                translatedAnswers++;
            }
        }

        /** An ARP request, or an ICMPv6 neighbour solicitation (the router's are without extension headers). */
        private static boolean isSolicitation(
            final MutableDirectBuffer buffer, final int index, final int length, final int etherType)
        {
            final int icmpv6 = index + ETHERNET_LENGTH + IPV6_LENGTH;
            final int arpOperation = index + ETHERNET_LENGTH + 6;
            return ETHERTYPE_ARP == etherType ?
                length >= ETHERNET_LENGTH + 28 && 1 == buffer.getShort(arpOperation, ByteOrder.BIG_ENDIAN) :
                ETHERTYPE_IPV6 == etherType && length > ETHERNET_LENGTH + IPV6_LENGTH &&
                IPPROTO_ICMPV6 == (buffer.getByte(index + ETHERNET_LENGTH + 6) & 0xFF) &&
                ICMPV6_NEIGHBOUR_SOLICITATION == (buffer.getByte(icmpv6) & 0xFF);
        }

        /**
         * Adds to the answers that of the host behind this port that the router's ARP request or neighbour solicitation
         * asks for (none for an address not behind it). A host's MAC is its IPv4 address's last two bytes (see
         * {@link #ip}); an IPv6 host's address ends in its MAC.
         */
        private void answerSolicitation(
            final MutableDirectBuffer buffer, final int index, final int length, final int etherType)
        {
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[Math.max(length, MIN_FRAME_LENGTH)]);
            frame.putBytes(0, buffer, index, length);
            final int answered;
            if (ETHERTYPE_ARP == etherType)
            {
                final int target = frame.getInt(ETHERNET_LENGTH + 24, ByteOrder.BIG_ENDIAN);
                answered = onSubnet(port, target) ?
                    neighbourAnswers.arpReply(frame, 0, length, mac(target >>> 8 & 0xFF, target & 0xFF)) : RouterAnswers.NONE;
            }
            else
            {
                final int target = ETHERNET_LENGTH + IPV6_LENGTH + 8;
                answered = length < target + 16 || frame.getLong(target, ByteOrder.BIG_ENDIAN) != ipv6High(port) ?
                    RouterAnswers.NONE : neighbourAnswers.neighbourAdvertisement(
                        frame, 0, length, frame.getLong(target + 8, ByteOrder.BIG_ENDIAN), false);
            }
            if (answered > 0)
            {
                answers.add(Arrays.copyOf(frame.byteArray(), answered));
            }
        }

        /** Sends the answers to the requests taken since the last call into the feed; returns how many. */
        int answer(final Feed feed)
        {
            final int count = answers.size();
            for (final byte[] answer : answers)
            {
                feed.inject(answer);
            }
            answers.clear();
            return count;
        }

        private static byte[] answerTo(
            final MutableDirectBuffer request, final int index, final int length, final int protocol)
        {
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[length]);
            frame.putBytes(0, request, index, length);
            MacAddress.write(frame, 0, MacAddress.read(request, index + 6));
            MacAddress.write(frame, 6, MacAddress.read(request, index));
            final int ip = ETHERNET_LENGTH;
            final int l4 = ip + IPV4_LENGTH;
            frame.putByte(ip + 8, (byte)64);
            frame.putInt(ip + 12, request.getInt(index + ip + 16));
            frame.putInt(ip + 16, request.getInt(index + ip + 12));
            if (IPPROTO_ICMP == protocol)
            {
                frame.putByte(l4, (byte)ICMP_ECHO_REPLY);
                icmpChecksum(frame, l4);
            }
            else
            {
                frame.putShort(l4, request.getShort(index + l4 + 2));
                frame.putShort(l4 + 2, request.getShort(index + l4));
            }
            if (IPPROTO_TCP == protocol)
            {
                final boolean syn = 0 != (request.getByte(index + l4 + FLAGS_OFFSET) & FLAG_SYN);
                frame.putByte(l4 + FLAGS_OFFSET, (byte)(syn ? FLAG_SYN | FLAG_ACK : FLAG_ACK));
            }
            return withHeaderChecksum(frame.byteArray());
        }
    }

    /**
     * Every kind of frame, from each host behind {@code port} to hosts behind the others (for a port beside a VXLAN
     * endpoint, behind the other endpoint), the broadcast, multicast and unknown ones.
     */
    private static List<byte[]> framesFrom(final int port)
    {
        if (ROUTED_NEAR == port || ROUTED_FAR == port)
        {
            return routedFramesFrom(port, false);
        }
        final List<byte[]> frames = new ArrayList<>();
        for (int host = 0; host < HOSTS_PER_PORT; host++)
        {
            final long source = mac(port, host);
            final long peer = mac(port >= VXLAN_NEAR ? VXLAN_NEAR + VXLAN_FAR - port : (port + 1 + host) % VXLAN_NEAR, host);
            frames.add(arp(source, 0 == host ? ip(peer) : ip(UNKNOWN_HOST)));
            frames.add(ipv4(peer, source, IPPROTO_ICMP));
            frames.add(ipv4(peer, source, IPPROTO_TCP));
            frames.add(ipv4(peer, source, IPPROTO_UDP));
            frames.add(ipv4(UNKNOWN_HOST, source, IPPROTO_UDP));
            frames.add(ipv6(IPV6_SOLICITED_NODE, source, IPPROTO_ICMPV6));
            frames.add(ipv6(peer, source, IPPROTO_ICMPV6));
            frames.add(ipv6(peer, source, IPPROTO_TCP));
            frames.add(ipv6(peer, source, IPPROTO_UDP));
        }
        return frames;
    }

    /**
     * From each host behind a routed port: an ARP request for the router's address there and an echo request to it, and
     * to the router's MAC for the host of the same number behind the other routed port IPv4 (an echo request, a TCP SYN
     * and a TCP segment of data, UDP) and IPv6 (ICMPv6, TCP, UDP); from the far port's hosts, with {@code published},
     * also a TCP SYN, a TCP segment and UDP to the router's published port.
     */
    private static List<byte[]> routedFramesFrom(final int port, final boolean published)
    {
        final int other = ROUTED_NEAR + ROUTED_FAR - port;
        final long router = routerMac(port);
        final List<byte[]> frames = new ArrayList<>();
        for (int host = 0; host < HOSTS_PER_PORT; host++)
        {
            final long source = routedHost(port, host);
            final long peer = routedHost(other, host);
            frames.add(arp(source, routerAddress(port)));
            frames.add(request(router, source, routerAddress(port), IPPROTO_ICMP, 0, 0));
            frames.add(request(router, source, ip(peer), IPPROTO_ICMP, 0, 0));
            frames.add(request(router, source, ip(peer), IPPROTO_TCP, SERVICE_PORT, FLAG_SYN));
            frames.add(request(router, source, ip(peer), IPPROTO_TCP, SERVICE_PORT, FLAG_PSH | FLAG_ACK));
            frames.add(request(router, source, ip(peer), IPPROTO_UDP, SERVICE_PORT, 0));
            if (published && ROUTED_FAR == port)
            {
                frames.add(request(router, source, routerAddress(port), IPPROTO_TCP, PUBLISHED_PORT, FLAG_SYN));
                frames.add(
                    request(router, source, routerAddress(port), IPPROTO_TCP, PUBLISHED_PORT, FLAG_PSH | FLAG_ACK));
                frames.add(request(router, source, routerAddress(port), IPPROTO_UDP, PUBLISHED_PORT, 0));
            }
            for (final int nextHeader : new int[] {IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP})
            {
                frames.add(ipv6(router, ipv6High(port), source, ipv6High(other), peer, nextHeader));
            }
        }
        return frames;
    }

    /**
     * An IPv4 request from a routed host to {@code address}, in a frame to {@code destination}, its header checksum
     * right: an ICMP echo request with the host's client port as its identifier, or TCP (with these flags) or UDP from
     * the host's client port to {@code port}.
     */
    private static byte[] request(
        final long destination, final long source, final int address, final int protocol, final int port,
        final int tcpFlags)
    {
        final byte[] frame = ipv4(destination, source, address, protocol);
        final UnsafeBuffer l4 = new UnsafeBuffer(frame, ETHERNET_LENGTH + IPV4_LENGTH, L4_LENGTH);
        if (IPPROTO_ICMP == protocol)
        {
            l4.putShort(0, (short)(ICMP_ECHO_REQUEST << 8), ByteOrder.BIG_ENDIAN);
            l4.putShort(4, (short)clientPort(ip(source)), ByteOrder.BIG_ENDIAN);
            icmpChecksum(l4, 0);
        }
        else
        {
            l4.putShort(2, (short)port, ByteOrder.BIG_ENDIAN);
        }
        if (IPPROTO_TCP == protocol)
        {
            l4.putByte(FLAGS_OFFSET, (byte)tcpFlags);
        }
        return withHeaderChecksum(frame);
    }

    /** The frame, its IPv4 header's checksum computed. */
    private static byte[] withHeaderChecksum(final byte[] frame)
    {
        new Ipv4Flyweight().wrap(new UnsafeBuffer(frame), ETHERNET_LENGTH, IPV4_LENGTH).updateChecksum();
        return frame;
    }

    /** Computes the checksum of the ICMP message at {@code offset}, as long as the warm-up's IPv4 payloads. */
    private static void icmpChecksum(final UnsafeBuffer frame, final int offset)
    {
        frame.putShort(offset + 2, (short)0, ByteOrder.BIG_ENDIAN);
        frame.putShort(offset + 2, (short)Checksums.checksum(frame, offset, L4_LENGTH), ByteOrder.BIG_ENDIAN);
    }

    /** The port a host's connections come from: {@value #CLIENT_PORTS} plus the last byte of its address. */
    private static int clientPort(final int address)
    {
        return CLIENT_PORTS + (address & 0xFF);
    }

    private static long mac(final int port, final int host)
    {
        return 0x02_00_00_00_00_00L | (long)port << 8 | host;
    }

    /** A host's IPv4 address. */
    private static int ip(final long mac)
    {
        return 0x0A00_0000 | (int)(mac & 0xFFFF);
    }

    private static byte[] arp(final long source, final int target)
    {
        final UnsafeBuffer frame = ethernet(MacAddress.BROADCAST, source, ETHERTYPE_ARP, ETHERNET_LENGTH + 28);
        frame.putShort(ETHERNET_LENGTH, (short)1, ByteOrder.BIG_ENDIAN);
        frame.putShort(ETHERNET_LENGTH + 2, (short)ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        frame.putByte(ETHERNET_LENGTH + 4, (byte)6);
        frame.putByte(ETHERNET_LENGTH + 5, (byte)4);
        frame.putShort(ETHERNET_LENGTH + 6, (short)1, ByteOrder.BIG_ENDIAN);
        MacAddress.write(frame, ETHERNET_LENGTH + 8, source);
        frame.putInt(ETHERNET_LENGTH + 14, ip(source), ByteOrder.BIG_ENDIAN);
        frame.putInt(ETHERNET_LENGTH + 24, target, ByteOrder.BIG_ENDIAN);
        return frame.byteArray();
    }

    private static byte[] ipv4(final long destination, final long source, final int protocol)
    {
        return ipv4(destination, source, ip(destination), protocol);
    }

    /** An IPv4 packet to {@code address}, in a frame to {@code destination}. */
    private static byte[] ipv4(final long destination, final long source, final int address, final int protocol)
    {
        return ipv4(destination, source, address, protocol, ETHERNET_LENGTH + IPV4_LENGTH + L4_LENGTH).byteArray();
    }

    /** An IPv4 packet to {@code address} with the ports of {@link #ports}, in a frame of {@code length} bytes. */
    private static UnsafeBuffer ipv4(
        final long destination, final long source, final int address, final int protocol, final int length)
    {
        final UnsafeBuffer frame = ethernet(destination, source, ETHERTYPE_IPV4, length);
        frame.putByte(ETHERNET_LENGTH, (byte)0x45);
        frame.putShort(ETHERNET_LENGTH + 2, (short)(length - ETHERNET_LENGTH), ByteOrder.BIG_ENDIAN);
        frame.putByte(ETHERNET_LENGTH + 8, (byte)64);
        frame.putByte(ETHERNET_LENGTH + 9, (byte)protocol);
        frame.putInt(ETHERNET_LENGTH + 12, ip(source), ByteOrder.BIG_ENDIAN);
        frame.putInt(ETHERNET_LENGTH + 16, address, ByteOrder.BIG_ENDIAN);
        ports(frame, ETHERNET_LENGTH + IPV4_LENGTH, source);
        return frame;
    }

    /**
     * A TCP segment of {@code length} bytes in all (a payload of zeros) from {@code source} to {@code destination}, as
     * a stream's sender hands it to its TAP for segmentation: the TCP checksum left for the device to complete.
     */
    private static byte[] largeSegment(final long destination, final long source, final int length)
    {
        final UnsafeBuffer frame = ipv4(destination, source, ip(destination), IPPROTO_TCP, length);
        final int tcp = ETHERNET_LENGTH + IPV4_LENGTH;
        frame.putByte(tcp + 12, (byte)(L4_LENGTH / 4 << 4));
        frame.putByte(tcp + FLAGS_OFFSET, (byte)(FLAG_PSH | FLAG_ACK));
        return withHeaderChecksum(frame.byteArray());
    }

    private static byte[] ipv6(final long destination, final long source, final int nextHeader)
    {
        return ipv6(destination, IPV6_PREFIX, source, IPV6_PREFIX, destination, nextHeader);
    }

    /**
     * An IPv6 packet from {@code sourceHigh:source} to {@code high:low}, in a frame from {@code source} to
     * {@code destination}.
     */
    private static byte[] ipv6(
        final long destination, final long sourceHigh, final long source, final long high, final long low,
        final int nextHeader)
    {
        final int length = ETHERNET_LENGTH + IPV6_LENGTH + L4_LENGTH;
        final UnsafeBuffer frame = ethernet(destination, source, ETHERTYPE_IPV6, length);
        frame.putByte(ETHERNET_LENGTH, (byte)0x60);
        frame.putShort(ETHERNET_LENGTH + 4, (short)L4_LENGTH, ByteOrder.BIG_ENDIAN);
        frame.putByte(ETHERNET_LENGTH + 6, (byte)nextHeader);
        frame.putByte(ETHERNET_LENGTH + 7, (byte)64);
        frame.putLong(ETHERNET_LENGTH + 8, sourceHigh, ByteOrder.BIG_ENDIAN);
        frame.putLong(ETHERNET_LENGTH + 16, source, ByteOrder.BIG_ENDIAN);
        frame.putLong(ETHERNET_LENGTH + 24, high, ByteOrder.BIG_ENDIAN);
        frame.putLong(ETHERNET_LENGTH + 32, low, ByteOrder.BIG_ENDIAN);
        ports(frame, ETHERNET_LENGTH + IPV6_LENGTH, source);
        return frame.byteArray();
    }

    /** Source and destination ports (for ICMP: type and code, identifier), the same bytes for every protocol here. */
    private static void ports(final UnsafeBuffer frame, final int offset, final long source)
    {
        frame.putShort(offset, (short)clientPort(ip(source)), ByteOrder.BIG_ENDIAN);
        frame.putShort(offset + 2, (short)SERVICE_PORT, ByteOrder.BIG_ENDIAN);
    }

    private static UnsafeBuffer ethernet(final long destination, final long source, final int etherType, final int length)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[Math.max(length, MIN_FRAME_LENGTH)]);
        MacAddress.write(frame, 0, destination);
        MacAddress.write(frame, 6, source);
        frame.putShort(12, (short)etherType, ByteOrder.BIG_ENDIAN);
        return frame;
    }

    /** A warm-up port, and its far end: where the warm-up puts frames in and takes what the port sent. */
    private interface Feed extends AutoCloseable
    {
        Port port();

        void inject(byte[] frame);

        /** Takes every frame the port sent, each to the handler; returns how many. */
        int drain(MessageHandler handler);

        @Override
        void close();
    }

    private record LoopbackFeed(LoopbackPort port) implements Feed
    {
        @Override
        public void inject(final byte[] frame)
        {
            port.inject(frame);
        }

        @Override
        public int drain(final MessageHandler handler)
        {
            return port.drainTransmitted(handler);
        }

        @Override
        public void close()
        {
            port.close();
        }
    }

    /**
     * A TAP port over one end of a packet socket pair; the warm-up writes and reads the other end, a virtio-net header
     * before each frame. It counts the large TCP segments (of {@code largeSegmentLength} bytes) that come out whole:
     * the header still asks for segmentation into {@value #MSS}-byte segments.
     */
    private static final class TapFeed implements Feed
    {
        private static final int SMALL_FRAMES = 2_048;

        private final TapPort port;
        private final int farEnd;
        private final int largeSegmentLength;
        private final int capacity;
        private final UnsafeBuffer frame;
        private final VirtioNetHeaderFlyweight netHeader = new VirtioNetHeaderFlyweight();
        private final LibC libc = Native.libc();
        private long largeSegmentsWhole;

        TapFeed(final String name, final int largeSegmentLength)
        {
            this.largeSegmentLength = largeSegmentLength;
            capacity = FrameBurst.NET_HEADER_LENGTH + Math.max(SMALL_FRAMES, largeSegmentLength);
            frame = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity, 64));
            netHeader.wrap(frame, 0, FrameBurst.NET_HEADER_LENGTH);
            final int[] pair = UnixSocket.packetPair();
            port = TapPort.overPacketSocket(name, pair[0]);
            farEnd = pair[1];
        }

        /** A TCP segment over IPv4 without options, to be cut into {@value #MSS}-byte segments. */
        void injectLargeSegment(final byte[] bytes)
        {
            final int tcp = ETHERNET_LENGTH + IPV4_LENGTH;
            netHeader.clear().flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM)
                .gsoType(VirtioNetHeaderFlyweight.GSO_TCPV4).hdrLen(tcp + L4_LENGTH).gsoSize(MSS).csumStart(tcp)
                .csumOffset(TcpFlyweight.CHECKSUM_OFFSET);
            write(bytes);
        }

        @Override
        public Port port()
        {
            return port;
        }

        @Override
        public void inject(final byte[] bytes)
        {
            netHeader.clear();
            write(bytes);
        }

        private void write(final byte[] bytes)
        {
            frame.putBytes(FrameBurst.NET_HEADER_LENGTH, bytes);
            libc.write(farEnd, frame.addressOffset(), FrameBurst.NET_HEADER_LENGTH + bytes.length);
        }

        @Override
        public int drain(final MessageHandler handler)
        {
            int frames = 0;
            long length;
            while ((length = libc.read(farEnd, frame.addressOffset(), capacity)) >= 0)
            {
                final int frameLength = (int)length - FrameBurst.NET_HEADER_LENGTH;
                if (largeSegmentLength == frameLength && VirtioNetHeaderFlyweight.GSO_TCPV4 == netHeader.gsoType() &&
                    MSS == netHeader.gsoSize())
                {
                    largeSegmentsWhole++;
                }
                handler.onMessage(0, frame, FrameBurst.NET_HEADER_LENGTH, frameLength);
                frames++;
            }
            return frames;
        }

        @Override
        public void close()
        {
            port.close();
            libc.close(farEnd);
        }
    }
}
