/**
 * The VXLAN tunnel endpoint (RFC 7348): UDP socket, encapsulation and decapsulation, peers, remote
 * learning, head-end replication. Not built yet; see issue 4.
 */
package io.vireo.tunnel.vxlan;
