package io.vireo.vswitch.cni;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * iproute2 inside the container's network namespace, given by path as CNI gives it (/proc/PID/ns/net,
 * /run/netns/NAME), entered with {@code nsenter --net=PATH}.
 */
final class ContainerNetns
{
    private static final long TIMEOUT_SECONDS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String path;

    ContainerNetns(final String path)
    {
        this.path = path;
    }

    String path()
    {
        return path;
    }

    /** True if {@code ifname} exists in the namespace. */
    boolean hasInterface(final String ifname)
    {
        return 0 == ip(List.of("link", "show", "dev", ifname), null).exit();
    }

    /**
     * The interface as {@code ip -json addr show} reports it ({@code address} is the MAC, {@code flags},
     * {@code mtu}, {@code addr_info[].local/prefixlen}), or null if there is no such interface.
     */
    JsonNode describe(final String ifname)
    {
        final Exec.Output output = ip(List.of("-json", "addr", "show", "dev", ifname), null);
        if (0 != output.exit())
        {
            return null;
        }
        try
        {
            final JsonNode links = JSON.readTree(output.stdout());
            return null != links && links.isArray() && !links.isEmpty() ? links.get(0) : null;
        }
        catch (final IOException ex)
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, "cannot read ip's description of " + ifname,
                output.stdout());
        }
    }

    /**
     * Runs {@code ip} commands (one per line, as {@code ip -batch} reads them) in one process; the first
     * failing command stops the batch.
     *
     * @throws CniException code 999 with ip's message.
     */
    void batch(final List<String> commands, final String what)
    {
        final Exec.Output output = ip(List.of("-batch", "-"),
            (String.join("\n", commands) + "\n").getBytes(StandardCharsets.UTF_8));
        if (0 != output.exit())
        {
            throw new CniException(CniException.PLUGIN_SPECIFIC, what + " in " + path + " failed: " +
                output.stderr().strip().replace('\n', ' '), String.join("; ", commands));
        }
    }

    private Exec.Output ip(final List<String> args, final byte[] stdin)
    {
        final List<String> command = new ArrayList<>(List.of("nsenter", "--net=" + path, "--", "ip"));
        command.addAll(args);
        return Exec.run(command, null, stdin, TIMEOUT_SECONDS);
    }
}
