package io.vireo.gateway.answer;

import io.vireo.dataplane.headers.Checksums;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.gateway.answer.Frames.ALL_NODES_HIGH;
import static io.vireo.gateway.answer.Frames.FAR_HIGH;
import static io.vireo.gateway.answer.Frames.FAR_IP;
import static io.vireo.gateway.answer.Frames.FAR_LOW;
import static io.vireo.gateway.answer.Frames.HOST_IP;
import static io.vireo.gateway.answer.Frames.HOST_LOW;
import static io.vireo.gateway.answer.Frames.HOST_MAC;
import static io.vireo.gateway.answer.Frames.ROUTER_IP;
import static io.vireo.gateway.answer.Frames.ROUTER_LOW;
import static io.vireo.gateway.answer.Frames.ROUTER_MAC;
import static io.vireo.gateway.answer.Frames.ULA_HIGH;
import static io.vireo.gateway.answer.Frames.ipv4HeaderChecksum;
import static io.vireo.gateway.answer.Frames.icmpChecksum;
import static io.vireo.gateway.answer.Frames.icmpv6MessageChecksum;
import static io.vireo.gateway.answer.Frames.mac;
import static io.vireo.gateway.answer.RouterAnswers.NONE;
import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RouterAnswersTest
{
    private static final int OFFSET = 64;
    private static final int CAPACITY = 2048;
    private static final int IP = OFFSET + 14;
    private static final int ICMP = IP + 20;
    private static final int ICMPV6 = IP + 40;
    private static final long LINK_LOCAL_HIGH = 0xFE80_0000_0000_0000L;
    private static final long SOLICITED_NODE_LOW = 0x0000_0001_FF00_00FEL;
    private static final long SOLICITED_NODE_MAC = 0x3333_FF00_00FEL;
    private static final byte[] SOURCE_LINK_LAYER_OPTION = {1, 1, 2, 0, 0, 0, 0, 1};

    private final RouterAnswers answers = new RouterAnswers();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + CAPACITY]);
    private final UnsafeBuffer original = new UnsafeBuffer(new byte[OFFSET + CAPACITY]);

    @BeforeEach
    void fillWithGarbage()
    {
        buffer.setMemory(0, buffer.capacity(), (byte)0x5A);
    }

    @Test
    void aSynToARefusedServiceIsAnsweredWithAResetAndAnAckWithARstOfItsAckNumber()
    {
        // A SYN with 4 bytes of options and 6 of data: the reset acknowledges SEQ + 1 (SYN) + 6.
        final int length = Frames.ipv4(buffer, OFFSET, Frames.HOST_IP, Frames.FAR_IP, 6, 30, 0, 0);
        buffer.putShort(ICMP, (short)40_000, BIG_ENDIAN);
        buffer.putShort(ICMP + 2, (short)80, BIG_ENDIAN);
        buffer.putInt(ICMP + 4, 0x1000_0000, BIG_ENDIAN);
        buffer.putByte(ICMP + 12, (byte)(6 << 4));
        buffer.putByte(ICMP + 13, (byte)0x02);
        assertEquals(60, answers.tcpReset(buffer, OFFSET, length, Frames.ROUTER_MAC));
        assertEquals(Frames.HOST_MAC, Frames.mac(buffer, OFFSET), "back to the sender");
        assertEquals(Frames.ROUTER_MAC, Frames.mac(buffer, OFFSET + 6));
        assertEquals(40, (int)buffer.getShort(IP + 2, BIG_ENDIAN), "no options, no data");
        assertEquals(Frames.FAR_IP, buffer.getInt(IP + 12, BIG_ENDIAN), "from the address the SYN went to");
        assertEquals(Frames.HOST_IP, buffer.getInt(IP + 16, BIG_ENDIAN));
        assertEquals(0, Frames.ipv4HeaderChecksum(buffer, OFFSET));
        assertEquals(80, (int)buffer.getShort(ICMP, BIG_ENDIAN));
        assertEquals(40_000, buffer.getShort(ICMP + 2, BIG_ENDIAN) & 0xFFFF);
        assertEquals(0, buffer.getInt(ICMP + 4, BIG_ENDIAN));
        assertEquals(0x1000_0007, buffer.getInt(ICMP + 8, BIG_ENDIAN));
        assertEquals(0x14, (int)buffer.getByte(ICMP + 13), "RST+ACK");
        assertEquals(0, Checksums.finish(Checksums.ipv4PseudoHeaderSum(Frames.FAR_IP, Frames.HOST_IP, 6, 20) +
            Checksums.sum(buffer, ICMP, 20)), "TCP checksum");

        final int ack = Frames.ipv4(buffer, OFFSET, Frames.HOST_IP, Frames.FAR_IP, 6, 20, 0, 0);
        buffer.putInt(ICMP + 8, 0x2000_0000, BIG_ENDIAN);
        buffer.putByte(ICMP + 12, (byte)(5 << 4));
        buffer.putByte(ICMP + 13, (byte)0x10);
        assertEquals(60, answers.tcpReset(buffer, OFFSET, ack, Frames.ROUTER_MAC));
        assertEquals(0x2000_0000, buffer.getInt(ICMP + 4, BIG_ENDIAN), "SEQ = the segment's ACK");
        assertEquals(0x04, (int)buffer.getByte(ICMP + 13), "RST alone");

        final int reset = Frames.ipv4(buffer, OFFSET, Frames.HOST_IP, Frames.FAR_IP, 6, 20, 0, 0);
        buffer.putByte(ICMP + 12, (byte)(5 << 4));
        buffer.putByte(ICMP + 13, (byte)0x04);
        assertEquals(RouterAnswers.NONE, answers.tcpReset(buffer, OFFSET, reset, Frames.ROUTER_MAC), "a reset is never answered");
        final int lying = Frames.ipv4(buffer, OFFSET, Frames.HOST_IP, Frames.FAR_IP, 6, 20, 0, 0);
        buffer.putByte(ICMP + 12, (byte)(6 << 4));
        assertEquals(RouterAnswers.NONE, answers.tcpReset(buffer, OFFSET, lying, Frames.ROUTER_MAC), "a data offset past the end");
    }

    @Test
    void anArpRequestGetsTheReplyFromTheRouterPadded()
    {
        final int length = Frames.arpRequest(buffer, OFFSET, ROUTER_IP);

        assertEquals(60, answers.arpReply(buffer, OFFSET, length, ROUTER_MAC));

        assertEquals(HOST_MAC, mac(buffer, OFFSET), "eth dst: the requester");
        assertEquals(ROUTER_MAC, mac(buffer, OFFSET + 6), "eth src: the router");
        assertEquals(0x0806, unsignedShort(OFFSET + 12));
        final int arp = OFFSET + 14;
        assertEquals(1, unsignedShort(arp), "hardware type");
        assertEquals(0x0800, unsignedShort(arp + 2), "protocol type");
        assertEquals(6, buffer.getByte(arp + 4));
        assertEquals(4, buffer.getByte(arp + 5));
        assertEquals(2, unsignedShort(arp + 6), "a reply");
        assertEquals(ROUTER_MAC, mac(buffer, arp + 8), "sha");
        assertEquals(ROUTER_IP, buffer.getInt(arp + 14, BIG_ENDIAN), "spa: the address asked about");
        assertEquals(HOST_MAC, mac(buffer, arp + 18), "tha");
        assertEquals(HOST_IP, buffer.getInt(arp + 24, BIG_ENDIAN), "tpa");
        assertZeros(OFFSET + 42, 18, "padding");
    }

    @Test
    void noArpReplyToWhatIsNotAValidRequest()
    {
        Frames.arpRequest(buffer, OFFSET, ROUTER_IP);
        assertEquals(NONE, answers.arpReply(buffer, OFFSET, 41, ROUTER_MAC), "a runt");
        assertEquals(NONE, answers.arpReply(buffer, OFFSET, 10, ROUTER_MAC), "a runt shorter than Ethernet");
        assertNoArpReplyWith(OFFSET + 14 + 6, 2, "a reply");
        assertNoArpReplyWith(OFFSET + 14 + 4, 0x0800, "hardware length 8");
        assertNoArpReplyWith(OFFSET + 14 + 2, 0x86DD, "not for IPv4");
        assertNoArpReplyWith(OFFSET + 14 + 8, 0x0300, "a group sender hardware address");
        assertNoArpReplyWith(OFFSET + 12, 0x0800, "not ARP");
    }

    @Test
    void anArpRequestIsBroadcastAndPadded()
    {
        assertEquals(60, answers.arpRequest(buffer, OFFSET, ROUTER_MAC, ROUTER_IP, HOST_IP));

        assertEquals(0xFFFF_FFFF_FFFFL, mac(buffer, OFFSET));
        assertEquals(ROUTER_MAC, mac(buffer, OFFSET + 6));
        assertEquals(0x0806, unsignedShort(OFFSET + 12));
        final int arp = OFFSET + 14;
        assertEquals(1, unsignedShort(arp));
        assertEquals(0x0800, unsignedShort(arp + 2));
        assertEquals(6, buffer.getByte(arp + 4));
        assertEquals(4, buffer.getByte(arp + 5));
        assertEquals(1, unsignedShort(arp + 6), "a request");
        assertEquals(ROUTER_MAC, mac(buffer, arp + 8));
        assertEquals(ROUTER_IP, buffer.getInt(arp + 14, BIG_ENDIAN));
        assertEquals(0, mac(buffer, arp + 18));
        assertEquals(HOST_IP, buffer.getInt(arp + 24, BIG_ENDIAN));
        assertZeros(OFFSET + 42, 18, "padding");
    }

    @Test
    void anIpv4EchoRequestGetsItsReplyPaddedWithoutTheRequestsPadding()
    {
        final int length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 8, 0, 4, 0);
        assertEquals(60, length, "46 bytes and padding");
        keepOriginal(length);

        assertEquals(60, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC));

        assertEchoReplyIpv4(12, 0);
        assertZeros(OFFSET + 46, 14, "padding");
    }

    @Test
    void anIpv4EchoRequestWithOptionsGetsAShorterReplyWithout()
    {
        final int length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 8, 0, 1000, 3);
        keepOriginal(length);

        assertEquals(length - 12, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC));

        assertEchoReplyIpv4(1008, 12);
    }

    @Test
    void anIpv6EchoRequestGetsItsReply()
    {
        final int length = Frames.icmpv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, ULA_HIGH, ROUTER_LOW, 3, 128, 0, 56);
        keepOriginal(length);

        assertEquals(length, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC));

        assertEquals(HOST_MAC, mac(buffer, OFFSET));
        assertEquals(ROUTER_MAC, mac(buffer, OFFSET + 6));
        assertEquals(0x86DD, unsignedShort(OFFSET + 12));
        assertEquals(0x60A0_0000, buffer.getInt(IP, BIG_ENDIAN), "version 6, the request's traffic class, flow label 0");
        assertEquals(64, unsignedShort(IP + 4));
        assertEquals(58, buffer.getByte(IP + 6));
        assertEquals(64, buffer.getByte(IP + 7), "hop limit");
        assertAddress(IP + 8, ULA_HIGH, ROUTER_LOW, "from the router");
        assertAddress(IP + 24, ULA_HIGH, HOST_LOW, "to the host");
        assertEquals(129, buffer.getByte(ICMPV6) & 0xFF, "echo reply");
        assertEquals(0, buffer.getByte(ICMPV6 + 1));
        assertSame(ICMPV6 + 4, ICMPV6 + 4, 60, "identifier, sequence and data as sent");
        assertEquals(0, icmpv6MessageChecksum(buffer, OFFSET), "ICMPv6 checksum with the pseudo-header");
    }

    @Test
    void noEchoReplyToWhatIsNotAValidEchoRequest()
    {
        int length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 8, 0, 32, 0);
        buffer.putByte(ICMP + 20, (byte)0);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "a bad ICMP checksum");
        length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 8, 0, 32, 0);
        buffer.putByte(IP + 8, (byte)9);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "a bad IP header checksum");
        length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 13, 0, 32, 0);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "a timestamp request");
        length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 0, 0, 32, 0);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "an echo reply");
        length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 8, 0, 32, 0);
        buffer.putShort(IP + 6, (short)0x2000, BIG_ENDIAN);
        Frames.ipv4Checksum(buffer, OFFSET);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "a first fragment");
        buffer.putShort(IP + 6, (short)0x0004, BIG_ENDIAN);
        Frames.ipv4Checksum(buffer, OFFSET);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "a later fragment");
        length = Frames.ipv4(buffer, OFFSET, HOST_IP, ROUTER_IP, 1, 4, 0, 0);
        buffer.putByte(ICMP, (byte)8);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "ICMP shorter than 8 bytes");
        length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 8, 0, 32, 0);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length - 1, ROUTER_MAC), "total length past the frame");
        buffer.putByte(IP, (byte)0x44);
        Frames.ipv4Checksum(buffer, OFFSET);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "IHL 4");
        buffer.putByte(IP, (byte)0x55);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "version 5");
        length = Frames.icmp(buffer, OFFSET, 0xE000_0001, 8, 0, 32, 0);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "to a multicast address");
        length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 8, 0, 32, 0);
        buffer.putInt(IP + 12, 0x7F00_0001, BIG_ENDIAN);
        Frames.ipv4Checksum(buffer, OFFSET);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "from loopback");
        length = Frames.icmp(buffer, OFFSET, ROUTER_IP, 8, 0, 32, 0);
        buffer.putByte(OFFSET + 6, (byte)0x03);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "from a group MAC");
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, 13, ROUTER_MAC), "a runt");
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, 30, ROUTER_MAC), "a runt");

        length = Frames.icmpv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, ULA_HIGH, ROUTER_LOW, 64, 128, 0, 8);
        buffer.putByte(ICMPV6 + 9, (byte)0x77);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "a bad ICMPv6 checksum");
        length = Frames.icmpv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, ALL_NODES_HIGH, 1, 64, 128, 0, 8);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "to a multicast address");
        length = Frames.icmpv6(buffer, OFFSET, 0, 0, ULA_HIGH, ROUTER_LOW, 64, 128, 0, 8);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "from ::");
        length = Frames.icmpv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, ULA_HIGH, ROUTER_LOW, 64, 128, 0, 8);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length - 1, ROUTER_MAC), "payload length past the frame");
        length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, ULA_HIGH, ROUTER_LOW, 58, 64, 4);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "ICMPv6 shorter than 8 bytes");
        length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, ULA_HIGH, ROUTER_LOW, 44, 64, 24);
        assertEquals(NONE, answers.echoReply(buffer, OFFSET, length, ROUTER_MAC), "a fragment");
    }

    @Test
    void aNeighbourSolicitationGetsASolicitedAdvertisement()
    {
        final int length = Frames.solicitation(
            buffer, OFFSET, LINK_LOCAL_HIGH, HOST_LOW, ALL_NODES_HIGH, SOLICITED_NODE_LOW, ULA_HIGH, ROUTER_LOW, SOURCE_LINK_LAYER_OPTION);
        assertEquals(86, length);

        assertEquals(86, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC));

        assertEquals(HOST_MAC, mac(buffer, OFFSET));
        assertEquals(ROUTER_MAC, mac(buffer, OFFSET + 6));
        assertEquals(0x86DD, unsignedShort(OFFSET + 12));
        assertAdvertisement(0xE0, LINK_LOCAL_HIGH, HOST_LOW);
    }

    @Test
    void answeringForAHostLeavesTheRouterFlagClear()
    {
        final int length = Frames.solicitation(
            buffer, OFFSET, LINK_LOCAL_HIGH, HOST_LOW, ALL_NODES_HIGH, SOLICITED_NODE_LOW, ULA_HIGH, ROUTER_LOW, SOURCE_LINK_LAYER_OPTION);

        assertEquals(86, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC, false));

        assertEquals(HOST_MAC, mac(buffer, OFFSET));
        assertEquals(ROUTER_MAC, mac(buffer, OFFSET + 6), "from the host's MAC, given");
        assertAdvertisement(0x60, LINK_LOCAL_HIGH, HOST_LOW);
    }

    @Test
    void aDuplicateAddressProbeGetsAnAdvertisementToAllNodes()
    {
        final int length = Frames.solicitation(buffer, OFFSET, 0, 0, ALL_NODES_HIGH, SOLICITED_NODE_LOW, ULA_HIGH, ROUTER_LOW, new byte[0]);

        assertEquals(86, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC));

        assertEquals(0x3333_0000_0001L, mac(buffer, OFFSET), "to all nodes");
        assertEquals(ROUTER_MAC, mac(buffer, OFFSET + 6));
        assertAdvertisement(0xA0, ALL_NODES_HIGH, 1);
    }

    @Test
    void noAdvertisementForWhatIsNotAValidSolicitation()
    {
        final byte[] lengthZero = {1, 0, 2, 0, 0, 0, 0, 1};
        final byte[] pastTheEnd = {1, 2, 2, 0, 0, 0, 0, 1};
        int length = solicitation(SOURCE_LINK_LAYER_OPTION);
        buffer.putByte(IP + 7, (byte)254);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "hop limit 254");
        length = solicitation(lengthZero);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "an option of length 0");
        length = solicitation(pastTheEnd);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "an option past the end");
        length = solicitation(new byte[] {1});
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "half an option header");
        length = solicitation(SOURCE_LINK_LAYER_OPTION);
        buffer.putByte(ICMPV6 + 30, (byte)0x7F);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "a bad checksum");
        length = solicitation(SOURCE_LINK_LAYER_OPTION);
        buffer.putByte(ICMPV6 + 1, (byte)1);
        Frames.icmpv6Checksum(buffer, OFFSET);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "code 1");
        length = Frames.solicitation(
            buffer, OFFSET, LINK_LOCAL_HIGH, HOST_LOW, ALL_NODES_HIGH, SOLICITED_NODE_LOW, ALL_NODES_HIGH, 1, new byte[0]);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "a multicast target");
        length = Frames.solicitation(
            buffer, OFFSET, 0, 0, ALL_NODES_HIGH, SOLICITED_NODE_LOW, ULA_HIGH, ROUTER_LOW, SOURCE_LINK_LAYER_OPTION);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "from :: with a link-layer address");
        length = Frames.solicitation(buffer, OFFSET, 0, 0, ULA_HIGH, ROUTER_LOW, ULA_HIGH, ROUTER_LOW, new byte[0]);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "from :: to a unicast address");
        length = Frames.solicitation(
            buffer, OFFSET, ALL_NODES_HIGH, 1, ALL_NODES_HIGH, SOLICITED_NODE_LOW, ULA_HIGH, ROUTER_LOW, new byte[0]);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "from a multicast address");
        length = Frames.icmpv6(buffer, OFFSET, LINK_LOCAL_HIGH, HOST_LOW, ALL_NODES_HIGH, SOLICITED_NODE_LOW, 255, 135, 0, 8);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "ICMPv6 of 16 bytes, less than 24");
        length = Frames.icmpv6(buffer, OFFSET, LINK_LOCAL_HIGH, HOST_LOW, ALL_NODES_HIGH, SOLICITED_NODE_LOW, 255, 136, 0, 16);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length, ROUTER_MAC), "an advertisement");
        length = solicitation(SOURCE_LINK_LAYER_OPTION);
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, length - 1, ROUTER_MAC), "payload length past the frame");
        assertEquals(NONE, answers.neighbourAdvertisement(buffer, OFFSET, 50, ROUTER_MAC), "a runt");
    }

    @Test
    void aNeighbourSolicitationGoesToTheSolicitedNodeAddress()
    {
        assertEquals(86, answers.neighbourSolicitation(buffer, OFFSET, ROUTER_MAC, LINK_LOCAL_HIGH, ROUTER_LOW, ULA_HIGH, 0x0A0B_0C0D_0E0F_1011L));

        assertEquals(0x3333_FF0F_1011L, mac(buffer, OFFSET), "33:33:ff and the target's last 24 bits");
        assertEquals(ROUTER_MAC, mac(buffer, OFFSET + 6));
        assertEquals(0x86DD, unsignedShort(OFFSET + 12));
        assertEquals(0x6000_0000, buffer.getInt(IP, BIG_ENDIAN));
        assertEquals(32, unsignedShort(IP + 4));
        assertEquals(58, buffer.getByte(IP + 6));
        assertEquals(255, buffer.getByte(IP + 7) & 0xFF);
        assertAddress(IP + 8, LINK_LOCAL_HIGH, ROUTER_LOW, "from the router");
        assertAddress(IP + 24, ALL_NODES_HIGH, 0x0000_0001_FF0F_1011L, "to ff02::1:ff0f:1011");
        assertEquals(135, buffer.getByte(ICMPV6) & 0xFF);
        assertEquals(0, buffer.getByte(ICMPV6 + 1));
        assertEquals(0, buffer.getInt(ICMPV6 + 4), "reserved");
        assertAddress(ICMPV6 + 8, ULA_HIGH, 0x0A0B_0C0D_0E0F_1011L, "target");
        assertEquals(1, buffer.getByte(ICMPV6 + 24), "source link-layer address option");
        assertEquals(1, buffer.getByte(ICMPV6 + 25));
        assertEquals(ROUTER_MAC, mac(buffer, ICMPV6 + 26));
        assertEquals(0, icmpv6MessageChecksum(buffer, OFFSET));

        assertEquals(78, answers.neighbourSolicitation(buffer, OFFSET, ROUTER_MAC, 0, 0, ULA_HIGH, ROUTER_LOW), "from ::, no option");
        assertEquals(SOLICITED_NODE_MAC, mac(buffer, OFFSET));
        assertEquals(24, unsignedShort(IP + 4));
        assertAddress(IP + 8, 0, 0, "from ::");
        assertEquals(0, icmpv6MessageChecksum(buffer, OFFSET));
    }

    @Test
    void anIpv4ErrorAboutAShortPacketIsLongerThanIt()
    {
        final int length = Frames.ipv4(buffer, OFFSET, HOST_IP, FAR_IP, 17, 12, 0, 0);
        assertEquals(60, length, "46 bytes and padding");
        keepOriginal(length);

        final int answer = answers.ipv4Error(
            buffer, OFFSET, length, CAPACITY, ROUTER_MAC, ROUTER_IP, RouterAnswers.ICMP_TIME_EXCEEDED, RouterAnswers.ICMP_TTL_EXCEEDED, 1400);

        assertEquals(14 + 20 + 8 + 32, answer, "quotes the whole packet, not the padding");
        assertIpv4Error(answer, 11, 0, 0);
    }

    @Test
    void anIpv4ErrorAboutALongPacketStopsAt576Bytes()
    {
        final int length = Frames.ipv4(buffer, OFFSET, HOST_IP, FAR_IP, 6, 1480, 0x4000, 0);
        keepOriginal(length);

        final int answer = answers.ipv4Error(
            buffer, OFFSET, length, CAPACITY, ROUTER_MAC, ROUTER_IP,
            RouterAnswers.ICMP_DESTINATION_UNREACHABLE, RouterAnswers.ICMP_FRAGMENTATION_NEEDED, 1400);

        assertEquals(14 + 576, answer);
        assertIpv4Error(answer, 3, 4, 1400);
    }

    @Test
    void anIpv4ErrorIsCutToTheSlot()
    {
        final int length = Frames.ipv4(buffer, OFFSET, HOST_IP, FAR_IP, 6, 1480, 0, 0);

        assertEquals(300, answers.ipv4Error(
            buffer, OFFSET, length, 300, ROUTER_MAC, ROUTER_IP, RouterAnswers.ICMP_DESTINATION_UNREACHABLE, RouterAnswers.ICMP_NET_UNREACHABLE, 0));
        assertEquals(0, ipv4HeaderChecksum(buffer, OFFSET));
        assertEquals(0, icmpChecksum(buffer, OFFSET));
        Frames.ipv4(buffer, OFFSET, HOST_IP, FAR_IP, 6, 1480, 0, 0);
        assertEquals(NONE, answers.ipv4Error(
            buffer, OFFSET, length, 14 + 28 + 19, ROUTER_MAC, ROUTER_IP, RouterAnswers.ICMP_DESTINATION_UNREACHABLE, 0, 0),
            "no room for the offending header");
    }

    @Test
    void noIpv4ErrorWhereRfc1812ForbidsOne()
    {
        assertNoIpv4Error(Frames.icmp(buffer, OFFSET, FAR_IP, 3, 1, 28, 0), "about a destination unreachable");
        assertNoIpv4Error(Frames.icmp(buffer, OFFSET, FAR_IP, 11, 0, 28, 0), "about a time exceeded");
        assertNoIpv4Error(Frames.icmp(buffer, OFFSET, FAR_IP, 5, 0, 28, 0), "about a redirect");
        assertNoIpv4Error(Frames.icmp(buffer, OFFSET, FAR_IP, 12, 0, 28, 0), "about a parameter problem");
        assertEquals(14 + 28 + 36, answers.ipv4Error(buffer, OFFSET, Frames.icmp(buffer, OFFSET, FAR_IP, 8, 0, 8, 0), CAPACITY,
            ROUTER_MAC, ROUTER_IP, RouterAnswers.ICMP_TIME_EXCEEDED, 0, 0), "an echo request gets one");
        assertNoIpv4Error(Frames.ipv4(buffer, OFFSET, HOST_IP, FAR_IP, 17, 100, 0x0010, 0), "a later fragment");
        assertEquals(14 + 28 + 120, answers.ipv4Error(buffer, OFFSET, Frames.ipv4(buffer, OFFSET, HOST_IP, FAR_IP, 17, 100, 0x2000, 0),
            CAPACITY, ROUTER_MAC, ROUTER_IP, RouterAnswers.ICMP_TIME_EXCEEDED, 0, 0), "a first fragment gets one");
        assertNoIpv4Error(Frames.ipv4(buffer, OFFSET, HOST_IP, 0xFFFF_FFFF, 17, 100, 0, 0), "to the broadcast address");
        assertNoIpv4Error(Frames.ipv4(buffer, OFFSET, HOST_IP, 0xE000_0005, 17, 100, 0, 0), "to a multicast address");
        assertNoIpv4Error(Frames.ipv4(buffer, OFFSET, 0, FAR_IP, 17, 100, 0, 0), "from 0.0.0.0");
        assertNoIpv4Error(Frames.ipv4(buffer, OFFSET, 0x7F00_0001, FAR_IP, 17, 100, 0, 0), "from loopback");
        assertNoIpv4Error(Frames.ipv4(buffer, OFFSET, 0xE000_0001, FAR_IP, 17, 100, 0, 0), "from multicast");
        assertNoIpv4Error(Frames.ipv4(buffer, OFFSET, 0xFFFF_FFFF, FAR_IP, 17, 100, 0, 0), "from broadcast");
        int length = Frames.ipv4(buffer, OFFSET, HOST_IP, FAR_IP, 17, 100, 0, 0);
        Frames.putMac(buffer, OFFSET, 0xFFFF_FFFF_FFFFL);
        assertNoIpv4Error(length, "sent as link-layer broadcast");
        length = Frames.ipv4(buffer, OFFSET, HOST_IP, FAR_IP, 17, 100, 0, 0);
        Frames.putMac(buffer, OFFSET, 0x0100_5E00_0005L);
        assertNoIpv4Error(length, "sent as link-layer multicast");
        length = Frames.ipv4(buffer, OFFSET, HOST_IP, FAR_IP, 17, 100, 0, 0);
        buffer.putByte(IP, (byte)0x65);
        assertNoIpv4Error(length, "version 6");
        buffer.putByte(IP, (byte)0x44);
        assertNoIpv4Error(length, "IHL 4");
        buffer.putByte(IP, (byte)0x45);
        assertNoIpv4Error(length - 1, "total length past the frame");
        buffer.putShort(IP + 2, (short)19, BIG_ENDIAN);
        assertNoIpv4Error(length, "total length shorter than the header");
        assertNoIpv4Error(33, "a runt");
        assertNoIpv4Error(5, "a runt shorter than Ethernet");
        Frames.arpRequest(buffer, OFFSET, ROUTER_IP);
        assertNoIpv4Error(60, "not IPv4");
    }

    @Test
    void anIpv6ErrorAboutAShortPacketIsLongerThanIt()
    {
        final int length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 17, 1, 16);
        keepOriginal(length);

        final int answer = answers.ipv6Error(
            buffer, OFFSET, length, CAPACITY, ROUTER_MAC, ULA_HIGH, ROUTER_LOW,
            RouterAnswers.ICMPV6_TIME_EXCEEDED, RouterAnswers.ICMPV6_HOP_LIMIT_EXCEEDED, 1400);

        assertEquals(length + 48, answer);
        assertIpv6Error(answer, 3, 0, 0);
    }

    @Test
    void anIpv6ErrorAboutALongPacketStopsAt1280Bytes()
    {
        final int length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 6, 64, 1460);
        keepOriginal(length);

        final int answer = answers.ipv6Error(
            buffer, OFFSET, length, CAPACITY, ROUTER_MAC, ULA_HIGH, ROUTER_LOW, RouterAnswers.ICMPV6_PACKET_TOO_BIG, 0, 1400);

        assertEquals(14 + 1280, answer);
        assertIpv6Error(answer, 2, 0, 1400);
    }

    @Test
    void noIpv6ErrorWhereRfc4443ForbidsOne()
    {
        final int unreachable = RouterAnswers.ICMPV6_DESTINATION_UNREACHABLE;
        assertNoIpv6Error(icmpv6ToFar(1), unreachable, "about a destination unreachable");
        assertNoIpv6Error(icmpv6ToFar(2), unreachable, "about a packet too big");
        assertNoIpv6Error(icmpv6ToFar(3), unreachable, "about a time exceeded");
        assertNoIpv6Error(icmpv6ToFar(137), unreachable, "about a redirect");
        assertEquals(14 + 48 + 112, ipv6Error(icmpv6ToFar(128), unreachable), "an echo request gets one");
        int length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 0, 64, 16);
        buffer.putByte(ICMPV6, (byte)58);
        buffer.putByte(ICMPV6 + 1, (byte)0);
        buffer.putByte(ICMPV6 + 8, (byte)1);
        assertNoIpv6Error(length, unreachable, "about a destination unreachable behind a hop-by-hop header");
        length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 0, 64, 16);
        buffer.putByte(ICMPV6, (byte)58);
        buffer.putByte(ICMPV6 + 1, (byte)2);
        assertNoIpv6Error(length, unreachable, "an extension header that says it runs past the packet");
        final int toGroup = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, ALL_NODES_HIGH, 0x1234, 17, 64, 100);
        assertNoIpv6Error(toGroup, unreachable, "to a multicast address");
        assertEquals(14 + 48 + 140, ipv6Error(toGroup, RouterAnswers.ICMPV6_PACKET_TOO_BIG), "a packet too big goes to a group's sender");
        length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 17, 64, 100);
        Frames.putMac(buffer, OFFSET, 0x3333_0000_0001L);
        assertNoIpv6Error(length, RouterAnswers.ICMPV6_TIME_EXCEEDED, "sent as link-layer multicast");
        length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 17, 64, 100);
        Frames.putMac(buffer, OFFSET, 0x3333_0000_0001L);
        assertEquals(14 + 48 + 140, ipv6Error(length, RouterAnswers.ICMPV6_PACKET_TOO_BIG), "but for packet too big");
        assertNoIpv6Error(Frames.ipv6(buffer, OFFSET, 0, 0, FAR_HIGH, FAR_LOW, 17, 64, 100), unreachable, "from ::");
        assertNoIpv6Error(
            Frames.ipv6(buffer, OFFSET, ALL_NODES_HIGH, 1, FAR_HIGH, FAR_LOW, 17, 64, 100), RouterAnswers.ICMPV6_PACKET_TOO_BIG, "from multicast");
        length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 17, 64, 100);
        assertNoIpv6Error(length - 1, unreachable, "payload length past the frame");
        buffer.putByte(IP, (byte)0x45);
        assertNoIpv6Error(length, unreachable, "version 4");
        assertNoIpv6Error(53, unreachable, "a runt");
        assertNoIpv6Error(12, unreachable, "a runt shorter than Ethernet");
        length = Frames.ipv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 17, 64, 100);
        Frames.putMac(buffer, OFFSET + 6, 0x0300_0000_0001L);
        assertNoIpv6Error(length, unreachable, "from a group MAC");
    }

    @Test
    void anErrorAboutAPacketFromAnUnspecifiedOrGroupSourceLeavesTheFrameAsItWas()
    {
        final int length = Frames.ipv6(buffer, OFFSET, ALL_NODES_HIGH, 1, FAR_HIGH, FAR_LOW, 17, 64, 100);
        keepOriginal(length);
        assertNoIpv6Error(length, RouterAnswers.ICMPV6_TIME_EXCEEDED, "from multicast");
        assertSame(OFFSET, OFFSET, length, "the frame untouched");
    }

    /** A request from the host with the 16 bits at {@code index} changed to {@code value} gets no reply. */
    private void assertNoArpReplyWith(final int index, final int value, final String why)
    {
        final int length = Frames.arpRequest(buffer, OFFSET, ROUTER_IP);
        buffer.putShort(index, (short)value, BIG_ENDIAN);
        assertEquals(NONE, answers.arpReply(buffer, OFFSET, length, ROUTER_MAC), why);
    }

    private int solicitation(final byte[] options)
    {
        return Frames.solicitation(
            buffer, OFFSET, LINK_LOCAL_HIGH, HOST_LOW, ALL_NODES_HIGH, SOLICITED_NODE_LOW, ULA_HIGH, ROUTER_LOW, options);
    }

    private int icmpv6ToFar(final int type)
    {
        return Frames.icmpv6(buffer, OFFSET, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 64, type, 0, 64);
    }

    private int ipv6Error(final int length, final int type)
    {
        return answers.ipv6Error(buffer, OFFSET, length, CAPACITY, ROUTER_MAC, ULA_HIGH, ROUTER_LOW, type, 0, 1400);
    }

    private void assertNoIpv6Error(final int length, final int type, final String why)
    {
        assertEquals(NONE, ipv6Error(length, type), why);
    }

    private void assertNoIpv4Error(final int length, final String why)
    {
        assertEquals(NONE, answers.ipv4Error(buffer, OFFSET, length, CAPACITY, ROUTER_MAC, ROUTER_IP,
            RouterAnswers.ICMP_DESTINATION_UNREACHABLE, RouterAnswers.ICMP_HOST_UNREACHABLE, 0), why);
    }

    private void assertEchoReplyIpv4(final int icmpLength, final int optionsDropped)
    {
        assertIcmpFromRouterToHost(20 + icmpLength, 0x00);
        assertEquals(0x1234, unsignedShort(IP + 4), "the request's identification");
        assertEquals(0, buffer.getByte(ICMP), "echo reply");
        assertEquals(0, buffer.getByte(ICMP + 1));
        assertEquals(0, icmpChecksum(buffer, OFFSET), "ICMP checksum");
        for (int i = 4; i < icmpLength; i++)
        {
            assertEquals(original.getByte(ICMP + optionsDropped + i), buffer.getByte(ICMP + i), "identifier, sequence and data, byte " + i);
        }
    }

    /** The frame is an ICMP message in IPv4 from the router to the host, its header checksum right. */
    private void assertIcmpFromRouterToHost(final int totalLength, final int dscpAndEcn)
    {
        assertEquals(HOST_MAC, mac(buffer, OFFSET), "eth dst: the host");
        assertEquals(ROUTER_MAC, mac(buffer, OFFSET + 6), "eth src: the router");
        assertEquals(0x0800, unsignedShort(OFFSET + 12));
        assertEquals(0x45, buffer.getByte(IP), "version 4, IHL 5");
        assertEquals(dscpAndEcn, buffer.getByte(IP + 1) & 0xFF, "DSCP and ECN");
        assertEquals(totalLength, unsignedShort(IP + 2));
        assertEquals(0, unsignedShort(IP + 6), "no flags");
        assertEquals(64, buffer.getByte(IP + 8), "TTL");
        assertEquals(1, buffer.getByte(IP + 9));
        assertEquals(ROUTER_IP, buffer.getInt(IP + 12, BIG_ENDIAN));
        assertEquals(HOST_IP, buffer.getInt(IP + 16, BIG_ENDIAN));
        assertEquals(0, ipv4HeaderChecksum(buffer, OFFSET), "IP header checksum");
    }

    private void assertAdvertisement(final int flags, final long destinationHigh, final long destinationLow)
    {
        assertEquals(0x6000_0000, buffer.getInt(IP, BIG_ENDIAN), "version 6, traffic class and flow label 0");
        assertEquals(32, unsignedShort(IP + 4));
        assertEquals(58, buffer.getByte(IP + 6));
        assertEquals(255, buffer.getByte(IP + 7) & 0xFF, "hop limit");
        assertAddress(IP + 8, ULA_HIGH, ROUTER_LOW, "from the target");
        assertAddress(IP + 24, destinationHigh, destinationLow, "to");
        assertEquals(136, buffer.getByte(ICMPV6) & 0xFF);
        assertEquals(0, buffer.getByte(ICMPV6 + 1));
        assertEquals(flags, buffer.getByte(ICMPV6 + 4) & 0xFF, "flags");
        assertEquals(0, buffer.getByte(ICMPV6 + 5));
        assertEquals(0, unsignedShort(ICMPV6 + 6));
        assertAddress(ICMPV6 + 8, ULA_HIGH, ROUTER_LOW, "target");
        assertEquals(2, buffer.getByte(ICMPV6 + 24), "target link-layer address option");
        assertEquals(1, buffer.getByte(ICMPV6 + 25));
        assertEquals(ROUTER_MAC, mac(buffer, ICMPV6 + 26));
        assertEquals(0, icmpv6MessageChecksum(buffer, OFFSET), "ICMPv6 checksum with the pseudo-header");
    }

    private void assertIpv4Error(final int answer, final int type, final int code, final int mtu)
    {
        final int quoted = answer - 14 - 28;
        assertIcmpFromRouterToHost(answer - 14, 0xC0);
        assertEquals(type, buffer.getByte(ICMP));
        assertEquals(code, buffer.getByte(ICMP + 1));
        assertEquals(0, unsignedShort(ICMP + 4), "unused");
        assertEquals(mtu, unsignedShort(ICMP + 6), "next-hop MTU");
        assertEquals(0, icmpChecksum(buffer, OFFSET), "ICMP checksum");
        assertSame(ICMP + 8, IP, quoted, "the quote");
    }

    private void assertIpv6Error(final int answer, final int type, final int code, final int mtu)
    {
        final int quoted = answer - 14 - 48;
        assertEquals(HOST_MAC, mac(buffer, OFFSET), "eth dst: the sender");
        assertEquals(ROUTER_MAC, mac(buffer, OFFSET + 6), "eth src: the router");
        assertEquals(0x86DD, unsignedShort(OFFSET + 12));
        assertEquals(0x6C00_0000, buffer.getInt(IP, BIG_ENDIAN), "version 6, DSCP CS6, flow label 0");
        assertEquals(answer - 14 - 40, unsignedShort(IP + 4));
        assertEquals(58, buffer.getByte(IP + 6));
        assertEquals(64, buffer.getByte(IP + 7), "hop limit");
        assertAddress(IP + 8, ULA_HIGH, ROUTER_LOW, "from the router");
        assertAddress(IP + 24, ULA_HIGH, HOST_LOW, "to the sender");
        assertEquals(type, buffer.getByte(ICMPV6));
        assertEquals(code, buffer.getByte(ICMPV6 + 1));
        assertEquals(mtu, buffer.getInt(ICMPV6 + 4, BIG_ENDIAN), "MTU or unused");
        assertEquals(0, icmpv6MessageChecksum(buffer, OFFSET), "ICMPv6 checksum with the pseudo-header");
        assertSame(ICMPV6 + 8, IP, quoted, "the quote");
    }

    private void keepOriginal(final int length)
    {
        original.putBytes(OFFSET, buffer, OFFSET, length);
    }

    /** The answer's bytes from {@code index} are the original frame's from {@code originalIndex}. */
    private void assertSame(final int index, final int originalIndex, final int length, final String what)
    {
        for (int i = 0; i < length; i++)
        {
            assertEquals(original.getByte(originalIndex + i), buffer.getByte(index + i), what + ", byte " + i);
        }
    }

    private void assertZeros(final int index, final int length, final String what)
    {
        for (int i = 0; i < length; i++)
        {
            assertEquals(0, buffer.getByte(index + i), what + ", byte " + i);
        }
    }

    private void assertAddress(final int index, final long high, final long low, final String what)
    {
        assertEquals(high, buffer.getLong(index, BIG_ENDIAN), what + ", high");
        assertEquals(low, buffer.getLong(index + 8, BIG_ENDIAN), what + ", low");
    }

    private int unsignedShort(final int index)
    {
        return buffer.getShort(index, BIG_ENDIAN) & 0xFFFF;
    }
}
