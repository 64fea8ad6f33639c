package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.vireo.vswitch.core.PortInfo;
import io.vireo.vswitch.core.TapPortSpec;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * QEMU as the frontend: a Linux guest (Debian's kernel, its virtio-net driver, busybox; emulated, no
 * KVM here) on a vhost-user port pings a namespace on a TAP port and sends it 16 MiB over TCP. The
 * guest's driver negotiates the offloads itself, so its TSO segments come through HOST_TSO4 and the
 * namespace's arrive through GUEST_TSO4.
 */
class QemuGuestIT
{
    private static final int BYTES = 16 << 20;
    private static final int CSUM = 0;
    private static final int GUEST_CSUM = 1;
    private static final int GUEST_TSO4 = 7;
    private static final int HOST_TSO4 = 11;
    private static final int MRG_RXBUF = 15;
    private static final int VERSION_1 = 32;
    /** sha256 of 16 MiB of zeros, what the guest sends. */
    private static final String ZEROS_SHA256 = "080acf35a507ac9849cfcba47dc2ad83e01b75663a516279c8b9d243b719643e";

    private Sandbox sandbox;
    private Vireo vireo;
    private String ns;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
        ns = sandbox.namespace("a");
        vireo = Vireo.launch(new VireoContext());
        vireo.addBridge("br0", null);
        vireo.addTapPort("br0", new TapPortSpec(sandbox.ifname("tA"), ns, "10.96.0.1/24", null, null));
    }

    @AfterEach
    void tearDown()
    {
        try
        {
            vireo.close();
        }
        finally
        {
            sandbox.close();
        }
    }

    @Test
    void aLinuxGuestPingsAndSendsTcpThroughTheSwitch() throws Exception
    {
        final Path dir = sandbox.tempDir("qemu");
        check(sandbox.run(Daemon.ROOT.resolve("scripts/testing/guest-image.sh").toString(), dir.toString()));
        vireo.addVhostUserPort("br0", "vm1", dir.resolve("vm1.sock"), false);
        final Path receiverLog = sandbox.tempFile(".recv");
        // Read at 4 MB/s through a small window: the guest's data then queues in its socket, so its TSO sends
        // multi-segment frames even when a loaded host leaves the emulated CPU too slow to get ahead of the wire.
        final Process receiver = sandbox.start(receiverLog, "ip", "netns", "exec", ns, "python3",
            Daemon.ROOT.resolve("scripts/testing/tcp_transfer.py").toString(), "recv", "10.96.0.1", "5201", "4000000");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(receiverLog).contains("listening"), "receiver listening");

        // vectors=0: QEMU 7.2 without KVM crashes setting up MSI-X notifiers for vhost (vhost_net_start).
        final Path log = sandbox.tempFile(".qemu");
        final Process qemu = sandbox.start(log, "qemu-system-x86_64", "-machine", "q35", "-m", "256", "-nographic",
            "-no-reboot", "-kernel", dir.resolve("vmlinuz").toString(), "-initrd", dir.resolve("initrd.cpio").toString(),
            "-append", "console=ttyS0 quiet panic=-1 vireo.ip=10.96.0.2/24 vireo.peer=10.96.0.1 vireo.bytes=" + BYTES,
            "-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-numa", "node,memdev=mem",
            "-chardev", "socket,id=c0,path=" + dir.resolve("vm1.sock"), "-netdev", "vhost-user,id=n0,chardev=c0",
            "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:00:0e:02,vectors=0");
        assertTrue(qemu.waitFor(180, TimeUnit.SECONDS), () -> "the guest powered off:\n" + readQuietly(log));

        final String console = Sandbox.readUtf8(log);
        assertTrue(console.contains("guest: ping ok"), console);
        assertTrue(console.contains("guest: sent " + BYTES), console);
        assertTrue(receiver.waitFor(30, TimeUnit.SECONDS));
        final String received = Sandbox.readUtf8(receiverLog).lines().reduce((first, second) -> second).orElse("");
        assertEquals(BYTES + " " + ZEROS_SHA256, received.trim());

        // The driver's view of the negotiated features: one character per bit, from bit 0.
        final java.util.regex.Matcher features = java.util.regex.Pattern.compile("guest: features ([01]+)").matcher(console);
        assertTrue(features.find(), console);
        for (final int bit : new int[] {CSUM, GUEST_CSUM, GUEST_TSO4, HOST_TSO4, MRG_RXBUF, VERSION_1})
        {
            assertEquals('1', features.group(1).charAt(bit), "feature bit " + bit + " negotiated: " + features.group(1));
        }
        final PortInfo vm1 = vireo.port("vm1");
        assertTrue(vm1.stats().rxBytes() / vm1.stats().rxPackets() > 1514,
            () -> "frames from the guest average more than the MTU allows, so TSO segments crossed whole: " + vm1.stats());
        assertTrue(vm1.stats().drops().values().stream().allMatch(count -> count == 0), () -> vm1.stats().toString());
    }

    private static String readQuietly(final Path file)
    {
        try
        {
            return Sandbox.readUtf8(file);
        }
        catch (final java.io.IOException ex)
        {
            return ex.toString();
        }
    }
}
