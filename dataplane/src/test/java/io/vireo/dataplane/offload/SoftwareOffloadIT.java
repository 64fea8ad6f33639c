package io.vireo.dataplane.offload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.vireo.dataplane.nativeio.TunDevice;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_ACK;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_CWR;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_ECE;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_FIN;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_PSH;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_UDP_L4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link SoftwareOffload} against the kernel (needs root). Namespace A's TAP has offloads, so its TCP
 * hands over 64 KB GSO frames with partial checksums; namespace B's TAP has none. The test thread
 * forwards between them ({@link Forwarder}), segmenting in software, and a TCP transfer must arrive
 * byte-exact with no checksum errors counted in either namespace. Then the same GSO frames, and
 * crafted ones the stack never sends, are cut by the kernel's own software GSO (written into a TAP
 * bridged to one without offloads) and must come out byte for byte as this class cuts them.
 */
class SoftwareOffloadIT
{
    private static final int TCP_OFFLOADS =
        TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6 | TunDevice.TUN_F_TSO_ECN;
    private static final long TRANSFER_BYTES = 50L << 20;
    /** The kernel refuses UDP_L4 frames of more segments than this (UDP_MAX_SEGMENTS, 64 in older kernels). */
    private static final int KERNEL_UDP_MAX_SEGMENTS = 64;

    private KernelSandbox sandbox;
    private String hostA;
    private String hostB;
    private KernelSandbox.Tap tapA;
    private KernelSandbox.Tap tapB;

    @BeforeEach
    void setUp()
    {
        sandbox = new KernelSandbox();
    }

    @AfterEach
    void tearDown() throws IOException
    {
        sandbox.close();
    }

    @Test
    void tcpOverIpv4ArrivesByteExactThroughSoftwareSegmentation() throws Exception
    {
        connectHosts();
        transferAndCheck("10.97.0.2", "Ip", "InHdrErrors");
    }

    @Test
    void tcpOverIpv6ArrivesByteExactThroughSoftwareSegmentation() throws Exception
    {
        connectHosts();
        transferAndCheck("fd97::2", "Ip6", "InHdrErrors");
    }

    @Test
    void cutsGsoFramesAsTheKernelsSoftwareGsoDoes() throws Exception
    {
        connectHosts();
        final List<GsoFrame> frames = new ArrayList<>();
        frames.addAll(transfer("10.97.0.2", 4L << 20, 30).captured);
        frames.addAll(transfer("fd97::2", 4L << 20, 30).captured);
        assertEquals(60, frames.size(), "GSO frames captured from the namespaces' TCP");
        frames.addAll(craftedFrames());

        final String bridgeHost = sandbox.namespace("c");
        sandbox.inNetns(bridgeHost, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        final KernelSandbox.Tap in = sandbox.tap("tx", bridgeHost, true, 0);
        final KernelSandbox.Tap out = sandbox.tap("ty", bridgeHost, false, 0);
        sandbox.run("ip", "-n", bridgeHost, "link", "add", "br0", "type", "bridge");
        for (final KernelSandbox.Tap tap : List.of(in, out))
        {
            // A TAP's largest MTU, so a frame that fits in one segment (no longer GSO to the kernel) is not dropped as too long.
            sandbox.run("ip", "-n", bridgeHost, "link", "set", tap.name, "mtu", "65521", "master", "br0", "up");
        }
        sandbox.run("ip", "-n", bridgeHost, "link", "set", "br0", "up");

        final SoftwareOffload offload = new SoftwareOffload();
        final CollectingSink ours = new CollectingSink();
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(1 << 17, 64));
        int compared = 0;
        for (final GsoFrame frame : frames)
        {
            ours.clear();
            final byte[] withHeader = frame.withHeader();
            buffer.putBytes(0, withHeader);
            final int segments = offload.segment(buffer, 12, frame.frame().length, frame.netHeader(), ours);
            assertTrue(segments > 0, "status " + segments);

            in.write(buffer, 0, withHeader.length);
            final List<byte[]> kernels = readFrom(out, buffer, Arrays.copyOfRange(frame.frame(), 6, 12), segments);

            final String what = "frame " + compared + " (" + frame.frame().length + " bytes, header " +
                Arrays.toString(frame.header()) + ")";
            assertEquals(segments, kernels.size(), what + ": segments");
            for (int i = 0; i < segments; i++)
            {
                assertArrayEquals(kernels.get(i), ours.segments.get(i), what + " segment " + i);
            }
            compared++;
        }
        System.out.printf("compared %d GSO frames with the kernel's software GSO, byte for byte%n", compared);
    }

    /** GSO frames the namespaces' TCP does not send but a VM or container may: every case the segmenter distinguishes. */
    private static List<GsoFrame> craftedFrames()
    {
        final String fortyBytesOfTcpOptions = "0101080a00000001000000020101" + "050a0000000100000002" + "00".repeat(16);
        final List<GsoFrame> frames = new ArrayList<>(List.of(
            GsoFrame.tcp4().payload(0xFFFF - 20 - 32, 11).build(),
            GsoFrame.tcp4().ecn().tcpFlags(FLAG_CWR | FLAG_ECE | FLAG_ACK | FLAG_PSH | FLAG_FIN)
                .payload(4500, 3).gsoSize(1000).build(),
            GsoFrame.tcp4().vlan(0x8100, 0xA064).payload(4 * 1448, 5).build(),
            GsoFrame.tcp4().vlan(0x88A8, 10).vlan(0x8100, 20).payload(9000, 6).gsoSize(1400).build(),
            GsoFrame.tcp4().ipOptions("94040000").tcpOptions(fortyBytesOfTcpOptions).payload(7000, 7).gsoSize(536).build(),
            GsoFrame.tcp4().identification(0xFFFE).sequence(0xFFFF_FC00).payload(5000, 8).gsoSize(1000).build(),
            GsoFrame.tcp4().noChecksumOffload().payload(6000, 9).build(),
            GsoFrame.tcp4().payload(700, 10).build(),
            GsoFrame.tcp6().ecn().tcpFlags(FLAG_CWR | FLAG_ACK).trafficClass(0xB9).vlan(0x8100, 7)
                .payload(20_000, 12).gsoSize(1428).build(),
            GsoFrame.tcp6().payload(0xFFFF - 32, 13).gsoSize(8940).build(),
            GsoFrame.tcp6().noChecksumOffload().payload(3000, 19).build(),
            GsoFrame.udp4().payload(5000, 14).gsoSize(1200).build(),
            GsoFrame.udp4().vlan(0x8100, 100).payload(60_000, 15).gsoSize(1472).build(),
            GsoFrame.udp6().payload(8000, 16).gsoSize(1000).build()));
        final Random random = new Random(11);
        final SoftwareOffload offload = new SoftwareOffload();
        while (frames.size() < 64)
        {
            final GsoFrame frame = GsoFrame.random(random, 65_000);
            final boolean udp = (frame.header()[1] & 0x7F) == GSO_UDP_L4;
            final int segments =
                offload.segment(frame.buffer(), GsoFrame.OFFSET, frame.frame().length, frame.netHeader(), (b, o, l) -> { });
            // The kernel takes UDP_L4 only with NEEDS_CSUM and a bounded number of segments.
            if (!udp || (frame.header()[0] & FLAG_NEEDS_CSUM) != 0 && segments <= KERNEL_UDP_MAX_SEGMENTS)
            {
                frames.add(frame);
            }
        }
        return frames;
    }

    private void connectHosts()
    {
        hostA = sandbox.namespace("a");
        hostB = sandbox.namespace("b");
        tapA = sandbox.tap("ta", hostA, true, TCP_OFFLOADS);
        tapB = sandbox.tap("tb", hostB, false, 0);
        configure(hostA, tapA.name, 1);
        configure(hostB, tapB.name, 2);
        assertTrue(sandbox.inNetns(hostA, "ethtool", "-k", tapA.name).contains("tcp-segmentation-offload: on"));
        assertTrue(sandbox.inNetns(hostB, "ethtool", "-k", tapB.name).contains("tcp-segmentation-offload: off"));
    }

    private void configure(final String netns, final String tap, final int host)
    {
        sandbox.inNetns(netns, "sysctl", "-qw", "net.ipv4.tcp_ecn=1");
        sandbox.run("ip", "-n", netns, "addr", "add", "10.97.0." + host + "/24", "dev", tap);
        sandbox.run("ip", "-n", netns, "addr", "add", "fd97::" + host + "/64", "dev", tap, "nodad");
        sandbox.run("ip", "-n", netns, "link", "set", "dev", tap, "up");
    }

    private void transferAndCheck(final String address, final String ipGroup, final String ipHeaderErrors) throws Exception
    {
        final long startNs = System.nanoTime();
        final Forwarder forwarder = transfer(address, TRANSFER_BYTES, 0);
        final double seconds = (System.nanoTime() - startNs) / 1e9;

        assertTrue(forwarder.gsoFrames > 100, "GSO frames segmented: " + forwarder.gsoFrames);
        assertTrue(forwarder.segments > 2 * forwarder.gsoFrames, "segments per GSO frame: " + forwarder.segments);
        for (final String host : List.of(hostA, hostB))
        {
            assertEquals(0, snmp(host, "Tcp", "InCsumErrors"), host + " TCP checksum errors");
            assertEquals(0, snmp(host, ipGroup, ipHeaderErrors), host + " IP header errors");
        }
        System.out.printf("%s: %d MiB in %.1f s, %d GSO frames -> %d segments, %d checksums completed, " +
            "%d frames back, %d TCP retransmissions%n", address, TRANSFER_BYTES >> 20, seconds, forwarder.gsoFrames,
            forwarder.segments, forwarder.checksumsCompleted, forwarder.toOffloading, snmp(hostA, "Tcp", "RetransSegs"));
    }

    /** Sends {@code bytes} from A to {@code address} in B through a new forwarder and checks they all arrived intact. */
    private Forwarder transfer(final String address, final long bytes, final int captureLimit) throws Exception
    {
        final Forwarder forwarder = new Forwarder(tapA, tapB, captureLimit);
        final String script = Path.of(System.getProperty("user.dir")).getParent()
            .resolve("scripts/testing/tcp_transfer.py").toString();
        final Path receiverLog = sandbox.tempFile(".recv");
        final Path senderLog = sandbox.tempFile(".send");
        final Process receiver = sandbox.startInNetns(hostB, receiverLog, "python3", script, "recv", address, "5201");
        awaitOutput(receiverLog, "listening");
        final Process sender =
            sandbox.startInNetns(hostA, senderLog, "python3", script, "send", address, "5201", Long.toString(bytes));

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (sender.isAlive() || receiver.isAlive())
        {
            if (0 == forwarder.poll())
            {
                LockSupport.parkNanos(20_000);
            }
            if (System.nanoTime() > deadline)
            {
                fail("transfer not done in 90 s: sender " + Files.readString(senderLog) +
                    ", receiver " + Files.readString(receiverLog));
            }
        }

        assertEquals(0, forwarder.refused, "GSO frames refused, last status " + forwarder.lastRefusal);
        final String sent = Files.readString(senderLog).trim();
        final List<String> received = Files.readAllLines(receiverLog);
        assertEquals(0, sender.exitValue(), sent);
        assertTrue(sent.startsWith(bytes + " "), sent);
        assertEquals(sent, received.get(received.size() - 1).trim(), "bytes and SHA-256 received");
        return forwarder;
    }

    /** @return frames read from the TAP whose source MAC is {@code source}, until {@code count} arrived or a second passed. */
    private static List<byte[]> readFrom(
        final KernelSandbox.Tap tap, final UnsafeBuffer buffer, final byte[] source, final int count)
    {
        final List<byte[]> frames = new ArrayList<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (frames.size() < count && System.nanoTime() < deadline)
        {
            final int length = tap.read(buffer, 0, buffer.capacity());
            if (0 == length)
            {
                LockSupport.parkNanos(50_000);
                continue;
            }
            final byte[] frame = new byte[length];
            buffer.getBytes(0, frame);
            if (Arrays.equals(source, Arrays.copyOfRange(frame, 6, 12)))
            {
                frames.add(frame);
            }
        }
        return frames;
    }

    /** @return a counter of /proc/net/snmp (or snmp6 for group Ip6) in a namespace. */
    private long snmp(final String netns, final String group, final String counter)
    {
        if ("Ip6".equals(group))
        {
            for (final String line : sandbox.inNetns(netns, "cat", "/proc/net/snmp6").split("\n"))
            {
                final String[] fields = line.trim().split("\\s+");
                if (fields[0].equals(group + counter))
                {
                    return Long.parseLong(fields[1]);
                }
            }
            throw new AssertionError("no " + group + counter);
        }
        final String[] lines = sandbox.inNetns(netns, "cat", "/proc/net/snmp").split("\n");
        for (int i = 0; i + 1 < lines.length; i++)
        {
            if (lines[i].startsWith(group + ":") && lines[i + 1].startsWith(group + ":"))
            {
                final List<String> names = Arrays.asList(lines[i].trim().split("\\s+"));
                final String[] values = lines[i + 1].trim().split("\\s+");
                final int index = names.indexOf(counter);
                assertTrue(index > 0, "no " + group + " " + counter);
                return Long.parseLong(values[index]);
            }
        }
        throw new AssertionError("no " + group + " in /proc/net/snmp");
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
}
