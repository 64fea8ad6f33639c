package io.vireo.dataplane.port;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.nativeio.Epoll;
import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.offload.Offloads;
import io.vireo.testkit.Allocations;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link AfPacketPort} on real veth pairs (needs root): one end of each pair in a namespace of the
 * test's own with an address, the other in the root namespace attached as the port. Everything the
 * test creates is named {@code va<4 hex>...} and removed by name afterwards.
 */
class AfPacketPortIT
{
    private static final long OUR_MAC = 0x0200_0000_AA01L;
    /** The address the test speaks from, in the hosts' subnet (a namespace learns its MAC from our ARP request). */
    private static final int OUR_ADDRESS = address("10.96.1.99");
    private static final int TCP_TRANSFER_BYTES = 8 << 20;

    private final String prefix = "va" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> links = new ArrayList<>();
    private final List<AfPacketPort> ports = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final FrameBurst burst = new FrameBurst(32, 1 << 17, 128);
    private final FrameBurst sending = new FrameBurst(32, 1 << 17, 128);

    @BeforeEach
    void setUp()
    {
        assertEquals("root", System.getProperty("user.name"), "AF_PACKET tests need root (scripts/test.sh)");
    }

    @AfterEach
    void tearDown() throws Exception
    {
        for (final Process process : processes)
        {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        ports.forEach(AfPacketPort::close);
        for (final String netns : namespaces)
        {
            runQuietly("ip", "netns", "del", netns);
        }
        for (final String link : links)
        {
            runQuietly("ip", "link", "del", link);
        }
        for (final Path file : files)
        {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void anUnknownOrDownInterfaceIsAClearError() throws Exception
    {
        final String missing = prefix + "none";
        final NativeException unknown = assertThrows(NativeException.class, () -> AfPacketPort.open(missing));
        assertTrue(unknown.getMessage().contains(missing) && unknown.getMessage().contains("ENODEV"), unknown.getMessage());
        assertEquals(Errno.ENODEV, unknown.errno());

        final String down = prefix + "d0";
        run("ip", "link", "add", down, "type", "veth", "peer", "name", prefix + "d1");
        links.add(down);
        final NativeException isDown = assertThrows(NativeException.class, () -> AfPacketPort.open(down));
        assertTrue(isDown.getMessage().contains(down) && isDown.getMessage().contains("ENETDOWN"), isDown.getMessage());
    }

    /**
     * An ARP request and an ICMP echo request written with transmit() are answered by the namespace's
     * kernel, and the answers come back through receive(); what the port sent never does.
     */
    @Test
    void theNamespaceAnswersWhatThePortSends() throws Exception
    {
        final Host host = host("a", 1);
        final AfPacketPort port = open(host.uplink);
        assertEquals("af-packet", port.type());
        assertEquals(0, port.mtu());
        assertTrue(Offloads.covers(port.offloads(), Offloads.CHECKSUM | Offloads.TCP4 | Offloads.TCP6 | Offloads.UDP_L4),
            Offloads.describe(port.offloads()));

        sending.clear();
        final int arpLength = arpRequest(sending.buffer(), sending.nextFrameOffset(), host.address);
        sending.clearNextNetHeader();
        sending.commit(arpLength);
        assertEquals(1, port.transmit(sending, new int[] {0}, 1));
        final int arpReply = receiveUntil(port, frame -> 0x0806 == etherType(burst, frame) &&
            2 == burst.buffer().getShort(burst.frameOffset(frame) + 20, BIG_ENDIAN));
        assertEquals(host.mac, mac(burst, burst.frameOffset(arpReply) + 6), "the ARP reply comes from the namespace");
        assertEquals(OUR_MAC, mac(burst, burst.frameOffset(arpReply)));

        sending.clear();
        final int echoLength = echoRequest(sending.buffer(), sending.nextFrameOffset(), host);
        sending.clearNextNetHeader();
        sending.commit(echoLength);
        assertEquals(1, port.transmit(sending, new int[] {0}, 1));
        final int echoReply = receiveUntil(port, frame -> 0x0800 == etherType(burst, frame) &&
            1 == burst.buffer().getByte(burst.frameOffset(frame) + 23) && 0 == burst.buffer().getByte(burst.frameOffset(frame) + 34));
        assertEquals(0x7777, burst.buffer().getShort(burst.frameOffset(echoReply) + 38, BIG_ENDIAN), "the echo's identifier");
        assertEquals(0, port.failure());
    }

    /** The namespace's ping, as it arrives: the ARP broadcast first, with a zero virtio-net header. */
    @Test
    void framesTheNamespaceSendsArriveWithTheirNetHeader() throws Exception
    {
        final Host host = host("a", 1);
        final AfPacketPort port = open(host.uplink);
        final Process ping = start(host.netns, "ping", "-c", "50", "-i", "0.2", "10.96.1.2");
        final int arp = receiveUntil(port, frame -> 0x0806 == etherType(burst, frame));
        assertEquals(host.mac, mac(burst, burst.frameOffset(arp) + 6));
        assertEquals(0, burst.buffer().getLong(burst.netHeaderOffset(arp)), "no offload on an ARP request");
        ping.destroy();
    }

    /**
     * Two namespaces on the same subnet, one port each, the test thread forwarding between them: TCP
     * with the veths' offloads on crosses as 64 KB GSO frames, whole, and arrives byte-exact.
     */
    @Test
    void aTcpStreamCrossesInWholeGsoFrames() throws Exception
    {
        final Host a = host("a", 1);
        final Host b = host("b", 2);
        final AfPacketPort portA = open(a.uplink);
        final AfPacketPort portB = open(b.uplink);
        final String script = Path.of(System.getProperty("user.dir")).getParent()
            .resolve("scripts/testing/tcp_transfer.py").toString();
        final Path receiverLog = tempFile(".recv");
        final Path senderLog = tempFile(".send");
        final Process receiver = start(b.netns, receiverLog, "python3", script, "recv", b.address, "5201");
        awaitOutput(receiverLog, "listening");
        final Process sender = start(a.netns, senderLog, "python3", script, "send", b.address, "5201",
            Integer.toString(TCP_TRANSFER_BYTES));

        final int[] indexes = new int[burst.capacity()];
        for (int i = 0; i < indexes.length; i++)
        {
            indexes[i] = i;
        }
        long gsoFrames = 0;
        int largest = 0;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (sender.isAlive() || receiver.isAlive())
        {
            int moved = 0;
            for (final AfPacketPort[] way : new AfPacketPort[][] {{portA, portB}, {portB, portA}})
            {
                burst.clear();
                final int received = way[0].receive(burst);
                for (int frame = 0; frame < received; frame++)
                {
                    if (VirtioNetHeaderFlyweight.GSO_NONE != burst.buffer().getByte(burst.netHeaderOffset(frame) + 1))
                    {
                        gsoFrames++;
                        largest = Math.max(largest, burst.frameLength(frame));
                    }
                }
                assertEquals(received, way[1].transmit(burst, indexes, received), "every frame taken");
                moved += received;
            }
            if (0 == moved)
            {
                LockSupport.parkNanos(20_000);
            }
            if (System.nanoTime() > deadline)
            {
                fail("transfer not done in 20 s: " + Files.readString(senderLog) + " / " + Files.readString(receiverLog));
            }
        }
        final String sent = Files.readString(senderLog).trim();
        final List<String> received = Files.readAllLines(receiverLog);
        assertTrue(sent.startsWith(TCP_TRANSFER_BYTES + " "), sent);
        assertEquals(sent, received.get(received.size() - 1).trim(), "bytes and SHA-256 received");
        assertTrue(gsoFrames > 10, "GSO frames: " + gsoFrames);
        assertTrue(largest > 30_000, "largest GSO frame " + largest);
        assertEquals(0, portA.truncatedFrames() + portB.truncatedFrames());
        System.out.printf("%d MiB through two AF_PACKET ports: %d GSO frames, the largest %d bytes%n",
            TCP_TRANSFER_BYTES >> 20, gsoFrames, largest);
    }

    /** A UDP GSO frame written with transmit() leaves the veth cut into datagrams, byte for byte. */
    @Test
    void aGsoFrameSentIsSegmentedByTheKernel() throws Exception
    {
        final Host host = host("a", 1);
        final AfPacketPort port = open(host.uplink);
        final int payload = 8000;
        final int segment = 1000;
        final Path log = tempFile(".udp");
        start(host.netns, log, "python3", "-c", String.join("\n",
            "import hashlib, socket",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "s.bind(('" + host.address + "', 7000))",
            "print('listening', flush=True)",
            "data, sizes = b'', []",
            "while len(data) < " + payload + ":",
            "    d = s.recv(65535)",
            "    data += d",
            "    sizes.append(len(d))",
            "print(len(sizes), max(sizes), hashlib.sha256(data).hexdigest(), flush=True)"));
        awaitOutput(log, "listening");

        sending.clear();
        final UnsafeBuffer buffer = sending.buffer();
        final int frame = sending.nextFrameOffset();
        final int length = 42 + payload;
        putMac(buffer, frame, host.mac);
        putMac(buffer, frame + 6, OUR_MAC);
        buffer.putShort(frame + 12, (short)0x0800, BIG_ENDIAN);
        ipv4Header(buffer, frame + 14, length - 14, 17, OUR_ADDRESS, address(host.address));
        buffer.putShort(frame + 34, (short)40000, BIG_ENDIAN);
        buffer.putShort(frame + 36, (short)7000, BIG_ENDIAN);
        buffer.putShort(frame + 38, (short)(8 + payload), BIG_ENDIAN);
        final byte[] data = new byte[payload];
        for (int i = 0; i < payload; i++)
        {
            data[i] = (byte)(i * 7 + (i >>> 8));
        }
        buffer.putBytes(frame + 42, data);
        // Partial checksum as Linux leaves it: the folded pseudo-header sum over the whole length.
        buffer.putShort(frame + 40, (short)Checksums.fold(
            Checksums.ipv4PseudoHeaderSum(OUR_ADDRESS, address(host.address), 17, 8 + payload)), BIG_ENDIAN);
        final int header = sending.nextFrameOffset() - FrameBurst.NET_HEADER_LENGTH;
        buffer.setMemory(header, 12, (byte)0);
        buffer.putByte(header, (byte)VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM);
        buffer.putByte(header + 1, (byte)VirtioNetHeaderFlyweight.GSO_UDP_L4);
        buffer.putShort(header + 2, (short)42, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(header + 4, (short)segment, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(header + 6, (short)34, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(header + 8, (short)6, ByteOrder.LITTLE_ENDIAN);
        assertEquals(Offloads.UDP_L4 | Offloads.CHECKSUM, Offloads.required(buffer, header));
        sending.commit(length);
        assertEquals(1, port.transmit(sending, new int[] {0}, 1));

        final String expected = "8 1000 " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        awaitOutput(log, expected);
    }

    /** The port's promiscuous mode is the only mark it leaves on the interface, and close takes it back. */
    @Test
    void closeLeavesPromiscuousModeAndTheInterface() throws Exception
    {
        final Host host = host("a", 1);
        final AfPacketPort port = open(host.uplink);
        assertEquals(1, promiscuity(host.uplink));
        port.close();
        assertEquals(0, promiscuity(host.uplink));
        assertTrue(Files.exists(Path.of("/sys/class/net", host.uplink)), "the interface stays");
    }

    /**
     * The socket passed to another port as {@code vireod --takeover} passes it (SCM_RIGHTS, the ring's geometry,
     * then the first port's position once it stopped reading): the second maps the same ring and goes on from
     * there, so every echo request the namespace sent arrives once, none lost across the handover; closing the
     * first port after {@code letGo} leaves the interface promiscuous, and closing the socket's last descriptor
     * takes it back.
     */
    @Test
    void aSocketHandedOverGoesOnFromTheOtherPortsPlaceAndKeepsPromiscuousMode() throws Exception
    {
        final Host host = host("a", 1);
        final String inside = host.uplink.substring(0, host.uplink.length() - 1) + "1";
        run("ip", "-n", host.netns, "neigh", "add", "10.96.1.2", "lladdr", "02:00:00:00:aa:01", "dev", inside);
        final AfPacketPort running = open(host.uplink);
        final Process ping = start(host.netns, "ping", "-q", "-i", "0.002", "-w", "3", "10.96.1.2");
        final BitSet seen = new BitSet();
        final FrameBurst one = new FrameBurst(1, 1 << 17, 128);
        // Until more than 10 have come, not for a fixed 300 ms: on a loaded machine "ip netns exec ... ping -c 1" took
        // up to 210 ms, and this ping sent about 100 requests a second, not 500.
        final long pingDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int duplicates = 0;
        while (seen.cardinality() <= 10 && System.nanoTime() < pingDeadline)
        {
            duplicates += takeEchoRequests(running, one, seen, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
        }
        final String position = running.position();
        final int takenBefore = seen.cardinality();

        final int[] pair = UnixSocket.packetPair();
        final UnixSocket sender = UnixSocket.adopt(pair[0], "sender");
        final UnixSocket receiver = UnixSocket.adopt(pair[1], "receiver");
        final IntArrayList fds = new IntArrayList();
        try (sender; receiver)
        {
            final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
            sender.send(message, 0, 1, new int[] {running.pollFd()}, 1, 1000);
            assertTrue(receiver.awaitReadable(1000));
            assertEquals(1, receiver.receive(message, 0, 16, fds));
        }
        final String geometry = running.geometry();
        running.letGo();
        running.close();
        assertEquals(1, promiscuity(host.uplink), "the membership is the socket's, which lives on");

        final AfPacketPort takingOver = open(AfPacketPort.adopt(host.uplink, fds.getInt(0), geometry));
        assertTrue(takingOver.awaitsPosition());
        takingOver.resume(position);
        while (ping.isAlive())
        {
            duplicates += takeEchoRequests(takingOver, one, seen, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
        }
        duplicates += takeEchoRequests(takingOver, one, seen, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300));

        final int sent = seen.length() - 1;
        assertTrue(takenBefore > 10 && sent > takenBefore + 100, takenBefore + " of " + sent + " taken before the handover");
        assertEquals(0, duplicates, "no echo request taken twice");
        assertEquals(sent, seen.cardinality(), "every echo request, 1.." + sent + ", the port at " + position + " at the handover: " + seen);
        assertEquals(1, seen.nextSetBit(0));
        assertEquals(1, promiscuity(host.uplink));
        takingOver.close();
        assertEquals(0, promiscuity(host.uplink), "the socket's last descriptor closed");
    }

    /** Takes frames one at a time until {@code deadlineNs}, marking each ICMP echo request's sequence. @return duplicates. */
    private static int takeEchoRequests(final AfPacketPort port, final FrameBurst one, final BitSet seen,
        final long deadlineNs)
    {
        int duplicates = 0;
        while (System.nanoTime() < deadlineNs)
        {
            one.clear();
            if (0 == port.receive(one))
            {
                LockSupport.parkNanos(100_000);
                continue;
            }
            final int frame = one.frameOffset(0);
            if (0x0800 == etherType(one, 0) && 1 == one.buffer().getByte(frame + 23) && 8 == one.buffer().getByte(frame + 34))
            {
                final int sequence = one.buffer().getShort(frame + 40, BIG_ENDIAN) & 0xFFFF;
                duplicates += seen.get(sequence) ? 1 : 0;
                seen.set(sequence);
            }
        }
        return duplicates;
    }

    /**
     * Two ports on the two ends of one veth pair: frames sent on one are received on the other, the idle
     * port's descriptor wakes an epoll sleeper, neither direction allocates, and deleting the interface
     * fails the port for good.
     */
    @Test
    void sendsAndReceivesWithoutAllocatingAndWakesAnEpollSleeper() throws Exception
    {
        final String left = prefix + "l0";
        final String right = prefix + "l1";
        run("ip", "link", "add", left, "type", "veth", "peer", "name", right);
        links.add(left);
        for (final String name : List.of(left, right))
        {
            run("sysctl", "-qw", "net.ipv6.conf." + name + ".disable_ipv6=1");
            run("ip", "link", "set", name, "up");
        }
        final AfPacketPort sender = open(left);
        final AfPacketPort receiver = open(right);

        sending.clear();
        for (int i = 0; i < sending.capacity(); i++)
        {
            sending.clearNextNetHeader();
            putMac(sending.buffer(), sending.nextFrameOffset(), 0xFFFF_FFFF_FFFFL);
            putMac(sending.buffer(), sending.nextFrameOffset() + 6, OUR_MAC);
            sending.buffer().putShort(sending.nextFrameOffset() + 12, (short)0x88B5, BIG_ENDIAN);
            sending.buffer().putInt(sending.nextFrameOffset() + 14, i, BIG_ENDIAN);
            sending.commit(60);
        }
        final int[] indexes = new int[sending.capacity()];
        for (int i = 0; i < indexes.length; i++)
        {
            indexes[i] = i;
        }

        try (Epoll epoll = Epoll.create(4))
        {
            epoll.add(receiver.pollFd());
            assertEquals(0, epoll.await(0), "idle");
            assertEquals(1, sender.transmit(sending, indexes, 1));
            assertEquals(1, epoll.await(5000), "a frame woke the sleeper");
            burst.clear();
            assertEquals(1, receiver.receive(burst));
            assertEquals(0, burst.buffer().getInt(burst.frameOffset(0) + 14, BIG_ENDIAN));
        }

        Allocations.assertAllocatesNothing("AF_PACKET transmit and receive", () ->
        {
            long received = 0;
            for (int round = 0; round < 64; round++)
            {
                final int sent = sender.transmit(sending, indexes, indexes.length);
                long got = 0;
                final long deadline = System.nanoTime() + 1_000_000_000L;
                while (got < sent && System.nanoTime() < deadline)
                {
                    burst.clear();
                    got += receiver.receive(burst);
                }
                received += got;
            }
            return received;
        });
        assertEquals(0, sender.failure());
        assertEquals(0, receiver.kernelDrops() + receiver.truncatedFrames());

        // A rough rate, one thread doing both sides: bursts of 32 sent, whatever is ready received.
        long sent = 0;
        long received = 0;
        final long start = System.nanoTime();
        while (System.nanoTime() - start < 1_000_000_000L)
        {
            sent += sender.transmit(sending, indexes, indexes.length);
            burst.clear();
            received += receiver.receive(burst);
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("AF_PACKET veth loop, 60-byte frames: %.0f sent/s (sendmmsg, bursts of 32), %.0f received/s " +
            "(TPACKET_V3), %d lost in the kernel%n", sent / seconds, received / seconds, receiver.kernelDrops());
        assertTrue(received > 0);

        run("ip", "link", "del", left);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (0 == receiver.failure() && System.nanoTime() < deadline)
        {
            burst.clear();
            receiver.receive(burst);
            LockSupport.parkNanos(1_000_000);
        }
        assertEquals(Errno.ENODEV, receiver.failure(), "the interface was deleted");
        assertEquals(0, sender.transmit(sending, indexes, 1));
        assertEquals(Errno.ENODEV, sender.failure());
    }

    /** A namespace {@code <prefix><suffix>} with a veth pair: {@code uplink} in the root namespace, up, no addresses. */
    private record Host(String netns, String uplink, String address, long mac)
    {
    }

    private Host host(final String suffix, final int number) throws Exception
    {
        final String netns = prefix + "-" + suffix;
        final String uplink = prefix + suffix + "0";
        final String inside = prefix + suffix + "1";
        run("ip", "netns", "add", netns);
        namespaces.add(netns);
        run("ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1");
        run("ip", "link", "add", uplink, "type", "veth", "peer", "name", inside, "netns", netns);
        links.add(uplink);
        run("sysctl", "-qw", "net.ipv6.conf." + uplink + ".disable_ipv6=1");
        run("ip", "link", "set", uplink, "up");
        final String address = "10.96.1." + number;
        run("ip", "-n", netns, "addr", "add", address + "/24", "dev", inside);
        run("ip", "-n", netns, "link", "set", inside, "up");
        run("ip", "-n", netns, "link", "set", "lo", "up");
        final String mac = output("ip", "netns", "exec", netns, "cat", "/sys/class/net/" + inside + "/address").trim();
        return new Host(netns, uplink, address, Long.parseLong(mac.replace(":", ""), 16));
    }

    private AfPacketPort open(final String name)
    {
        return open(AfPacketPort.open(name));
    }

    private AfPacketPort open(final AfPacketPort port)
    {
        ports.add(port);
        return port;
    }

    /** Receives until a frame passes {@code wanted}, failing on a frame the port itself sent. @return its index in the burst. */
    private int receiveUntil(final AfPacketPort port, final IntPredicate wanted)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline)
        {
            burst.clear();
            final int received = port.receive(burst);
            for (int frame = 0; frame < received; frame++)
            {
                assertTrue(OUR_MAC != mac(burst, burst.frameOffset(frame) + 6), "a frame the port sent came back");
                if (wanted.test(frame))
                {
                    return frame;
                }
            }
            LockSupport.parkNanos(200_000);
        }
        return fail("no such frame in 10 s");
    }

    private static int arpRequest(final UnsafeBuffer buffer, final int offset, final String target)
    {
        buffer.setMemory(offset, 60, (byte)0);
        putMac(buffer, offset, 0xFFFF_FFFF_FFFFL);
        putMac(buffer, offset + 6, OUR_MAC);
        buffer.putShort(offset + 12, (short)0x0806, BIG_ENDIAN);
        buffer.putShort(offset + 14, (short)1, BIG_ENDIAN);
        buffer.putShort(offset + 16, (short)0x0800, BIG_ENDIAN);
        buffer.putByte(offset + 18, (byte)6);
        buffer.putByte(offset + 19, (byte)4);
        buffer.putShort(offset + 20, (short)1, BIG_ENDIAN);
        putMac(buffer, offset + 22, OUR_MAC);
        buffer.putInt(offset + 28, OUR_ADDRESS, BIG_ENDIAN);
        buffer.putInt(offset + 38, address(target), BIG_ENDIAN);
        return 60;
    }

    private static int echoRequest(final UnsafeBuffer buffer, final int offset, final Host host)
    {
        final int icmpLength = 8 + 32;
        putMac(buffer, offset, host.mac);
        putMac(buffer, offset + 6, OUR_MAC);
        buffer.putShort(offset + 12, (short)0x0800, BIG_ENDIAN);
        ipv4Header(buffer, offset + 14, 20 + icmpLength, 1, OUR_ADDRESS, address(host.address));
        final int icmp = offset + 34;
        buffer.putByte(icmp, (byte)8);
        buffer.putByte(icmp + 1, (byte)0);
        buffer.putShort(icmp + 2, (short)0);
        buffer.putShort(icmp + 4, (short)0x7777, BIG_ENDIAN);
        buffer.putShort(icmp + 6, (short)1, BIG_ENDIAN);
        buffer.setMemory(icmp + 8, 32, (byte)0x42);
        buffer.putShort(icmp + 2, (short)Checksums.checksum(buffer, icmp, icmpLength), BIG_ENDIAN);
        return 34 + icmpLength;
    }

    private static void ipv4Header(
        final UnsafeBuffer buffer, final int offset, final int totalLength, final int protocol, final int source, final int destination)
    {
        buffer.putByte(offset, (byte)0x45);
        buffer.putByte(offset + 1, (byte)0);
        buffer.putShort(offset + 2, (short)totalLength, BIG_ENDIAN);
        buffer.putShort(offset + 4, (short)0x1234, BIG_ENDIAN);
        buffer.putShort(offset + 6, (short)0x4000, BIG_ENDIAN);
        buffer.putByte(offset + 8, (byte)64);
        buffer.putByte(offset + 9, (byte)protocol);
        buffer.putShort(offset + 10, (short)0);
        buffer.putInt(offset + 12, source, BIG_ENDIAN);
        buffer.putInt(offset + 16, destination, BIG_ENDIAN);
        buffer.putShort(offset + 10, (short)Checksums.checksum(buffer, offset, 20), BIG_ENDIAN);
    }

    private static int address(final String dotted)
    {
        int address = 0;
        for (final String octet : dotted.split("\\."))
        {
            address = address << 8 | Integer.parseInt(octet);
        }
        return address;
    }

    private static void putMac(final UnsafeBuffer buffer, final int offset, final long mac)
    {
        buffer.putShort(offset, (short)(mac >>> 32), BIG_ENDIAN);
        buffer.putInt(offset + 2, (int)mac, BIG_ENDIAN);
    }

    private static long mac(final FrameBurst burst, final int offset)
    {
        return (burst.buffer().getShort(offset, BIG_ENDIAN) & 0xFFFFL) << 32 | (burst.buffer().getInt(offset + 2, BIG_ENDIAN) & 0xFFFF_FFFFL);
    }

    private static int etherType(final FrameBurst burst, final int frame)
    {
        return burst.buffer().getShort(burst.frameOffset(frame) + 12, BIG_ENDIAN) & 0xFFFF;
    }

    private int promiscuity(final String name) throws Exception
    {
        final String details = output("ip", "-d", "link", "show", "dev", name);
        final int at = details.indexOf("promiscuity ");
        assertTrue(at >= 0, details);
        return Integer.parseInt(details.substring(at + 12).split("\\s")[0]);
    }

    private Path tempFile(final String suffix) throws IOException
    {
        final Path file = Files.createTempFile(prefix, suffix);
        files.add(file);
        return file;
    }

    private Process start(final String netns, final String... command) throws IOException
    {
        return start(netns, tempFile(".log"), command);
    }

    private Process start(final String netns, final Path log, final String... command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(List.of(command));
        final Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(process);
        return process;
    }

    private static void awaitOutput(final Path log, final String text) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(log).contains(text))
        {
            if (System.nanoTime() > deadline)
            {
                fail("no '" + text + "' in " + log + ": " + Files.readString(log));
            }
            Thread.sleep(10);
        }
    }

    private static String output(final String... command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS) && 0 == process.exitValue(), String.join(" ", command) + ": " + text);
        return text;
    }

    private static void run(final String... command) throws Exception
    {
        output(command);
    }

    private static int runQuietly(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
