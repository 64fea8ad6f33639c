package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A container root file system from Debian's busybox-static: {@code /bin/busybox} with a link in {@code /bin} for each
 * applet, and {@code /payload}, random bytes whose SHA-256 the test knows, which containers send with busybox
 * {@code nc} to a receiver that answers the SHA-256 of what it got: the transfer is proven byte-exact.
 */
final class BusyboxRootfs
{
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final String PAYLOAD = "payload";

    final Path dir;
    private final String payloadSha256;

    private BusyboxRootfs(final Path dir, final String payloadSha256)
    {
        this.dir = dir;
        this.payloadSha256 = payloadSha256;
    }

    static BusyboxRootfs create(final Sandbox sandbox, final int payloadMegabytes) throws Exception
    {
        assertTrue(Files.isExecutable(BUSYBOX), "no /bin/busybox: apt-get install busybox-static (scripts/install-deps.sh)");
        final Path dir = sandbox.tempDir("rootfs");
        final Path bin = Files.createDirectory(dir.resolve("bin"));
        Files.copy(BUSYBOX, bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        for (final String applet : check(sandbox.run(BUSYBOX.toString(), "--list")).out().split("\n"))
        {
            if (!"busybox".equals(applet))
            {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
        }
        final byte[] payload = new byte[payloadMegabytes << 20];
        new Random(5).nextBytes(payload);
        Files.write(dir.resolve(PAYLOAD), payload);
        return new BusyboxRootfs(dir, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload)));
    }

    /** The root file system as a tar archive, as {@code docker import} takes it. */
    Path tarball(final Sandbox sandbox) throws Exception
    {
        final Path tarball = sandbox.tempFile(".tar");
        check(sandbox.run("tar", "-C", dir.toString(), "-cf", tarball.toString(), "."));
        return tarball;
    }

    /**
     * Starts a one-shot receiver in {@code container}: nc on {@code port} that answers, on the same connection, the
     * SHA-256 of all it received. Returns once it listens.
     */
    static void receiver(final Container container, final int port)
    {
        container.execDetached("nc", "-l", "-p", Integer.toString(port), "-e", "sha256sum");
        TapForwardingIT.waitFor(() -> !check(container.sandbox().run("nsenter", "--net=" + container.netns(),
            "ss", "-Hltn", "sport = :" + port)).out().isBlank(), "nc listening in " + container.name(), 60);
    }

    /** Sends the payload from {@code container} to a {@link #receiver} at {@code address:port}; asserts its answer. */
    void send(final Container container, final String address, final int port)
    {
        assertArrived(container.exec("sh", "-c", "nc " + address + " " + port + " </" + PAYLOAD), container.name());
    }

    /** The same from network namespace {@code netns} of the host, with the host's busybox. */
    void sendFromNamespace(final Sandbox sandbox, final String netns, final String address, final int port)
    {
        assertArrived(sandbox.inNetns(netns, "sh", "-c", BUSYBOX + " nc " + address + " " + port + " <" + dir.resolve(PAYLOAD)),
            netns);
    }

    private void assertArrived(final Sandbox.Result answer, final String sender)
    {
        assertEquals(payloadSha256 + "  -", check(answer).out().strip(), "the payload from " + sender + " arrives byte-exact");
    }
}
