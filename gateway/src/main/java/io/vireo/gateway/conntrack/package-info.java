/**
 * Connection tracking for NAT: {@link io.vireo.gateway.conntrack.ConnectionTable}, IPv4 connections
 * by zone, protocol and 5-tuple in either direction, with TCP, UDP and ICMP states and timeouts close
 * to Linux conntrack's, off heap and shared by the forwarding threads; one control thread ages and
 * flushes. The entries' and the index's layouts are drawn in {@code ConnectionEntries} and
 * {@code ConnectionIndex}, the state word in {@code ConnectionStates}.
 */
package io.vireo.gateway.conntrack;
