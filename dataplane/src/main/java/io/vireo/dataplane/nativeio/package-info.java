/**
 * The one door to native code: jnr-ffi bindings of the C library ({@link io.vireo.dataplane.nativeio.LibC}),
 * availability and errno ({@link io.vireo.dataplane.nativeio.Native}), owned descriptors with one errno rule for
 * their I/O and failure ({@link io.vireo.dataplane.nativeio.Fd}), and typed wrappers:
 * {@link io.vireo.dataplane.nativeio.TunDevice} (TAP creation, vnet header size, offloads),
 * {@link io.vireo.dataplane.nativeio.Epoll} (idle forwarding threads sleep here),
 * {@link io.vireo.dataplane.nativeio.EventFd}, {@link io.vireo.dataplane.nativeio.MappedMemory}
 * (bounds-checked shared and anonymous mappings, memfds, packet rings),
 * {@link io.vireo.dataplane.nativeio.PacketSocket} (an AF_PACKET socket on one interface with a
 * TPACKET_V3 receive ring), {@link io.vireo.dataplane.nativeio.UnixSocket}
 * (non-blocking unix sockets with descriptor passing) and {@link io.vireo.dataplane.nativeio.RtNetlink}
 * (links, addresses and routes of a network namespace over route netlink, as iproute2 sets them). Frame I/O
 * passes raw addresses of off-heap memory.
 */
package io.vireo.dataplane.nativeio;
