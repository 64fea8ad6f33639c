package io.vireo.cluster;

/** A node of the cluster, as it registers itself under its lease. */
public record Member(String node, String underlay, int vtepPort)
{
}
