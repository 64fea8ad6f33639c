// cacheline-pingpong CPU_A CPU_B: how long one cache line takes to go from CPU_A to CPU_B and back, as two
// busy threads pinned to them pass a counter to and fro (each side waits for the other's write, then writes).
// A virtio ring shared between a switch and its frontend on two CPUs moves its cache lines the same way, so on a
// VM, whose vCPUs the host may place on one core's two hyperthreads or on two cores and move between the two,
// this is what the machine charges every such hand-over at the time. Prints one line: the median round trip and
// the 10th and 90th percentiles over 200 batches of 2,000 round trips, in nanoseconds. Used by vhost-bench.sh.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCHES 200
#define TRIPS 2000
#define STOP UINT64_MAX /* odd: the answering thread sees it as its turn, and stops */

static _Alignas(64) _Atomic uint64_t line;

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
        fprintf(stderr, "cacheline-pingpong: cannot pin to CPU %d\n", cpu);
        exit(1);
    }
}

// The answering side: an odd value is the asking side's; it answers with the next, even, value.
static void *answer(void *arg)
{
    pin(*(int *)arg);
    for (;;) {
        uint64_t value;
        while (((value = atomic_load_explicit(&line, memory_order_acquire)) & 1) == 0)
            ;
        if (value == STOP)
            return NULL;
        atomic_store_explicit(&line, value + 1, memory_order_release);
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cacheline-pingpong CPU_A CPU_B\n");
        return 2;
    }
    int cpu_a = atoi(argv[1]), cpu_b = atoi(argv[2]);
    pthread_t answering;
    pthread_create(&answering, NULL, answer, &cpu_b);
    pin(cpu_a);
    double nanos[BATCHES];
    uint64_t value = 0;
    for (int batch = 0; batch < BATCHES; batch++) {
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (int trip = 0; trip < TRIPS; trip++) {
            atomic_store_explicit(&line, value + 1, memory_order_release);
            while (atomic_load_explicit(&line, memory_order_acquire) != value + 2)
                ;
            value += 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        nanos[batch] = ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / TRIPS;
    }
    atomic_store_explicit(&line, STOP, memory_order_release);
    pthread_join(answering, NULL);
    qsort(nanos, BATCHES, sizeof nanos[0], by_value);
    printf("cache line round trip CPU %d <-> %d: median %.0f ns (p10 %.0f, p90 %.0f)\n", cpu_a, cpu_b,
           nanos[BATCHES / 2], nanos[BATCHES / 10], nanos[BATCHES * 9 / 10]);
    return 0;
}
