package io.vireo.vswitch.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a container runtime run by a test leaves on the host beyond what {@link Sandbox} removes, and its removal at
 * {@link #clean()}, whether the test passed or not:
 * <ul>
 *   <li>processes that outlive the runtime's commands (conmon, containerd shims), found by the runtime's temp dirs on
 *       their command lines, and the containers' processes, found in the runtime's cgroup: all stopped by pid;</li>
 *   <li>the cgroup ({@code /<prefix>-<runtime>} in every hierarchy);</li>
 *   <li>the containers' network namespaces, and every mount under the runtime's temp dirs;</li>
 *   <li>at fixed places of the host where the runtime keeps an entry per container, named with its id
 *       ({@code /run/runc/<id>}, {@code /var/lib/cni/results/<network>-<id>-<ifname>}), the containers' entries; and
 *       the places themselves if they were not there before the runtime ran (directories only once empty).</li>
 * </ul>
 */
final class RuntimeLeftovers
{
    private static final Path CGROUPS = Path.of("/sys/fs/cgroup");

    private final Sandbox sandbox;
    private final String cgroup;
    private final List<Path> tempDirs;
    private final List<Path> places = new ArrayList<>();
    private final List<Path> newPlaces = new ArrayList<>();
    private final List<String> containerIds = new ArrayList<>();
    private final List<Path> namespaces = new ArrayList<>();

    /**
     * @param cgroup   the cgroup the runtime puts its containers in, relative to each hierarchy's root.
     * @param tempDirs the runtime's own directories, which the sandbox removes after this.
     */
    RuntimeLeftovers(final Sandbox sandbox, final String cgroup, final List<Path> tempDirs)
    {
        this.sandbox = sandbox;
        this.cgroup = cgroup;
        this.tempDirs = tempDirs;
    }

    /** A fixed place of the host the runtime uses (a directory, or a file): give children first. */
    void place(final Path path)
    {
        places.add(path);
        if (!Files.exists(path))
        {
            newPlaces.add(path);
        }
    }

    /** A container the runtime started, and the network namespace it mounted for it. */
    void container(final String id, final Path netns)
    {
        containerIds.add(id);
        namespaces.add(netns);
    }

    void clean() throws Exception
    {
        for (final ProcessHandle process : processesMentioningTempDirs())
        {
            process.destroyForcibly();
        }
        for (final Path group : cgroupDirsDeepestFirst())
        {
            emptyAndRemove(group);
        }
        for (final Path namespace : namespaces)
        {
            if (Files.exists(namespace))
            {
                sandbox.run("umount", "--lazy", namespace.toString());
                Files.deleteIfExists(namespace);
            }
        }
        for (final String mountPoint : mountPointsUnderTempDirs())
        {
            // Lazy: the sandbox removes the directories next, whether or not something still holds the mount.
            sandbox.run("umount", "--lazy", mountPoint);
        }
        for (final Path entry : containerEntries())
        {
            sandbox.run("rm", "-rf", entry.toString());
        }
        for (final Path place : newPlaces)
        {
            try
            {
                Files.deleteIfExists(place);
            }
            catch (final DirectoryNotEmptyException ex)
            {
                // Something else uses it now: it stays.
            }
        }
    }

    private List<Path> containerEntries() throws IOException
    {
        final List<Path> entries = new ArrayList<>();
        for (final Path place : places)
        {
            if (Files.isDirectory(place))
            {
                try (Stream<Path> list = Files.list(place))
                {
                    list.filter(entry -> containerIds.stream().anyMatch(id -> entry.getFileName().toString().contains(id)))
                        .forEach(entries::add);
                }
            }
        }
        return entries;
    }

    private List<ProcessHandle> processesMentioningTempDirs()
    {
        return ProcessHandle.allProcesses().filter(process ->
        {
            final String commandLine = commandLine(process.pid());
            return tempDirs.stream().anyMatch(dir -> commandLine.contains(dir.toString()));
        }).toList();
    }

    private static String commandLine(final long pid)
    {
        try
        {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return ""; // it ended meanwhile
        }
    }

    private List<Path> cgroupDirsDeepestFirst() throws IOException
    {
        final List<Path> groups = new ArrayList<>();
        try (Stream<Path> hierarchies = Files.list(CGROUPS))
        {
            for (final Path hierarchy : Stream.concat(Stream.of(CGROUPS), hierarchies).toList())
            {
                final Path group = hierarchy.resolve(cgroup.substring(1));
                if (Files.isDirectory(group))
                {
                    try (Stream<Path> dirs = Files.walk(group))
                    {
                        dirs.filter(Files::isDirectory).forEach(groups::add);
                    }
                }
            }
        }
        groups.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return groups;
    }

    /** Kills what runs in the cgroup, then removes it once the kernel lets it go (its processes reaped). */
    private static void emptyAndRemove(final Path group)
    {
        TapForwardingIT.waitFor(() ->
        {
            try
            {
                for (final String pid : Files.readAllLines(group.resolve("cgroup.procs")))
                {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                }
                Files.delete(group);
                return true;
            }
            catch (final NoSuchFileException ex)
            {
                return true;
            }
            catch (final IOException ex)
            {
                return false; // still busy
            }
        }, "cgroup " + group + " emptied and removed", 30);
    }

    private List<String> mountPointsUnderTempDirs() throws IOException
    {
        final List<String> mountPoints = new ArrayList<>();
        for (final String line : Files.readAllLines(Path.of("/proc/self/mountinfo")))
        {
            // Field 5 is the mount point (escaped, but the temp dirs' paths have nothing to escape).
            final String mountPoint = line.split(" ")[4];
            if (tempDirs.stream().anyMatch(dir -> Path.of(mountPoint).startsWith(dir)))
            {
                mountPoints.add(mountPoint);
            }
        }
        mountPoints.sort(Comparator.comparingInt(String::length).reversed());
        return mountPoints;
    }
}
