package io.vireo.vswitch.pipeline;

import org.agrona.DirectBuffer;

/** Takes a copy of frames a port receives or sends (a packet capture); called on forwarding threads, must not block. */
public interface FrameRecorder
{
    void record(DirectBuffer buffer, int offset, int length);
}
