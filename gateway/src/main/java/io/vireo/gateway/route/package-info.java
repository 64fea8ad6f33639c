/**
 * Longest-prefix-match route tables off heap: {@link io.vireo.gateway.route.Ipv4RouteTable} (DIR-24-8,
 * one or two memory reads a lookup) and {@link io.vireo.gateway.route.Ipv6RouteTable} (one hash table
 * probed per prefix length in use, longest first). Forwarding threads look up without locks or
 * allocation while one control thread adds and removes routes; a lookup that races an update answers
 * as before it or as after it, never anything else.
 */
package io.vireo.gateway.route;
