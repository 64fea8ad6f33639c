package io.vireo.dataplane.nativeio;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubprocessTest
{
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", "VIREO_TEST", "a b=c");
    private static final long TIMEOUT_MS = 60_000;

    private static Subprocess.Result sh(final String script, final byte[] stdin)
    {
        return Subprocess.run(List.of("sh", "-c", script), ENV, stdin, TIMEOUT_MS);
    }

    private static String text(final byte[] bytes)
    {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void returnsTheExitStatusAndBothOutputsApart()
    {
        final Subprocess.Result result = sh("echo out; echo err >&2; exit 3", null);
        assertEquals(3, result.exit());
        assertEquals("out\n", text(result.stdout()));
        assertEquals("err\n", text(result.stderr()));
    }

    @Test
    void theProgramSeesExactlyTheEnvironmentGiven()
    {
        final Subprocess.Result result = Subprocess.run(List.of("env"), ENV, null, TIMEOUT_MS);
        final String[] lines = text(result.stdout()).split("\n");
        Arrays.sort(lines);
        assertArrayEquals(new String[] {"PATH=/usr/bin:/bin", "VIREO_TEST=a b=c"}, lines);
    }

    /** More than a pipe holds each way at once: feeding and draining in one loop must not deadlock. */
    @Test
    void feedsAndDrainsMoreThanAPipeHoldsEachWay()
    {
        final byte[] input = new byte[4 << 20];
        new Random(7).nextBytes(input);
        final Subprocess.Result result = sh("cat; cat /dev/null >&2", input);
        assertEquals(0, result.exit());
        assertArrayEquals(input, result.stdout());
    }

    @Test
    void aProgramThatDoesNotReadItsInputStillFinishes()
    {
        final Subprocess.Result result = sh("echo done", new byte[1 << 20]);
        assertEquals(0, result.exit());
        assertEquals("done\n", text(result.stdout()));
    }

    /** Its outputs closed long before it exits: the status is still its own, waited for past the closing. */
    @Test
    void aProgramThatClosesItsOutputsAndLingersIsWaitedFor()
    {
        final Subprocess.Result result = sh("echo out; exec >&- 2>&-; sleep 0.3; exit 5", null);
        assertEquals(5, result.exit());
        assertEquals("out\n", text(result.stdout()));
    }

    @Test
    void aSignalIsReportedAs128PlusItsNumber()
    {
        assertEquals(128 + 9, sh("kill -9 $$", null).exit());
    }

    @Test
    void theProgramHasNoDescriptorButItsThree()
    {
        // ls opens the directory it lists as fd 3; anything else would be this JVM's.
        final Subprocess.Result result = Subprocess.run(List.of("ls", "/proc/self/fd"), ENV, null, TIMEOUT_MS);
        assertEquals("0\n1\n2\n3\n", text(result.stdout()));
    }

    /** Signals 32 and 33 are glibc's own (thread cancellation, set*id), which posix_spawn leaves alone. */
    @Test
    void noStandardSignalIsBlockedOrIgnoredInTheChild()
    {
        final String[] lines = text(sh("grep -E '^Sig(Blk|Ign)' /proc/self/status", null).stdout()).split("\n");
        assertEquals(2, lines.length, Arrays.toString(lines));
        for (final String line : lines)
        {
            final long mask = Long.parseUnsignedLong(line.substring(line.indexOf('\t') + 1), 16);
            assertEquals(0, mask & 0x7fff_ffffL, line);
        }
    }

    @Test
    void aProgramPastItsTimeIsKilledAndReaped()
    {
        final long start = System.nanoTime();
        assertNull(Subprocess.run(List.of("sleep", "30"), ENV, null, 300));
        assertTrue(System.nanoTime() - start < 20_000_000_000L, "returned long before sleep would have ended");
        // Killed and reaped: no child of this JVM is left, zombie or not.
        assertEquals(0, ProcessHandle.current().children().count());
    }

    @Test
    void aProgramThatCannotBeFoundIsAnError()
    {
        final NativeException ex = assertThrows(NativeException.class,
            () -> Subprocess.run(List.of("/nonexistent/vireo-ipam"), ENV, null, TIMEOUT_MS));
        assertEquals(Errno.ENOENT, ex.errno());
        assertTrue(ex.getMessage().startsWith("cannot run /nonexistent/vireo-ipam"), ex.getMessage());
    }
}
