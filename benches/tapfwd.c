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
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FRAME_MAX (128 * 1024) /* a 64 KB GSO frame, its Ethernet and virtio-net headers */
#define BURST 32               /* frames read from one side before turning to the other */

static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

static int open_tap(const char *name) {
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    unsigned long offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETOFFLOAD, offloads) < 0) {
        fprintf(stderr, "tapfwd: %s: %s\n", name, strerror(errno));
        close(fd);
        return -1;
    }
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
    int a = open_tap(argv[1 + sleep_in_epoll]), b = open_tap(argv[2 + sleep_in_epoll]);
    if (a < 0 || b < 0) return 1;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ready[2], in_a = {.events = EPOLLIN, .data.fd = a}, in_b = {.events = EPOLLIN, .data.fd = b};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, a, &in_a) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, b, &in_b) < 0) {
        fprintf(stderr, "tapfwd: epoll: %s\n", strerror(errno));
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("ready\n");
    fflush(stdout);
    while (!stopping) {
        int moved = forward(a, b, buf, &frames[0], &dropped[0]);
        moved += forward(b, a, buf, &frames[1], &dropped[1]);
        /* 100 ms at most, so a signal that lands between the test and the wait is seen soon */
        if (moved == 0 && sleep_in_epoll) epoll_wait(ep, ready, 2, 100);
    }
    printf("a->b %llu frames (%llu not written), b->a %llu frames (%llu not written)\n",
           frames[0], dropped[0], frames[1], dropped[1]);
    return 0;
}
