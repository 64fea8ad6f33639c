package io.vireo.benches.pipeline;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.port.Port;

/** A benchmark's port: does no I/O, swallows what it is sent; a subclass says what it receives. */
abstract class SinkPort implements Port
{
    private final String name;

    SinkPort(final String name)
    {
        this.name = name;
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public String type()
    {
        return "synthetic";
    }

    @Override
    public int transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        return count;
    }

    @Override
    public int failure()
    {
        return 0;
    }

    @Override
    public void close()
    {
    }
}
