package io.vireo.vswitch.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.registry.ServiceRegistry;

/**
 * The config file as {@code vireod} keeps it: after each change made through the control API it is rewritten
 * with the switch as it is then ({@link DaemonConfig#of}), so a restart with the same {@code --config} builds
 * the same switch, and the registry's instances that have no lease. Only a change to what the file holds writes
 * it (a container's port coming and going does not, nor an instance with a lease). A write goes to a temporary file in the same directory, is synced and renamed over the file, so the
 * file is always either the old or the new version; the file keeps its mode and owner (a new one gets 0644).
 * <p>
 * The run dir's copy ({@link #openRunState}) is renamed into place without a sync: it is written on every
 * container's ADD and DEL, where a sync cost 8 ms, and it only has to survive the daemon, not the machine. It
 * is read by the next daemon on the run dir (and one taking over), which takes back the TAPs the port keeper
 * held; a rename is atomic for every process on the machine whether or not the data reached the disk, and the
 * page cache outlives a crashed process. After the machine's crash the TAPs are gone anyway, the run dir is
 * usually a tmpfs, and a copy that was cut short is ignored (logged) by the daemon that reads it; what must
 * survive a reboot is the {@code --config} file, which is synced.
 */
final class StateFile implements ControlApi.ChangeListener
{
    private final Path file;
    private final Vireo vireo;
    private final ServiceRegistry registry;
    private final Long agingSeconds;
    private final DaemonConfig.ClusterSection cluster;
    private final PrintStream log;
    /** Saves every TAP port and instance, containers' too ({@link DaemonConfig#of(Vireo, Long, boolean)}): the run dir's copy. */
    private final boolean everyTapPort;
    private DaemonConfig saved;

    private StateFile(final Path file, final Vireo vireo, final ServiceRegistry registry, final Long agingSeconds,
        final DaemonConfig.ClusterSection cluster, final PrintStream log, final boolean everyTapPort)
    {
        this.file = file;
        this.vireo = vireo;
        this.registry = registry;
        this.agingSeconds = agingSeconds;
        this.cluster = cluster;
        this.log = log;
        this.everyTapPort = everyTapPort;
    }

    /**
     * Keeps {@code file} in step with {@code vireo} from now on; writes it at once if it does not exist yet.
     * A symbolic link is followed, so the file it points to is the one replaced.
     *
     * @param agingSeconds the daemon's default aging, as the config gave it (null: none given).
     * @param cluster      the cluster section, written as it is (null: none).
     */
    static StateFile open(final Path file, final Vireo vireo, final ServiceRegistry registry, final Long agingSeconds,
        final DaemonConfig.ClusterSection cluster, final PrintStream log) throws IOException
    {
        return open(file, vireo, registry, agingSeconds, cluster, log, false);
    }

    /**
     * The run dir's copy of the switch, containers' ports included, which a daemon restarted on the run dir
     * builds itself from (see {@code Vireod}); written at once.
     */
    static StateFile openRunState(final Path file, final Vireo vireo, final ServiceRegistry registry,
        final Long agingSeconds, final DaemonConfig.ClusterSection cluster, final PrintStream log) throws IOException
    {
        Files.deleteIfExists(file);
        return open(file, vireo, registry, agingSeconds, cluster, log, true);
    }

    private static StateFile open(final Path file, final Vireo vireo, final ServiceRegistry registry,
        final Long agingSeconds, final DaemonConfig.ClusterSection cluster, final PrintStream log,
        final boolean everyTapPort) throws IOException
    {
        final boolean exists = Files.exists(file);
        final StateFile stateFile = new StateFile(
            exists ? file.toRealPath() : file.toAbsolutePath(), vireo, registry, agingSeconds, cluster, log, everyTapPort);
        if (exists)
        {
            stateFile.saved = stateFile.current();
        }
        else
        {
            try
            {
                stateFile.save();
            }
            catch (final IOException ex)
            {
                throw new IOException("cannot create " + stateFile.file + ": " + reason(ex), ex);
            }
            if (!everyTapPort)
            {
                log.println("vireod: created " + stateFile.file);
            }
        }
        return stateFile;
    }

    Path path()
    {
        return file;
    }

    /**
     * Writes the switch over the file if the file holds another (a daemon taking over keeps the switch it takes,
     * not the file's).
     *
     * @return whether the file held another switch.
     */
    synchronized boolean replaceIfOther()
    {
        final DaemonConfig now = current();
        try
        {
            if (now.equals(DaemonConfig.load(file)))
            {
                return false;
            }
        }
        catch (final IllegalArgumentException unreadable)
        {
            // not a switch at all: replaced as any other
        }
        try
        {
            replace(now.format(file).getBytes(StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot replace " + file + ": " + reason(ex), ex);
        }
        saved = now;
        return true;
    }

    /** Saves the switch if what the file holds changed; logs a failure and throws it for the client. */
    @Override
    public synchronized void switchChanged() throws IOException
    {
        try
        {
            save();
        }
        catch (final IOException ex)
        {
            final String message = "not saved to " + file + ": " + reason(ex);
            log.println("vireod: " + message);
            throw new IOException(message, ex);
        }
    }

    private void save() throws IOException
    {
        final DaemonConfig now = current();
        if (!now.equals(saved))
        {
            replace(now.format(file).getBytes(StandardCharsets.UTF_8));
            saved = now;
        }
    }

    private DaemonConfig current()
    {
        return DaemonConfig.of(vireo, registry, agingSeconds, everyTapPort).withCluster(cluster);
    }

    private static String reason(final IOException ex)
    {
        return ex instanceof FileSystemException fs && null != fs.getReason() ? fs.getReason() : ex.toString();
    }

    private void replace(final byte[] content) throws IOException
    {
        final Path directory = file.getParent();
        final Path temporary = Files.createTempFile(directory, "." + file.getFileName() + ".", ".tmp");
        try
        {
            keepModeAndOwner(temporary);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE))
            {
                final ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining())
                {
                    channel.write(buffer);
                }
                if (synced())
                {
                    channel.force(true);
                }
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException ex)
        {
            Files.deleteIfExists(temporary);
            throw ex;
        }
        if (!synced())
        {
            return;
        }
        // The rename is only durable once the directory is.
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    /** Only the {@code --config} file is synced: the run dir's copy need not survive the machine (see above). */
    private boolean synced()
    {
        return !everyTapPort;
    }

    private void keepModeAndOwner(final Path temporary) throws IOException
    {
        if (!Files.exists(file))
        {
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
            return;
        }
        final PosixFileAttributes old = Files.readAttributes(file, PosixFileAttributes.class);
        final PosixFileAttributeView view = Files.getFileAttributeView(temporary, PosixFileAttributeView.class);
        view.setOwner(old.owner());
        view.setGroup(old.group());
        view.setPermissions(old.permissions());
    }
}
