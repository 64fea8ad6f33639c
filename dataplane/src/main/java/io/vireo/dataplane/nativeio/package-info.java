/**
 * The one door to native code: jnr-ffi bindings of the C library ({@link io.vireo.dataplane.nativeio.LibC}),
 * availability and errno ({@link io.vireo.dataplane.nativeio.Native}), and typed wrappers such as
 * {@link io.vireo.dataplane.nativeio.TunDevice}. Frame I/O passes raw addresses of off-heap memory.
 */
package io.vireo.dataplane.nativeio;
