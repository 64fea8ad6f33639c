package io.vireo.dataplane.offload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_ECN;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_TCPV4;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_TCPV6;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_UDP_L4;

/**
 * A GSO frame as a port hands it over: the 12-byte virtio-net header and the Ethernet frame, built
 * the way Linux builds them (partial pseudo-header checksum over the whole length with
 * {@code NEEDS_CSUM}) or read from the captured files under {@code offload/}.
 */
record GsoFrame(byte[] header, byte[] frame)
{
    /** Frames are placed at this odd index, with nothing after them, so an over-read fails Agrona's bounds check. */
    static final int OFFSET = 3;

    static final long SOURCE_MAC = 0x0200_0000_0001L;
    static final long DESTINATION_MAC = 0x0200_0000_0002L;

    /** @return a copy of the frame in a buffer that ends where the frame ends. */
    UnsafeBuffer buffer()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + frame.length]);
        buffer.putBytes(OFFSET, frame);
        return buffer;
    }

    /** @return a flyweight over a copy of the virtio-net header. */
    VirtioNetHeaderFlyweight netHeader()
    {
        return new VirtioNetHeaderFlyweight().wrap(new UnsafeBuffer(header.clone()), 0, header.length);
    }

    /** @return this frame with one byte of the header or frame replaced. */
    GsoFrame withHeaderByte(final int index, final int value)
    {
        final byte[] changed = header.clone();
        changed[index] = (byte)value;
        return new GsoFrame(changed, frame);
    }

    GsoFrame withFrameByte(final int index, final int value)
    {
        final byte[] changed = frame.clone();
        changed[index] = (byte)value;
        return new GsoFrame(header, changed);
    }

    GsoFrame withFrameLength(final int length)
    {
        return new GsoFrame(header, Arrays.copyOf(frame, length));
    }

    /** @return the virtio-net header and the frame, as read from or written to a TAP with IFF_VNET_HDR. */
    byte[] withHeader()
    {
        final byte[] bytes = Arrays.copyOf(header, header.length + frame.length);
        System.arraycopy(frame, 0, bytes, header.length, frame.length);
        return bytes;
    }

    /** A frame captured from the kernel and the segments its software GSO made of it. */
    record Captured(GsoFrame gso, List<byte[]> kernelSegments)
    {
    }

    /** @param name of a file under {@code offload/} written by {@code capture.py}. */
    static Captured captured(final String name)
    {
        try (InputStream in = GsoFrame.class.getResourceAsStream("/offload/" + name))
        {
            GsoFrame gso = null;
            final List<byte[]> segments = new ArrayList<>();
            for (final String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n"))
            {
                if (line.startsWith("gso "))
                {
                    final byte[] bytes = HexFormat.of().parseHex(line.substring(4).trim());
                    gso = new GsoFrame(Arrays.copyOf(bytes, VirtioNetHeaderFlyweight.LENGTH),
                        Arrays.copyOfRange(bytes, VirtioNetHeaderFlyweight.LENGTH, bytes.length));
                }
                else if (line.startsWith("segment "))
                {
                    segments.add(HexFormat.of().parseHex(line.substring(8).trim()));
                }
            }
            return new Captured(gso, segments);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A valid GSO frame of random kind, tags, options, flags and sizes, of at most {@code maxPayload} payload bytes. */
    static GsoFrame random(final Random random, final int maxPayload)
    {
        final int kind = random.nextInt(4);
        final Builder builder = kind == 0 ? tcp4() : kind == 1 ? tcp6() : kind == 2 ? udp4() : udp6();
        for (int tags = random.nextInt(3); tags > 0; tags--)
        {
            builder.vlan(random.nextBoolean() ? 0x8100 : 0x88A8, random.nextInt(0x10000));
        }
        if (kind == 0 || kind == 2)
        {
            builder.ipOptions(random.nextBoolean() ? "" : "01".repeat(4 * random.nextInt(11)));
        }
        builder.tcpOptions("01".repeat(4 * random.nextInt(11)))
            .tcpFlags(random.nextInt(256) & ~(TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_RST))
            .sequence(random.nextInt())
            .identification(random.nextInt(0x10000))
            .trafficClass(random.nextInt(256));
        if (random.nextBoolean() && kind < 2)
        {
            builder.ecn();
        }
        if (random.nextInt(8) == 0)
        {
            builder.noChecksumOffload();
        }
        final int payload = random.nextInt(maxPayload + 1);
        final int minimumGsoSize = (payload + SoftwareOffload.DEFAULT_MAX_SEGMENTS - 1) / SoftwareOffload.DEFAULT_MAX_SEGMENTS;
        return builder.payload(payload, random.nextInt()).gsoSize(Math.max(minimumGsoSize, 1 + random.nextInt(9000))).build();
    }

    static Builder tcp4()
    {
        return new Builder(GSO_TCPV4, false, 6);
    }

    static Builder tcp6()
    {
        return new Builder(GSO_TCPV6, true, 6);
    }

    static Builder udp4()
    {
        return new Builder(GSO_UDP_L4, false, 17);
    }

    static Builder udp6()
    {
        return new Builder(GSO_UDP_L4, true, 17);
    }

    /** Builds a GSO frame field by field; defaults are those of a bulk TCP or UDP send on Linux. */
    static final class Builder
    {
        private final int gsoType;
        private final boolean ipv6;
        private final int protocol;
        private final List<int[]> vlanTags = new ArrayList<>();
        private byte[] ipOptions = new byte[0];
        private byte[] tcpOptions = HexFormat.of().parseHex("0101080a0001e2400000abcd");
        private int tcpFlags = 0x18;
        private int sequence = 0x1000_0000;
        private int identification = 0x1234;
        private int trafficClass = 0x02;
        private int flowLabel = 0x5_6789;
        private int payloadLength = 10_000;
        private int payloadSeed = 1;
        private int gsoSize = 1448;
        private boolean ecn;
        private boolean needsChecksum = true;

        private Builder(final int gsoType, final boolean ipv6, final int protocol)
        {
            this.gsoType = gsoType;
            this.ipv6 = ipv6;
            this.protocol = protocol;
        }

        /** Add a VLAN tag after the MAC addresses (the first call makes the outer tag). */
        Builder vlan(final int tpid, final int tci)
        {
            vlanTags.add(new int[] {tpid, tci});
            return this;
        }

        Builder ipOptions(final String hex)
        {
            ipOptions = HexFormat.of().parseHex(hex);
            return this;
        }

        Builder tcpOptions(final String hex)
        {
            tcpOptions = HexFormat.of().parseHex(hex);
            return this;
        }

        Builder tcpFlags(final int flags)
        {
            tcpFlags = flags;
            return this;
        }

        Builder sequence(final int sequence)
        {
            this.sequence = sequence;
            return this;
        }

        Builder identification(final int identification)
        {
            this.identification = identification;
            return this;
        }

        /** IPv4 TOS or IPv6 traffic class: DSCP and ECN. */
        Builder trafficClass(final int trafficClass)
        {
            this.trafficClass = trafficClass;
            return this;
        }

        Builder payload(final int length, final int seed)
        {
            payloadLength = length;
            payloadSeed = seed;
            return this;
        }

        Builder gsoSize(final int gsoSize)
        {
            this.gsoSize = gsoSize;
            return this;
        }

        /** Set the ECN bit of the GSO type: the sender may have set CWR. */
        Builder ecn()
        {
            ecn = true;
            return this;
        }

        /** Leave NEEDS_CSUM off and garbage in the L4 checksum field. */
        Builder noChecksumOffload()
        {
            needsChecksum = false;
            return this;
        }

        GsoFrame build()
        {
            final boolean tcp = 6 == protocol;
            final int ethLength = 14 + 4 * vlanTags.size();
            final int ipLength = ipv6 ? 40 : 20 + ipOptions.length;
            final int l4HeaderLength = tcp ? 20 + tcpOptions.length : 8;
            final int l4Length = l4HeaderLength + payloadLength;
            final ByteBuffer frame = ByteBuffer.allocate(ethLength + ipLength + l4Length);

            frame.putShort((short)(DESTINATION_MAC >>> 32)).putInt((int)DESTINATION_MAC);
            frame.putShort((short)(SOURCE_MAC >>> 32)).putInt((int)SOURCE_MAC);
            for (final int[] tag : vlanTags)
            {
                frame.putShort((short)tag[0]).putShort((short)tag[1]);
            }
            frame.putShort((short)(ipv6 ? 0x86DD : 0x0800));

            final int ipStart = frame.position();
            final byte[] source;
            final byte[] destination;
            if (ipv6)
            {
                source = HexFormat.of().parseHex("fd000000000000000000000000000001");
                destination = HexFormat.of().parseHex("fd000000000000000000000000000002");
                frame.putInt(6 << 28 | trafficClass << 20 | flowLabel).putShort((short)l4Length)
                    .put((byte)protocol).put((byte)64).put(source).put(destination);
            }
            else
            {
                source = new byte[] {10, 0, 0, 1};
                destination = new byte[] {10, 0, 0, 2};
                frame.put((byte)(0x40 | ipLength / 4)).put((byte)trafficClass).putShort((short)(ipLength + l4Length))
                    .putShort((short)identification).putShort((short)0x4000).put((byte)64).put((byte)protocol)
                    .putShort((short)0).put(source).put(destination).put(ipOptions);
                final byte[] ipHeader = Arrays.copyOfRange(frame.array(), ipStart, ipStart + ipLength);
                frame.putShort(ipStart + 10, (short)Reference.checksum(ipHeader));
            }

            final int l4Start = frame.position();
            if (tcp)
            {
                frame.putShort((short)40000).putShort((short)5201).putInt(sequence).putInt(0x2000_0000)
                    .put((byte)(l4HeaderLength / 4 << 4)).put((byte)tcpFlags).putShort((short)502)
                    .putShort((short)0).putShort((short)0).put(tcpOptions);
            }
            else
            {
                frame.putShort((short)40000).putShort((short)4789).putShort((short)l4Length).putShort((short)0);
            }
            for (int i = 0; i < payloadLength; i++)
            {
                frame.put((byte)(i * payloadSeed + (i >>> 8) * 31));
            }

            final int checksumField = l4Start + (tcp ? 16 : 6);
            final long pseudoHeader = Reference.pseudoHeaderSum(source, destination, protocol, l4Length);
            // As Linux leaves it: the folded pseudo-header sum, not complemented; else something stale.
            frame.putShort(checksumField, (short)(needsChecksum ? Reference.fold(pseudoHeader) : 0xBEEF));

            final ByteBuffer header = ByteBuffer.allocate(VirtioNetHeaderFlyweight.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            header.put((byte)(needsChecksum ? FLAG_NEEDS_CSUM : 0)).put((byte)(gsoType | (ecn ? GSO_ECN : 0)))
                .putShort((short)(l4Start + l4HeaderLength)).putShort((short)gsoSize)
                .putShort((short)(needsChecksum ? l4Start : 0)).putShort((short)(needsChecksum ? checksumField - l4Start : 0))
                .putShort((short)0);
            return new GsoFrame(header.array(), frame.array());
        }
    }
}
