/**
 * ARP/ND suppression: the addresses of endpoints the control plane knows, by bridge
 * ({@link io.vireo.gateway.suppression.SuppressionTable}), and the stage that answers ARP requests and
 * IPv6 neighbour solicitations for them itself instead of flooding them to the overlay
 * ({@link io.vireo.gateway.suppression.SuppressionStage}).
 */
package io.vireo.gateway.suppression;
