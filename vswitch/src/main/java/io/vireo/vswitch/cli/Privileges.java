package io.vireo.vswitch.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who this process runs as, read from {@code /proc/self/status}. */
final class Privileges
{
    private Privileges()
    {
    }

    /** True if the effective user id is 0. */
    static boolean isRoot()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (line.startsWith("Uid:"))
                {
                    final String[] ids = line.substring(4).trim().split("\\s+");
                    return "0".equals(ids[1]);
                }
            }
        }
        catch (final IOException ex)
        {
            return false;
        }
        return false;
    }
}
