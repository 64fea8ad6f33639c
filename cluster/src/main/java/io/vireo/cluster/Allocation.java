package io.vireo.cluster;

/** An address allocated by {@code node} to {@code owner} (a CNI container id and interface, say). */
public record Allocation(String node, String owner)
{
}
