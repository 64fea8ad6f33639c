package io.vireo.gateway.dns;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The queries the routers' DNS servers pass to an upstream resolver: forwarding threads put each in a
 * ring with what its answer needs to find the way back, the control plane takes them out, asks the
 * upstream and sends the answer into the client's bridge. Records, one per query:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                           Router id                           |  0
 *  +---------------------------------------------------------------+
 *  |                  Bridge id the query came in on               |  4
 *  +---------------------------------------------------------------+
 *  |                Router's MAC on it (low 48 bits)               |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  Client's MAC (low 48 bits)                   |  16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Router's address the query went to            |  24
 *  +---------------------------------------------------------------+
 *  |                        Client's address                       |  28
 *  +-------------------------------+-------------------------------+
 *  |          Client's port        |            0                  |  32
 *  +-------------------------------+-------------------------------+
 *  |                    DNS message, as the client sent it ...     |  36
 * </pre>
 * A full ring refuses the query (the client asks again).
 */
public final class DnsForwarding
{
    /** Fields of a record in front of the message. */
    public static final int ROUTER_ID = 0;
    public static final int BRIDGE_ID = 4;
    public static final int ROUTER_MAC = 8;
    public static final int CLIENT_MAC = 16;
    public static final int ROUTER_IP = 24;
    public static final int CLIENT_IP = 28;
    public static final int CLIENT_PORT = 32;
    public static final int MESSAGE = 36;

    private static final int MSG_TYPE_QUERY = 1;
    private static final int RING_BYTES = 1 << 18;

    private final RingBuffer ring;

    public DnsForwarding()
    {
        final ByteBuffer memory = BufferUtil.allocateDirectAligned(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH, 64);
        ring = new ManyToOneRingBuffer(new UnsafeBuffer(memory));
    }

    /**
     * Queues a query. Forwarding path: no allocation.
     *
     * @return false if the ring is full or the message too long for it.
     */
    public boolean offer(
        final int routerId, final int bridgeId, final long routerMac, final long clientMac, final int routerIp,
        final int clientIp, final int clientPort, final DirectBuffer buffer, final int message, final int length)
    {
        if (MESSAGE + length > ring.maxMsgLength())
        {
            return false;
        }
        final int index = ring.tryClaim(MSG_TYPE_QUERY, MESSAGE + length);
        if (index <= 0)
        {
            return false;
        }
        final AtomicBuffer record = ring.buffer();
        record.putInt(index + ROUTER_ID, routerId);
        record.putInt(index + BRIDGE_ID, bridgeId);
        record.putLong(index + ROUTER_MAC, routerMac);
        record.putLong(index + CLIENT_MAC, clientMac);
        record.putInt(index + ROUTER_IP, routerIp);
        record.putInt(index + CLIENT_IP, clientIp);
        record.putInt(index + CLIENT_PORT, clientPort);
        record.putBytes(index + MESSAGE, buffer, message, length);
        ring.commit(index);
        return true;
    }

    /**
     * Hands the queued queries to {@code handler}, each as its record (fields at the offsets above, valid
     * during the call only; the record's length is {@link #MESSAGE} + the message's); one control thread.
     *
     * @return queries handed.
     */
    public int drain(final MessageHandler handler)
    {
        return ring.read(handler);
    }
}
