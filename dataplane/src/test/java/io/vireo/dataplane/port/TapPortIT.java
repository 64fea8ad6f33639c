package io.vireo.dataplane.port;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.NetworkNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real TAP device in a network namespace of the test's own (needs root). */
class TapPortIT
{
    private final String prefix = "vp" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    private final String netns = prefix + "-ns";
    private final String name = prefix + "t0";
    private final FrameBurst burst = new FrameBurst(8, 16384, 128);
    private TapPort port;

    @BeforeEach
    void setUp() throws Exception
    {
        assertEquals("root", System.getProperty("user.name"), "TAP tests need root (scripts/test.sh)");
        run("ip", "netns", "add", netns);
        run("ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1");
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (null != port)
        {
            port.close();
        }
        runQuietly("ip", "netns", "del", netns);
        runQuietly("ip", "tuntap", "del", "mode", "tap", "name", name);
    }

    @Test
    void framesFlowBothWaysAfterTheInterfaceMovesIntoANamespace() throws Exception
    {
        port = TapPort.open(name, false);
        assertTrue(port.createdBySwitch());
        assertTrue(Files.exists(Path.of("/sys/class/net", name)));
        assertEquals(0, port.receive(burst), "nothing yet, and no blocking");

        run("ip", "link", "set", "dev", name, "netns", netns);
        run("ip", "-n", netns, "addr", "add", "10.95.0.1/24", "dev", name);
        run("ip", "-n", netns, "link", "set", "dev", name, "up");
        runQuietly("ip", "netns", "exec", netns, "ping", "-c", "1", "-W", "1", "10.95.0.2");

        final int arp = receiveArp();
        assertTrue(arp >= 0, "the namespace's ARP request came out of the TAP");
        assertEquals(0xffffffffffffL, burst.buffer().getLong(burst.frameOffset(arp), java.nio.ByteOrder.BIG_ENDIAN) >>> 16);

        final long before = rxPackets();
        assertEquals(1, port.transmit(burst, new int[] {arp}, 1));
        assertEquals(before + 1, rxPackets(), "the frame written to the TAP arrived in the namespace");

        port.close();
        port = null;
        assertNotEquals(0, runQuietly("ip", "-n", netns, "link", "show", "dev", name), "closing removed the TAP");
    }

    @Test
    void aTapBornInANamespaceIsThereAndTellsWhenThatNamespaceIsGone() throws Exception
    {
        final String path = "/run/netns/" + netns;
        port = NetworkNamespace.call(path, () -> TapPort.createQueuesHere(path, name, false, 1)).get(0);
        assertTrue(port.createdBySwitch());
        assertFalse(Files.exists(Path.of("/sys/class/net", name)), "not made in this namespace");
        run("ip", "-n", netns, "link", "show", "dev", name);
        assertFalse(port.namespaceGone());

        run("ip", "netns", "del", netns);
        assertTrue(port.namespaceGone(), "its path names nothing");
        run("ip", "netns", "add", netns);
        assertTrue(port.namespaceGone(), "its path names another namespace");
        assertNotEquals(0, runQuietly("ip", "-n", netns, "link", "show", "dev", name));
    }

    @Test
    void aWriteWhileTheLinkIsDownLosesTheFrameNotThePort() throws Exception
    {
        port = TapPort.open(name, false);
        burst.clear();
        burst.clearNextNetHeader();
        burst.buffer().setMemory(burst.nextFrameOffset(), 60, (byte)0xff);
        burst.commit(60);
        assertEquals(0, port.transmit(burst, new int[] {0}, 1), "the link is down: nothing sent");
        assertEquals(0, port.failure(), "and the port still works");

        run("ip", "link", "set", "dev", name, "up");
        assertEquals(1, port.transmit(burst, new int[] {0}, 1));
    }

    /**
     * A vhost-user guest's offload header reaches a TAP as the guest wrote it (the port checks only that
     * the offload was negotiated). Whatever its offsets and sizes say, the kernel refuses or takes the
     * frame, and the port goes on: hostile headers cost frames, never the device.
     */
    @Test
    void randomOffloadHeadersCostFramesNotThePort() throws Exception
    {
        port = TapPort.open(name, true);
        run("ip", "link", "set", "dev", name, "netns", netns);
        run("ip", "-n", netns, "link", "set", "dev", name, "up");
        final java.util.Random random = new java.util.Random(42);
        final int[] first = {0};
        for (int round = 0; round < 2000; round++)
        {
            burst.clear();
            final int length = 14 + random.nextInt(9000);
            final byte[] bytes = new byte[FrameBurst.NET_HEADER_LENGTH + length];
            random.nextBytes(bytes);
            // Mostly the GSO types a guest may negotiate, with NEEDS_CSUM, so the kernel parses the rest.
            bytes[0] = (byte)(random.nextBoolean() ? 1 : bytes[0]);
            bytes[1] = (byte)(random.nextInt(4) == 0 ? bytes[1] : new int[] {0, 1, 4, 5, 0x81}[random.nextInt(5)]);
            burst.buffer().putBytes(burst.netHeaderOffset(0), bytes);
            burst.commit(length);
            port.transmit(burst, first, 1);
            assertEquals(0, port.failure(), "round " + round);
        }

        burst.clear();
        burst.clearNextNetHeader();
        burst.buffer().setMemory(burst.nextFrameOffset(), 60, (byte)0xff);
        burst.commit(60);
        final long before = rxPackets();
        assertEquals(1, port.transmit(burst, first, 1));
        assertEquals(before + 1, rxPackets(), "a plain frame after them arrives");
    }

    @Test
    void attachesToAPersistentTapAndLeavesItInPlace() throws Exception
    {
        run("ip", "tuntap", "add", "mode", "tap", "name", name);
        port = TapPort.open(name, false);
        assertFalse(port.createdBySwitch());
        port.close();
        port = null;
        assertTrue(Files.exists(Path.of("/sys/class/net", name)), "a TAP the switch did not create outlives the port");
    }

    @Test
    void refusesAnInterfaceThatIsNotATap()
    {
        final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> TapPort.open("lo", false));
        assertTrue(ex.getMessage().contains("not a TAP"), ex.getMessage());
    }

    @Test
    void failsForGoodWhenItsNamespaceIsDeleted() throws Exception
    {
        port = TapPort.open(name, false);
        run("ip", "link", "set", "dev", name, "netns", netns);
        run("ip", "netns", "del", netns);

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (0 == port.failure() && System.nanoTime() < deadline)
        {
            burst.clear();
            port.receive(burst);
            Thread.sleep(10);
        }
        assertTrue(List.of(Errno.EBADFD, Errno.ENODEV).contains(port.failure()), "failure " + port.failure());
        burst.clear();
        assertEquals(0, port.receive(burst));
    }

    private int receiveArp() throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline)
        {
            burst.clear();
            final int received = port.receive(burst);
            for (int i = 0; i < received; i++)
            {
                if (burst.buffer().getShort(burst.frameOffset(i) + 12, java.nio.ByteOrder.BIG_ENDIAN) == 0x0806)
                {
                    return i;
                }
            }
            Thread.sleep(10);
        }
        return -1;
    }

    private long rxPackets() throws Exception
    {
        final Process process = new ProcessBuilder("ip", "netns", "exec", netns, "cat",
            "/sys/class/net/" + name + "/statistics/rx_packets").start();
        final String out = new String(process.getInputStream().readAllBytes()).trim();
        process.waitFor();
        return Long.parseLong(out);
    }

    private static void run(final String... command) throws IOException, InterruptedException
    {
        assertEquals(0, runQuietly(command), String.join(" ", command));
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
