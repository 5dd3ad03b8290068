/*
 * Parallel int8 matrix multiply: C[M][N] = A[M][K] * B[K][N], int32 accumulation, rows split
 * over the cores of a pi_cl_team_fork (all cores of the run: --cores 1..8).
 *
 *   M = K = N = 128
 *   A[i][k] = hash_int8(i * K + k),  B[k][j] = hash_int8(B_SEED + k * N + j),  B_SEED = 0x40000
 *   (hash_int8 of <testdata.h>)
 *
 * Every phase is split over the cores (core c owns rows [c*M/n, (c+1)*M/n) of A and C, rows
 * [c*N/n, (c+1)*N/n) of BT = B transposed, elements [c*K/n, (c+1)*K/n) of y):
 *   1. generate A and BT in L2
 *   2. DMA them into L1 (each core its own part, one transfer id each)
 *   3. the kernel: matmul_int8 of firmware/kernels (cv.sdotsp.b, hardware loops, 4x2 blocks)
 *      on the core's rows, measured with the performance counters
 *   4. check (Freivalds, plain C, independent of the kernel): for x1[j] = 1 and
 *      x2[j] = ((j * 37 + 11) & 31) - 16, y = B x and every row i must satisfy
 *      sum_j C[i][j] x[j] == sum_k A[i][k] y[k]  (mod 2^32)
 *   5. checksum = sum over idx = i*N + j of (uint32)C[i][j] * (idx + 1)  mod 2^32
 * Prints the result, the checksum (tests/test_parallel.py compares it with numpy) and the
 * kernel's performance counters of core 0; returns the number of rows failing the check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pulp.h>
#include <testdata.h>
#include <dma.h>
#include <perf.h>
#include <timer.h>
#include "../../kernels/kernels.h"

#define M 128
#define K 128
#define N 128
#define B_SEED 0x40000u
#define MAX_CORES 16

/* Buffers the program fully writes before reading: not in .bss / .l1_bss, which core 0's
 * crt0 zeroes alone (~100k cycles for these sizes: a serial phase that would cut the
 * speed-up). L2: the heap (malloc); L1: carved from the L1 heap (link.ld). */
extern char __l1_heap_start[], __l1_heap_end[];
#define L1_BYTES (M * K + N * K + 4 * (M * N + 2 * K))
static int8_t *A_l2, *BT_l2;
#define A  ((int8_t *)__l1_heap_start)
#define BT (A + M * K)
#define C  ((int32_t *)(BT + N * K))
#define y1 (C + M * N)
#define y2 (y1 + K)

typedef struct { uint32_t checksum, errors, cycles, instr, ld, st; } core_result_t;
L1_BSS static volatile core_result_t results[MAX_CORES];

static inline int32_t x2(int j) { return ((j * 37 + 11) & 31) - 16; }

static void work(void *arg)
{
    (void)arg;
    int core = pi_core_id(), n = pi_cl_team_nb_cores();
    int r0 = core * M / n, r1 = (core + 1) * M / n;
    int j0 = core * N / n, j1 = (core + 1) * N / n;
    int k0 = core * K / n, k1 = (core + 1) * K / n;

    /* 1. inputs in L2 */
    for (int i = r0; i < r1; i++)
        for (int k = 0; k < K; k++)
            A_l2[i * K + k] = hash_int8((uint32_t)(i * K + k));
    for (int j = j0; j < j1; j++)
        for (int k = 0; k < K; k++)
            BT_l2[j * K + k] = hash_int8(B_SEED + (uint32_t)(k * N + j));

    /* 2. into L1 */
    int ida = plp_dma_extToL1((unsigned)(A + r0 * K), (uint32_t)(A_l2 + r0 * K), (r1 - r0) * K);
    int idb = plp_dma_extToL1((unsigned)(BT + j0 * K), (uint32_t)(BT_l2 + j0 * K), (j1 - j0) * K);
    plp_dma_wait(ida);
    plp_dma_wait(idb);
    pi_cl_team_barrier();                  /* all of BT is in L1 */

    /* 3. the kernel */
    pi_perf_conf(1 << PI_PERF_CYCLES | 1 << PI_PERF_INSTR | 1 << PI_PERF_LD | 1 << PI_PERF_ST);
    pi_perf_reset();
    pi_perf_start();
    matmul_int8(A + r0 * K, BT, C + r0 * N, r1 - r0, N, K);
    pi_perf_stop();

    /* 4. y = B x for my elements of y, then the check of my rows */
    for (int k = k0; k < k1; k++) {
        int32_t s1 = 0, s2 = 0;
        for (int j = 0; j < N; j++) {
            s1 += BT[j * K + k];
            s2 += BT[j * K + k] * x2(j);
        }
        y1[k] = s1;
        y2[k] = s2;
    }
    pi_cl_team_barrier();
    uint32_t errors = 0, checksum = 0;
    for (int i = r0; i < r1; i++) {
        uint32_t lhs1 = 0, lhs2 = 0, rhs1 = 0, rhs2 = 0;
        for (int j = 0; j < N; j++) {
            uint32_t c = (uint32_t)C[i * N + j];
            lhs1 += c;
            lhs2 += c * (uint32_t)x2(j);
            checksum += c * (uint32_t)(i * N + j + 1);     /* 5. */
        }
        for (int k = 0; k < K; k++) {
            rhs1 += (uint32_t)(A[i * K + k] * y1[k]);
            rhs2 += (uint32_t)(A[i * K + k] * y2[k]);
        }
        errors += lhs1 != rhs1 || lhs2 != rhs2;
    }
    volatile core_result_t *r = &results[core];
    r->checksum = checksum;
    r->errors = errors;
    r->cycles = pi_perf_read(PI_PERF_CYCLES);
    r->instr = pi_perf_read(PI_PERF_INSTR);
    r->ld = pi_perf_read(PI_PERF_LD);
    r->st = pi_perf_read(PI_PERF_ST);
}

int main(void)
{
    int n = pi_cl_cluster_nb_cores();
    A_l2 = malloc(M * K);
    BT_l2 = malloc(N * K);
    if (!A_l2 || !BT_l2 || __l1_heap_end - __l1_heap_start < L1_BYTES) {
        printf("matmul_parallel: not enough memory\n");
        return 1;
    }
    unsigned int t = timer_base_cl(0, 0, 0);
    timer_conf_set(t, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT);
    pi_cl_team_fork(n, work, 0);
    unsigned int elapsed = timer_count_get(t);

    uint32_t checksum = 0, errors = 0, kernel_max = 0;
    for (int c = 0; c < n; c++) {
        checksum += results[c].checksum;
        errors += results[c].errors;
        if (results[c].cycles > kernel_max)
            kernel_max = results[c].cycles;
    }
    printf("matmul_parallel %dx%dx%d on %d cores: %s\n", M, K, N, n, errors ? "FAILED" : "OK");
    printf("checksum=%08x\n", (unsigned)checksum);
    printf("kernel core 0: cycles=%u instr=%u ld=%u st=%u; slowest core: %u cycles\n",
           (unsigned)results[0].cycles, (unsigned)results[0].instr, (unsigned)results[0].ld,
           (unsigned)results[0].st, (unsigned)kernel_max);
    printf("fork to join: %u cycles\n", elapsed);
    return (int)errors;
}
