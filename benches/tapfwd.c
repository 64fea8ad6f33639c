/*
 * tapfwd: the ceiling of TAP forwarding, a peer of benches/netns-bench.sh.
 *
 *   tapfwd TAP_A TAP_B
 *
 * Creates (or attaches to) two TAP interfaces with IFF_VNET_HDR and offers them checksum and TSO
 * offload (TUNSETOFFLOAD), so the kernel hands over 64 KB TCP segments whole, each behind its
 * virtio-net header. One thread busy-polls both non-blocking file descriptors and writes every frame,
 * header included, unchanged to the other TAP: no parsing, no learning, no copy but the buffer. Prints
 * "ready" once both TAPs exist; on SIGTERM or SIGINT prints its counters and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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
    if (argc != 3) {
        fprintf(stderr, "usage: %s TAP_A TAP_B\n", argv[0]);
        return 2;
    }
    int a = open_tap(argv[1]), b = open_tap(argv[2]);
    if (a < 0 || b < 0) return 1;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("ready\n");
    fflush(stdout);
    while (!stopping) {
        forward(a, b, buf, &frames[0], &dropped[0]);
        forward(b, a, buf, &frames[1], &dropped[1]);
    }
    printf("a->b %llu frames (%llu not written), b->a %llu frames (%llu not written)\n",
           frames[0], dropped[0], frames[1], dropped[1]);
    return 0;
}
