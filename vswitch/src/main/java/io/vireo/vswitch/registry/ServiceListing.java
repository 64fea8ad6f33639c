package io.vireo.vswitch.registry;

import java.util.List;

/**
 * A service's live instances at one index of the registry.
 *
 * @param service   the service's name.
 * @param index     the registry's index at the service's last change; 0 if it never had an instance.
 * @param instances its live instances, by id; empty once the last one has gone.
 */
public record ServiceListing(String service, long index, List<ServiceInstance> instances)
{
}
