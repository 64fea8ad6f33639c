package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IP fragments end to end: a UDP datagram without DF that must arrive whole (byte-exact, by its SHA-256), and
 * a capture read with tshark's reassembly off, so each fragment is a frame of its own.
 */
final class Fragments
{
    /** Prints "listening", then the length and SHA-256 of each datagram to ADDRESS PORT. */
    private static final String RECEIVER = """
        import hashlib, socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((sys.argv[1], int(sys.argv[2])))
        print("listening", flush=True)
        while True:
            data = s.recv(65535)
            print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
        """;
    /**
     * Prints the length and SHA-256 of a random payload that makes an IP packet of SIZE bytes, then sends it to
     * ADDRESS PORT without DF (IP_MTU_DISCOVER 10 set to IP_PMTUDISC_DONT 0) every 200 ms until stopped.
     */
    private static final String SENDER = """
        import hashlib, os, socket, sys, time
        data = os.urandom(int(sys.argv[3]) - 28)
        print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, 10, 0)
        while True:
            s.sendto(data, (sys.argv[1], int(sys.argv[2])))
            time.sleep(0.2)
        """;

    private Fragments()
    {
    }

    /**
     * Starts a receiver of UDP datagrams on {@code address:port} in {@code namespace}, once it listens.
     *
     * @return its log, for {@link #sendUntilReceived}.
     */
    static Path receiver(final Sandbox sandbox, final String namespace, final String address, final int port) throws Exception
    {
        final Path log = sandbox.tempFile(".udp");
        sandbox.start(log, "ip", "netns", "exec", namespace, "python3", "-c", RECEIVER, address, Integer.toString(port));
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(log).contains("listening"), "the UDP receiver listening");
        return log;
    }

    /**
     * Sends a random datagram of {@code size} IP bytes without DF from {@code namespace} to {@code address:port},
     * again every 200 ms, until the receiver's log shows it arrived byte-exact.
     */
    static void sendUntilReceived(
        final Sandbox sandbox, final String namespace, final String address, final int port, final int size,
        final Path receiverLog) throws Exception
    {
        final Path sent = sandbox.tempFile(".send");
        final Process sender = sandbox.start(sent, "ip", "netns", "exec", namespace, "python3", "-c", SENDER, address,
            Integer.toString(port), Integer.toString(size));
        // The whole line: Python with PYTHONUNBUFFERED writes the length and the digest apart, and the length
        // alone would be found in the receiver's log whatever the digest there (FaultsIT.lastLine).
        TapForwardingIT.waitFor(() -> !FaultsIT.lastLine(sent).isEmpty(), "the sender's digest");
        final String datagram = FaultsIT.lastLine(sent);
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(receiverLog).contains(datagram),
            "the " + size + "-byte datagram received byte-exact (" + datagram + ")", 30);
        sender.destroy();
        assertTrue(sender.waitFor(20, TimeUnit.SECONDS), "the sender stopped");
    }

    /**
     * Frames of the capture that match the filter, IP fragments taken one by one (not reassembled).
     *
     * @param whole the capture is complete: tshark must read it without error.
     */
    static int captured(final Sandbox sandbox, final Path capture, final String filter, final boolean whole)
    {
        final Sandbox.Result result = sandbox.run("tshark", "-r", capture.toString(), "-o", "ip.defragment:FALSE", "-Y", filter,
            "-T", "fields", "-e", "frame.number");
        if (whole)
        {
            check(result);
        }
        return (int)result.out().lines().filter(line -> !line.isBlank()).count();
    }

    /** The capture, decoded, fragments not reassembled: for a failure's message. */
    static String decoded(final Sandbox sandbox, final Path capture)
    {
        return sandbox.run("tshark", "-r", capture.toString(), "-o", "ip.defragment:FALSE").all();
    }
}
