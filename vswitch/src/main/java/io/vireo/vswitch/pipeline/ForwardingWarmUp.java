package io.vireo.vswitch.pipeline;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.suppression.SuppressionTable;
import org.agrona.BufferUtil;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * Runs the forwarding path over synthetic traffic before the switch takes real frames, so the JIT has
 * compiled it by then. An idle switch answering a ping a second runs that path a few times a second:
 * left cold it stays interpreted for minutes, and each frame costs hundreds of microseconds.
 * <p>
 * The traffic crosses a private pipeline (its own forwarding table, policy, counters and agent) on
 * loopback ports, all dropped afterwards: no real port, table or counter sees it. It mixes what real
 * traffic brings (ARP, IPv4 ICMP, TCP and UDP, IPv6 neighbour solicitations to multicast, ICMPv6, TCP
 * and UDP; known unicast, unknown unicast and flooded frames) in bursts of every size up to the
 * switch's, so that the profile the JIT compiles from is not skewed to one kind of frame. The bridge
 * answers ARP for the hosts' addresses itself (ARP/ND suppression): half the ARP requests are for one of
 * them and answered, half for an address it does not know and flooded.
 */
public final class ForwardingWarmUp
{
    private static final int PORTS = 3;
    private static final int HOSTS_PER_PORT = 2;
    private static final int FDB_CAPACITY = 1_024;
    private static final int ANSWERS = PORTS * HOSTS_PER_PORT;
    private static final int RING_SIZE = 1 << 16;
    private static final int COUNTERS = 256;
    private static final int BRIDGE = 0;
    private static final int MIN_FRAME_LENGTH = 60;
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int IPPROTO_ICMP = 1;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;
    private static final int IPPROTO_ICMPV6 = 58;
    private static final int ETHERNET_LENGTH = 14;
    private static final int IPV4_LENGTH = 20;
    private static final int IPV6_LENGTH = 40;
    private static final int L4_LENGTH = 20;
    /** A host no port has: frames for it are unknown unicast, flooded. */
    private static final long UNKNOWN_HOST = 0x02_00_00_00_FF_FFL;
    private static final long IPV6_SOLICITED_NODE = 0x33_33_FF_00_00_01L;
    private static final MessageHandler DISCARD = (type, buffer, index, length) -> { };

    private ForwardingWarmUp()
    {
    }

    /**
     * Forwards {@code bursts} bursts of synthetic frames through a private pipeline of this geometry.
     *
     * @return frames the private ports were sent (a flooded frame counts once per port).
     */
    public static long run(final Pipeline.Geometry geometry, final int bursts)
    {
        final Generations generations = new Generations();
        final ForwardingTable fdb = new ForwardingTable(FDB_CAPACITY);
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(COUNTERS * CountersReader.METADATA_LENGTH, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(COUNTERS * CountersReader.COUNTER_LENGTH, 64)));
        final SuppressionTable answers = new SuppressionTable(ANSWERS);
        final Features features = new Features(geometry.maxBridges());
        final Pipeline pipeline = new Pipeline(fdb, new PolicyTable(generations), generations, features, geometry,
            new RouterDirectory(geometry.maxBridges()), null, null, answers);
        final CachedEpochClock clock = new CachedEpochClock();
        final ForwardingAgent agent = pipeline.newAgent("warm-up", ForwardingAgent.ANY_CPU, clock, null,
            new ThreadCounters(counters, "warm-up"));
        final ForwardingProxy proxy = new ForwardingProxy(new ForwardingAgent[] {agent}, agent::doWork);
        final LoopbackPort[] ports = new LoopbackPort[PORTS];
        try
        {
            proxy.addBridge(BRIDGE);
            features.set(BRIDGE, Features.SUPPRESSION, true);
            for (int port = 0; port < PORTS; port++)
            {
                for (int host = 0; host < HOSTS_PER_PORT; host++)
                {
                    answers.putIpv4(BRIDGE, ip(mac(port, host)), mac(port, host));
                }
            }
            for (int id = 0; id < PORTS; id++)
            {
                ports[id] = new LoopbackPort("warm-up-" + id, RING_SIZE);
                proxy.attach(new PortEntry[] {
                    new PortEntry(ports[id], id, BRIDGE, new PortCounters(counters, ports[id].name()), geometry.burstSize())});
            }
            return forward(agent, ports, clock, geometry.burstSize(), bursts);
        }
        finally
        {
            agent.onClose();
            fdb.close();
            answers.close();
        }
    }

    private static long forward(
        final ForwardingAgent agent, final LoopbackPort[] ports, final CachedEpochClock clock, final int burstSize, final int bursts)
    {
        final byte[][][] frames = new byte[PORTS][][];
        for (int port = 0; port < PORTS; port++)
        {
            frames[port] = framesFrom(port).toArray(new byte[0][]);
        }
        long sent = 0;
        int next = 0;
        for (int burst = 0; burst < bursts; burst++)
        {
            final int port = burst % PORTS;
            final byte[][] kinds = frames[port];
            // Sizes 1..burstSize in turn: a ping is a burst of one, a TCP stream fills bursts.
            final int size = 1 + burst % burstSize;
            for (int i = 0; i < size; i++)
            {
                ports[port].inject(kinds[next++ % kinds.length]);
            }
            clock.advance(1);
            agent.doWork();
            for (final LoopbackPort out : ports)
            {
                sent += out.drainTransmitted(DISCARD);
            }
        }
        return sent;
    }

    /** Every kind of frame, from each host behind {@code port} to hosts behind the others, the broadcast, multicast and unknown ones. */
    private static List<byte[]> framesFrom(final int port)
    {
        final List<byte[]> frames = new ArrayList<>();
        for (int host = 0; host < HOSTS_PER_PORT; host++)
        {
            final long source = mac(port, host);
            final long peer = mac((port + 1 + host) % PORTS, host);
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
        final int length = ETHERNET_LENGTH + IPV4_LENGTH + L4_LENGTH;
        final UnsafeBuffer frame = ethernet(destination, source, ETHERTYPE_IPV4, length);
        frame.putByte(ETHERNET_LENGTH, (byte)0x45);
        frame.putShort(ETHERNET_LENGTH + 2, (short)(IPV4_LENGTH + L4_LENGTH), ByteOrder.BIG_ENDIAN);
        frame.putByte(ETHERNET_LENGTH + 8, (byte)64);
        frame.putByte(ETHERNET_LENGTH + 9, (byte)protocol);
        frame.putInt(ETHERNET_LENGTH + 12, ip(source), ByteOrder.BIG_ENDIAN);
        frame.putInt(ETHERNET_LENGTH + 16, ip(destination), ByteOrder.BIG_ENDIAN);
        ports(frame, ETHERNET_LENGTH + IPV4_LENGTH, source);
        return frame.byteArray();
    }

    private static byte[] ipv6(final long destination, final long source, final int nextHeader)
    {
        final int length = ETHERNET_LENGTH + IPV6_LENGTH + L4_LENGTH;
        final UnsafeBuffer frame = ethernet(destination, source, ETHERTYPE_IPV6, length);
        frame.putByte(ETHERNET_LENGTH, (byte)0x60);
        frame.putShort(ETHERNET_LENGTH + 4, (short)L4_LENGTH, ByteOrder.BIG_ENDIAN);
        frame.putByte(ETHERNET_LENGTH + 6, (byte)nextHeader);
        frame.putByte(ETHERNET_LENGTH + 7, (byte)64);
        frame.putLong(ETHERNET_LENGTH + 8, 0xFD00_0000_0000_0000L, ByteOrder.BIG_ENDIAN);
        frame.putLong(ETHERNET_LENGTH + 16, source, ByteOrder.BIG_ENDIAN);
        frame.putLong(ETHERNET_LENGTH + 24, 0xFD00_0000_0000_0000L, ByteOrder.BIG_ENDIAN);
        frame.putLong(ETHERNET_LENGTH + 32, destination, ByteOrder.BIG_ENDIAN);
        ports(frame, ETHERNET_LENGTH + IPV6_LENGTH, source);
        return frame.byteArray();
    }

    /** Source and destination ports (for ICMP: type and code, identifier), the same bytes for every protocol here. */
    private static void ports(final UnsafeBuffer frame, final int offset, final long source)
    {
        frame.putShort(offset, (short)(49_152 + (source & 0xFF)), ByteOrder.BIG_ENDIAN);
        frame.putShort(offset + 2, (short)80, ByteOrder.BIG_ENDIAN);
    }

    private static UnsafeBuffer ethernet(final long destination, final long source, final int etherType, final int length)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[Math.max(length, MIN_FRAME_LENGTH)]);
        MacAddress.write(frame, 0, destination);
        MacAddress.write(frame, 6, source);
        frame.putShort(12, (short)etherType, ByteOrder.BIG_ENDIAN);
        return frame;
    }
}
