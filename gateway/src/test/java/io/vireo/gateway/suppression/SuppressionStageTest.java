package io.vireo.gateway.suppression;

import java.util.Random;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.Destination;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.PortCounters;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stage over crafted frames, written byte by byte: host 10.66.0.1 / fd00::1 (02:77:00:00:00:01) on
 * port 3 of bridge 1 asks for endpoint 10.66.0.2 / fd00::2 (02:77:00:00:00:02), which the table has.
 */
class SuppressionStageTest
{
    private static final int BRIDGE = 1;
    private static final int PORT = 3;
    private static final long HOST_MAC = 0x0277_0000_0001L;
    private static final long ENDPOINT_MAC = 0x0277_0000_0002L;
    private static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    private static final int HOST_IP = 0x0A42_0001;
    private static final int ENDPOINT_IP = 0x0A42_0002;
    private static final int UNKNOWN_IP = 0x0A42_0009;
    private static final long ULA_HIGH = 0xFD00_0000_0000_0000L;
    private static final long SOLICITED_NODE_HIGH = 0xFF02_0000_0000_0000L;
    private static final long SOLICITED_NODE_LOW = 0x0000_0001_FF00_0002L;
    private static final long SOLICITED_NODE_MAC = 0x3333_FF00_0002L;
    private static final byte[] SOURCE_OPTION = {1, 1, 2, 0x77, 0, 0, 0, 1};

    private final SuppressionTable table = new SuppressionTable(16);
    private final SuppressionStage stage = new SuppressionStage(table);
    private final FrameBurst frames = new FrameBurst(32, 2048, 128);
    private final BurstContext burst = new BurstContext(frames);
    private final CountersManager manager = new CountersManager(
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.METADATA_LENGTH, 64)),
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.COUNTER_LENGTH, 64)));
    private final PortCounters counters = new PortCounters(manager, "a");
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[2048]);

    SuppressionStageTest()
    {
        table.putIpv4(BRIDGE, ENDPOINT_IP, ENDPOINT_MAC);
        table.putIpv6(BRIDGE, ULA_HIGH, 2, ENDPOINT_MAC);
    }

    @AfterEach
    void close()
    {
        table.close();
    }

    @Test
    void runsOnBridgesWithItsFeature()
    {
        assertEquals(Features.SUPPRESSION, stage.features());
    }

    @Test
    void anArpRequestForAKnownAddressIsAnsweredBackOutOfItsPort()
    {
        final int frame = add(arp(BROADCAST, 1, HOST_MAC, HOST_IP, ENDPOINT_IP), 0);

        run();

        assertEquals(Destination.of(PORT, FrameBurst.NO_PEER), burst.action(frame), "out of the ingress port alone");
        assertTrue(burst.isRouted(frame), "sent by the stage, not a hairpin");
        assertEquals(HOST_MAC, burst.destination(frame));
        final UnsafeBuffer out = frames.buffer();
        final int at = frames.frameOffset(frame);
        assertEquals(60, frames.frameLength(frame), "padded to the Ethernet minimum");
        assertEquals(HOST_MAC, mac(out, at), "eth dst: the requester");
        assertEquals(ENDPOINT_MAC, mac(out, at + 6), "eth src: the endpoint");
        assertEquals(2, out.getShort(at + 14 + 6, BIG_ENDIAN), "a reply");
        assertEquals(ENDPOINT_MAC, mac(out, at + 14 + 8));
        assertEquals(ENDPOINT_IP, out.getInt(at + 14 + 14, BIG_ENDIAN));
        assertEquals(HOST_MAC, mac(out, at + 14 + 18));
        assertEquals(HOST_IP, out.getInt(at + 14 + 24, BIG_ENDIAN));
        assertEquals(1, counters.suppressed(), "counted as answered");
        assertEquals(0, drops(), "not as a drop");
    }

    @Test
    void aSolicitationForAKnownAddressGetsASolicitedOverridingAdvertisementFromAHost()
    {
        final int frame = add(solicitation(SOLICITED_NODE_MAC, 0xFE80_0000_0000_0000L, 1, 2, SOURCE_OPTION, 255), 0);

        run();

        assertEquals(Destination.of(PORT, FrameBurst.NO_PEER), burst.action(frame));
        final UnsafeBuffer out = frames.buffer();
        final int at = frames.frameOffset(frame);
        assertEquals(86, frames.frameLength(frame));
        assertEquals(HOST_MAC, mac(out, at));
        assertEquals(ENDPOINT_MAC, mac(out, at + 6));
        final int ip = at + 14;
        assertEquals(ULA_HIGH, out.getLong(ip + 8, BIG_ENDIAN), "from the target");
        assertEquals(2, out.getLong(ip + 16, BIG_ENDIAN));
        assertEquals(0xFE80_0000_0000_0000L, out.getLong(ip + 24, BIG_ENDIAN), "to the solicitation's source");
        assertEquals(1, out.getLong(ip + 32, BIG_ENDIAN));
        assertEquals(255, out.getByte(ip + 7) & 0xFF, "hop limit");
        final int icmp = ip + 40;
        assertEquals(136, out.getByte(icmp) & 0xFF);
        assertEquals(0x60, out.getByte(icmp + 4) & 0xFF, "Solicited and Override; not Router");
        assertEquals(2, out.getLong(icmp + 16, BIG_ENDIAN), "target");
        assertEquals(2, out.getByte(icmp + 24), "target link-layer address option");
        assertEquals(ENDPOINT_MAC, mac(out, icmp + 26));
        final long sum = Checksums.ipv6PseudoHeaderSum(ULA_HIGH, 2, 0xFE80_0000_0000_0000L, 1, 58, 32) + Checksums.sum(out, icmp, 32);
        assertEquals(0, Checksums.finish(sum), "ICMPv6 checksum");
        assertEquals(1, counters.suppressed());
    }

    @Test
    void whatTheTableCannotAnswerForGoesOnUntouched()
    {
        final int unknown = add(arp(BROADCAST, 1, HOST_MAC, HOST_IP, UNKNOWN_IP), 0);
        final int gratuitous = add(arp(BROADCAST, 1, HOST_MAC, ENDPOINT_IP, ENDPOINT_IP), 0);
        final int probe = add(arp(BROADCAST, 1, HOST_MAC, 0, ENDPOINT_IP), 0);
        final int reply = add(arp(BROADCAST, 2, HOST_MAC, HOST_IP, ENDPOINT_IP), 0);
        final int unicast = add(arp(ENDPOINT_MAC, 1, HOST_MAC, HOST_IP, ENDPOINT_IP), 0);
        final int tagged = add(arp(BROADCAST, 1, HOST_MAC, HOST_IP, ENDPOINT_IP), 7);
        final int fromItself = addFrom(arp(BROADCAST, 1, ENDPOINT_MAC, HOST_IP, ENDPOINT_IP), ENDPOINT_MAC);
        final int fromAPeer = add(arp(BROADCAST, 1, HOST_MAC, HOST_IP, ENDPOINT_IP), 0);
        frames.peer(fromAPeer, 5);
        final int duplicateAddressDetection = add(solicitation(SOLICITED_NODE_MAC, 0, 0, 2, new byte[0], 255), 0);
        final int fromTheTarget = add(solicitation(SOLICITED_NODE_MAC, ULA_HIGH, 2, 2, SOURCE_OPTION, 255), 0);
        final int unknownTarget = add(solicitation(SOLICITED_NODE_MAC, ULA_HIGH, 1, 9, SOURCE_OPTION, 255), 0);
        final int unknownAndInvalid = add(solicitation(SOLICITED_NODE_MAC, ULA_HIGH, 1, 9, SOURCE_OPTION, 64), 0);
        final byte[][] before = copies();

        run();

        for (final int frame : new int[] {unknown, gratuitous, probe, reply, unicast, tagged, fromItself, fromAPeer,
            duplicateAddressDetection, fromTheTarget, unknownTarget, unknownAndInvalid})
        {
            assertEquals(BurstContext.UNDECIDED, burst.action(frame), "frame " + frame);
            assertFalse(burst.isRouted(frame));
            assertEquals(before[frame].length, frames.frameLength(frame));
            final byte[] now = new byte[before[frame].length];
            frames.buffer().getBytes(frames.frameOffset(frame), now);
            assertEquals(java.util.HexFormat.of().formatHex(before[frame]), java.util.HexFormat.of().formatHex(now), "frame " + frame);
        }
        assertEquals(0, counters.suppressed());
        assertEquals(0, drops());
    }

    @Test
    void truncatedAndMalformedRequestsAreDroppedAndCountedNotAnswered()
    {
        final int shortArp = add(slice(arp(BROADCAST, 1, HOST_MAC, HOST_IP, ENDPOINT_IP), 30), 0);
        final byte[] tokenRing = arp(BROADCAST, 1, HOST_MAC, HOST_IP, ENDPOINT_IP);
        tokenRing[15] = 6;
        final int notEthernet = add(tokenRing, 0);
        final byte[] groupSender = arp(BROADCAST, 1, HOST_MAC | 0x0100_0000_0000L, HOST_IP, ENDPOINT_IP);
        final int fromAGroup = add(groupSender, 0);
        final int shortSolicitation = add(slice(solicitation(SOLICITED_NODE_MAC, ULA_HIGH, 1, 2, SOURCE_OPTION, 255), 14 + 40 + 10), 0);
        final byte[] lying = solicitation(SOLICITED_NODE_MAC, ULA_HIGH, 1, 2, SOURCE_OPTION, 255);
        lying[18] = (byte)0x7F;   // payload length 0x7F20: more than the frame has
        final int lyingLength = add(lying, 0);
        final int hopLimit = add(solicitation(SOLICITED_NODE_MAC, ULA_HIGH, 1, 2, SOURCE_OPTION, 64), 0);
        final byte[] badChecksum = solicitation(SOLICITED_NODE_MAC, ULA_HIGH, 1, 2, SOURCE_OPTION, 255);
        badChecksum[14 + 40 + 2] ^= 1;
        final int checksum = add(badChecksum, 0);
        final int zeroOption = add(solicitation(SOLICITED_NODE_MAC, ULA_HIGH, 1, 2, new byte[] {1, 0, 0, 0, 0, 0, 0, 0}, 255), 0);

        run();

        for (final int frame : new int[] {shortArp, notEthernet, fromAGroup, shortSolicitation, lyingLength, hopLimit, checksum, zeroOption})
        {
            assertTrue(burst.isDropped(frame), "frame " + frame);
        }
        assertEquals(8, counters.drops(DropReason.BAD_NEIGHBOUR_REQUEST));
        assertEquals(0, counters.suppressed());
    }

    @Test
    void framesAnEarlierStageDroppedAreLeftAlone()
    {
        final int frame = add(arp(BROADCAST, 1, HOST_MAC, HOST_IP, ENDPOINT_IP), 0);
        burst.begin(PORT, BRIDGE, counters, 1_000);
        burst.addresses(frame, 0, HOST_MAC, BROADCAST);
        burst.drop(frame, DropReason.POLICY);

        stage.process(burst);

        assertTrue(burst.isDropped(frame));
        assertEquals(0, counters.suppressed());
    }

    /** Random bytes behind an ARP or IPv6 header to a group address, of every length: no exception, each frame's fate one of three. */
    @Test
    void garbageNeverThrowsAndEachFrameGoesOnIsAnsweredOrIsDropped()
    {
        final Random random = new Random(16);
        int answeredInAll = 0;
        int droppedInAll = 0;
        for (int round = 0; round < 2_000; round++)
        {
            frames.clear();
            final int count = 1 + random.nextInt(frames.capacity());
            for (int i = 0; i < count; i++)
            {
                final byte[] frame = new byte[14 + random.nextInt(120)];
                random.nextBytes(frame);
                putMac(frame, 0, random.nextBoolean() ? BROADCAST : SOLICITED_NODE_MAC);
                putMac(frame, 6, HOST_MAC);
                final boolean isArp = random.nextBoolean();
                frame[12] = (byte)(isArp ? 0x08 : 0x86);
                frame[13] = (byte)(isArp ? 0x06 : 0xDD);
                if (frame.length > 20 && !isArp)
                {
                    frame[14] = 0x60;
                    frame[20] = 58;
                    frame[frame.length > 54 ? 54 : 20] = (byte)(frame.length > 54 ? 135 : 58);
                }
                if (frame.length > 41 && isArp)
                {
                    System.arraycopy(new byte[] {0, 1, 8, 0, 6, 4, 0, 1}, 0, frame, 14, 8);
                    frame[28 + random.nextInt(2)] = (byte)random.nextInt(3);
                    frame[38] = 10;
                    frame[39] = 66;
                    frame[40] = 0;
                    frame[41] = 2;
                }
                add(frame, 0);
            }
            final long answeredBefore = counters.suppressed();
            final long droppedBefore = counters.drops(DropReason.BAD_NEIGHBOUR_REQUEST);

            run();

            int answered = 0;
            int dropped = 0;
            for (int frame = 0; frame < count; frame++)
            {
                if (burst.isDropped(frame))
                {
                    dropped++;
                }
                else if (BurstContext.UNDECIDED != burst.action(frame))
                {
                    answered++;
                    assertEquals(Destination.of(PORT, FrameBurst.NO_PEER), burst.action(frame));
                }
            }
            assertEquals(answered, counters.suppressed() - answeredBefore);
            assertEquals(dropped, counters.drops(DropReason.BAD_NEIGHBOUR_REQUEST) - droppedBefore);
            answeredInAll += answered;
            droppedInAll += dropped;
        }
        assertTrue(answeredInAll > 0 && droppedInAll > 0, "all three fates came: " + answeredInAll + " answered, " +
            droppedInAll + " dropped");
    }

    // ---- frames ----

    private void run()
    {
        burst.begin(PORT, BRIDGE, counters, 1_000);
        for (int frame = 0; frame < frames.size(); frame++)
        {
            final UnsafeBuffer buffer = frames.buffer();
            final int at = frames.frameOffset(frame);
            final int vlan = (buffer.getShort(at + 12, BIG_ENDIAN) & 0xFFFF) == 0x8100 ? buffer.getShort(at + 14, BIG_ENDIAN) & 0xFFF : 0;
            burst.addresses(frame, vlan, sources[frame], mac(buffer, at));
        }
        stage.process(burst);
    }

    private final long[] sources = new long[32];

    private int add(final byte[] frame, final int vlan)
    {
        final byte[] tagged = 0 == vlan ? frame : tag(frame, vlan);
        return addFrom(tagged, mac(new UnsafeBuffer(tagged), 6));
    }

    private int addFrom(final byte[] frame, final long source)
    {
        final int index = frames.size();
        frames.clearNextNetHeader();
        frames.buffer().putBytes(frames.nextFrameOffset(), frame);
        frames.commit(frame.length);
        sources[index] = source;
        return index;
    }

    private byte[][] copies()
    {
        final byte[][] copies = new byte[frames.size()][];
        for (int frame = 0; frame < frames.size(); frame++)
        {
            copies[frame] = new byte[frames.frameLength(frame)];
            frames.buffer().getBytes(frames.frameOffset(frame), copies[frame]);
        }
        return copies;
    }

    private long drops()
    {
        long sum = 0;
        for (final DropReason reason : DropReason.values())
        {
            sum += counters.drops(reason);
        }
        return sum;
    }

    /** An Ethernet/IPv4 ARP message, unpadded (42 bytes). */
    private static byte[] arp(final long destination, final int operation, final long senderMac, final int senderIp, final int targetIp)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[42]);
        putMac(frame.byteArray(), 0, destination);
        putMac(frame.byteArray(), 6, senderMac & 0xFFFF_FFFF_FFFFL);
        frame.putShort(12, (short)0x0806, BIG_ENDIAN);
        frame.putShort(14, (short)1, BIG_ENDIAN);
        frame.putShort(16, (short)0x0800, BIG_ENDIAN);
        frame.putByte(18, (byte)6);
        frame.putByte(19, (byte)4);
        frame.putShort(20, (short)operation, BIG_ENDIAN);
        putMac(frame.byteArray(), 22, senderMac);
        frame.putInt(28, senderIp, BIG_ENDIAN);
        frame.putInt(38, targetIp, BIG_ENDIAN);
        return frame.byteArray();
    }

    /** A neighbour solicitation from {@code sourceHigh/Low} for fd00::{@code targetLow}, to its solicited-node address. */
    private static byte[] solicitation(
        final long destinationMac, final long sourceHigh, final long sourceLow, final long targetLow, final byte[] options,
        final int hopLimit)
    {
        final int icmpLength = 24 + options.length;
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[14 + 40 + icmpLength]);
        putMac(frame.byteArray(), 0, destinationMac);
        putMac(frame.byteArray(), 6, HOST_MAC);
        frame.putShort(12, (short)0x86DD, BIG_ENDIAN);
        frame.putInt(14, 0x6000_0000, BIG_ENDIAN);
        frame.putShort(18, (short)icmpLength, BIG_ENDIAN);
        frame.putByte(20, (byte)58);
        frame.putByte(21, (byte)hopLimit);
        frame.putLong(22, sourceHigh, BIG_ENDIAN);
        frame.putLong(30, sourceLow, BIG_ENDIAN);
        frame.putLong(38, SOLICITED_NODE_HIGH, BIG_ENDIAN);
        frame.putLong(46, SOLICITED_NODE_LOW, BIG_ENDIAN);
        frame.putByte(54, (byte)135);
        frame.putLong(62, ULA_HIGH, BIG_ENDIAN);
        frame.putLong(70, targetLow, BIG_ENDIAN);
        frame.putBytes(78, options);
        final long sum = Checksums.ipv6PseudoHeaderSum(sourceHigh, sourceLow, SOLICITED_NODE_HIGH, SOLICITED_NODE_LOW, 58, icmpLength) +
            Checksums.sum(frame, 54, icmpLength);
        frame.putShort(56, (short)Checksums.finish(sum), BIG_ENDIAN);
        return frame.byteArray();
    }

    private static byte[] tag(final byte[] frame, final int vlan)
    {
        final byte[] tagged = new byte[frame.length + 4];
        System.arraycopy(frame, 0, tagged, 0, 12);
        tagged[12] = (byte)0x81;
        tagged[14] = (byte)(vlan >>> 8);
        tagged[15] = (byte)vlan;
        System.arraycopy(frame, 12, tagged, 16, frame.length - 12);
        return tagged;
    }

    private static byte[] slice(final byte[] frame, final int length)
    {
        return java.util.Arrays.copyOf(frame, length);
    }

    private static void putMac(final byte[] frame, final int at, final long mac)
    {
        for (int i = 0; i < 6; i++)
        {
            frame[at + i] = (byte)(mac >>> (40 - 8 * i));
        }
    }

    private static long mac(final UnsafeBuffer buffer, final int at)
    {
        long mac = 0;
        for (int i = 0; i < 6; i++)
        {
            mac = mac << 8 | (buffer.getByte(at + i) & 0xFF);
        }
        return mac;
    }
}
