package io.vireo.benches.nativeio;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

import io.vireo.dataplane.nativeio.InetSockets;
import io.vireo.dataplane.nativeio.MessageBatch;
import io.vireo.dataplane.nativeio.Native;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * An empty poll of a VXLAN socket: {@link MessageBatch#receive} on a UDP socket on 127.0.0.1 with {@code UDP_GRO}
 * on and nothing waiting, as a VTEP's receiver makes whenever the switch polls its port and no datagram came, with
 * a batch of {@code messages} (the receiver offers as many as the burst size, 64 by default). With nothing to
 * reset, a batch of 64 costs what a batch of 1 does: the {@code recvmmsg} call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@State(Scope.Thread)
public class MessageBatchBenchmark
{
    private static final int LOOPBACK = 0x7F00_0001;
    private static final int MESSAGE_BYTES = 2048;

    @Param({"1", "64"})
    public int messages;

    private MessageBatch batch;
    private int socket = -1;

    @Setup
    public void setUp() throws Exception
    {
        final int port;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByName(InetSockets.format(LOOPBACK))))
        {
            port = probe.getLocalPort();
        }
        socket = InetSockets.udp(LOOPBACK, port);
        InetSockets.receiveCoalesced(socket);
        batch = new MessageBatch(messages, 1, true);
        final UnsafeBuffer landing = new UnsafeBuffer(BufferUtil.allocateDirectAligned(messages * MESSAGE_BYTES, 64));
        for (int message = 0; message < messages; message++)
        {
            batch.iov(message, 0, landing.addressOffset() + (long)message * MESSAGE_BYTES, MESSAGE_BYTES);
        }
    }

    @TearDown
    public void tearDown()
    {
        Native.libc().close(socket);
    }

    @Benchmark
    public int emptyReceive()
    {
        return batch.receive(socket, messages);
    }
}
