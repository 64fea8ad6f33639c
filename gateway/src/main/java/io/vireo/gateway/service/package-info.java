/**
 * Load balancing at a router: services (a virtual address, port and protocol) and their backends
 * ({@link io.vireo.gateway.service.ServiceTable}, {@link io.vireo.gateway.service.ServiceView}), the
 * algorithms that pick a backend for a new connection, Maglev's consistent hashing
 * ({@link io.vireo.gateway.service.Maglev}), and per-backend figures
 * ({@link io.vireo.gateway.service.BackendStats}). The router's NAT translates a service's connections
 * to the chosen backend and keeps them there ({@link io.vireo.gateway.nat.Ipv4Nat}).
 */
package io.vireo.gateway.service;
