package io.vireo.dataplane.nativeio;

import java.nio.file.Files;
import java.nio.file.Path;

import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real inotify instance on directories of a temporary one. */
class DirectoryWatchTest
{
    private Path root;
    private DirectoryWatch watch;

    @BeforeEach
    void setUp() throws Exception
    {
        root = Files.createTempDirectory("vireo-watch");
        watch = DirectoryWatch.create();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        watch.close();
        try (var paths = Files.walk(root))
        {
            paths.sorted((a, b) -> b.compareTo(a)).forEach(path -> path.toFile().delete());
        }
    }

    @Test
    void seesAnEntryDeletedOrMovedOutButNotOneAdded() throws Exception
    {
        final Path names = Files.createDirectory(root.resolve("netns"));
        final Path a = Files.createFile(names.resolve("a"));
        final Path b = Files.createFile(names.resolve("b"));
        assertTrue(watch.add(names.toString()));
        assertFalse(watch.changed(), "nothing happened yet");

        Files.createFile(names.resolve("c"));
        assertFalse(watch.changed(), "an entry added is not one gone");

        Files.delete(a);
        assertTrue(watch.changed());
        assertFalse(watch.changed(), "told once");

        Files.move(b, root.resolve("b"));
        assertTrue(watch.changed(), "moved out");
    }

    @Test
    void aDirectoryIsWatchedUntilItsLastUserLetsGo() throws Exception
    {
        final Path names = Files.createDirectory(root.resolve("netns"));
        assertTrue(watch.add(names.toString()));
        assertTrue(watch.add(names.toString()));

        watch.remove(names.toString());
        assertFalse(watch.changed(), "the watch goes on: its end would be an event");
        Files.delete(Files.createFile(names.resolve("a")));
        assertTrue(watch.changed(), "one user left");

        watch.remove(names.toString());
        watch.changed();   // the end of the watch is an event of its own
        Files.delete(Files.createFile(names.resolve("b")));
        assertFalse(watch.changed(), "no user left");
    }

    @Test
    void seesTheDirectoryItselfGoAndRefusesOneThatIsNot() throws Exception
    {
        final Path names = Files.createDirectory(root.resolve("netns"));
        assertTrue(watch.add(names.toString()));
        Files.delete(names);
        assertTrue(watch.changed());

        assertFalse(watch.add(root.resolve("none").toString()), "no such directory");
        assertFalse(watch.add(Files.createFile(root.resolve("file")).toString()), "not a directory");
    }

    @Test
    void askingAllocatesNothing() throws Exception
    {
        final Path names = Files.createDirectory(root.resolve("netns"));
        assertTrue(watch.add(names.toString()));
        Allocations.assertAllocatesNothing("1,000 reads of a quiet watch", () ->
        {
            long changes = 0;
            for (int i = 0; i < 1_000; i++)
            {
                changes += watch.changed() ? 1 : 0;
            }
            return changes;
        });
    }
}
