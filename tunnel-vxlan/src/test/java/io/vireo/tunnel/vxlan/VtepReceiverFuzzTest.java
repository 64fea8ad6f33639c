package io.vireo.tunnel.vxlan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.headers.VxlanFlyweight;
import io.vireo.dataplane.nativeio.InetSockets;
import io.vireo.dataplane.offload.SoftwareOffload;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receive side of a VTEP over arbitrary datagrams: messages staged in a {@link VtepReceiver} as
 * {@code recvmmsg} leaves them (with {@code UDP_GRO}: a train of datagrams of one size, the last maybe shorter,
 * in one message), from configured peers, other senders or learned ones, then taken in bursts until none is left.
 * <p>
 * The input is {@code [settings, 1 byte][message]...}; a message is {@code [meta, 1 byte][source port, 2][segment
 * size, 2][length, 2][source address, 4, if meta says so][bytes]}, numbers big-endian, bytes past the input's end
 * zero. Settings bit 0 lets the endpoint learn any sender as a peer; bits 1-2 pick the burst (32 slots of 128 KiB,
 * as with offloading TAPs; 32 of 16 KiB; 3 of 128 KiB, so that trains are taken over several bursts; 1 of 2 KiB);
 * bit 3 repairs every inner IPv4 or IPv6 frame's lengths and IP, TCP and UDP checksums, so that trains of TCP
 * segments can merge. Meta bits 0-2 pick the sender (peer 10.0.0.1, peer 10.0.0.2, 10.0.0.3, 0.0.0.0, the local
 * address, 255.255.255.255, or the address that follows), bit 3 marks the message truncated, bit 4 ends a batch
 * (so do 8 messages: a {@code recvmmsg}), bit 5 adds 64 KiB to the length.
 * <p>
 * Invariants: every datagram is delivered or counted under the drop reason a model of the checks gives
 * ({@code bad_vxlan}, {@code unknown_vni}, {@code runt}, {@code oversize} for one longer than a slot or a
 * truncated message, {@code unknown_peer}); nothing throws; every frame fits its slot and carries the peer it came
 * from. Frames come out in order: a frame with no GSO type is a datagram's inner frame, byte for byte; a GSO frame
 * is one large TCP frame or consecutive segments of one flow merged, and its virtio-net header says what it holds:
 * hdr_len its headers, gso_size its first segment's payload (or the overlay MTU's, for one large frame), its IP
 * lengths and checksum right, the pseudo-header sum in its TCP checksum field (NEEDS_CSUM at csum_start, offset
 * 16), and software segmentation cuts it back into the segments that went in (IP identification and checksums
 * aside).
 */
class VtepReceiverFuzzTest
{
    private static final int VNI = 42;
    private static final int MTU = 1450;
    private static final int MESSAGES = 8;
    private static final int MESSAGE_BYTES = 131_072;
    private static final int LOCAL = 0x7F00_0001;
    private static final int PEER_A = 0x0A00_0001;
    private static final int PEER_B = 0x0A00_0002;
    private static final int[] SENDERS = {PEER_A, PEER_B, 0x0A00_0003, 0, LOCAL, 0xFFFF_FFFF};

    private static final int LEARN_ANY_PEER = 1;
    private static final int REPAIR = 8;
    private static final int META_SENDER = 7;
    private static final int META_TRUNCATED = 8;
    private static final int META_ENDS_BATCH = 0x10;
    private static final int META_LONG = 0x20;
    private static final int RECORD_HEADER_LENGTH = 7;

    private static final int ETHERNET = 14;
    private static final int IPV4 = 20;
    private static final int IPV6 = 40;
    private static final int ETHER_TYPE_IPV4 = 0x0800;
    private static final int ETHER_TYPE_IPV6 = 0x86DD;
    private static final int TCP_FLAGS = 13;
    private static final int TCP_CHECKSUM = 16;

    private final Side[] sides = {new Side(false), new Side(true)};
    private final FrameBurst[] bursts = {
        new FrameBurst(32, 131_072, 128), new FrameBurst(32, 16_384, 128), new FrameBurst(3, 131_072, 128),
        new FrameBurst(1, 2048, 128)};
    private final UnsafeBuffer message = new UnsafeBuffer(BufferUtil.allocateDirectAligned(MESSAGE_BYTES, 64));
    private final SoftwareOffload offload = new SoftwareOffload();
    private final VirtioNetHeaderFlyweight netHeader = new VirtioNetHeaderFlyweight();

    /** A receiver with its own peers and counters, on a UDP socket nothing sends to. */
    private static final class Side
    {
        final VtepPeers peers = new VtepPeers();
        final PortCounters counters = new PortCounters(new CountersManager(
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.METADATA_LENGTH, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.COUNTER_LENGTH, 64))), "vx");
        final boolean learnAnyPeer;
        final VtepReceiver receiver;

        Side(final boolean learnAnyPeer)
        {
            this.learnAnyPeer = learnAnyPeer;
            receiver = new VtepReceiver(
                InetSockets.udp(LOCAL, 0), VNI, MTU, learnAnyPeer, peers, counters, MESSAGES);
            peers.add(PEER_A, false);
            peers.add(PEER_B, false);
        }

        /** Back to the two configured peers. */
        void forgetLearnedPeers()
        {
            for (final Vtep.Peer peer : peers.list())
            {
                if (peer.learned())
                {
                    peers.remove(peers.address(peer.index()));
                }
            }
        }
    }

    /** What the receiver must make of a batch: drops by reason, and the inner frames it delivers, in order. */
    private static final class Model
    {
        final boolean learnAnyPeer;
        final int frameCapacity;
        final Map<Integer, Integer> peers = new HashMap<>();
        final Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
        final List<Accepted> accepted = new ArrayList<>();
        int datagrams;

        Model(final boolean learnAnyPeer, final int frameCapacity)
        {
            this.learnAnyPeer = learnAnyPeer;
            this.frameCapacity = frameCapacity;
            peers.put(PEER_A, 0);
            peers.put(PEER_B, 1);
        }

        void message(
            final UnsafeBuffer bytes, final int length, final boolean truncated, final int address,
            final int segmentSize)
        {
            if (truncated)
            {
                datagrams++;
                drop(DropReason.OVERSIZE);
                return;
            }
            int peer = Integer.MIN_VALUE;
            // A message holds at least one datagram, if an empty one.
            final int size = 0 == segmentSize ? Math.max(length, 1) : segmentSize;
            for (int offset = 0; offset < Math.max(length, 1); offset += size)
            {
                datagrams++;
                final int datagram = Math.min(size, length - offset);
                final int frame = datagram - VxlanFlyweight.LENGTH;
                if (datagram < VxlanFlyweight.LENGTH || 0 == (bytes.getByte(offset) & VxlanFlyweight.FLAG_VNI_VALID))
                {
                    drop(DropReason.BAD_VXLAN);
                }
                else if (bytes.getInt(offset + VxlanFlyweight.VNI_OFFSET, BIG_ENDIAN) >>> 8 != VNI)
                {
                    drop(DropReason.UNKNOWN_VNI);
                }
                else if (frame < ETHERNET)
                {
                    drop(DropReason.RUNT);
                }
                else if (frame > frameCapacity)
                {
                    drop(DropReason.OVERSIZE);
                }
                else
                {
                    // Looked up once a message, when a datagram first gets this far.
                    peer = Integer.MIN_VALUE == peer ? peer(address) : peer;
                    if (Vtep.NO_PEER == peer)
                    {
                        drop(DropReason.UNKNOWN_PEER);
                    }
                    else
                    {
                        final byte[] inner = new byte[frame];
                        bytes.getBytes(offset + VxlanFlyweight.LENGTH, inner);
                        accepted.add(new Accepted(inner, peer));
                    }
                }
            }
        }

        private int peer(final int address)
        {
            final Integer known = peers.get(address);
            if (null != known)
            {
                return known;
            }
            if (!learnAnyPeer || 0 == address || peers.size() == Vtep.MAX_PEERS)
            {
                return Vtep.NO_PEER;
            }
            peers.put(address, peers.size());
            return peers.size() - 1;
        }

        private void drop(final DropReason reason)
        {
            drops.merge(reason, 1L, Long::sum);
        }
    }

    private record Accepted(byte[] frame, int peer)
    {
    }

    private record Delivered(byte[] frame, byte[] netHeader, int peer)
    {
    }

    @AfterEach
    void close()
    {
        for (final Side side : sides)
        {
            side.receiver.fd().close();
        }
    }

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void everyDatagramIsDeliveredOrCounted(final byte[] input)
    {
        if (input.length < 1)
        {
            return;
        }
        final Side side = sides[input[0] & LEARN_ANY_PEER];
        final FrameBurst burst = bursts[(input[0] >>> 1) & 3];
        final boolean repair = 0 != (input[0] & REPAIR);
        side.forgetLearnedPeers();
        final Model model = new Model(side.learnAnyPeer, burst.frameCapacity());
        for (final Vtep.Peer peer : side.peers.list())
        {
            model.peers.put(side.peers.address(peer.index()), peer.index());
        }
        int position = 1;
        while (position + RECORD_HEADER_LENGTH <= input.length)
        {
            final long[] before = drops(side.counters);
            final int accepted = model.accepted.size();
            final int datagrams = model.datagrams;
            int staged = 0;
            while (staged < MESSAGES && position + RECORD_HEADER_LENGTH <= input.length)
            {
                final int meta = input[position] & 0xFF;
                final int port = u16(input, position + 1);
                final int segmentSize = u16(input, position + 3);
                final int length = u16(input, position + 5) + (0 != (meta & META_LONG) ? 65_536 : 0);
                position += RECORD_HEADER_LENGTH;
                final int sender = meta & META_SENDER;
                if (sender >= SENDERS.length && position + 4 > input.length)
                {
                    break;
                }
                final int address =
                    sender < SENDERS.length ? SENDERS[sender] : new UnsafeBuffer(input).getInt(position, BIG_ENDIAN);
                position += sender < SENDERS.length ? 0 : 4;
                final int present = Math.min(length, input.length - position);
                message.putBytes(0, input, position, present);
                message.setMemory(present, length - present, (byte)0);
                position += present;
                if (repair)
                {
                    repair(length, segmentSize);
                }
                final boolean truncated = 0 != (meta & META_TRUNCATED);
                side.receiver.stage(staged++, message, 0, length, truncated, address, port, segmentSize);
                model.message(message, length, truncated, address, segmentSize);
                if (0 != (meta & META_ENDS_BATCH))
                {
                    break;
                }
            }
            if (0 == staged)
            {
                break;
            }
            final List<Delivered> delivered = takeAll(side, burst, model.datagrams - datagrams);
            assertDelivered(delivered, model.accepted.subList(accepted, model.accepted.size()));
            final long[] after = drops(side.counters);
            for (final DropReason reason : DropReason.values())
            {
                final long dropped = after[reason.ordinal()] - before[reason.ordinal()];
                assertEquals((long)model.drops.getOrDefault(reason, 0L), dropped,
                    () -> "datagrams dropped as " + reason.metricName());
            }
            model.drops.clear();
        }
    }

    /** Takes bursts until the receiver has nothing staged left, as the forwarding thread polls the port. */
    private static List<Delivered> takeAll(final Side side, final FrameBurst burst, final int datagrams)
    {
        final List<Delivered> delivered = new ArrayList<>();
        for (int calls = 0; ; calls++)
        {
            assertTrue(calls <= datagrams + 1, "the receiver goes on taking");
            burst.clear();
            final int received = side.receiver.receive(burst);
            assertEquals(burst.size(), received);
            for (int i = 0; i < received; i++)
            {
                final int length = burst.frameLength(i);
                assertTrue(length >= 0 && length <= burst.frameCapacity(), () -> "a frame of " + length + " bytes");
                final byte[] frame = new byte[length];
                burst.buffer().getBytes(burst.frameOffset(i), frame);
                final byte[] header = new byte[FrameBurst.NET_HEADER_LENGTH];
                burst.buffer().getBytes(burst.netHeaderOffset(i), header);
                delivered.add(new Delivered(frame, header, burst.peer(i)));
            }
            if (0 == received)
            {
                return delivered;
            }
        }
    }

    /** The delivered frames are the accepted ones, in order, some TCP segments merged (see the class comment). */
    private void assertDelivered(final List<Delivered> delivered, final List<Accepted> accepted)
    {
        int next = 0;
        for (final Delivered frame : delivered)
        {
            final int index = next;
            assertTrue(next < accepted.size(), "no more frames delivered than accepted");
            final Accepted first = accepted.get(next);
            assertEquals(first.peer(), frame.peer(), "a frame carries the peer it came from");
            netHeader.wrap(new UnsafeBuffer(frame.netHeader()), 0, FrameBurst.NET_HEADER_LENGTH);
            if (VirtioNetHeaderFlyweight.GSO_NONE == (netHeader.gsoType() & ~VirtioNetHeaderFlyweight.GSO_ECN))
            {
                assertArrayEquals(first.frame(), frame.frame(), () -> "frame " + index + " as it came");
                assertTrue(offload.completeChecksum(new UnsafeBuffer(frame.frame().clone()), 0, frame.frame().length,
                    netHeader), "a partial checksum inside the frame");
                next++;
            }
            else
            {
                next += assertGsoFrame(frame, accepted, next);
            }
        }
        assertEquals(accepted.size(), next, "every accepted datagram delivered");
    }

    /** @return how many accepted frames the GSO frame holds. */
    private int assertGsoFrame(final Delivered delivered, final List<Accepted> accepted, final int first)
    {
        final byte[] frame = delivered.frame();
        final UnsafeBuffer bytes = new UnsafeBuffer(frame);
        final byte[] head = accepted.get(first).frame();
        final boolean ipv4 = ETHER_TYPE_IPV4 == (bytes.getShort(12, BIG_ENDIAN) & 0xFFFF);
        final int l4 = ETHERNET + (ipv4 ? IPV4 : IPV6);
        final int headers = l4 + ((frame[l4 + 12] & 0xF0) >>> 4) * 4;
        assertEquals(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, netHeader.flags());
        assertEquals(ipv4 ? VirtioNetHeaderFlyweight.GSO_TCPV4 : VirtioNetHeaderFlyweight.GSO_TCPV6,
            netHeader.gsoType() & ~VirtioNetHeaderFlyweight.GSO_ECN);
        assertEquals(headers, netHeader.hdrLen(), "hdr_len");
        assertEquals(l4, netHeader.csumStart(), "csum_start");
        assertEquals(TCP_CHECKSUM, netHeader.csumOffset(), "csum_offset");
        assertTrue(headers < frame.length && headers <= head.length, "a payload behind the headers");

        // The first frame whole, then each following segment's payload.
        int length = head.length;
        int count = 1;
        assertArrayEquals(
            Arrays.copyOfRange(head, headers, head.length), Arrays.copyOfRange(frame, headers, head.length));
        while (length < frame.length)
        {
            assertTrue(first + count < accepted.size(), "a GSO frame holds only accepted segments");
            final Accepted segment = accepted.get(first + count);
            assertEquals(delivered.peer(), segment.peer(), "segments of one peer merged");
            final int payload = segment.frame().length - headers;
            assertTrue(payload > 0 && length + payload <= frame.length, "a whole segment's payload merged");
            assertArrayEquals(Arrays.copyOfRange(segment.frame(), headers, headers + payload),
                Arrays.copyOfRange(frame, length, length + payload), "a segment's payload in order");
            length += payload;
            count++;
        }
        final int payload = frame.length - headers;
        if (count > 1)
        {
            assertEquals(head.length - headers, netHeader.gsoSize(), "gso_size: the first segment's payload");
        }
        else
        {
            assertTrue(head.length - ETHERNET > MTU, "one frame is a GSO frame only if its packet exceeds the MTU");
            assertEquals(MTU - (headers - ETHERNET), netHeader.gsoSize(), "gso_size: the MTU's payload");
        }
        assertSameHeaders(head, frame, headers, ipv4, l4);
        assertSegmentsBack(frame, accepted, first, count, ipv4, l4, payload);
        return count;
    }

    /** The merged frame's headers are the first segment's but for lengths, checksums and PSH; those are right. */
    private static void assertSameHeaders(
        final byte[] head, final byte[] frame, final int headers, final boolean ipv4, final int l4)
    {
        final byte[] expected = Arrays.copyOf(head, headers);
        final byte[] actual = Arrays.copyOf(frame, headers);
        final UnsafeBuffer bytes = new UnsafeBuffer(frame);
        for (final byte[] header : new byte[][] {expected, actual})
        {
            final UnsafeBuffer writable = new UnsafeBuffer(header);
            if (ipv4)
            {
                writable.putShort(ETHERNET + 2, (short)0);
                writable.putShort(ETHERNET + 10, (short)0);
            }
            else
            {
                writable.putShort(ETHERNET + 4, (short)0);
            }
            header[l4 + TCP_FLAGS] &= ~TcpFlyweight.FLAG_PSH;
            writable.putShort(l4 + TCP_CHECKSUM, (short)0);
        }
        assertArrayEquals(expected, actual, "the first segment's headers");
        if (ipv4)
        {
            assertEquals(frame.length - ETHERNET, bytes.getShort(ETHERNET + 2, BIG_ENDIAN) & 0xFFFF, "IPv4 length");
            assertEquals(0, Checksums.checksum(bytes, ETHERNET, IPV4), "IPv4 header checksum");
        }
        else
        {
            assertEquals(frame.length - l4, bytes.getShort(ETHERNET + 4, BIG_ENDIAN) & 0xFFFF, "IPv6 payload length");
        }
        final int ip = ETHERNET;
        final long pseudoHeader = ipv4 ?
            Checksums.ipv4PseudoHeaderSum(bytes.getInt(ip + 12, BIG_ENDIAN), bytes.getInt(ip + 16, BIG_ENDIAN),
                TcpFlyweight.PROTOCOL, frame.length - l4) :
            Checksums.ipv6PseudoHeaderSum(bytes.getLong(ip + 8, BIG_ENDIAN), bytes.getLong(ip + 16, BIG_ENDIAN),
                bytes.getLong(ip + 24, BIG_ENDIAN), bytes.getLong(ip + 32, BIG_ENDIAN), TcpFlyweight.PROTOCOL,
                frame.length - l4);
        assertEquals(Checksums.fold(pseudoHeader), bytes.getShort(l4 + TCP_CHECKSUM, BIG_ENDIAN) & 0xFFFF,
            "NEEDS_CSUM: the pseudo-header sum in the TCP checksum field");
    }

    /** Software segmentation cuts the frame back into what went in: the segments merged, or MTU-sized ones. */
    private void assertSegmentsBack(
        final byte[] frame, final List<Accepted> accepted, final int first, final int count, final boolean ipv4,
        final int l4, final int payload)
    {
        final List<byte[]> segments = new ArrayList<>();
        final UnsafeBuffer copy = new UnsafeBuffer(frame.clone());
        final int cut = offload.segment(copy, 0, frame.length, netHeader, (buffer, offset, length) ->
        {
            final byte[] segment = new byte[length];
            buffer.getBytes(offset, segment);
            segments.add(segment);
        });
        final int gsoSize = netHeader.gsoSize();
        assertEquals(count > 1 ? count : (payload + gsoSize - 1) / gsoSize, cut,
            () -> "segments of a GSO frame of " + frame.length + " bytes, gso_size " + gsoSize + " (" + cut + ")");
        for (int i = 0; i < segments.size(); i++)
        {
            final byte[] segment = segments.get(i);
            if (count > 1)
            {
                final byte[] original = accepted.get(first + i).frame().clone();
                for (final byte[] bytes : new byte[][] {segment, original})
                {
                    final UnsafeBuffer writable = new UnsafeBuffer(bytes);
                    if (ipv4)
                    {
                        writable.putShort(ETHERNET + 4, (short)0);
                        writable.putShort(ETHERNET + 10, (short)0);
                    }
                    writable.putShort(l4 + TCP_CHECKSUM, (short)0);
                }
                final int index = i;
                assertArrayEquals(original, segment, () -> "segment " + index + " back as it went in");
            }
            else
            {
                assertTrue(segment.length - ETHERNET <= MTU, "a segment of a large frame within the MTU");
            }
        }
    }

    /**
     * Makes every inner IPv4 or IPv6 frame of the message's datagrams consistent: IP lengths from the frame's, IPv4
     * header checksum, TCP or UDP checksum.
     */
    private void repair(final int length, final int segmentSize)
    {
        final int size = 0 == segmentSize ? Math.max(length, 1) : segmentSize;
        for (int offset = 0; offset < length; offset += size)
        {
            final int inner = offset + VxlanFlyweight.LENGTH;
            final int frame = Math.min(size, length - offset) - VxlanFlyweight.LENGTH;
            if (frame < ETHERNET + IPV4 + 8)
            {
                continue;
            }
            final int etherType = message.getShort(inner + 12, BIG_ENDIAN) & 0xFFFF;
            final int ip = inner + ETHERNET;
            final int protocol;
            final int l4;
            final long pseudoHeader;
            if (ETHER_TYPE_IPV4 == etherType && 0x45 == message.getByte(ip))
            {
                message.putShort(ip + 2, (short)(frame - ETHERNET), BIG_ENDIAN);
                message.putShort(ip + 10, (short)0);
                message.putShort(ip + 10, (short)Checksums.checksum(message, ip, IPV4), BIG_ENDIAN);
                protocol = message.getByte(ip + 9) & 0xFF;
                l4 = ip + IPV4;
                pseudoHeader = Checksums.ipv4PseudoHeaderSum(message.getInt(ip + 12, BIG_ENDIAN),
                    message.getInt(ip + 16, BIG_ENDIAN), protocol, inner + frame - l4);
            }
            else if (ETHER_TYPE_IPV6 == etherType && frame >= ETHERNET + IPV6 + 8)
            {
                message.putShort(ip + 4, (short)(frame - ETHERNET - IPV6), BIG_ENDIAN);
                protocol = message.getByte(ip + 6) & 0xFF;
                l4 = ip + IPV6;
                pseudoHeader = Checksums.ipv6PseudoHeaderSum(message.getLong(ip + 8, BIG_ENDIAN),
                    message.getLong(ip + 16, BIG_ENDIAN), message.getLong(ip + 24, BIG_ENDIAN),
                    message.getLong(ip + 32, BIG_ENDIAN), protocol, inner + frame - l4);
            }
            else
            {
                continue;
            }
            final int l4Length = inner + frame - l4;
            final int field = TcpFlyweight.PROTOCOL == protocol && l4Length >= 20 ? l4 + TCP_CHECKSUM :
                17 == protocol ? l4 + 6 : -1;
            if (field >= 0)
            {
                message.putShort(field, (short)0);
                final int checksum = Checksums.finish(pseudoHeader + Checksums.sum(message, l4, l4Length));
                message.putShort(field, (short)(0 == checksum && 17 == protocol ? 0xFFFF : checksum), BIG_ENDIAN);
            }
        }
    }

    private static long[] drops(final PortCounters counters)
    {
        final long[] drops = new long[DropReason.values().length];
        for (final DropReason reason : DropReason.values())
        {
            drops[reason.ordinal()] = counters.drops(reason);
        }
        return drops;
    }

    private static int u16(final byte[] input, final int at)
    {
        return (input[at] & 0xFF) << 8 | input[at + 1] & 0xFF;
    }
}
