/**
 * Interface placement and configuration on the control path: namespaces, MAC, MTU, addresses, state,
 * through iproute2.
 */
package io.vireo.vswitch.link;
