package io.vireo.gateway.answer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.vireo.gateway.answer.Frames.ALL_NODES_HIGH;
import static io.vireo.gateway.answer.Frames.FAR_HIGH;
import static io.vireo.gateway.answer.Frames.FAR_IP;
import static io.vireo.gateway.answer.Frames.FAR_LOW;
import static io.vireo.gateway.answer.Frames.HOST_IP;
import static io.vireo.gateway.answer.Frames.HOST_LOW;
import static io.vireo.gateway.answer.Frames.ROUTER_IP;
import static io.vireo.gateway.answer.Frames.ROUTER_LOW;
import static io.vireo.gateway.answer.Frames.ROUTER_MAC;
import static io.vireo.gateway.answer.Frames.ULA_HIGH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Wireshark's reading of the answers: each request and its answer go into a pcap, and tshark, with
 * IPv4 header checksums checked too, finds nothing malformed and no checksum or other warning.
 * Skipped where tshark is not installed ({@code scripts/install-deps.sh} installs it).
 */
class RouterAnswersTsharkTest
{
    private static final int CAPACITY = 2048;
    private static final long LINK_LOCAL_HIGH = 0xFE80_0000_0000_0000L;

    private final RouterAnswers answers = new RouterAnswers();
    private final UnsafeBuffer slot = new UnsafeBuffer(new byte[CAPACITY]);
    private final List<byte[]> frames = new ArrayList<>();

    @Test
    void tsharkFindsTheAnswersWellFormed(@TempDir final Path directory) throws Exception
    {
        assumeTrue(tsharkRuns(), "tshark is not installed");
        requestAndAnswer(Frames.arpRequest(slot, 0, ROUTER_IP), length -> answers.arpReply(slot, 0, length, ROUTER_MAC));
        add(answers.arpRequest(slot, 0, ROUTER_MAC, ROUTER_IP, HOST_IP));
        requestAndAnswer(Frames.icmp(slot, 0, ROUTER_IP, 8, 0, 56, 0), length -> answers.echoReply(slot, 0, length, ROUTER_MAC));
        requestAndAnswer(Frames.icmp(slot, 0, ROUTER_IP, 8, 0, 4, 0), length -> answers.echoReply(slot, 0, length, ROUTER_MAC));
        requestAndAnswer(
            Frames.icmpv6(slot, 0, ULA_HIGH, HOST_LOW, ULA_HIGH, ROUTER_LOW, 64, 128, 0, 56), length -> answers.echoReply(slot, 0, length, ROUTER_MAC));
        requestAndAnswer(
            Frames.solicitation(slot, 0, LINK_LOCAL_HIGH, HOST_LOW, ALL_NODES_HIGH, 0x0000_0001_FF00_00FEL, ULA_HIGH, ROUTER_LOW,
                new byte[] {1, 1, 2, 0, 0, 0, 0, 1}),
            length -> answers.neighbourAdvertisement(slot, 0, length, ROUTER_MAC));
        requestAndAnswer(
            Frames.solicitation(slot, 0, 0, 0, ALL_NODES_HIGH, 0x0000_0001_FF00_00FEL, ULA_HIGH, ROUTER_LOW, new byte[0]),
            length -> answers.neighbourAdvertisement(slot, 0, length, ROUTER_MAC));
        add(answers.neighbourSolicitation(slot, 0, ROUTER_MAC, LINK_LOCAL_HIGH, ROUTER_LOW, ULA_HIGH, HOST_LOW));
        requestAndAnswer(Frames.ipv4(slot, 0, HOST_IP, FAR_IP, 253, 12, 0, 0), length ->
            answers.ipv4Error(slot, 0, length, CAPACITY, ROUTER_MAC, ROUTER_IP, RouterAnswers.ICMP_TIME_EXCEEDED, 0, 0));
        requestAndAnswer(Frames.icmp(slot, 0, FAR_IP, 8, 0, 1400, 0), length ->
            answers.ipv4Error(slot, 0, length, CAPACITY, ROUTER_MAC, ROUTER_IP, RouterAnswers.ICMP_DESTINATION_UNREACHABLE,
                RouterAnswers.ICMP_FRAGMENTATION_NEEDED, 1400));
        requestAndAnswer(Frames.icmpv6(slot, 0, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 1, 128, 0, 16), length ->
            answers.ipv6Error(slot, 0, length, CAPACITY, ROUTER_MAC, ULA_HIGH, ROUTER_LOW, RouterAnswers.ICMPV6_TIME_EXCEEDED, 0, 0));
        requestAndAnswer(Frames.icmpv6(slot, 0, ULA_HIGH, HOST_LOW, FAR_HIGH, FAR_LOW, 64, 128, 0, 1400), length ->
            answers.ipv6Error(slot, 0, length, CAPACITY, ROUTER_MAC, ULA_HIGH, ROUTER_LOW, RouterAnswers.ICMPV6_PACKET_TOO_BIG, 0, 1400));
        final Path pcap = directory.resolve("answers.pcap");
        writePcap(pcap);

        final String decoded = tshark("-r", pcap.toString(), "-o", "ip.check_checksum:TRUE", "-T", "fields",
            "-e", "frame.number", "-e", "_ws.col.Protocol", "-e", "_ws.col.Info");
        assertEquals(frames.size(), decoded.lines().count(), decoded);
        final String flagged = tshark("-r", pcap.toString(), "-o", "ip.check_checksum:TRUE",
            "-Y", "_ws.malformed || _ws.expert.severity >= warning || ip.checksum.status == 0 || icmp.checksum.status == 0 || " +
            "icmpv6.checksum.status == 0");
        assertEquals("", flagged.trim(), () -> "tshark flags frames:\n" + flagged + "\nof:\n" + decoded);
        assertTrue(decoded.contains("is at 02:00:00:00:00:fe"), decoded);
        assertTrue(decoded.contains("Neighbor Advertisement fd00::fe (rtr, sol, ovr) is at 02:00:00:00:00:fe"), decoded);
    }

    private interface Answer
    {
        int to(int length);
    }

    private void requestAndAnswer(final int length, final Answer answer)
    {
        add(length);
        add(answer.to(length));
    }

    private void add(final int length)
    {
        assertTrue(length > 0, "an answer");
        final byte[] frame = new byte[length];
        slot.getBytes(0, frame);
        frames.add(frame);
    }

    private void writePcap(final Path pcap) throws IOException
    {
        final int size = 24 + frames.stream().mapToInt(frame -> 16 + frame.length).sum();
        final ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(0xA1B2_C3D4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65_535).putInt(1);
        int second = 1;
        for (final byte[] frame : frames)
        {
            out.putInt(second++).putInt(0).putInt(frame.length).putInt(frame.length).put(frame);
        }
        Files.write(pcap, out.array());
    }

    private static boolean tsharkRuns()
    {
        try
        {
            return new ProcessBuilder("tshark", "--version").redirectErrorStream(true).start().waitFor() == 0;
        }
        catch (final IOException | InterruptedException ex)
        {
            return false;
        }
    }

    private static String tshark(final String... arguments) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add("tshark");
        command.addAll(List.of(arguments));
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "tshark finished");
        assertEquals(0, process.exitValue(), out);
        return out;
    }
}
