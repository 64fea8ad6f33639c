/**
 * The VXLAN tunnel endpoint (RFC 7348) over IPv4: {@link io.vireo.tunnel.vxlan.Vtep} (batched UDP
 * receive and send, decapsulation checks, peers, head-end replication) and
 * {@link io.vireo.tunnel.vxlan.PacketTooBig} (the ICMP answer to a frame the overlay cannot carry).
 */
package io.vireo.tunnel.vxlan;
