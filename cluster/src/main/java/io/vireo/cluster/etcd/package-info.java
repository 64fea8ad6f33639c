/**
 * The etcd v3 client the cluster control plane uses: {@link io.vireo.cluster.etcd.EtcdClient}, over etcd's
 * gRPC-JSON gateway (HTTP/1.1 and JSON under {@code /v3/} on the members' client URLs) with the JDK's HTTP
 * client and Jackson: key-value reads at one revision, writes, compare-and-set transactions, leases, watches
 * that resume across endpoints, and the members' status. No gRPC, Netty or Vert.x comes with it.
 * {@code GatewayJson} is the wire format both ways; {@code GatewayWatch} one watch's thread.
 */
package io.vireo.cluster.etcd;
