package io.vireo.dataplane.headers;

/**
 * Frames captured from Linux 6.18 in a private network namespace: transmitted on a veth with
 * checksum offload off (so checksums are complete), or read from a TAP opened with
 * {@code IFF_VNET_HDR}, header size 12 and checksum and segmentation offloads on.
 * <p>
 * Hosts: 10.0.0.1 / fd00::1 / 02:00:00:00:00:01 sends to 10.0.0.2 / fd00::2 / 02:00:00:00:00:02.
 * The kernel used here had no 802.1Q module, so the tagged frames are {@link #ICMP_ECHO} with tags
 * inserted after the MAC addresses, as a VLAN device inserts them.
 */
final class CapturedFrames
{
    /** {@code ping 10.0.0.9} with no neighbour entry: who-has 10.0.0.9 tell 10.0.0.1. */
    static final String ARP_REQUEST =
        "ffffffffffff 020000000001 0806" +
        "0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000009";

    /** {@code ping -s 8 10.0.0.2}: ICMP echo request, id 0x0fb4, seq 1, DF set. */
    static final String ICMP_ECHO =
        "020000000002 020000000001 0800" +
        "4500 0024 f69c 4000 4001 303a 0a000001 0a000002" +
        "0800 dc3a 0fb4 0001 0001020304050607";

    /** {@link #ICMP_ECHO} tagged 802.1Q, TCI 0xa064: priority 5, VLAN 100. */
    static final String ICMP_ECHO_VLAN_100 =
        "020000000002 020000000001 8100 a064 0800" +
        "4500 0024 f69c 4000 4001 303a 0a000001 0a000002" +
        "0800 dc3a 0fb4 0001 0001020304050607";

    /** {@link #ICMP_ECHO} tagged QinQ: 802.1ad S-VLAN 10, then 802.1Q C-VLAN 20. */
    static final String ICMP_ECHO_QINQ_10_20 =
        "020000000002 020000000001 88a8 000a 8100 0014 0800" +
        "4500 0024 f69c 4000 4001 303a 0a000001 0a000002" +
        "0800 dc3a 0fb4 0001 0001020304050607";

    /** Non-blocking {@code connect} to 10.0.0.2:8080: SYN from port 52032 with MSS, SACK, TS, WS options. */
    static final String TCP_SYN =
        "020000000002 020000000001 0800" +
        "4500 003c dd80 4000 4006 4939 0a000001 0a000002" +
        "cb40 1f90 50ff1885 00000000 a002 faf0 aafd 0000" +
        "020405b4 0402080a 8ddfabd7 00000000 0103030a";

    /** UDP from [fd00::1]:40000 to [fd00::2]:5353 carrying "vireo", flow label 0xf0e8d. */
    static final String IPV6_UDP =
        "020000000002 020000000001 86dd" +
        "600f0e8d 000d 11 40 fd000000000000000000000000000001 fd000000000000000000000000000002" +
        "9c40 14e9 000d fcd6 766972656f";

    /**
     * VXLAN device with VNI 42 towards 10.0.0.2, UDP checksum on: the inner frame is an ICMP echo
     * from 192.168.42.1 (02:00:00:00:00:11) to 192.168.42.2 (02:00:00:00:00:12).
     */
    static final String VXLAN_ICMP_ECHO =
        "020000000002 020000000001 0800" +
        "4500 0056 b129 0000 4011 b56b 0a000001 0a000002" +
        "dd82 12b5 0042 bd0c" +
        "08 000000 00002a 00" +
        "020000000012 020000000011 0800" +
        "4500 0024 6eb8 4000 4001 f6cc c0a82a01 c0a82a02" +
        "0800 dc37 0fb7 0001 0001020304050607";

    /**
     * Read from a TAP (10.1.0.1, 02:00:00:00:00:21) with {@code TUN_F_CSUM}: a SYN to 10.1.0.2:8080
     * whose TCP checksum field holds only the pseudo-header sum (0x1433); completed it is 0x6a97.
     */
    static final String VIRTIO_TCP_SYN_NEEDS_CSUM =
        "01 00 0000 0000 2200 1000 0000" +
        "020000000022 020000000021 0800" +
        "4500 003c 7744 4000 4006 af73 0a010001 0a010002" +
        "9edc 1f90 da32aa49 00000000 a002 faf0 1433 0000" +
        "020405b4 0402080a 3fc14bc6 00000000 0103030a";

    /**
     * Read from the same TAP with {@code TUN_F_USO4}: a {@code UDP_SEGMENT} send of 3000 bytes in
     * 1000-byte segments from port 41000 to 10.1.0.2:7000, cut after the 42 bytes of headers.
     */
    static final String VIRTIO_UDP_GSO_HEADERS =
        "01 05 2a00 e803 2200 0600 0000" +
        "020000000022 020000000021 0800" +
        "4500 0bd4 9677 0000 4011 c49d 0a010001 0a010002" +
        "a028 1b58 0bc0 1fd6";

    private CapturedFrames()
    {
    }
}
