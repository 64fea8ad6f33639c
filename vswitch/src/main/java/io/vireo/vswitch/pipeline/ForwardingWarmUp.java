package io.vireo.vswitch.pipeline;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.LibC;
import io.vireo.dataplane.nativeio.Native;
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
 * The traffic crosses a private pipeline (its own forwarding table, policy, counters and agent), all
 * dropped afterwards: no real port, table or counter sees it. Its ports are loopback ports and TAP ports
 * over socket pairs ({@link TapPort#overPacketSocket}), so the TAP code real frames take (reads that find
 * a frame and reads that find none, writes, virtio-net headers) is compiled too, and the JIT profiles
 * more than one kind of port where the pipeline calls one; otherwise the first frame of a real TAP
 * throws that code back to the interpreter (a class the compiled code never saw). The TAP ports have a
 * bridge of their own and one burst in eight, as their frames cost system calls. It mixes what real
 * traffic brings (ARP, IPv4 ICMP, TCP and UDP, IPv6 neighbour solicitations to multicast, ICMPv6, TCP
 * and UDP; known unicast, unknown unicast and flooded frames) in bursts of every size up to the
 * switch's, so that the profile the JIT compiles from is not skewed to one kind of frame. The loopback
 * ports' bridge answers ARP for their hosts' addresses itself (ARP/ND suppression): half the ARP requests
 * are for one of them and answered, half for an address it does not know and flooded.
 */
public final class ForwardingWarmUp
{
    private static final int LOOPBACK_PORTS = 3;
    private static final int TAP_PORTS = 2;
    private static final int PORTS = LOOPBACK_PORTS + TAP_PORTS;
    /**
     * One burst in this many goes to a TAP port: a TAP frame costs system calls on both ends, and a daemon starts
     * many times in a day; this many still gets the TAP code compiled.
     */
    private static final int TAP_EVERY = 8;
    private static final int HOSTS_PER_PORT = 2;
    private static final int FDB_CAPACITY = 1_024;
    private static final int ANSWERS = LOOPBACK_PORTS * HOSTS_PER_PORT;
    private static final int RING_SIZE = 1 << 16;
    private static final int COUNTERS = 256;
    private static final int BRIDGE = 0;
    /** The TAP ports' bridge: the loopback ports' flooding stays off their sockets. */
    private static final int TAP_BRIDGE = 1;
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
        final Feed[] feeds = new Feed[PORTS];
        try
        {
            proxy.addBridge(BRIDGE);
            proxy.addBridge(TAP_BRIDGE);
            features.set(BRIDGE, Features.SUPPRESSION, true);
            for (int port = 0; port < LOOPBACK_PORTS; port++)
            {
                for (int host = 0; host < HOSTS_PER_PORT; host++)
                {
                    answers.putIpv4(BRIDGE, ip(mac(port, host)), mac(port, host));
                }
            }
            for (int id = 0; id < PORTS; id++)
            {
                final String name = "warm-up-" + id;
                feeds[id] = id < LOOPBACK_PORTS ? new LoopbackFeed(new LoopbackPort(name, RING_SIZE)) : new TapFeed(name);
                final Port port = feeds[id].port();
                proxy.attach(new PortEntry[] {
                    new PortEntry(port, id, id < LOOPBACK_PORTS ? BRIDGE : TAP_BRIDGE, new PortCounters(counters, port.name()),
                        geometry.burstSize())});
            }
            return forward(agent, feeds, clock, geometry.burstSize(), bursts);
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
            fdb.close();
            answers.close();
        }
    }

    private static long forward(
        final ForwardingAgent agent, final Feed[] ports, final CachedEpochClock clock, final int burstSize, final int bursts)
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
            final int port = 0 == burst % TAP_EVERY ? LOOPBACK_PORTS + burst / TAP_EVERY % TAP_PORTS : burst % LOOPBACK_PORTS;
            final byte[][] kinds = frames[port];
            // Sizes 1..burstSize in turn: a ping is a burst of one, a TCP stream fills bursts.
            final int size = 1 + burst % burstSize;
            for (int i = 0; i < size; i++)
            {
                ports[port].inject(kinds[next++ % kinds.length]);
            }
            clock.advance(1);
            agent.doWork();
            for (final Feed out : ports)
            {
                sent += out.drain();
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

    /** A warm-up port, and its far end: where the warm-up puts frames in and takes what the port sent. */
    private interface Feed extends AutoCloseable
    {
        Port port();

        void inject(byte[] frame);

        /** Takes every frame the port sent; returns how many. */
        int drain();

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
        public int drain()
        {
            return port.drainTransmitted(DISCARD);
        }

        @Override
        public void close()
        {
            port.close();
        }
    }

    /** A TAP port over one end of a packet socket pair; the warm-up writes and reads the other end, a virtio-net header before each frame. */
    private static final class TapFeed implements Feed
    {
        private static final int FRAME_CAPACITY = FrameBurst.NET_HEADER_LENGTH + 2_048;

        private final TapPort port;
        private final int farEnd;
        private final UnsafeBuffer frame = new UnsafeBuffer(BufferUtil.allocateDirectAligned(FRAME_CAPACITY, 64));
        private final LibC libc = Native.libc();

        TapFeed(final String name)
        {
            final int[] pair = UnixSocket.packetPair();
            port = TapPort.overPacketSocket(name, pair[0]);
            farEnd = pair[1];
        }

        @Override
        public Port port()
        {
            return port;
        }

        @Override
        public void inject(final byte[] bytes)
        {
            frame.setMemory(0, FrameBurst.NET_HEADER_LENGTH, (byte)0);
            frame.putBytes(FrameBurst.NET_HEADER_LENGTH, bytes);
            libc.write(farEnd, frame.addressOffset(), FrameBurst.NET_HEADER_LENGTH + bytes.length);
        }

        @Override
        public int drain()
        {
            int frames = 0;
            while (libc.read(farEnd, frame.addressOffset(), FRAME_CAPACITY) >= 0)
            {
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
