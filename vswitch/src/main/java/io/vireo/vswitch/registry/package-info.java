/**
 * The service registry, as Eureka offers one: instances register under a service name with an address, a
 * port and metadata, keep a lease alive with heartbeats and are evicted when it runs out; every change moves
 * an index that readers can wait on ({@link io.vireo.vswitch.registry.ServiceRegistry#watch}) and that
 * listeners hear of ({@link io.vireo.vswitch.registry.RegistryListener}). The control API serves it under
 * {@code /v1/registry}; the CNI plugin registers containers in it.
 */
package io.vireo.vswitch.registry;
