package io.vireo.vswitch.core;

/**
 * A packet capture as the control plane reports it: frames written to the file so far, frames the
 * capture could not keep up with, and whether it still takes frames ({@code limit} null: no limit).
 */
public record CaptureInfo(int id, String port, String file, Long limit, long captured, long dropped, boolean running)
{
}
