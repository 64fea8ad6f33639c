/*
 * connrate: new TCP connections per second, for benches/router-bench.sh.
 *
 *   connrate server ADDR PORT NPORTS
 *   connrate client ADDR PORT NPORTS SECONDS CONCURRENCY
 *
 * The server listens on ADDR, ports PORT to PORT+NPORTS-1 (non-blocking, one epoll loop), accepts
 * every connection, reads it to the end and closes it. On SIGTERM or SIGINT it prints
 *   accepted A complete C peers ADDR=COUNT[,ADDR=COUNT...]
 * (complete: connections that sent at least 16 bytes before their FIN; peers: the source addresses it
 * saw, up to 8 of them, with their counts) and exits.
 *
 * The client keeps CONCURRENCY connections to ADDR in flight for SECONDS, the destination port taking
 * each of the NPORTS in turn (so that no one 4-tuple space, the client's ephemeral ports or a NAT's
 * ports towards one server port, runs out): non-blocking connect, and once it has connected, 16 bytes
 * written and shutdown(SHUT_WR), then the server's end of file awaited and close() (the client closes
 * first: its side ends in TIME_WAIT, a router's conntrack entry too; the server's FIN is the proof
 * that it got the bytes). Then prints
 *   connections N failed F pending P
 * N: connections whose server closed them within SECONDS; F: those that failed (connect refused, reset,
 * ...); P: those still in flight at the end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EVENTS 256
#define PAYLOAD 16
#define PEERS 8
#define SENT (1ul << 32) /* in a client's epoll data: the bytes are out, the server's FIN awaited */

static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in address(const char *ip, int port) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
    fprintf(stderr, "connrate: not an IPv4 address: %s\n", ip);
    exit(2);
  }
  return sa;
}

/* Per accepted connection on the server: its bytes so far, the index of its peer. */
struct conn {
  int fd;
  long bytes;
  int peer;
};

static int server(const char *ip, int port, int nports) {
  int ep = epoll_create1(0), i;
  long accepted = 0, complete = 0, peer_count[PEERS] = {0};
  struct in_addr peers[PEERS];
  int npeers = 0;
  if (ep < 0) die("epoll_create1");
  int *listeners = calloc(nports, sizeof(int));
  for (i = 0; i < nports; i++) {
    struct sockaddr_in sa = address(ip, port + i);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) die("socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) die("bind");
    if (listen(fd, 4096) < 0) die("listen");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = i}; /* listeners: their index; connections: a pointer */
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    listeners[i] = fd;
  }
  struct epoll_event events[EVENTS];
  char buf[4096];
  while (!stopping) {
    int n = epoll_wait(ep, events, EVENTS, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (i = 0; i < n; i++) {
      if (events[i].data.u64 < (unsigned long)nports) {
        int lfd = listeners[events[i].data.u64];
        for (;;) {
          struct sockaddr_in from;
          socklen_t len = sizeof(from);
          int fd = accept4(lfd, (struct sockaddr *)&from, &len, SOCK_NONBLOCK);
          if (fd < 0) break;
          accepted++;
          struct conn *c = malloc(sizeof(*c));
          c->fd = fd;
          c->bytes = 0;
          for (c->peer = 0; c->peer < npeers && peers[c->peer].s_addr != from.sin_addr.s_addr; c->peer++) {}
          if (c->peer == npeers && npeers < PEERS) peers[npeers++] = from.sin_addr;
          struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
        }
        continue;
      }
      struct conn *c = events[i].data.ptr;
      ssize_t r;
      while ((r = read(c->fd, buf, sizeof(buf))) > 0) c->bytes += r;
      if (r == 0 || (r < 0 && errno != EAGAIN)) {
        if (r == 0 && c->bytes >= PAYLOAD) {
          complete++;
          if (c->peer < PEERS) peer_count[c->peer]++;
        }
        close(c->fd);
        free(c);
      }
    }
  }
  printf("accepted %ld complete %ld peers ", accepted, complete);
  for (i = 0; i < npeers; i++) printf("%s%s=%ld", i ? "," : "", inet_ntoa(peers[i]), peer_count[i]);
  printf("%s\n", npeers ? "" : "-");
  return 0;
}

static int client(const char *ip, int port, int nports, double seconds, int concurrency) {
  int ep = epoll_create1(0), next = 0, inflight = 0, i;
  long connections = 0, failed = 0;
  static const char payload[PAYLOAD] = "connrate-payload";
  if (ep < 0) die("epoll_create1");
  double deadline = now() + seconds;
  struct epoll_event events[EVENTS];
  for (;;) {
    int starting = now() < deadline;
    while (starting && inflight < concurrency) {
      struct sockaddr_in sa = address(ip, port + next);
      next = (next + 1) % nports;
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (fd < 0) die("socket");
      if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
        failed++;
        close(fd);
        if (errno == EADDRNOTAVAIL) usleep(1000); /* out of ports: let some leave TIME_WAIT */
        continue;
      }
      struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (unsigned)fd}; /* connecting; | SENT once sent */
      if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
      inflight++;
    }
    if (!starting) break;
    int n = epoll_wait(ep, events, EVENTS, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (i = 0; i < n; i++) {
      int fd = (int)(events[i].data.u64 & 0xffffffffu), err = 0, done;
      if (events[i].data.u64 & SENT) { /* the server's answer: its end of file */
        char buf[64];
        ssize_t r;
        while ((r = read(fd, buf, sizeof(buf))) > 0) {}
        if (r < 0 && errno == EAGAIN) continue;
        done = r == 0;
      } else {
        socklen_t len = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0 && write(fd, payload, PAYLOAD) == PAYLOAD && shutdown(fd, SHUT_WR) == 0) {
          struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SENT | (unsigned)fd};
          if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl");
          continue;
        }
        done = 0;
      }
      if (done && now() < deadline)
        connections++;
      else if (!done)
        failed++;
      close(fd); /* also takes it out of the epoll set */
      inflight--;
    }
  }
  printf("connections %ld failed %ld pending %d\n", connections, failed, inflight);
  return 0;
}

int main(int argc, char **argv) {
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 5 && strcmp(argv[1], "server") == 0) return server(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (argc == 7 && strcmp(argv[1], "client") == 0)
    return client(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]), atoi(argv[6]));
  fprintf(stderr, "usage: connrate server ADDR PORT NPORTS | connrate client ADDR PORT NPORTS SECONDS CONCURRENCY\n");
  return 2;
}
