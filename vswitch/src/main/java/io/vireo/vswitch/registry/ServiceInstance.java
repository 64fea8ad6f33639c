package io.vireo.vswitch.registry;

import java.util.Map;

/**
 * One registered instance of a service, as {@link ServiceRegistry} holds it: its fields checked and the address
 * in canonical form (IPv6 as RFC 5952 writes it).
 *
 * @param service      the service's name, a DNS label.
 * @param id           unique within the service.
 * @param address      an IPv4 or IPv6 address.
 * @param port         1..65535.
 * @param metadata     free-form key/value pairs, sorted by key; empty if none.
 * @param leaseSeconds how long the instance lives without a heartbeat; 0: until it is deregistered.
 * @param owner        what manages the instance, such as {@code cni:vc0123456789ab} (the CNI plugin, for the
 *                     container of that port), or null.
 */
public record ServiceInstance(
    String service, String id, String address, int port, Map<String, String> metadata, int leaseSeconds, String owner)
{
}
