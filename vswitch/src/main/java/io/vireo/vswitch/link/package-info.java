/**
 * Interface placement and configuration on the control path: namespaces, MAC, MTU, addresses, routes, state,
 * asked of the kernel over rtnetlink ({@link io.vireo.dataplane.nativeio.RtNetlink}) in the same messages as
 * iproute2's {@code ip}, with no process run.
 */
package io.vireo.vswitch.link;
