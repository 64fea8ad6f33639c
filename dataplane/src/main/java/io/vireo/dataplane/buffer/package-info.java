/**
 * Packet memory: bursts of frames in pre-allocated off-heap slots with headroom, owned by one
 * forwarding thread and reused for every receive.
 */
package io.vireo.dataplane.buffer;
