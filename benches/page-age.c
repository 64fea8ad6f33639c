// page-age PAGES "GAP_MS..." [ROUNDS]: what a read of memory costs once nothing has touched it for a while.
// Maps PAGES pages, each 16 KB apart, writes them all, then for each gap in the list, ROUNDS times (5): spins on the
// CPU for GAP_MS milliseconds (so the CPU itself never goes idle), then reads one cache line of every page and times
// the pass. Prints one line per gap: the median time per page over the rounds, in nanoseconds, and the rounds' range.
// On bare metal a page costs a cache or TLB miss at worst, ~100 ns. Under a hypervisor that ages the guest's memory
// (clears the entries of pages not touched lately, so that the next touch exits to the host), a page untouched for
// longer than the host's aging period costs that exit: an idle switch's first frame pays it for every page of code
// and data its way through touches, a C forwarder's few pages and a JVM's hundreds alike.
// Run it pinned to the switch's CPU, e.g. gcc -O2 -o /tmp/page-age benches/page-age.c &&
// taskset -c 1 /tmp/page-age 500 "1 50 100 200 500 1000".
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define STRIDE (4 * 4096)
#define MAX_ROUNDS 64

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: page-age PAGES \"GAP_MS...\" [ROUNDS]\n");
        return 2;
    }
    const long pages = atol(argv[1]);
    const int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (pages <= 0 || rounds <= 0 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "page-age: PAGES > 0, 0 < ROUNDS <= %d\n", MAX_ROUNDS);
        return 2;
    }
    volatile unsigned char *memory = mmap(NULL, pages * STRIDE, PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (MAP_FAILED == (void *)memory) {
        perror("page-age: mmap");
        return 1;
    }
    memset((void *)memory, 1, pages * STRIDE);
    unsigned long sum = 0;
    char *gaps = strdup(argv[2]);
    for (char *gap = strtok(gaps, " "); gap; gap = strtok(NULL, " ")) {
        const double gap_ms = atof(gap);
        double per_page[MAX_ROUNDS];
        for (int round = 0; round < rounds; round++) {
            const double start = now_ns();
            while (now_ns() - start < gap_ms * 1e6) {
            }
            const double before = now_ns();
            // A different line of each page every pass: the cost is the page's, not a line left in a cache.
            for (long page = 0; page < pages; page++) {
                sum += memory[page * STRIDE + (page + round) * 64 % 4096];
            }
            per_page[round] = (now_ns() - before) / pages;
        }
        qsort(per_page, rounds, sizeof per_page[0], by_value);
        printf("gap %g ms: %.0f ns a page (%.0f-%.0f over %d rounds of %ld pages)\n",
            gap_ms, per_page[rounds / 2], per_page[0], per_page[rounds - 1], rounds, pages);
    }
    free(gaps);
    return 0 == sum; // never: every byte is 1
}
