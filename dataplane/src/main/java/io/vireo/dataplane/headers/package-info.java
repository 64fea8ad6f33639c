/**
 * Flyweights over packet headers, for parsing and rewriting frames in place on the forwarding path
 * without copies or objects.
 * <p>
 * A flyweight is reused: each forwarding thread owns one instance of each kind and points it at a
 * header with {@code wrap(buffer, offset, length)}, where {@code offset} is the index of the header's
 * first byte in the buffer and {@code length} the bytes really present from there (the rest of the
 * frame). Accessors allocate nothing, box nothing and throw nothing.
 * <ul>
 *     <li>Call {@code isValid()} after {@code wrap}; it never reads past {@code length} and, when it
 *     returns true, every accessor of that flyweight reads inside the wrapped bytes. Accessors of
 *     fixed fields do not check the length themselves. {@link io.vireo.dataplane.headers.EthernetFlyweight}'s
 *     VLAN-aware methods are the exception: they check and return 0 or -1 on a short frame.</li>
 *     <li>{@code payloadOffset()} is an index into the same buffer and {@code payloadLength()} a byte
 *     count, so the next header is parsed with
 *     {@code next.wrap(buffer, outer.payloadOffset(), outer.payloadLength())}. The IP flyweights
 *     take their payload length from the header, so Ethernet padding is left out.</li>
 *     <li>Multi-byte fields are in network byte order (big-endian), except
 *     {@link io.vireo.dataplane.headers.VirtioNetHeaderFlyweight}, which is little-endian as virtio
 *     1.0 is. Unsigned 8 and 16-bit fields come as non-negative {@code int}s; 32-bit fields
 *     (IPv4 addresses, TCP sequence numbers) as {@code int}s holding the bits as they are; MAC
 *     addresses as the low 48 bits of a {@code long}; IPv6 addresses as two {@code long}s.</li>
 *     <li>Setters return the flyweight for chaining and never touch checksums:
 *     {@code updateChecksum} recomputes one, {@link io.vireo.dataplane.headers.Checksums#adjust}
 *     updates one incrementally.</li>
 * </ul>
 * <pre>
 *   eth.wrap(buffer, frameOffset, frameLength);
 *   if (eth.isValid() &amp;&amp; eth.payloadEtherType() == EthernetFlyweight.ETHER_TYPE_IPV4)
 *   {
 *       ipv4.wrap(buffer, eth.payloadOffset(), eth.payloadLength());
 *       if (ipv4.isValid() &amp;&amp; ipv4.protocol() == UdpFlyweight.PROTOCOL)
 *       {
 *           udp.wrap(buffer, ipv4.payloadOffset(), ipv4.payloadLength());
 *           ...
 * </pre>
 */
package io.vireo.dataplane.headers;
