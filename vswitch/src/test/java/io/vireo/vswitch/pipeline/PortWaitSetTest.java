package io.vireo.vswitch.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.vireo.dataplane.nativeio.CpuAffinity;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A closing switch's forwarding thread must not sleep out its epoll limit (five seconds) before it sees the close. */
class PortWaitSetTest
{
    /** x86_64 system call numbers of epoll_wait, epoll_pwait and epoll_pwait2. */
    private static final String[] EPOLL_WAITS = {"232 ", "281 ", "441 "};

    @Test
    void stopEndsTheSleepUnderWayByWakingItAndNoSleepBeginsAfter() throws Exception
    {
        try (PortWaitSet waitSet = new PortWaitSet(0, 0))   // no spin, no yield: every idle call sleeps
        {
            final CompletableFuture<Integer> threadId = new CompletableFuture<>();
            final Thread sleeper = new Thread(() ->
            {
                threadId.complete(CpuAffinity.currentThreadId());
                waitSet.idle(0);
            });
            sleeper.start();
            final int tid = threadId.get(10, TimeUnit.SECONDS);
            final Path syscall = Path.of("/proc/self/task", Integer.toString(tid), "syscall");
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!inEpollWait(Files.readString(syscall)))
            {
                assertTrue(System.nanoTime() < deadline, "the thread never slept in epoll");
                Thread.onSpinWait();
            }

            waitSet.stop();
            sleeper.join();
            assertEquals(1, waitSet.sleeps());
            assertEquals(1, waitSet.wakeUps(), "the sleep ended by its timeout, not woken by the stop");

            waitSet.idle(0);
            assertEquals(1, waitSet.sleeps(), "a sleep began after the stop");
        }
    }

    private static boolean inEpollWait(final String syscall)
    {
        for (final String number : EPOLL_WAITS)
        {
            if (syscall.startsWith(number))
            {
                return true;
            }
        }
        return false;
    }
}
