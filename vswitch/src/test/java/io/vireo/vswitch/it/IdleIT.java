package io.vireo.vswitch.it;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The adaptive idle mode: an idle daemon costs next to no CPU and is still woken by the first frame. Alone: a test
 * beside it loading both cores would add to the CPU measured and its own wait to the first frame's.
 */
@Tag("alone")
class IdleIT
{
    private static final long CLOCK_TICKS_PER_SECOND = 100;
    private static final long IDLE_SECONDS = 30;
    private static final Pattern RTT = Pattern.compile("time=([0-9.]+) ms");

    private Sandbox sandbox;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void anIdleDaemonUsesUnderOnePercentOfACoreAndWakesForTheFirstFrame() throws Exception
    {
        // The warm-up users get, which is what has the first frame find the forwarding path compiled.
        final Daemon daemon = Daemon.start(sandbox, sandbox.tempDir("run"), Daemon.FULL_WARM_UP);
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        daemon.ok("port", "add", "br0", sandbox.ifname("tA"), "--netns", nsA, "--ip", "10.94.0.1/24");
        daemon.ok("port", "add", "br0", sandbox.ifname("tB"), "--netns", nsB, "--ip", "10.94.0.2/24");
        check(sandbox.inNetns(nsA, "ping", "-c", "2", "-W", "2", "10.94.0.2"));
        // Let the JIT finish what start-up and the first frames queued: on JDK 25 on a loaded machine its
        // compiler threads were still busy 5 to 15 s after the start. Wait until two seconds in a row cost
        // next to nothing (at most a clock tick), then measure.
        final long pid = daemon.process.pid();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long window = cpuTicks(pid);
        while (true)
        {
            Thread.sleep(2_000);   // the window the condition is about, not a wait for it
            final long now = cpuTicks(pid);
            if (now - window <= 1 || System.nanoTime() > deadline)
            {
                break;
            }
            window = now;
        }

        final long before = cpuTicks(pid);
        final long compilingBefore = compilerTicks(pid);
        final long wakeUpsBefore = ownWakeUps(pid);
        // 30 s: the JIT still compiles a method of the conductor's now and then (a tick or two in a 5 s window,
        // more on a loaded machine); what idling costs is judged without its compiler threads, a warm-up's tail.
        Thread.sleep(TimeUnit.SECONDS.toMillis(IDLE_SECONDS));
        final long compiling = compilerTicks(pid) - compilingBefore;
        final long used = cpuTicks(pid) - before - compiling;
        final double wakeUpsPerSecond = (ownWakeUps(pid) - wakeUpsBefore) / (double)IDLE_SECONDS;
        final double percentOfACore = 100.0 * used / (IDLE_SECONDS * CLOCK_TICKS_PER_SECOND);
        System.out.printf("idle vireod: %.2f %% of a core over %d s, and the JIT's compiler threads %.2f %%%n",
            percentOfACore, IDLE_SECONDS, 100.0 * compiling / (IDLE_SECONDS * CLOCK_TICKS_PER_SECOND));
        // Issue 17's target is under 1 %, which benches/idle-cpu.sh measures: 0.05 % on a kind VM, but 0.7-2.3 % on one
        // whose hypervisor takes back pages left untouched for a second, where every wake-up of a thread costs
        // milliseconds of first touches (benches/README.md, 2026-12-07, eighth). This bound catches a thread that
        // works while idle; the wake-ups below catch a new timer.
        assertTrue(percentOfACore < 5.0, "idle daemon used " + percentOfACore + " % of a core");
        // Mostly the conductor's tick once a second, the forwarding thread's epoll limit once in five: 1.5-2.1 in all
        // in five runs of this test (benches/README.md, 2026-12-07, eighth). Timers of a second or less elsewhere (the
        // registry's eviction, the takeover listener's poll, Netty's purge interval) made 19.6.
        System.out.printf("idle vireod: its own threads woke %.1f times a second%n", wakeUpsPerSecond);
        assertTrue(wakeUpsPerSecond <= 4.0, "the daemon's own threads woke " + wakeUpsPerSecond + " times a second");

        // The frame must wake the sleeping forwarding thread: one that slept through it would forward it at its
        // next epoll timeout, up to five seconds after the last, and the ping would wait out the rest of that time or
        // give up after two seconds. The gaps between pings vary (1.0 to 1.7 s), so that such waits fall at phases
        // spread over the limit and few of nine come under 50 ms. A thread woken by the frame answers in what the way
        // through a cold switch costs: 0.1-0.5 ms on a kind VM, 0.24-7 ms on one whose hypervisor takes back pages
        // left untouched for a second (benches/README.md, 2026-12-07, eighth). How fast is the benchmarks' to say
        // (netns-bench.sh's idle ping); this test says whether the frame woke the switch.
        final double[] rtts = new double[9];
        for (int round = 0; round < rtts.length; round++)
        {
            Thread.sleep(1_000 + round * 233 % 700);   // an idle gap, what the test is about, not a wait for something
            final String out = check(sandbox.inNetns(nsA, "ping", "-c", "1", "-W", "2", "10.94.0.2")).out();
            final Matcher rtt = RTT.matcher(out);
            assertTrue(rtt.find(), out);
            rtts[round] = Double.parseDouble(rtt.group(1));
        }
        final double[] sorted = rtts.clone();
        Arrays.sort(sorted);
        final double median = sorted[rtts.length / 2];
        System.out.printf("first frame after 1.0-1.7 s idle: ping RTT median %.3f ms of %s%n",
            median, Arrays.toString(rtts));
        assertTrue(median < 50.0,
            "the first ping after idle took " + Arrays.toString(rtts) + " ms: woken by the epoll timeout?");
    }

    /** utime + stime of a process, in clock ticks, from /proc/PID/stat. */
    private static long cpuTicks(final long pid) throws Exception
    {
        return ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /** utime + stime of the JVM's JIT compiler threads ("C1 CompilerThre", "C2 CompilerThre"), in clock ticks. */
    private static long compilerTicks(final long pid) throws Exception
    {
        long ticks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task")))
        {
            for (final Path task : tasks)
            {
                final String stat;
                try
                {
                    stat = Files.readString(task.resolve("stat"));
                }
                catch (final NoSuchFileException ex)
                {
                    continue;   // the thread ended meanwhile
                }
                final String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre"))
                {
                    ticks += ticks(stat);
                }
            }
        }
        return ticks;
    }

    /**
     * How many times the kernel has put the daemon's own threads (vireo-*, Netty's event loops) on a CPU: the third
     * field of /proc/PID/task/TID/schedstat, after the time run and the time waited to run.
     */
    private static long ownWakeUps(final long pid) throws Exception
    {
        long wakeUps = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task")))
        {
            for (final Path task : tasks)
            {
                try
                {
                    final String name = Files.readString(task.resolve("comm")).strip();
                    if (name.startsWith("vireo-") || name.startsWith("multiThreadIoEv"))
                    {
                        wakeUps += Long.parseLong(Files.readString(task.resolve("schedstat")).strip().split(" ")[2]);
                    }
                }
                catch (final NoSuchFileException ex)
                {
                    // the thread ended meanwhile
                }
            }
        }
        return wakeUps;
    }

    /** utime + stime from a /proc stat line. */
    private static long ticks(final String stat)
    {
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
