/**
 * L3 and beyond as stages of the forwarding pipeline: routers attached to bridges by interfaces,
 * their route tables (longest-prefix match off heap), their neighbour tables (ARP and IPv6 neighbour
 * discovery) and the answers a router gives itself (ARP and neighbour advertisements, echo replies,
 * ICMP errors). The stages run on the forwarding threads and follow the rules of
 * {@link io.vireo.dataplane.pipeline.Stage}; {@code vswitch} wires them, and keeps the API, CLI and
 * config.
 */
package io.vireo.gateway;
