/**
 * Offloads done in software, for frames that leave through a port that cannot take them: a TAP
 * without {@code IFF_VNET_HDR} offloads, a vhost-user port that did not negotiate them, a VXLAN
 * tunnel. {@link io.vireo.dataplane.offload.SoftwareOffload} completes partial checksums
 * ({@code NEEDS_CSUM}) and cuts GSO frames into segments the way the kernel's software GSO does.
 * <pre>
 *  virtio_net_hdr_v1: gso_type TCPV4, gso_size 1448, flags NEEDS_CSUM, csum_start/offset -&gt; TCP checksum
 *  GSO frame  +-----+-------+-------------+---------------------------------------------------+
 *             | eth | IPv4  | TCP         | payload (up to ~64 KB)                            |
 *             |+tag | id=N  | seq=S flags | P0 (1448) | P1 (1448) |  ...  | Pn (rest)         |
 *             |     | len=L | csum=partial|           |           |       |                   |
 *             +-----+-------+-------------+---------------------------------------------------+
 *                 headers copied in front of every slice of gso_size payload bytes
 *                                    |
 *                                    v
 *  segment 0  | eth | id=N    len | seq=S          CWR kept, FIN/PSH cleared, csum | P0 |
 *  segment 1  | eth | id=N+1  len | seq=S+1448     CWR, FIN, PSH cleared,     csum | P1 |
 *   ...
 *  segment n  | eth | id=N+n  len | seq=S+n*1448   CWR cleared, FIN/PSH kept,  csum | Pn |
 *
 *  changed per segment:
 *    IPv4   total length, identification (+1 per segment, modulo 2^16), header checksum
 *    IPv6   payload length (flow label, traffic class, hop limit copied)
 *    TCP    sequence number (+gso_size per segment), flags as above, checksum computed in full
 *    UDP    length, checksum computed in full (0 sent as 0xFFFF)       [gso_type UDP_L4]
 *  copied unchanged: MAC addresses, VLAN tags, DSCP/ECN, DF, TTL, IP and TCP options, ports,
 *  acknowledgment number, window, urgent pointer, and the other TCP flags (ACK, ECE, URG, ...).
 * </pre>
 * The segments land one after another in the offload's scratch memory, each on a cache line after
 * the caller's headroom, and stay there until the next frame is segmented:
 * <pre>
 *  scratch  | headroom | segment 0 |pad| headroom | segment 1 |pad| ... | headroom | segment n |
 * </pre>
 * The partial checksum a GSO frame carries (the pseudo-header sum over the whole frame's length)
 * is not reused: every segment's checksum is computed from its own IP addresses and bytes. The
 * kernel instead adjusts the sender's partial sum, so the two differ only when that sum was wrong.
 */
package io.vireo.dataplane.offload;
