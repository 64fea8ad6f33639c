package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** A TCP transfer between namespaces that proves its bytes arrived exactly: both ends' SHA-256. */
final class TcpTransfer
{
    /** How long the sender may take for the 4 to 20 MB the tests send (the 60 s it always had). */
    private static final int SEND_SECONDS = 60;

    private TcpTransfer()
    {
    }

    /**
     * Sends {@code megabytes} of random data from {@code clientNamespace} to {@code address:port}, received by
     * a sink listening in {@code sinkNamespace} on {@code sinkAddress:sinkPort} (the same, or another behind a
     * translation); asserts that both ends' SHA-256 agree.
     *
     * @return the peer address the sink saw.
     */
    static String send(
        final Sandbox sandbox, final String sinkNamespace, final String sinkAddress, final int sinkPort,
        final String clientNamespace, final String address, final int port, final int megabytes) throws Exception
    {
        final Path sinkLog = sandbox.tempFile(".sink");
        sandbox.start(sinkLog, "ip", "netns", "exec", sinkNamespace, "python3", "-c",
            "import socket,hashlib,sys\n" +
            "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1)\n" +
            "print('listening', flush=True)\n" +
            "c,peer=s.accept(); h=hashlib.sha256()\n" +
            "while True:\n" +
            "    b=c.recv(1<<20)\n" +
            "    if not b: break\n" +
            "    h.update(b)\n" +
            "print('peer', peer[0], 'sha256', h.hexdigest(), flush=True)\n", sinkAddress, Integer.toString(sinkPort));
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(sinkLog).contains("listening"), "the sink listens");
        final Path clientLog = sandbox.tempFile(".client");
        final Process client = sandbox.start(clientLog, "ip", "netns", "exec", clientNamespace, "python3", "-c",
            "import socket,hashlib,random,sys\n" +
            "data=random.Random(5).randbytes(int(sys.argv[3])<<20)\n" +
            "c=socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30); c.sendall(data); c.close()\n" +
            "print(hashlib.sha256(data).hexdigest())\n", address, Integer.toString(port), Integer.toString(megabytes));
        if (!client.waitFor(SEND_SECONDS, TimeUnit.SECONDS))
        {
            fail(megabytes + " MB not sent in " + SEND_SECONDS + " s; the sender's sockets:\n" + sockets(sandbox, clientNamespace) +
                "the sink's:\n" + sockets(sandbox, sinkNamespace) + "the sink said: " + Sandbox.readUtf8(sinkLog));
        }
        final String sent = Sandbox.readUtf8(clientLog);
        assertEquals(0, client.exitValue(), () -> "the sender failed: " + sent);
        // A whole line: Python with PYTHONUNBUFFERED writes "sha256" and the digest apart (FaultsIT.lastLine).
        TapForwardingIT.waitFor(() -> FaultsIT.lastLine(sinkLog).contains("sha256"), "the sink has it all", 30);
        final String[] words = FaultsIT.lastLine(sinkLog).split(" ");
        assertEquals(sent.strip(), words[3], megabytes + " MB arrive byte-exact");
        return words[1];
    }

    /** TCP sockets in a namespace with their timers, windows and retransmissions ({@code ss -tino}). */
    private static String sockets(final Sandbox sandbox, final String namespace)
    {
        return sandbox.inNetns(namespace, "ss", "-tino").all();
    }
}
