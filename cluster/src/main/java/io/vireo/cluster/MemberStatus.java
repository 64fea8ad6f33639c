package io.vireo.cluster;

/** A member of the cluster as a node sees it: its record and the lease its key lives under (hex in the CLI). */
public record MemberStatus(String node, String underlay, int vtepPort, long lease)
{
}
