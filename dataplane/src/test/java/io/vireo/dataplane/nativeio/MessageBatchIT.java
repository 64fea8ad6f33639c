package io.vireo.dataplane.nativeio;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Message batches over real UDP sockets on loopback: a receiving socket with {@code UDP_GRO} on, bound to
 * 127.0.0.2 (so the kernel hands a {@code UDP_SEGMENT} train whole), and a sender bound to 127.0.0.1. Each test
 * first leaves a message of the receiving batch as a receive, a send or a feed without a socket left it, then
 * receives into it again: the sender's address and a train's segment size must come through every time.
 */
class MessageBatchIT
{
    private static final int SENDER = 0x7F00_0001;
    private static final int RECEIVER = 0x7F00_0002;
    private static final int SEGMENT = 100;

    private final UnsafeBuffer bytes = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4 * SEGMENT, 64));
    private final MessageBatch in = new MessageBatch(4, 1, true);
    private final MessageBatch out = new MessageBatch(1, 1, true);
    private int receiverPort;
    private int senderPort;
    private int receiver = -1;
    private int sender = -1;

    @BeforeEach
    void setUp() throws Exception
    {
        receiverPort = freePort(RECEIVER);
        senderPort = freePort(SENDER);
        receiver = InetSockets.udp(RECEIVER, receiverPort);
        InetSockets.receiveCoalesced(receiver);
        sender = InetSockets.udpSender(SENDER, senderPort, 64);
        final UnsafeBuffer landing = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4 * 4 * SEGMENT, 64));
        for (int message = 0; message < in.capacity(); message++)
        {
            in.iov(message, 0, landing.addressOffset() + (long)message * 4 * SEGMENT, 4 * SEGMENT);
        }
        out.iov(0, 0, bytes.addressOffset(), 3 * SEGMENT);
        out.peer(0, RECEIVER, receiverPort);
    }

    @AfterEach
    void tearDown()
    {
        Native.libc().close(receiver);
        Native.libc().close(sender);
    }

    @Test
    void aMessageThatReceivedOneDatagramThenReceivesATrainWithItsSegmentSize()
    {
        sendOne();
        assertEquals(1, receiveWithin());
        assertEquals(0, in.segmentSize(0), "one datagram: no UDP_GRO control message");

        sendTrain();
        assertEquals(1, receiveWithin());
        assertEquals(3 * SEGMENT, in.length(0));
        assertEquals(SEGMENT, in.segmentSize(0), "the control room the first receive used up is given back");
    }

    @Test
    void aMessageFedWithoutASocketAfterAnEmptyPollThenReceivesATrain()
    {
        assertEquals(0, in.receive(receiver, in.capacity()), "nothing sent yet");
        in.received(0, SEGMENT, true, 0x0A00_0001, 4789, 0);

        sendTrain();
        assertEquals(1, receiveWithin());
        assertFalse(in.truncated(0));
        assertEquals(SEGMENT, in.segmentSize(0));
        assertEquals(SENDER, in.peerAddress(0));
    }

    @Test
    void aMessageSetToSendUnaddressedThenReceivesWithItsSendersAddress()
    {
        assertEquals(0, in.receive(receiver, in.capacity()), "nothing sent yet");
        in.unaddressed(0);

        sendTrain();
        assertEquals(1, receiveWithin());
        assertEquals(SENDER, in.peerAddress(0));
        assertEquals(senderPort, in.peerPort(0));
    }

    @Test
    void aMessageSetToSendAsOneDatagramThenReceivesATrainWithItsSegmentSize()
    {
        assertEquals(0, in.receive(receiver, in.capacity()), "nothing sent yet");
        in.segmentSize(0, 0);

        sendTrain();
        assertEquals(1, receiveWithin());
        assertEquals(SEGMENT, in.segmentSize(0));
    }

    private void sendOne()
    {
        out.iov(0, 0, bytes.addressOffset(), SEGMENT);
        out.segmentSize(0, 0);
        assertEquals(1, out.send(sender, 0, 1));
    }

    /** Three datagrams of {@link #SEGMENT} bytes as one {@code UDP_SEGMENT} message. */
    private void sendTrain()
    {
        out.iov(0, 0, bytes.addressOffset(), 3 * SEGMENT);
        out.segmentSize(0, SEGMENT);
        assertEquals(1, out.send(sender, 0, 1));
    }

    /** Receives into the batch until something arrives: loopback delivers in the softirq after the send. */
    private int receiveWithin()
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline)
        {
            final int received = in.receive(receiver, in.capacity());
            if (received != 0)
            {
                return received;
            }
            Thread.onSpinWait();
        }
        return fail("nothing received in 10 s");
    }

    private static int freePort(final int address) throws Exception
    {
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByName(InetSockets.format(address))))
        {
            return probe.getLocalPort();
        }
    }
}
