package io.vireo.dataplane.nativeio;

import java.util.HashMap;
import java.util.Map;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Tells, at the cost of one {@code read(2)}, whether an entry left any of the directories it watches (deleted or
 * moved out: {@code IN_DELETE}, {@code IN_MOVED_FROM}) or a directory itself went ({@code IN_DELETE_SELF},
 * {@code IN_MOVE_SELF}, {@code IN_UNMOUNT}), since the last time it was asked: an inotify instance, non-blocking.
 * It says only that something may have gone, not what: its owner then looks at what it cares about. A
 * directory is watched once however many users it has ({@link #add}, {@link #remove}). {@link #changed}
 * allocates nothing; one thread at a time.
 */
public final class DirectoryWatch implements AutoCloseable
{
    private static final int IN_NONBLOCK = 0x800;
    private static final int IN_CLOEXEC = 0x80000;
    private static final int IN_MOVED_FROM = 0x40;
    private static final int IN_DELETE = 0x200;
    private static final int IN_DELETE_SELF = 0x400;
    private static final int IN_MOVE_SELF = 0x800;
    private static final int IN_ONLYDIR = 0x0100_0000;
    private static final int MASK = IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
    /** Room for many events at once (16 bytes each and the entry's name); more wait for the next read. */
    private static final int EVENTS_LENGTH = 4096;

    private final Fd fd;
    private final UnsafeBuffer events = new UnsafeBuffer(BufferUtil.allocateDirectAligned(EVENTS_LENGTH, 8));
    /** Watch descriptor and users, by directory. */
    private final Map<String, int[]> watches = new HashMap<>();

    private DirectoryWatch(final int fd)
    {
        this.fd = Fd.own(fd);
    }

    /** A new watch of no directory. */
    public static DirectoryWatch create()
    {
        final int fd = Native.libc().inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
        {
            throw new NativeException("inotify_init1", Native.errno());
        }
        return new DirectoryWatch(fd);
    }

    /**
     * Watches {@code directory} for one more user.
     *
     * @return false, watching nothing more, if the kernel refuses (no such directory, not a directory, the
     * user's limit of watches reached): the caller must look for itself.
     */
    public boolean add(final String directory)
    {
        final int[] watch = watches.get(directory);
        if (null != watch)
        {
            watch[1]++;
            return true;
        }
        final int descriptor = Native.libc().inotify_add_watch(fd.value(), directory, MASK);
        if (descriptor < 0)
        {
            return false;
        }
        watches.put(directory, new int[] {descriptor, 1});
        return true;
    }

    /** One user of {@code directory} fewer ({@link #add} having returned true for it); the last stops the watch. */
    public void remove(final String directory)
    {
        final int[] watch = watches.get(directory);
        if (null != watch && 0 == --watch[1])
        {
            watches.remove(directory);
            // Fails harmlessly if the kernel ended the watch itself (the directory went).
            Native.libc().inotify_rm_watch(fd.value(), watch[0]);
        }
    }

    /**
     * True if anything happened to the watched directories since the last call (or the kernel's queue of events
     * overflowed, or a watch ended); takes every event waiting.
     */
    public boolean changed()
    {
        boolean changed = false;
        while (fd.read(events.addressOffset(), EVENTS_LENGTH) > 0)
        {
            changed = true;
        }
        return changed;
    }

    @Override
    public void close()
    {
        fd.close();
    }
}
