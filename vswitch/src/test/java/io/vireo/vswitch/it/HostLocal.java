package io.vireo.vswitch.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Debian's reference CNI plugins (containernetworking-plugins), and the addresses their {@code host-local} IPAM holds. */
final class HostLocal
{
    static final Path PLUGIN_DIR = Path.of("/usr/lib/cni");

    private HostLocal()
    {
    }

    static void assertInstalled()
    {
        assertTrue(Files.isExecutable(PLUGIN_DIR.resolve("host-local")),
            "host-local is missing: apt-get install containernetworking-plugins (scripts/install-deps.sh)");
    }

    /** The addresses host-local holds for {@code network} in {@code dataDir} (it keeps one file per address). */
    static List<String> allocations(final Path dataDir, final String network) throws IOException
    {
        final Path dir = dataDir.resolve(network);
        if (!Files.isDirectory(dir))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir))
        {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.matches("[0-9.]+")).sorted().toList();
        }
    }
}
