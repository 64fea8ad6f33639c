/**
 * The switch core, embeddable as a library: {@link io.vireo.vswitch.core.Vireo}, a facade that keeps the public
 * API (with its sub-facades {@code VireoOverlay}, {@code VireoGateway} and {@code VireoHandover}), the switch's lock
 * and its life cycle, over the parts that do the work: {@code Bridges}, {@code Ports} and the openers of each port
 * type ({@code TapPorts}, {@code VhostUserPorts}, {@code VxlanPorts}, {@code AfPacketPorts}), {@code Overlay}
 * (VXLAN peers, remote MACs, neighbour answers), {@code Policies}, {@code Captures}, {@code Routers} with their
 * DNS, services and tracked connections, {@code PortHandover} (restarts and takeovers), {@code Topology} (bridges
 * and ports by name and id), {@code SwitchTables} (the tables the forwarding threads share, and the counters in a
 * memory-mapped file), {@code ForwardingThreads} and the {@code Conductor} (aging, failed ports, connection
 * expiry, health probes).
 */
package io.vireo.vswitch.core;
