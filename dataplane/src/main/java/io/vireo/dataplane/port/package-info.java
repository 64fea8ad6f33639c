/**
 * Port types behind the one {@link io.vireo.dataplane.port.Port} contract: receive a burst, transmit
 * a burst, report failure, close. {@link io.vireo.dataplane.port.TapPort} for TAP devices (keys:
 * name; the switch creates the device or attaches to a persistent one),
 * {@link io.vireo.dataplane.port.AfPacketPort} for an existing host interface through an AF_PACKET
 * socket (a gateway's uplink; keys: interface name, ring geometry), and
 * {@link io.vireo.dataplane.port.LoopbackPort}, an in-process port for tests and embedders.
 */
package io.vireo.dataplane.port;
