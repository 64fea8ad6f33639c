package io.vireo.vswitch.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vireoctl adds only the command its arguments name, so what it answers must not depend on that: the usage lists
 * every command, a misspelt one is a usage error, a named one parses its own options and reaches the daemon.
 */
class VireoctlTest
{
    private static final List<String> COMMANDS = List.of("bridge", "port", "fdb", "policy", "vxlan", "stats", "registry",
        "network", "cluster", "capture", "threads", "router", "route", "nat", "conntrack", "service");

    @Test
    void theCommandsNameIsTheFirstArgumentThatIsNeitherAnOptionNorTheRunDir()
    {
        assertEquals("bridge", Vireoctl.commandName(new String[] {"bridge", "list"}));
        assertEquals("port", Vireoctl.commandName(new String[] {"--run-dir", "/run/x", "port", "list"}));
        assertEquals("nat", Vireoctl.commandName(new String[] {"--run-dir=/run/x", "nat", "list", "r1"}));
        assertEquals("router", Vireoctl.commandName(new String[] {"-h", "router"}));
        assertNull(Vireoctl.commandName(new String[] {"--run-dir", "bridge"}), "bridge is the run dir here");
        assertNull(Vireoctl.commandName(new String[] {"--help"}));
        assertNull(Vireoctl.commandName(new String[0]));
    }

    @Test
    void theUsageListsEveryCommand()
    {
        final String[] outAndErr = run(0, "--help");
        for (final String command : COMMANDS)
        {
            assertTrue(outAndErr[0].contains("\n  " + command + " "), command + " in: " + outAndErr[0]);
        }
    }

    @Test
    void aMisspeltCommandIsAUsageErrorInOneLine()
    {
        final String err = run(2, "--run-dir", "/nonexistent", "brige", "list")[1];
        assertTrue(err.startsWith("vireoctl: ") && err.contains("brige") && err.contains("(see vireoctl --help)"), err);
        assertEquals(1, err.strip().lines().count(), err);
    }

    @Test
    void aNamedCommandParsesItsOwnOptionsAndReachesForTheDaemon()
    {
        final String usage = run(2, "--run-dir", "/nonexistent", "bridge", "add")[1];
        assertTrue(usage.contains("Missing required parameter"), usage);
        final String unreachable = run(1, "--run-dir", "/nonexistent", "bridge", "list")[1];
        assertTrue(unreachable.contains("no control socket at /nonexistent"), unreachable);
    }

    /** Runs vireoctl in this JVM, asserts its exit code, and returns what it wrote to stdout and stderr. */
    private static String[] run(final int expectedExit, final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Vireoctl.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        final String[] outAndErr = {out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        assertEquals(expectedExit, exit, outAndErr[0] + outAndErr[1]);
        return outAndErr;
    }
}
