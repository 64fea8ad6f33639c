/**
 * The vhost-user port type: {@link io.vireo.dataplane.vhost.VhostUserPort}, through which QEMU VMs
 * and DPDK applications (virtio-user) attach to the switch by sharing their memory and a virtio-net
 * queue pair over a unix socket. The control thread speaks the protocol
 * ({@code VhostUserControl}, {@code VhostUserSession}, {@code VhostUserMessage}), maps the frontend's
 * memory ({@code RegionTable}, {@code GuestMemory}) and hands running split virtqueues
 * ({@code Virtqueue}, {@code DescriptorChain}) to the forwarding threads through the quiesce handshake
 * described on {@code VhostUserPort}. Everything the frontend or its guest controls is validated
 * before use; a violation resets the port. See README.md in this folder for the keys and a diagram.
 */
package io.vireo.dataplane.vhost;
