/*
 * What the C peers of the benchmarks (tapfwd.c, vxlanfwd.c) share: a TAP with a virtio-net header and
 * offloads, and the start of a thread that polls two descriptors and may sleep in epoll on both.
 */
#ifndef VIREO_BENCHES_TAPPEER_H
#define VIREO_BENCHES_TAPPEER_H

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

/* What Vireo's TAP ports offer: checksums and TSO, so the kernel hands over 64 KB TCP segments whole. */
#define TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

/* Creates (or attaches to) TAP NAME, non-blocking, with a virtio-net header of HEADER_SIZE bytes and
 * OFFLOADS; -1 with errno set if any step fails. */
static int open_tap(const char *name, int header_size, unsigned long offloads) {
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &header_size) < 0 ||
        ioctl(fd, TUNSETOFFLOAD, offloads) < 0) {
        int error = errno;
        close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

/* An epoll instance waiting for A or B to be readable, SIGTERM and SIGINT setting `stopping`, and "ready"
 * printed; the epoll descriptor, or -1 (said on stderr as PROGRAM's). */
static int start_polling(const char *program, int a, int b) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event in_a = {.events = EPOLLIN, .data.fd = a}, in_b = {.events = EPOLLIN, .data.fd = b};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, a, &in_a) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, b, &in_b) < 0) {
        fprintf(stderr, "%s: epoll: %s\n", program, strerror(errno));
        return -1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("ready\n");
    fflush(stdout);
    return ep;
}

/* Sleeps until A or B (of start_polling) is readable: 100 ms at most, so a signal that lands between the
 * caller's last look and the wait is seen soon. */
static void sleep_until_readable(int ep) {
    struct epoll_event ready[2];
    epoll_wait(ep, ready, 2, 100);
}

#endif
