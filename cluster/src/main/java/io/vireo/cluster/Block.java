package io.vireo.cluster;

/** A block of a network's addresses claimed by {@code node}: only it allocates from the block. */
public record Block(String node)
{
}
