/*
 * Profile / trace demo (docs/profiling.md; tests/test_profile.py, tests/test_trace.py).
 *
 *   1. core 0, span "load": DMA of N bytes L2 -> L1 (src), wait
 *   2. fork on every core; each core, span "compute": kernel() sums its share of src
 *      2 (c + 1) times for core c (unequal work, so cores wait at the barrier), then
 *      pi_cl_team_barrier(), then a span "id <core>" around a store
 *   3. core 0: instant "done", span "store": DMA of the per-core sums L1 -> L2, wait
 *
 * kernel() is the hottest function (noinline). Prints "trace_demo: OK" and returns 0
 * when every core's sum matches a plain-C reference.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <dma.h>
#include <trace.h>

#define N 2048
#define MAX_CORES 16

static uint8_t src_l2[N];
static uint32_t sums_l2[MAX_CORES];
L1_BSS static uint8_t src[N];
L1_BSS static volatile uint32_t sums[MAX_CORES];

/* sum over r < rounds, i < n of p[i] * (i + r)  (mod 2^32) */
__attribute__((noinline)) static uint32_t kernel(const uint8_t *p, int n, int rounds)
{
    uint32_t s = 0;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < n; i++)
            s += p[i] * (uint32_t)(i + r);
    return s;
}

static void entry(void *arg)
{
    (void)arg;
    int c = pi_core_id(), cores = pi_cl_team_nb_cores();
    int share = N / cores;
    trace_begin("compute");
    uint32_t s = kernel(src + c * share, share, 2 * (c + 1));
    trace_end();
    pi_cl_team_barrier();
    trace_begin_id(c);
    sums[c] = s;
    trace_end();
}

int main(void)
{
    int cores = pi_cl_cluster_nb_cores();
    for (int i = 0; i < N; i++)
        src_l2[i] = (uint8_t)(i * 13 + 7);
    trace_begin("load");
    plp_dma_wait(plp_dma_extToL1((unsigned int)src, (uint32_t)src_l2, N));
    trace_end();
    pi_cl_team_fork(cores, entry, 0);
    trace_instant("done");
    trace_begin("store");
    plp_dma_wait(plp_dma_l1ToExt((uint32_t)sums_l2, (unsigned int)sums, sizeof(uint32_t) * cores));
    trace_end();
    int errors = 0, share = N / cores;
    for (int c = 0; c < cores; c++) {       /* closed form: cheap next to the kernel */
        uint32_t ref = 0, rounds = 2 * (c + 1);
        for (int i = 0; i < share; i++)
            ref += src_l2[c * share + i] * (rounds * i + rounds * (rounds - 1) / 2);
        errors += ref != sums_l2[c];
    }
    printf("trace_demo: %s\n", errors ? "FAIL" : "OK");
    return errors;
}
