/**
 * L3 and beyond as stages of the forwarding pipeline: routers attached to bridges by interfaces,
 * their route tables (longest-prefix match off heap), their neighbour tables (ARP and IPv6 neighbour
 * discovery), the answers a router gives itself (ARP and neighbour advertisements, echo replies,
 * ICMP errors, TCP resets), its connection table and address translation, its load-balanced services
 * and their health probes, and its DNS server; and ARP/ND suppression, the answers the switch gives for
 * the endpoints of an overlay it knows. The stages run on the forwarding threads and follow the rules of
 * {@link io.vireo.dataplane.pipeline.Stage}; {@code vswitch} wires them, and keeps the API, CLI and
 * config.
 */
package io.vireo.gateway;
