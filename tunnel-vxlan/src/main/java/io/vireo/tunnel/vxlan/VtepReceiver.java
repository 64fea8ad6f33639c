package io.vireo.tunnel.vxlan;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.VxlanFlyweight;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.InetSockets;
import io.vireo.dataplane.nativeio.MessageBatch;
import io.vireo.dataplane.offload.SegmentCoalescer;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The receive half of a {@link Vtep}: one {@code recvmmsg} on the endpoint's UDP socket, with
 * {@code UDP_GRO} on, so the kernel hands each train of datagrams from one peer and source port (as
 * a segmenting sender, Vireo's or the kernel's, sends a TCP stream) as one message of up to 64 KB:
 * <pre>
 *  message (staging)  | VXLAN | inner frame 0 | VXLAN | inner frame 1 | ... | VXLAN | inner frame n |
 *                     |<------ segment size ----->|<------ segment size ----->|     |<-- the rest -->|
 * </pre>
 * Each datagram is checked (VXLAN header, VNI, length, peer) and its inner frame appended to the
 * burst by a {@link SegmentCoalescer}, which merges consecutive TCP segments of one flow back into
 * one GSO frame, so a TAP or vhost-user port writes 64 KB at once. A message the burst has no room
 * for stays staged and is taken first by the next call; nothing received is lost to a full burst.
 * Runs on the thread that owns the endpoint.
 */
final class VtepReceiver
{
    /**
     * The most a message holds: a UDP payload is at most 65,507 bytes, but a kernel vxlan peer on the
     * same host (a veth underlay) hands over a whole 64 KB GSO frame plus headers as one "datagram".
     */
    private static final int MESSAGE_BYTES = 131_072;
    private static final int UNRESOLVED = Integer.MIN_VALUE;

    private final int vni;
    private final boolean learnAnyPeer;
    private final VtepPeers peers;
    private final PortCounters counters;
    private final Fd fd;
    private final int messages;
    private final MessageBatch batch;
    private final UnsafeBuffer staging;
    private final VxlanFlyweight header = new VxlanFlyweight();
    private final SegmentCoalescer coalescer;

    /** Messages the last {@code recvmmsg} returned; the next one to take; where in it. */
    private int staged;
    private int next;
    private int nextOffset;
    /** The message being taken: its datagrams' size and the peer it came from, once looked up. */
    private int segmentSize;
    private int messagePeer = UNRESOLVED;
    /** The last {@code recvmmsg} filled fewer messages than it could: the socket is likely empty. */
    private boolean socketDrained;

    VtepReceiver(
        final int fd, final int vni, final int mtu, final boolean learnAnyPeer, final VtepPeers peers,
        final PortCounters counters, final int messages)
    {
        InetSockets.receiveCoalesced(fd);
        this.fd = Fd.own(fd);
        this.vni = vni;
        this.learnAnyPeer = learnAnyPeer;
        this.peers = peers;
        this.counters = counters;
        this.messages = messages;
        this.coalescer = new SegmentCoalescer(mtu);
        this.batch = new MessageBatch(messages, 1, true);
        this.staging = new UnsafeBuffer(BufferUtil.allocateDirectAligned(messages * MESSAGE_BYTES, 64));
        for (int message = 0; message < messages; message++)
        {
            batch.iov(message, 0, staging.addressOffset() + (long)message * MESSAGE_BYTES, MESSAGE_BYTES);
        }
    }

    Fd fd()
    {
        return fd;
    }

    /**
     * Stages message {@code message} as {@code recvmmsg} would have received it (see
     * {@link MessageBatch#received}), {@code length} bytes of {@code bytes} from {@code offset}: the next
     * {@link #receive} calls take messages {@code 0..message} before they read the socket again. Messages go
     * in order from 0, up to the batch's capacity, once everything staged before has been taken. The seam
     * VtepReceiverFuzzTest feeds datagrams through, a kernel being no help at making hostile ones.
     */
    void stage(
        final int message, final DirectBuffer bytes, final int offset, final int length, final boolean truncated,
        final int address, final int port, final int segmentSize)
    {
        final boolean inOrder = 0 == message ? next == staged : message == staged;
        if (!inOrder || message >= messages || length < 0 || length > MESSAGE_BYTES)
        {
            throw new IllegalStateException("cannot stage message " + message + " of " + length + " bytes with " +
                staged + " staged and " + next + " taken");
        }
        staging.putBytes(message * MESSAGE_BYTES, bytes, offset, length);
        batch.received(message, length, truncated, address, port, segmentSize);
        staged = message + 1;
        next = 0;
        nextOffset = 0;
        socketDrained = true;
    }

    /** Appends the inner frames of staged and newly received datagrams until the burst is full or the socket empty. */
    int receive(final FrameBurst burst)
    {
        final int before = burst.size();
        while (0 == fd.failure())
        {
            if (next == staged)
            {
                if (burst.isFull() || socketDrained)
                {
                    socketDrained = false;
                    break;
                }
                final int received = batch.receive(fd.value(), messages);
                if (received <= 0)
                {
                    fd.check(received);
                    break;
                }
                staged = received;
                next = 0;
                nextOffset = 0;
                socketDrained = received < messages;
            }
            if (!takeStaged(burst))
            {
                break;
            }
        }
        coalescer.finish(burst);
        return burst.size() - before;
    }

    /** Takes staged messages into the burst; false if it filled up first. */
    private boolean takeStaged(final FrameBurst burst)
    {
        for (; next < staged; next++, nextOffset = 0)
        {
            final int length = batch.length(next);
            if (0 == nextOffset)
            {
                if (batch.truncated(next))
                {
                    counters.dropped(DropReason.OVERSIZE, 1);
                    continue;
                }
                final int size = batch.segmentSize(next);
                segmentSize = 0 == size ? length : size;
                messagePeer = UNRESOLVED;
            }
            final int base = next * MESSAGE_BYTES;
            // At least once: an empty message is an empty datagram, which take() counts as bad_vxlan.
            do
            {
                final int datagram = Math.min(segmentSize, length - nextOffset);
                if (!take(burst, base + nextOffset, datagram))
                {
                    return false;
                }
                nextOffset += segmentSize;
            }
            while (nextOffset < length);
        }
        return true;
    }

    /** Checks one datagram and appends its inner frame; false, leaving it staged, if the burst is full. */
    private boolean take(final FrameBurst burst, final int offset, final int length)
    {
        header.wrap(staging, offset, length);
        final int frameLength = length - VxlanFlyweight.LENGTH;
        final DropReason drop;
        if (!header.isValid())
        {
            drop = DropReason.BAD_VXLAN;
        }
        else if (header.vni() != vni)
        {
            drop = DropReason.UNKNOWN_VNI;
        }
        else if (frameLength < EthernetFlyweight.HEADER_LENGTH)
        {
            drop = DropReason.RUNT;
        }
        else if (frameLength > burst.frameCapacity())
        {
            drop = DropReason.OVERSIZE;
        }
        else if (Vtep.NO_PEER == peer())
        {
            drop = DropReason.UNKNOWN_PEER;
        }
        else
        {
            return coalescer.append(staging, offset + VxlanFlyweight.LENGTH, frameLength, messagePeer, burst);
        }
        counters.dropped(drop, 1);
        return true;
    }

    /** The peer the message being taken came from, looked up (and learned, if allowed) once per message. */
    private int peer()
    {
        if (UNRESOLVED == messagePeer)
        {
            final int address = batch.peerAddress(next);
            int peer = peers.indexOf(address);
            if (Vtep.NO_PEER == peer && learnAnyPeer && 0 != address)
            {
                peer = peers.add(address, true);
            }
            messagePeer = peer;
        }
        return messagePeer;
    }
}
