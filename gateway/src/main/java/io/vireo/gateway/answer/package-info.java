/**
 * What a router answers itself on a forwarding thread, in place in the frame's slot: ARP replies and
 * requests, IPv6 neighbour advertisements and solicitations, echo replies and ICMP/ICMPv6 errors
 * ({@link io.vireo.gateway.answer.RouterAnswers}).
 */
package io.vireo.gateway.answer;
