/**
 * A router's IPv4 address translation: {@link io.vireo.gateway.nat.NatRules} (masquerade, published
 * ports, services, as the forwarding threads read them), {@link io.vireo.gateway.nat.Ipv4Nat} (one per
 * forwarding thread, around the route lookup, over the shared connection table),
 * {@link io.vireo.gateway.nat.Ipv4Rewrite} (addresses, ports and checksums rewritten in place) and
 * {@link io.vireo.gateway.nat.FragmentTable} (fragmented datagrams by what their first fragment became,
 * per thread: virtual reassembly).
 */
package io.vireo.gateway.nat;
