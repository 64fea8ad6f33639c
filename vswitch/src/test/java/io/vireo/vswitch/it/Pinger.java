package io.vireo.vswitch.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code ping -D} every 10 ms in a namespace, in the background; stopped with the sandbox. */
final class Pinger
{
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)] \\d+ bytes from .*icmp_seq=(\\d+)", Pattern.MULTILINE);

    private final Path log;

    private Pinger(final Path log)
    {
        this.log = log;
    }

    static Pinger start(final Sandbox sandbox, final String netns, final String address) throws IOException
    {
        final Path log = sandbox.tempFile(".ping");
        sandbox.start(log, "ip", "netns", "exec", netns, "ping", "-D", "-i", "0.01", "-W", "1", address);
        return new Pinger(log);
    }

    /** When each answer came, in seconds since the epoch, in order. */
    List<Double> replies() throws IOException
    {
        final List<Double> times = new ArrayList<>();
        final Matcher reply = REPLY.matcher(Sandbox.readUtf8(log));
        while (reply.find())
        {
            times.add(Double.parseDouble(reply.group(1)));
        }
        return times;
    }

    /** Requests between the first and the last answer so far that got none. */
    int lost() throws IOException
    {
        final BitSet answered = new BitSet();
        final Matcher reply = REPLY.matcher(Sandbox.readUtf8(log));
        while (reply.find())
        {
            answered.set(Integer.parseInt(reply.group(2)));
        }
        final int first = answered.nextSetBit(0);
        return first < 0 ? 0 : answered.length() - first - answered.cardinality();
    }

    /** The longest time between two consecutive answers so far, in seconds. */
    double longestGap() throws IOException
    {
        final double[] gap = longestGapBetween();
        return gap[1] - gap[0];
    }

    /** The longest time between two consecutive answers that came after {@code since} (seconds since the epoch). */
    double longestGapSince(final double since) throws IOException
    {
        final double[] gap = longestGapBetween(since);
        return gap[1] - gap[0];
    }

    /** The two consecutive answers furthest apart so far: when each came, in seconds since the epoch. */
    double[] longestGapBetween() throws IOException
    {
        return longestGapBetween(0);
    }

    private double[] longestGapBetween(final double since) throws IOException
    {
        final List<Double> times = replies();
        final double[] gap = {0, 0};
        for (int i = 1; i < times.size(); i++)
        {
            if (times.get(i - 1) >= since && times.get(i) - times.get(i - 1) > gap[1] - gap[0])
            {
                gap[0] = times.get(i - 1);
                gap[1] = times.get(i);
            }
        }
        return gap;
    }
}
