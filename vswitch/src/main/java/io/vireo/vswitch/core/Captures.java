package io.vireo.vswitch.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.vswitch.pipeline.ForwardingProxy;

/**
 * The running packet captures: at most one per port, each recording on every forwarding thread into its
 * own file. Control thread only: the caller holds the switch's lock.
 */
final class Captures
{
    private record Running(PacketCapture capture, PortRecord port)
    {
    }

    private final Map<Integer, Running> captures = new LinkedHashMap<>();
    private final ForwardingProxy forwarding;
    private final Topology topology;
    private int nextId = 1;

    Captures(final ForwardingProxy forwarding, final Topology topology)
    {
        this.forwarding = forwarding;
        this.topology = topology;
    }

    /**
     * Starts capturing a port's frames, both directions, into a pcap file (created or replaced), up to
     * {@code limit} frames (null: until stopped).
     */
    CaptureInfo start(final String portName, final Path file, final Long limit)
    {
        final PortRecord port = topology.port(portName);
        if (null == file || !file.isAbsolute())
        {
            throw VireoException.invalid("a capture needs an absolute file path, got " + file);
        }
        if (null != limit && limit <= 0)
        {
            throw VireoException.invalid("a capture's frame count must be positive, got " + limit);
        }
        for (final Running running : captures.values())
        {
            if (running.port() == port)
            {
                throw VireoException.conflict("port " + port.name() + " is being captured already (capture " +
                    running.capture().id() + ")");
            }
        }
        final PacketCapture capture;
        try
        {
            capture = new PacketCapture(nextId++, port.name(), file, limit);
        }
        catch (final IOException ex)
        {
            throw new VireoException(VireoException.Kind.FAILED, "cannot write capture file " + file + ": " + ex, ex);
        }
        forwarding.capture(port.id, capture);
        captures.put(capture.id(), new Running(capture, port));
        return capture.info();
    }

    List<CaptureInfo> list()
    {
        final List<CaptureInfo> result = new ArrayList<>();
        captures.values().forEach(running -> result.add(running.capture().info()));
        return result;
    }

    CaptureInfo info(final int id)
    {
        return running(id).capture().info();
    }

    /** Ends a capture: the frames recorded so far are written and the file closed. */
    CaptureInfo stop(final int id)
    {
        final Running running = running(id);
        // A port that was deleted is on no thread any more: nothing records for it.
        if (topology.portById(running.port().id) == running.port())
        {
            forwarding.capture(running.port().id, null);
        }
        captures.remove(id);
        running.capture().close();
        if (null != running.capture().failure())
        {
            throw new VireoException(VireoException.Kind.FAILED, "capture " + id + " could not write its file: " +
                running.capture().failure());
        }
        return running.capture().info();
    }

    /** Closes the capture of a port that is being deleted, if it has one; the capture stays listed until stopped. */
    void portRemoved(final PortRecord port)
    {
        captures.values().stream().filter(running -> running.port() == port).forEach(running -> running.capture().close());
    }

    /** Stops every capture, as the switch closes; a capture that could not write its file is reported on stderr. */
    void stopAll()
    {
        for (final int id : List.copyOf(captures.keySet()))
        {
            try
            {
                stop(id);
            }
            catch (final VireoException ex)
            {
                System.err.println("vireo: " + ex.getMessage());
            }
        }
    }

    private Running running(final int id)
    {
        final Running running = captures.get(id);
        if (null == running)
        {
            throw VireoException.notFound("no capture " + id);
        }
        return running;
    }
}
