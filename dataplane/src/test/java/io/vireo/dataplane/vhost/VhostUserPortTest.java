package io.vireo.dataplane.vhost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the factories accept and refuse, and the socket file's life. */
class VhostUserPortTest
{
    @TempDir
    Path dir;

    @Test
    void serverReplacesAStaleSocketAndRemovesItsOwnOnClose()
    {
        final Path path = dir.resolve("vm1.sock");
        UnixSocket.listen(path).close();
        assertTrue(Files.exists(path), "a dead listener leaves its file");

        try (VhostUserPort port = VhostUserPort.server("vm1", path))
        {
            assertEquals("vm1", port.name());
            assertEquals("vhost-user", port.type());
            assertFalse(port.isClient());
            assertFalse(port.isConnected());
            assertEquals(0, port.failure());
        }
        assertFalse(Files.exists(path));
    }

    @Test
    void serverRefusesASocketInUseAndAFileThatIsNotASocket() throws IOException
    {
        final Path path = dir.resolve("vm1.sock");
        try (VhostUserPort first = VhostUserPort.server("vm1", path))
        {
            assertThrows(IllegalStateException.class, () -> VhostUserPort.server("vm2", path));
            assertTrue(first.toString().contains("server on"));
        }
        final Path file = Files.writeString(dir.resolve("notes.txt"), "not a socket");
        assertThrows(IllegalArgumentException.class, () -> VhostUserPort.server("vm3", file));
        assertEquals("not a socket", Files.readString(file));
        assertThrows(NativeException.class, () -> VhostUserPort.server("vm4", dir.resolve("missing/vm4.sock")));
    }

    @Test
    void refusesBadNamesAndPathsBeforeStartingAThread()
    {
        final Path tooLong = dir.resolve("x".repeat(120) + ".sock");
        assertThrows(IllegalArgumentException.class, () -> VhostUserPort.client("vm1", tooLong));
        assertThrows(IllegalArgumentException.class, () -> VhostUserPort.server("vm1", tooLong));
        assertThrows(IllegalArgumentException.class, () -> VhostUserPort.client(" ", dir.resolve("vm1.sock")));
    }

    @Test
    void clientWaitsForAFrontendWithoutFailing()
    {
        try (VhostUserPort port = VhostUserPort.client("vm1", dir.resolve("later.sock")))
        {
            assertTrue(port.isClient());
            assertFalse(port.isConnected());
            assertEquals(0, port.failure());
            assertEquals(0, port.reconnects());
        }
    }
}
