/**
 * ICMP and ICMPv6 errors: when one may be sent and how it is built
 * ({@link io.vireo.dataplane.icmp.IcmpErrors}), and the overlay's answer to a packet it cannot carry
 * ({@link io.vireo.dataplane.icmp.PacketTooBig}).
 */
package io.vireo.dataplane.icmp;
