package io.vireo.vswitch.registry;

/**
 * Told of every change to a {@link ServiceRegistry}: a registration that is new or differs from the one it
 * replaces, a deregistration, an eviction. Heartbeats change nothing, so they are not told.
 */
@FunctionalInterface
public interface RegistryListener
{
    /**
     * A service changed. Called on the registry's notifier, one change after the other in index order; what
     * this throws goes to the registry's error handler, and the other listeners are still told.
     *
     * @param listing the service as the change left it: its live instances (none when the last one went) and
     *                the index of the change.
     */
    void serviceChanged(ServiceListing listing);
}
