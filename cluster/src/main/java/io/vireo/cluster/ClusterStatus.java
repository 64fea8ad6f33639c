package io.vireo.cluster;

import java.util.List;
import java.util.Map;

import io.vireo.cluster.etcd.StoreStatus;

/**
 * A node's view of its cluster, for {@code vireoctl cluster status} and the metrics.
 *
 * @param node          this node.
 * @param underlay      its underlay address.
 * @param lease         its lease in the store (0 before it first registered).
 * @param leaseSeconds  the lease's time to live.
 * @param storeUp       whether the store answered the last request and the watch is connected.
 * @param revision      the store revision this node's view is at.
 * @param members       the members it sees, by name, each with its lease.
 * @param networks      the networks applied to its switch.
 * @param endpoints     the endpoints of all networks it sees.
 * @param pendingWrites its own keys written while the store was away, not yet in the store.
 * @param counters      watch events, resyncs, registrations, store errors, conflicts, lost claims, malformed values,
 *                      switch calls and failures.
 * @param lastError     the last error (store or switch), or null.
 * @param store         each etcd endpoint's health; null when not asked for.
 */
public record ClusterStatus(
    String node, String underlay, long lease, int leaseSeconds, boolean storeUp, long revision, List<MemberStatus> members,
    List<NetworkStatus> networks, int endpoints, int pendingWrites, Map<String, Long> counters,
    String lastError, StoreStatus store)
{
}
