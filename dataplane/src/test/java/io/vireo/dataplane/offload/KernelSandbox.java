package io.vireo.dataplane.offload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.LibC;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.TunDevice;
import org.agrona.DirectBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What a kernel test creates: network namespaces, TAP devices and processes, named with a unique
 * {@code vo<4 hex>} prefix and all removed on {@link #close()} (processes by handle, TAPs by closing
 * their descriptors, then namespaces by name), whether the test passed or not.
 */
final class KernelSandbox implements AutoCloseable
{
    private final String prefix = "vo" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    private final List<String> namespaces = new ArrayList<>();
    private final List<Tap> taps = new ArrayList<>();
    private final Deque<Process> processes = new ArrayDeque<>();
    private final List<Path> files = new ArrayList<>();

    /** A TAP opened by the test: non-blocking reads and writes of whole frames from off-heap memory. */
    static final class Tap
    {
        final String name;
        private final int fd;
        private final LibC libc = Native.libc();
        private boolean closed;

        private Tap(final String name, final int fd)
        {
            this.name = name;
            this.fd = fd;
        }

        /** @return bytes read into the buffer at {@code offset}, or 0 if nothing is waiting. */
        int read(final DirectBuffer buffer, final int offset, final int capacity)
        {
            final long read = libc.read(fd, buffer.addressOffset() + offset, capacity);
            if (read < 0)
            {
                final int errno = Native.errno();
                assertEquals(Errno.EAGAIN, errno, () -> "read " + name + ": " + Native.strerror(errno));
                return 0;
            }
            return (int)read;
        }

        void write(final DirectBuffer buffer, final int offset, final int length)
        {
            final long written = libc.write(fd, buffer.addressOffset() + offset, length);
            if (written != length)
            {
                fail("write " + length + " bytes to " + name + ": " + (written < 0 ? Native.strerror(Native.errno()) : written));
            }
        }

        private void close()
        {
            if (!closed)
            {
                closed = true;
                libc.close(fd);
            }
        }
    }

    KernelSandbox()
    {
        if (!"root".equals(System.getProperty("user.name")))
        {
            fail("kernel tests create namespaces and TAP devices: run them as root");
        }
    }

    /** Creates namespace {@code <prefix><suffix>} with lo up. */
    String namespace(final String suffix)
    {
        final String name = prefix + suffix;
        run("ip", "netns", "add", name);
        namespaces.add(name);
        run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /**
     * Opens TAP {@code <prefix><suffix>} and moves it into a namespace, down.
     *
     * @param netHeader 12-byte virtio-net header on every frame ({@code IFF_VNET_HDR}).
     * @param offloads  {@code TUNSETOFFLOAD} flags, 0 for none.
     */
    Tap tap(final String suffix, final String netns, final boolean netHeader, final int offloads)
    {
        final String name = prefix + suffix;
        final Tap tap = new Tap(name, TunDevice.openTap(name, netHeader ? TunDevice.IFF_VNET_HDR : 0));
        taps.add(tap);
        if (netHeader)
        {
            TunDevice.setVnetHeaderSize(tap.fd, 12);
            TunDevice.setOffloads(tap.fd, offloads);
        }
        run("ip", "link", "set", "dev", name, "netns", netns);
        return tap;
    }

    Path tempFile(final String suffix) throws IOException
    {
        final Path file = Files.createTempFile(prefix, suffix);
        files.add(file);
        return file;
    }

    /** Runs a command to completion and fails the test, with its output, if it does not exit 0. */
    String run(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            final byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor();
                fail("timed out: " + String.join(" ", command));
            }
            final String text = new String(output, StandardCharsets.UTF_8);
            assertEquals(0, process.exitValue(), () -> String.join(" ", command) + ": " + text);
            return text;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    String inNetns(final String netns, final String... command)
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    /** Starts a process in a namespace, its output to {@code log}; stopped at close if still running. */
    Process startInNetns(final String netns, final Path log, final String... command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(List.of(command));
        final Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.push(process);
        return process;
    }

    @Override
    public void close() throws IOException
    {
        try
        {
            while (!processes.isEmpty())
            {
                final Process process = processes.pop();
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS))
                {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            for (final Tap tap : taps)
            {
                tap.close();
            }
            for (final String netns : namespaces)
            {
                new ProcessBuilder("ip", "netns", "del", netns).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, TimeUnit.SECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while cleaning up " + prefix, ex);
        }
        finally
        {
            for (final Path file : files)
            {
                Files.deleteIfExists(file);
            }
        }
    }
}
