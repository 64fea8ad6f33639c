/**
 * The cluster control plane: a node's desired state (members, networks, endpoints, address blocks)
 * lives in etcd v3; one reconciler turns it into calls on the switch's {@link io.vireo.api.OverlaySwitch}
 * and never touches the forwarding path, so forwarding goes on with the last known state while the
 * store is away.
 */
package io.vireo.cluster;
