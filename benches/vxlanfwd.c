/*
 * vxlanfwd: the ceiling of a userspace VXLAN endpoint, a peer of benches/vxlan-bench.sh.
 *
 *   vxlanfwd TAP LOCAL_IPV4 REMOTE_IPV4 VNI
 *   vxlanfwd --underlay-tap UTAP VTEP_MAC TAP LOCAL_VTEP REMOTE_VTEP VNI
 *
 * Joins one container's TAP (IFF_VNET_HDR, checksum and TSO offered, as Vireo's TAP ports do) to one
 * VXLAN peer, and does no other work: no bridge, no learning, no flow table, one peer, IPv4 and TCP the
 * only protocols it cuts or merges. Two designs, each at its cheapest:
 *
 * Over a UDP socket (the first form; Vireo's design): the system calls Vireo's VXLAN path makes, on
 * port 4789, and what any such endpoint that keeps a TCP stream's 64 KB segments whole has to do.
 *   TAP -> peer   read a frame; a TCPv4 GSO frame is cut into MSS-sized segments, each with its own
 *                 headers (sequence number, IP length and identification, both checksums: the TCP
 *                 checksum sums the payload) in a header area and its payload left where it lies, and
 *                 the segments go as one UDP_SEGMENT message per 64 datagrams or 64 KB (iovecs:
 *                 VXLAN + headers 0, payload 0, VXLAN + headers 1, payload 1, ...), the kernel cutting
 *                 the datagrams; any other frame has its partial checksum completed and goes as one
 *                 datagram.
 *   peer -> TAP   recvmmsg of UDP_GRO trains; consecutive TCPv4 segments of one flow whose checksums
 *                 hold (each summed) are merged into one GSO frame behind a virtio-net header
 *                 (NEEDS_CSUM, TCPV4, gso_size the first segment's payload) and written with one writev
 *                 (iovecs: virtio-net header, the first segment's headers rewritten, each payload where
 *                 it lies), so no byte is copied in user space; anything else is written as it came.
 * It talks to itself only (a kernel vxlan sends partial checksums, which it would not merge).
 *
 * Over a TAP with UDP tunnel GSO (--underlay-tap; Linux 6.17 on): the endpoint is a guest of the host's
 * IP stack, with an address of its own (LOCAL_VTEP, which the host routes to UTAP and resolves to
 * VTEP_MAC) and a virtio-net header of 24 bytes (virtio_net_hdr_v1_hash_tunnel) on UTAP, whose
 * offloads include TUN_F_UDP_TUNNEL_GSO, so a 64 KB TCP segment crosses whole, as the kernel's own vxlan
 * device hands it on:
 *   TAP -> UTAP   read a frame into a buffer with room in front, put the outer Ethernet (to UTAP's MAC),
 *                 IPv4 (DF), UDP and VXLAN headers and the tunnel virtio-net header there (gso_type
 *                 TCPV4 | UDP_TUNNEL_IPV4, offsets moved by the outer headers) and write it: one read
 *                 and one write a frame, no segmenting and no checksum in user space; the host routes it
 *                 and the kernel cuts it into datagrams only where a device needs them.
 *   UTAP -> TAP   read, check the outer headers (UDP port 4789, the VNI), put a plain virtio-net header
 *                 in front of the inner frame (the offsets moved back) and write it.
 * The outer IPv4 packet of a 64 KB inner one would exceed 65,535 bytes: such frames are dropped and
 * counted, so the container's TAP needs a smaller gso_max_size (the bench sets 65000).
 *
 * One thread polls both descriptors; idle, it spins for 20 us, yields until 200 us, then sleeps in
 * epoll_wait: Vireo's adaptive idle strategy. Prints "ready" once its devices exist; on SIGTERM or
 * SIGINT prints its counters and exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "tappeer.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define VXLAN_PORT 4789
#define VXLAN_LEN 8
#define ETH_LEN 14
#define IP_LEN 20                  /* IPv4 without options: the only kind cut or merged */
#define VNET_LEN 10                /* struct virtio_net_hdr, the TAP's default */
#define FRAME_MAX (64 * 1024 + 256) /* a 64 KB GSO frame, its Ethernet and virtio-net headers */
#define TRAIN_MAX 65536            /* a UDP_GRO train: at most one IPv4 datagram's worth */
#define MAX_SEGMENTS 1024
#define MAX_TRAIN_DATAGRAMS 64     /* the kernel's UDP_MAX_SEGMENTS */
#define MAX_TRAIN_BYTES (65535 - 20 - 8)
#define RX_BATCH 8
#define TX_BURST 32
#define HEADER_SLOT 128            /* VXLAN + Ethernet + IPv4 + TCP with options, per segment */
#define OUTER_LEN (ETH_LEN + IP_LEN + 8 + VXLAN_LEN) /* the outer headers in front of an inner frame */
#define TNL_VNET_LEN 24            /* struct virtio_net_hdr_v1_hash_tunnel */
#define GSO_UDP_TUNNEL_IPV4 0x20   /* VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4, Linux 6.17 on */
#define GSO_UDP_TUNNEL 0x60        /* ... and _IPV6 */
#define TUN_F_UDP_TUNNEL_GSO 0x080
#define TUN_F_UDP_TUNNEL_GSO_CSUM 0x100

/* The tunnel variant of the virtio-net header, little-endian as virtio 1.0 has it (x86 only here). */
struct tnl_hdr {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
    uint32_t hash_value;
    uint16_t hash_report, padding, outer_th_offset, inner_nh_offset;
};

static unsigned long long tx_frames, tx_datagrams, rx_datagrams, rx_writes, errors;

/* ---- checksums: one's complement sums of 16-bit words as loaded (native order); a sum stored back the
 * same way lands in network order, so nothing is swapped ---- */

static uint64_t sum_bytes(const uint8_t *p, size_t n, uint64_t sum) {
    while (n >= 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        sum += w;
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        uint16_t w;
        memcpy(&w, p, 2);
        sum += w;
        p += 2;
        n -= 2;
    }
    if (n) {
        uint16_t w = 0;
        memcpy(&w, p, 1);
        sum += w;
    }
    return sum;
}

static uint16_t fold(uint64_t sum) {
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum; /* in the order the bytes were loaded: network order in memory */
}

/* The TCP pseudo-header's sum: addresses at ip + 12, protocol 6, the given TCP length. */
static uint64_t pseudo_sum(const uint8_t *ip, unsigned tcp_len) {
    return sum_bytes(ip + 12, 8, 0) + htons(6) + htons((uint16_t)tcp_len);
}

static void ip_checksum(uint8_t *ip) {
    ip[10] = ip[11] = 0;
    uint16_t c = (uint16_t)~fold(sum_bytes(ip, IP_LEN, 0));
    memcpy(ip + 10, &c, 2);
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

/* ---- TAP and socket ---- */

static int open_socket(struct in_addr local) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
    int df = IP_PMTUDISC_DO, buffer = 4 << 20;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(VXLAN_PORT), .sin_addr = local};
    if (fd < 0 || setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof on) < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &df, sizeof df) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        return -1;
    return fd;
}

/* ---- TAP -> peer ---- */

static struct sockaddr_in peer;
static uint8_t vxlan_header[VXLAN_LEN];
static uint8_t headers[MAX_SEGMENTS][HEADER_SLOT] __attribute__((aligned(64)));
static struct iovec tx_iov[2 * MAX_SEGMENTS];
static struct mmsghdr tx_msgs[MAX_SEGMENTS / 2 + 2];
static char tx_control[MAX_SEGMENTS / 2 + 2][CMSG_SPACE(sizeof(uint16_t))];

static void send_messages(int sock, unsigned count) {
    unsigned from = 0;
    while (from < count) {
        int sent = sendmmsg(sock, tx_msgs + from, count - from, 0);
        if (sent <= 0) {
            errors += count - from;
            return;
        }
        from += (unsigned)sent;
    }
}

static void prepare_message(unsigned m, struct iovec *iov, size_t iovlen, uint16_t segment_size) {
    struct msghdr *h = &tx_msgs[m].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = &peer;
    h->msg_namelen = sizeof peer;
    h->msg_iov = iov;
    h->msg_iovlen = iovlen;
    if (segment_size) {
        h->msg_control = tx_control[m];
        h->msg_controllen = CMSG_SPACE(sizeof segment_size);
        struct cmsghdr *c = CMSG_FIRSTHDR(h);
        c->cmsg_level = IPPROTO_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof segment_size);
        memcpy(CMSG_DATA(c), &segment_size, sizeof segment_size);
    }
}

/* Completes a NEEDS_CSUM frame's checksum; false if its offsets lie outside it. */
static int complete_checksum(const struct virtio_net_hdr *v, uint8_t *frame, size_t len) {
    if (!(v->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) return 1;
    size_t field = (size_t)v->csum_start + v->csum_offset;
    if (field + 2 > len) return 0;
    uint16_t c = (uint16_t)~fold(sum_bytes(frame + v->csum_start, len - v->csum_start, 0));
    if (c == 0) c = 0xffff;
    memcpy(frame + field, &c, 2);
    return 1;
}

/* Cuts a TCPv4 GSO frame into segments and sends them as UDP_SEGMENT trains; false if it is not one. */
static int send_segmented(int sock, const struct virtio_net_hdr *v, uint8_t *frame, size_t len) {
    if (len < ETH_LEN + IP_LEN + 20 || get16(frame + 12) != 0x0800 || frame[ETH_LEN] != 0x45 ||
        frame[ETH_LEN + 9] != 6 || v->gso_size == 0)
        return 0;
    const uint8_t *ip = frame + ETH_LEN, *tcp = ip + IP_LEN;
    unsigned tcp_hl = (unsigned)(tcp[12] >> 4) * 4, ip_len = get16(ip + 2);
    unsigned hl = ETH_LEN + IP_LEN + tcp_hl;
    if (tcp_hl < 20 || ip_len > len - ETH_LEN || ip_len < IP_LEN + tcp_hl) return 0;
    unsigned payload = ip_len - IP_LEN - tcp_hl, mss = v->gso_size;
    unsigned segments = payload == 0 ? 1 : (payload + mss - 1) / mss;
    if (segments > MAX_SEGMENTS) return 0;
    uint64_t addresses = sum_bytes(ip + 12, 8, 0);
    uint32_t seq = get32(tcp + 4);
    unsigned id = get16(ip + 4), flags = tcp[13];
    for (unsigned i = 0; i < segments; i++) {
        unsigned at = hl + i * mss, n = payload - i * mss < mss ? payload - i * mss : mss;
        uint8_t *h = headers[i], *sip = h + VXLAN_LEN + ETH_LEN, *stcp = sip + IP_LEN;
        memcpy(h, vxlan_header, VXLAN_LEN);
        memcpy(h + VXLAN_LEN, frame, hl);
        put16(sip + 2, IP_LEN + tcp_hl + n);
        put16(sip + 4, (id + i) & 0xffff);
        ip_checksum(sip);
        put32(stcp + 4, seq + i * mss);
        stcp[13] = (uint8_t)(flags & ~((i > 0 ? 0x80 : 0) | (i < segments - 1 ? 0x09 : 0))); /* CWR; FIN, PSH */
        stcp[16] = stcp[17] = 0;
        uint64_t sum = addresses + htons(6) + htons((uint16_t)(tcp_hl + n));
        sum = sum_bytes(frame + at, n, sum_bytes(stcp, tcp_hl, sum));
        uint16_t c = (uint16_t)~fold(sum);
        memcpy(stcp + 16, &c, 2);
        tx_iov[2 * i] = (struct iovec){h, VXLAN_LEN + hl};
        tx_iov[2 * i + 1] = (struct iovec){frame + at, n};
    }
    unsigned size = VXLAN_LEN + hl + (payload < mss ? payload : mss);
    unsigned per_train = MAX_TRAIN_BYTES / size;
    if (per_train > MAX_TRAIN_DATAGRAMS) per_train = MAX_TRAIN_DATAGRAMS;
    if (per_train == 0) per_train = 1;
    unsigned messages = 0;
    for (unsigned first = 0; first < segments; first += per_train) {
        unsigned count = segments - first < per_train ? segments - first : per_train;
        prepare_message(messages++, tx_iov + 2 * first, 2 * count, count > 1 ? (uint16_t)size : 0);
    }
    send_messages(sock, messages);
    tx_datagrams += segments;
    return 1;
}

static int tap_to_peer(int tap, int sock) {
    static uint8_t buf[FRAME_MAX];
    int n;
    for (n = 0; n < TX_BURST; n++) {
        ssize_t len = read(tap, buf, sizeof buf);
        if (len < VNET_LEN + ETH_LEN) break;
        struct virtio_net_hdr v;
        memcpy(&v, buf, sizeof v);
        uint8_t *frame = buf + VNET_LEN;
        size_t frame_len = (size_t)len - VNET_LEN;
        tx_frames++;
        if ((v.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4) {
            if (!send_segmented(sock, &v, frame, frame_len)) errors++;
        } else if (v.gso_type == VIRTIO_NET_HDR_GSO_NONE && complete_checksum(&v, frame, frame_len)) {
            struct iovec iov[2] = {{vxlan_header, VXLAN_LEN}, {frame, frame_len}};
            prepare_message(0, iov, 2, 0);
            send_messages(sock, 1);
            tx_datagrams++;
        } else {
            errors++;
        }
    }
    return n;
}

/* ---- peer -> TAP ---- */

static uint8_t trains[RX_BATCH][TRAIN_MAX];
static struct iovec rx_iov[RX_BATCH];
static struct mmsghdr rx_msgs[RX_BATCH];
static char rx_control[RX_BATCH][CMSG_SPACE(sizeof(int))];

/* The merge being built: its first segment's headers (rewritten when it is written) and every payload. */
static struct {
    uint8_t *first;                 /* the first segment's inner frame, in a train */
    unsigned hl, mss, segments, payload;
    uint32_t next_seq;
    int ended, psh;                 /* ended: nothing more may join; psh: the last segment had PSH */
    struct virtio_net_hdr v;
    uint8_t headers[ETH_LEN + IP_LEN + 60];
    struct iovec iov[2 + MAX_SEGMENTS];
} merge;

static void write_frame(int tap, struct iovec *iov, int count) {
    if (writev(tap, iov, count) < 0) errors++;
    rx_writes++;
}

static void flush_merge(int tap) {
    if (!merge.segments) return;
    if (merge.segments == 1) {
        static struct virtio_net_hdr none;
        struct iovec iov[2] = {{&none, VNET_LEN}, {merge.first, merge.hl + merge.payload}};
        write_frame(tap, iov, 2);
    } else {
        uint8_t *ip = merge.headers + ETH_LEN, *tcp = ip + IP_LEN;
        unsigned tcp_len = merge.hl - ETH_LEN - IP_LEN + merge.payload;
        memcpy(merge.headers, merge.first, merge.hl);
        put16(ip + 2, IP_LEN + tcp_len);
        ip_checksum(ip);
        tcp[13] |= merge.psh ? 0x08 : 0;
        uint16_t partial = fold(pseudo_sum(ip, tcp_len));
        memcpy(tcp + 16, &partial, 2);
        merge.v = (struct virtio_net_hdr){VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, (uint16_t)merge.hl,
                                    (uint16_t)merge.mss, ETH_LEN + IP_LEN, 16};
        merge.iov[0] = (struct iovec){&merge.v, VNET_LEN};
        merge.iov[1] = (struct iovec){merge.headers, merge.hl};
        write_frame(tap, merge.iov, 2 + (int)merge.segments);
    }
    merge.segments = 0;
}

/* Same flow and same headers but IP length, id, checksum and TCP sequence number, flags, checksum. */
static int same_flow(const uint8_t *a, const uint8_t *b, unsigned hl) {
    return memcmp(a, b, ETH_LEN + 2) == 0 && memcmp(a + ETH_LEN + 6, b + ETH_LEN + 6, 4) == 0 &&
           memcmp(a + ETH_LEN + 12, b + ETH_LEN + 12, 12) == 0 &&             /* addresses, ports */
           memcmp(a + ETH_LEN + 28, b + ETH_LEN + 28, 5) == 0 &&              /* ack, data offset */
           memcmp(a + ETH_LEN + 34, b + ETH_LEN + 34, 2) == 0 &&              /* window */
           memcmp(a + ETH_LEN + 38, b + ETH_LEN + 38, hl - ETH_LEN - 38) == 0; /* urgent, options */
}

static void deliver(int tap, uint8_t *frame, unsigned len) {
    unsigned hl = 0, payload = 0;
    int tcp_ok = 0;
    if (len >= ETH_LEN + IP_LEN + 20 && get16(frame + 12) == 0x0800 && frame[ETH_LEN] == 0x45 &&
        frame[ETH_LEN + 9] == 6 && (get16(frame + ETH_LEN + 6) & 0x3fff) == 0) {
        uint8_t *ip = frame + ETH_LEN, *tcp = ip + IP_LEN;
        unsigned ip_len = get16(ip + 2), tcp_hl = (unsigned)(tcp[12] >> 4) * 4;
        if (tcp_hl >= 20 && ip_len >= IP_LEN + tcp_hl && ip_len <= len - ETH_LEN) {
            hl = ETH_LEN + IP_LEN + tcp_hl;
            payload = ip_len - IP_LEN - tcp_hl;
            unsigned flags = tcp[13];
            tcp_ok = payload > 0 && (flags == 0x10 || flags == 0x18) &&
                     fold(sum_bytes(tcp, tcp_hl + payload, pseudo_sum(ip, tcp_hl + payload))) == 0xffff &&
                     fold(sum_bytes(ip, IP_LEN, 0)) == 0xffff;
        }
    }
    if (!tcp_ok) {
        flush_merge(tap);
        static struct virtio_net_hdr none;
        struct iovec iov[2] = {{&none, VNET_LEN}, {frame, len}};
        write_frame(tap, iov, 2);
        return;
    }
    uint32_t seq = get32(frame + ETH_LEN + IP_LEN + 4);
    int psh = frame[ETH_LEN + IP_LEN + 13] & 0x08;
    if (merge.segments && !merge.ended && hl == merge.hl && seq == merge.next_seq && payload <= merge.mss &&
        merge.segments < MAX_SEGMENTS && hl - ETH_LEN + merge.payload + payload <= 65535 &&
        same_flow(merge.first, frame, hl)) {
        merge.iov[2 + merge.segments++] = (struct iovec){frame + hl, payload};
        merge.payload += payload;
        merge.next_seq = seq + payload;
        merge.psh = psh;
        merge.ended = psh || payload < merge.mss;
        return;
    }
    flush_merge(tap);
    merge.first = frame;
    merge.hl = hl;
    merge.mss = payload;
    merge.segments = 1;
    merge.payload = payload;
    merge.next_seq = seq + payload;
    merge.psh = psh;
    merge.ended = psh;
    merge.iov[2] = (struct iovec){frame + hl, payload};
}

static int peer_to_tap(int sock, int tap, uint32_t vni) {
    for (int i = 0; i < RX_BATCH; i++) {
        rx_iov[i] = (struct iovec){trains[i], TRAIN_MAX};
        rx_msgs[i].msg_hdr = (struct msghdr){.msg_iov = &rx_iov[i], .msg_iovlen = 1, .msg_control = rx_control[i],
                                             .msg_controllen = sizeof rx_control[i]};
    }
    int got = recvmmsg(sock, rx_msgs, RX_BATCH, 0, NULL);
    if (got <= 0) return 0;
    for (int i = 0; i < got; i++) {
        unsigned len = rx_msgs[i].msg_len, size = len;
        struct msghdr *h = &rx_msgs[i].msg_hdr;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
            if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO) {
                int s;
                memcpy(&s, CMSG_DATA(c), sizeof s);
                size = (unsigned)s;
            }
        for (unsigned at = 0; at < len; at += size) {
            unsigned n = len - at < size ? len - at : size;
            uint8_t *d = trains[i] + at;
            rx_datagrams++;
            if (n < VXLAN_LEN + ETH_LEN || d[0] != 0x08 || (get32(d + 4) >> 8) != vni) {
                errors++;
                continue;
            }
            deliver(tap, d + VXLAN_LEN, n - VXLAN_LEN);
        }
    }
    flush_merge(tap); /* the payloads lie in the trains, which the next recvmmsg overwrites */
    return got;
}

/* ---- over a TAP with UDP tunnel GSO ---- */

static uint8_t outer_template[OUTER_LEN]; /* Ethernet, IPv4 and UDP with the lengths and checksum to fill, VXLAN */
static uint8_t frame_buffer[TNL_VNET_LEN + OUTER_LEN + FRAME_MAX] __attribute__((aligned(64)));

/* The outer source port: a hash of the inner IPv4 packet's first four L4 bytes (TCP or UDP ports), so one flow keeps one. */
static unsigned flow_port(const uint8_t *frame, size_t len) {
    unsigned hash = 0;
    if (len >= ETH_LEN + IP_LEN + 4 && get16(frame + 12) == 0x0800 && (frame[ETH_LEN] & 0x0f) == 5)
        hash = get16(frame + ETH_LEN + IP_LEN) * 31 + get16(frame + ETH_LEN + IP_LEN + 2);
    return 49152 + hash % 16384;
}

static int tap_to_underlay(int tap, int underlay) {
    const size_t at = TNL_VNET_LEN + OUTER_LEN - VNET_LEN; /* the read's virtio-net header ends where the outer headers do */
    int n;
    for (n = 0; n < TX_BURST; n++) {
        ssize_t len = read(tap, frame_buffer + at, sizeof frame_buffer - at);
        if (len < VNET_LEN + ETH_LEN) break;
        struct virtio_net_hdr v;
        memcpy(&v, frame_buffer + at, VNET_LEN);
        uint8_t *frame = frame_buffer + TNL_VNET_LEN + OUTER_LEN;
        size_t inner = (size_t)len - VNET_LEN, total = IP_LEN + 8 + VXLAN_LEN + inner;
        tx_frames++;
        if (total > 65535) {
            errors++;
            continue;
        }
        struct tnl_hdr t = {.flags = v.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM};
        if (v.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
            t.csum_start = (uint16_t)(OUTER_LEN + v.csum_start);
            t.csum_offset = v.csum_offset;
        }
        if (v.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
            t.gso_type = v.gso_type | GSO_UDP_TUNNEL_IPV4;
            t.gso_size = v.gso_size;
            t.hdr_len = (uint16_t)(OUTER_LEN + v.hdr_len);
            t.outer_th_offset = ETH_LEN + IP_LEN;
            t.inner_nh_offset = OUTER_LEN + ETH_LEN;
        }
        memcpy(frame_buffer, &t, TNL_VNET_LEN);
        uint8_t *outer = frame_buffer + TNL_VNET_LEN, *ip = outer + ETH_LEN, *udp = ip + IP_LEN;
        memcpy(outer, outer_template, OUTER_LEN);
        put16(ip + 2, (unsigned)total);
        ip_checksum(ip);
        put16(udp, flow_port(frame, inner));
        put16(udp + 4, (unsigned)(total - IP_LEN));
        if (write(underlay, frame_buffer, TNL_VNET_LEN + OUTER_LEN + inner) < 0) errors++;
        tx_datagrams++;
    }
    return n;
}

static int underlay_to_tap(int underlay, int tap, uint32_t vni) {
    int n;
    for (n = 0; n < TX_BURST; n++) {
        ssize_t len = read(underlay, frame_buffer, sizeof frame_buffer);
        if (len < TNL_VNET_LEN) break;
        struct tnl_hdr t;
        memcpy(&t, frame_buffer, TNL_VNET_LEN);
        const uint8_t *outer = frame_buffer + TNL_VNET_LEN, *ip = outer + ETH_LEN, *udp = ip + IP_LEN;
        rx_datagrams++;
        if ((size_t)len < TNL_VNET_LEN + OUTER_LEN + ETH_LEN || get16(outer + 12) != 0x0800 || ip[0] != 0x45 ||
            ip[9] != 17 || get16(udp + 2) != VXLAN_PORT || udp[8] != 0x08 || get32(udp + 12) >> 8 != vni) {
            errors++;
            continue;
        }
        struct virtio_net_hdr v = {0};
        if (t.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
            v.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
            v.csum_start = (uint16_t)(t.csum_start - OUTER_LEN);
            v.csum_offset = t.csum_offset;
        }
        if (t.gso_type & GSO_UDP_TUNNEL) {
            v.gso_type = t.gso_type & ~GSO_UDP_TUNNEL;
            v.gso_size = t.gso_size;
            v.hdr_len = (uint16_t)(t.hdr_len - OUTER_LEN);
        }
        uint8_t *out = frame_buffer + TNL_VNET_LEN + OUTER_LEN - VNET_LEN;
        memcpy(out, &v, VNET_LEN);
        if (write(tap, out, (size_t)len - (TNL_VNET_LEN + OUTER_LEN - VNET_LEN)) < 0) errors++;
        rx_writes++;
    }
    return n;
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The outer headers' fixed part: from VTEP_MAC to UTAP's own MAC, LOCAL_VTEP to REMOTE_VTEP, DF, TTL 64. */
static int outer_headers(const char *underlay, const char *vtep_mac, struct in_addr local, struct in_addr remote) {
    struct ifreq ifr = {0};
    uint8_t *e = outer_template, *ip = e + ETH_LEN, *udp = ip + IP_LEN;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", underlay);
    int found = s >= 0 && ioctl(s, SIOCGIFHWADDR, &ifr) == 0;
    if (s >= 0) close(s);
    if (!found || sscanf(vtep_mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &e[6], &e[7], &e[8], &e[9], &e[10], &e[11]) != 6)
        return -1;
    memcpy(e, ifr.ifr_hwaddr.sa_data, 6);
    put16(e + 12, 0x0800);
    ip[0] = 0x45;
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, &local, 4);
    memcpy(ip + 16, &remote, 4);
    put16(udp + 2, VXLAN_PORT);
    memcpy(udp + 8, vxlan_header, VXLAN_LEN);
    return 0;
}

int main(int argc, char **argv) {
    struct in_addr local;
    const char *underlay = NULL, *vtep_mac = NULL;
    if (argc == 8 && strcmp(argv[1], "--underlay-tap") == 0) {
        underlay = argv[2];
        vtep_mac = argv[3];
        argv += 3;
        argc -= 3;
    }
    if (argc != 5 || !inet_aton(argv[2], &local) || !inet_aton(argv[3], &peer.sin_addr)) {
        fprintf(stderr, "usage: vxlanfwd [--underlay-tap UTAP VTEP_MAC] TAP LOCAL_IPV4 REMOTE_IPV4 VNI\n");
        return 2;
    }
    uint32_t vni = (uint32_t)strtoul(argv[4], NULL, 10);
    peer.sin_family = AF_INET;
    peer.sin_port = htons(VXLAN_PORT);
    vxlan_header[0] = 0x08;
    put32(vxlan_header + 4, vni << 8);
    int tap = open_tap(argv[1], VNET_LEN, TAP_OFFLOADS), other;
    const char *what = argv[1];
    if (tap >= 0 && underlay) {
        what = underlay;
        other = open_tap(underlay, TNL_VNET_LEN, TAP_OFFLOADS | TUN_F_UDP_TUNNEL_GSO | TUN_F_UDP_TUNNEL_GSO_CSUM);
        if (other >= 0 && outer_headers(underlay, vtep_mac, local, peer.sin_addr) < 0) other = -1;
    } else {
        what = "socket";
        other = tap < 0 ? -1 : open_socket(local);
    }
    if (tap < 0 || other < 0) {
        fprintf(stderr, "vxlanfwd: %s: %s\n", tap < 0 ? argv[1] : what, strerror(errno));
        return 1;
    }
    int ep = start_polling("vxlanfwd", tap, other);
    if (ep < 0) return 1;
    long long last_work = now_ns();
    while (!stopping) {
        int moved = underlay ? tap_to_underlay(tap, other) + underlay_to_tap(other, tap, vni)
                             : tap_to_peer(tap, other) + peer_to_tap(other, tap, vni);
        if (moved > 0) {
            last_work = now_ns();
            continue;
        }
        long long idle = now_ns() - last_work;
        if (idle < 20000) continue;
        if (idle < 200000) {
            sched_yield();
            continue;
        }
        sleep_until_readable(ep);
        last_work = now_ns();
    }
    /* Over an underlay TAP, every frame sent or received is one "datagram", however long. */
    printf("tap->peer %llu frames in %llu datagrams, peer->tap %llu datagrams in %llu writes, %llu errors\n",
           tx_frames, tx_datagrams, rx_datagrams, rx_writes, errors);
    return 0;
}
