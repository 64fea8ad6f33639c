package io.vireo.vswitch.link;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2's {@code ip} for link and address configuration on the control path (moving an
 * interface into a namespace, setting MAC, MTU, address and state). Never used by forwarding threads.
 */
final class IpCommand
{
    private static final long TIMEOUT_SECONDS = 10;

    private IpCommand()
    {
    }

    /**
     * Runs {@code ip args...} inside {@code netns} (a name under /run/netns or a path such as
     * /proc/PID/ns/net; null: this process's namespace); returns stdout, throws {@link LinkException}
     * with ip's own message on failure.
     */
    static String run(final String netns, final String... args)
    {
        final List<String> command = new ArrayList<>();
        if (null != netns)
        {
            command.add("nsenter");
            command.add("--net=" + Links.namespacePath(netns));
            command.add("--");
        }
        command.add("ip");
        command.addAll(List.of(args));
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
            process.getOutputStream().close();
            final byte[] out = readAll(process.getInputStream());
            final byte[] err = readAll(process.getErrorStream());
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new LinkException(String.join(" ", command) + ": timed out");
            }
            if (process.exitValue() != 0)
            {
                final String message = new String(err, StandardCharsets.UTF_8).trim();
                throw new LinkException(String.join(" ", command) + ": " + (message.isEmpty() ? "failed" : message));
            }
            return new String(out, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new LinkException("cannot run ip (is iproute2 installed?): " + ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new LinkException(String.join(" ", command) + ": interrupted");
        }
    }

    private static byte[] readAll(final InputStream in) throws IOException
    {
        try (in)
        {
            return in.readAllBytes();
        }
    }
}
