/*
 * tapfwd: the ceiling of TAP forwarding, a peer of benches/netns-bench.sh.
 *
 *   tapfwd [--epoll] TAP_A TAP_B
 *
 * Creates (or attaches to) two TAP interfaces with IFF_VNET_HDR and offers them checksum and TSO
 * offload (TUNSETOFFLOAD), so the kernel hands over 64 KB TCP segments whole, each behind its
 * virtio-net header. One thread busy-polls both non-blocking file descriptors and writes every frame,
 * header included, unchanged to the other TAP: no parsing, no learning, no copy but the buffer. Prints
 * "ready" once both TAPs exist; on SIGTERM or SIGINT prints its counters and exits.
 *
 * With --epoll the thread sleeps in epoll_wait on both descriptors as soon as a pass over them finds
 * no frame, and wakes when one is readable: what a switch that idles for free pays to wake up, the
 * floor for any such switch (Vireo's adaptive idle mode among them) on this machine.
 */
#define _GNU_SOURCE
#include <linux/virtio_net.h>

#include "tappeer.h"

#define FRAME_MAX (128 * 1024) /* a 64 KB GSO frame, its Ethernet and virtio-net headers */
#define BURST 32               /* frames read from one side before turning to the other */

/* Creates or attaches to TAP NAME as the comment on top says; -1, said on stderr, if it cannot. */
static int open_tap_or_say(const char *name) {
    int fd = open_tap(name, sizeof(struct virtio_net_hdr), TAP_OFFLOADS);
    if (fd < 0) fprintf(stderr, "tapfwd: %s: %s\n", name, strerror(errno));
    return fd;
}

/* Moves up to BURST frames from one fd to the other; returns how many. */
static int forward(int from, int to, unsigned char *buf, unsigned long long *frames,
                   unsigned long long *dropped) {
    int n;
    for (n = 0; n < BURST; n++) {
        ssize_t len = read(from, buf, FRAME_MAX);
        if (len <= 0) break;
        if (write(to, buf, (size_t)len) != len) (*dropped)++;
        (*frames)++;
    }
    return n;
}

int main(int argc, char **argv) {
    static unsigned char buf[FRAME_MAX];
    unsigned long long frames[2] = {0, 0}, dropped[2] = {0, 0};
    int sleep_in_epoll = argc == 4 && strcmp(argv[1], "--epoll") == 0;
    if (argc != 3 + sleep_in_epoll) {
        fprintf(stderr, "usage: %s [--epoll] TAP_A TAP_B\n", argv[0]);
        return 2;
    }
    int a = open_tap_or_say(argv[1 + sleep_in_epoll]), b = open_tap_or_say(argv[2 + sleep_in_epoll]);
    if (a < 0 || b < 0) return 1;
    int ep = start_polling("tapfwd", a, b);
    if (ep < 0) return 1;
    while (!stopping) {
        int moved = forward(a, b, buf, &frames[0], &dropped[0]);
        moved += forward(b, a, buf, &frames[1], &dropped[1]);
        if (moved == 0 && sleep_in_epoll) sleep_until_readable(ep);
    }
    printf("a->b %llu frames (%llu not written), b->a %llu frames (%llu not written)\n",
           frames[0], dropped[0], frames[1], dropped[1]);
    return 0;
}
