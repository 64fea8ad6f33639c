package io.vireo.tunnel.vxlan;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.UdpFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.headers.VxlanFlyweight;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.MessageBatch;
import io.vireo.dataplane.offload.SegmentIovecs;
import io.vireo.dataplane.offload.SoftwareOffload;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The transmit half of a {@link Vtep}. Each flow leaves from one UDP source port, picked by a hash of
 * the inner frame's headers among the endpoint's {@link VtepSourcePorts}, so the underlay can spread
 * flows (RFC 7348 section 5) and one flow's datagrams stay in order.
 * <ul>
 *   <li><b>A frame</b> (no GSO) goes in a batch of {@code sendmmsg} through a raw UDP socket, gathered
 *   from two iovecs: its UDP and VXLAN header from a header area, the frame from its slot. The UDP
 *   checksum is 0, as RFC 7348 allows over IPv4; a partial inner checksum is completed first.</li>
 *   <li><b>A GSO frame</b> (a TCP stream's 64 KB) is cut into segments by the shared
 *   {@link SoftwareOffload}, headers only: each segment's headers (with room for its VXLAN header in
 *   front) in the offload's scratch memory, its payload left in the frame's slot. The segments go to
 *   the kernel as one message per peer through the UDP socket of the flow's source port, two iovecs a
 *   segment, with {@code UDP_SEGMENT} set to the segments' size: one system call, the payload copied
 *   once (by the kernel), and the kernel cuts the train into datagrams (and computes their UDP
 *   checksums), as its own vxlan device does with GSO.</li>
 * </ul>
 * <pre>
 *  scratch   | VXLAN | headers 0 | pad | VXLAN | headers 1 | pad | ...
 *  slot      | headers | payload 0 | payload 1 | ... | payload n |          (the GSO frame)
 *  message     iov 0: VXLAN + headers 0, iov 1: payload 0, iov 2: VXLAN + headers 1, iov 3: payload 1, ...
 *  wire        UDP datagram 0, UDP datagram 1, ... UDP datagram n  (same size but the last)
 * </pre>
 * Every socket has DF set and the endpoint's TTL. A flooded frame goes to every peer. Sends and drops
 * are counted on the port: a datagram per peer sent, its inner frame's bytes. One thread at a time.
 */
final class VtepTransmitter
{
    private static final int HEADER_LENGTH = UdpFlyweight.HEADER_LENGTH + VxlanFlyweight.LENGTH;
    private static final int BATCH = 64;
    /** Messages of segment trains per {@code sendmmsg}. */
    private static final int TRAIN_BATCH = 16;
    /** The kernel's bound on the datagrams one UDP_SEGMENT message becomes (UDP_MAX_SEGMENTS, Linux 4.18 on). */
    private static final int MAX_TRAIN_DATAGRAMS = 64;
    /** The most UDP payload one IPv4 message can carry: 65,535 less the IPv4 and UDP headers. */
    private static final int MAX_TRAIN_BYTES = 65_535 - 20 - UdpFlyweight.HEADER_LENGTH;

    private final int vni;
    private final int udpPort;
    private final VtepPeers peers;
    private final PortCounters counters;
    private final Fd raw;
    private final VtepSourcePorts sourcePorts;

    private final MessageBatch frames = new MessageBatch(BATCH, 2);
    private final UnsafeBuffer headers = new UnsafeBuffer(BufferUtil.allocateDirectAligned(BATCH * HEADER_LENGTH, 64));
    private final long[] frameBytes = new long[BATCH];
    private int frameCount;

    private final VirtioNetHeaderFlyweight netHeader = new VirtioNetHeaderFlyweight();
    private final VxlanFlyweight vxlanHeader = new VxlanFlyweight();
    private final SoftwareOffload offload = new SoftwareOffload(SoftwareOffload.DEFAULT_MAX_SEGMENTS, VxlanFlyweight.LENGTH);
    /** A GSO frame's segments: each one's headers in the offload's scratch, its VXLAN header in the headroom. */
    private final SegmentIovecs segments = new SegmentIovecs(offload, SoftwareOffload.DEFAULT_MAX_SEGMENTS);
    private final UnsafeBuffer segmentVxlanHeader = new UnsafeBuffer(0, 0);
    private final MessageBatch trains = new MessageBatch(TRAIN_BATCH, 2 * MAX_TRAIN_DATAGRAMS, true);
    private final int[] trainDatagrams = new int[TRAIN_BATCH];
    private final long[] trainBytes = new long[TRAIN_BATCH];
    private int trainCount;
    /** The errno that made a source port's socket unusable, or 0: kept here so {@link #failure} reads one field. */
    private int sourcePortFailure;

    VtepTransmitter(
        final int raw, final VtepSourcePorts sourcePorts, final int vni, final int udpPort, final VtepPeers peers,
        final PortCounters counters)
    {
        this.raw = Fd.own(raw);
        this.sourcePorts = sourcePorts;
        this.vni = vni;
        this.udpPort = udpPort;
        this.peers = peers;
        this.counters = counters;
    }

    /** The errno that made a socket unusable, or 0. */
    int failure()
    {
        final int failure = raw.failure();
        return 0 != failure ? failure : sourcePortFailure;
    }

    void close()
    {
        raw.close();
        sourcePorts.close();
    }

    int rawFd()
    {
        return raw.value();
    }

    VtepSourcePorts sourcePorts()
    {
        return sourcePorts;
    }

    /** Sends each frame {@code indexes[i]} to its peer, or every peer; see the class comment. */
    void transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        final UnsafeBuffer buffer = burst.buffer();
        for (int i = 0; i < count; i++)
        {
            final int frame = indexes[i];
            final int peer = burst.peer(frame);
            if (Vtep.ALL_PEERS == peer ? 0 == peers.limit() : 0 == peers.address(peer))
            {
                counters.dropped(DropReason.NO_ROUTE, 1);
                continue;
            }
            final int offset = burst.frameOffset(frame);
            final int length = burst.frameLength(frame);
            netHeader.wrap(buffer, burst.netHeaderOffset(frame), FrameBurst.NET_HEADER_LENGTH);
            final int flow = VtepSourcePorts.flow(buffer, offset, length);
            if (VirtioNetHeaderFlyweight.GSO_NONE != netHeader.gsoType())
            {
                flushFrames();
                sendSegmented(buffer, offset, length, peer, flow);
            }
            else if (offload.completeChecksum(buffer, offset, length, netHeader))
            {
                if (Vtep.ALL_PEERS == peer)
                {
                    for (int each = 0, limit = peers.limit(); each < limit; each++)
                    {
                        queueFrame(burst, frame, each, flow);
                    }
                }
                else
                {
                    queueFrame(burst, frame, peer, flow);
                }
            }
            else
            {
                counters.dropped(DropReason.BAD_OFFLOAD, 1);
            }
        }
        flushFrames();
    }

    // ---- frames ----

    private void queueFrame(final FrameBurst burst, final int frame, final int peer, final int flow)
    {
        final int address = peers.address(peer);
        if (0 == address)
        {
            return;
        }
        if (frameCount == BATCH)
        {
            flushFrames();
        }
        final int message = frameCount++;
        final int length = burst.frameLength(frame);
        final int header = message * HEADER_LENGTH;
        headers.putShort(header, Short.reverseBytes((short)sourcePorts.port(flow)));
        headers.putShort(header + 2, Short.reverseBytes((short)udpPort));
        headers.putShort(header + 4, Short.reverseBytes((short)(HEADER_LENGTH + length)));
        headers.putShort(header + 6, (short)UdpFlyweight.NO_CHECKSUM);
        vxlanHeader.wrap(headers, header + UdpFlyweight.HEADER_LENGTH, VxlanFlyweight.LENGTH).header(vni);
        frames.iov(message, 0, headers.addressOffset() + header, HEADER_LENGTH);
        frames.iov(message, 1, burst.frameAddress(frame), length);
        frames.peer(message, address, 0);
        frameBytes[message] = length;
    }

    private void flushFrames()
    {
        send(frames, raw, frameCount, null, frameBytes);
        frameCount = 0;
    }

    /**
     * Sends messages 0 to {@code count - 1} of a batch and counts them: {@code datagrams[m]} datagrams
     * each (1 if null) carrying {@code bytes[m]} inner bytes. A message the kernel refuses (no route to
     * the peer, larger than the path MTU) is skipped and its datagrams counted as {@code tx_error}; when
     * the socket buffer is full, the rest are too, like frames a full transmit ring loses.
     */
    private void send(final MessageBatch batch, final Fd socket, final int count, final int[] datagrams, final long[] bytes)
    {
        int from = 0;
        int sentDatagrams = 0;
        long sentBytes = 0;
        while (from < count && 0 == socket.failure())
        {
            final int sent = batch.send(socket.value(), from, count - from);
            if (sent > 0)
            {
                for (int message = from; message < from + sent; message++)
                {
                    sentDatagrams += null == datagrams ? 1 : datagrams[message];
                    sentBytes += bytes[message];
                }
                from += sent;
            }
            else if (0 == sent)
            {
                break;
            }
            else
            {
                socket.check(sent);
                if (socket != raw && 0 != socket.failure())
                {
                    sourcePortFailure = socket.failure();
                }
                counters.dropped(DropReason.TX_ERROR, null == datagrams ? 1 : datagrams[from]);
                from++;
            }
        }
        for (int message = from; message < count; message++)
        {
            counters.dropped(DropReason.TX_ERROR, null == datagrams ? 1 : datagrams[message]);
        }
        if (sentDatagrams > 0)
        {
            counters.sent(sentDatagrams, sentBytes);
        }
    }

    // ---- GSO frames ----

    private void sendSegmented(final MutableDirectBuffer buffer, final int offset, final int length, final int peer, final int flow)
    {
        if (segments.cut(buffer, offset, length, netHeader) < 0)
        {
            counters.dropped(DropReason.BAD_OFFLOAD, 1);
            return;
        }
        for (int segment = 0; segment < segments.count(); segment++)
        {
            segmentVxlanHeader.wrap(segments.headerAddress(segment), VxlanFlyweight.LENGTH);
            vxlanHeader.wrap(segmentVxlanHeader, 0, VxlanFlyweight.LENGTH).header(vni);
        }
        final Fd socket = sourcePorts.socket(flow);
        if (Vtep.ALL_PEERS == peer)
        {
            for (int each = 0, limit = peers.limit(); each < limit; each++)
            {
                queueTrains(socket, peers.address(each));
            }
        }
        else
        {
            queueTrains(socket, peers.address(peer));
        }
        flushTrains(socket);
    }

    /** Queues the segments for one peer, as few messages as the kernel's bounds allow. */
    private void queueTrains(final Fd socket, final int address)
    {
        if (0 == address)
        {
            return;
        }
        final int segmentCount = segments.count();
        final int size = segments.headerLength(0) + segments.payloadLength(0);
        final int perTrain = Math.max(1, Math.min(MAX_TRAIN_DATAGRAMS, MAX_TRAIN_BYTES / size));
        for (int first = 0; first < segmentCount; first += perTrain)
        {
            if (trainCount == TRAIN_BATCH)
            {
                flushTrains(socket);
            }
            final int message = trainCount++;
            final int datagrams = Math.min(perTrain, segmentCount - first);
            long bytes = 0;
            for (int i = 0; i < datagrams; i++)
            {
                final int segment = first + i;
                trains.iov(message, 2 * i, segments.headerAddress(segment), segments.headerLength(segment));
                trains.iov(message, 2 * i + 1, segments.payloadAddress(segment), segments.payloadLength(segment));
                bytes += segments.headerLength(segment) - VxlanFlyweight.LENGTH + segments.payloadLength(segment);
            }
            trains.iovCount(message, 2 * datagrams);
            trains.segmentSize(message, datagrams > 1 ? size : 0);
            trains.peer(message, address, udpPort);
            trainDatagrams[message] = datagrams;
            trainBytes[message] = bytes;
        }
    }

    private void flushTrains(final Fd socket)
    {
        send(trains, socket, trainCount, trainDatagrams, trainBytes);
        trainCount = 0;
    }
}
