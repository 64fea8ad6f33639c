/**
 * The switch's interfaces for the components that drive it from inside the daemon, owned by the switch
 * so that they depend on it and not the other way round: the cluster reconciler ({@code cluster/})
 * knows the switch only as an {@link io.vireo.api.OverlaySwitch}.
 */
package io.vireo.api;
