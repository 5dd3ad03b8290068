/*
 * Cluster DMA self-test (firmware API: runtime/include/dma.h, model: plugins/cluster_dma.py).
 *
 *   1. 1-D L2 -> L1 of N1 bytes, then 1-D L1 -> L2 of the same buffer changed in L1
 *   2. 2-D L2 -> L1: the TR x TC tile at (R0, C0) of the ROWS x COLS matrix `big`
 *      (lines of TC bytes, COLS apart in L2, contiguous in L1), then 2-D L1 -> L2 of the
 *      tile changed in L1 into the matrix `out` at the same place
 *   3. the pmsis calls (pi_cl_dma_cmd / pi_cl_dma_cmd_wait)
 *   4. every core copies its own CHUNK bytes L2 -> L1 at once and waits for its own id
 *   5. core 0 copies BIG_N bytes and sleeps until the completion event; the cluster timer
 *      measures the cycles from before the first push to after the wait
 *
 * Data: src[i] = (uint8_t)(i * 7 + 3); big[r][c] = (uint8_t)(r * 31 + c * 5 + 1).
 * L1 -> L2 copies change the data in L1 first: x -> x ^ 0x5A.
 * Prints "dma_copy: OK" (else the failing step) and "dma wait: <n> cycles for <BIG_N> bytes";
 * returns the number of failed checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <selftest.h>
#include <dma.h>
#include <timer.h>

#define N1 1000
#define ROWS 20
#define COLS 50
#define R0 3
#define C0 5
#define TR 10
#define TC 17
#define CHUNK 256
#define BIG_N 4096

uint8_t src[N1];
uint8_t back[N1];
uint8_t big[ROWS][COLS];
uint8_t out[ROWS][COLS];
uint8_t chunks_l2[16 * CHUNK];
uint8_t big_l2[BIG_N];

L1_BSS uint8_t l1_buf[N1];
L1_BSS uint8_t tile[TR * TC];
L1_BSS uint8_t tile2[TR * TC];
L1_BSS uint8_t chunks_l1[16 * CHUNK];
L1_BSS uint8_t big_l1[BIG_N];
L1_BSS static volatile int core_errors[16];

static void test_1d(void)
{
    for (int i = 0; i < N1; i++)
        src[i] = (uint8_t)(i * 7 + 3);
    plp_dma_wait(plp_dma_extToL1((unsigned)l1_buf, (uint32_t)src, N1));
    int ok = 1;
    for (int i = 0; i < N1; i++)
        ok &= l1_buf[i] == src[i];
    check(ok, "1-D L2 -> L1");

    for (int i = 0; i < N1; i++)
        l1_buf[i] ^= 0x5A;
    plp_dma_wait(plp_dma_l1ToExt((uint32_t)back, (unsigned)l1_buf, N1));
    ok = 1;
    for (int i = 0; i < N1; i++)
        ok &= back[i] == (uint8_t)(src[i] ^ 0x5A);
    check(ok, "1-D L1 -> L2");
}

static void test_2d(void)
{
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++)
            big[r][c] = (uint8_t)(r * 31 + c * 5 + 1);
    int id = plp_dma_extToL1_2d((unsigned)tile, (uint32_t)&big[R0][C0], TR * TC, COLS, TC);
    plp_dma_wait(id);
    int ok = 1;
    for (int r = 0; r < TR; r++)
        for (int c = 0; c < TC; c++)
            ok &= tile[r * TC + c] == big[R0 + r][C0 + c];
    check(ok, "2-D L2 -> L1");

    for (int i = 0; i < TR * TC; i++)
        tile[i] ^= 0x5A;
    plp_dma_wait(plp_dma_l1ToExt_2d((uint32_t)&out[R0][C0], (unsigned)tile, TR * TC, COLS, TC));
    ok = 1;
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            int inside = r >= R0 && r < R0 + TR && c >= C0 && c < C0 + TC;
            ok &= out[r][c] == (inside ? (uint8_t)(big[r][c] ^ 0x5A) : 0);
        }
    check(ok, "2-D L1 -> L2");
}

static void test_pmsis(void)
{
    pi_cl_dma_cmd_t a, b;
    pi_cl_dma_cmd((uint32_t)src, (uint32_t)l1_buf, N1, PI_CL_DMA_DIR_EXT2LOC, &a);
    pi_cl_dma_cmd_2d((uint32_t)&big[R0][C0], (uint32_t)tile2, TR * TC, COLS, TC,
                     PI_CL_DMA_DIR_EXT2LOC, &b);
    pi_cl_dma_cmd_wait(&b);
    pi_cl_dma_cmd_wait(&a);
    int ok = 1;
    for (int i = 0; i < N1; i++)
        ok &= l1_buf[i] == src[i];
    for (int i = 0; i < TR * TC; i++)
        ok &= tile2[i] == big[R0 + i / TC][C0 + i % TC];
    check(ok, "pi_cl_dma_cmd");
}

static void per_core_copy(void *arg)
{
    (void)arg;
    int core = pi_core_id();
    uint8_t *s = chunks_l2 + core * CHUNK, *d = chunks_l1 + core * CHUNK;
    for (int i = 0; i < CHUNK; i++)
        s[i] = (uint8_t)(core * 16 + i);
    pi_cl_team_barrier();               /* every core pushes at about the same time */
    pi_cl_dma_cmd_t cmd;
    pi_cl_dma_cmd((uint32_t)s, (uint32_t)d, CHUNK, PI_CL_DMA_DIR_EXT2LOC, &cmd);
    pi_cl_dma_cmd_wait(&cmd);
    int bad = 0;
    for (int i = 0; i < CHUNK; i++)
        bad += d[i] != (uint8_t)(core * 16 + i);
    core_errors[core] = bad;
}

static void test_cores(void)
{
    int n = pi_cl_cluster_nb_cores();
    pi_cl_team_fork(n, per_core_copy, 0);
    int bad = 0;
    for (int c = 0; c < n; c++)
        bad += core_errors[c];
    check(bad == 0, "per-core copies");
}

static void test_wait(void)
{
    for (int i = 0; i < BIG_N; i++)
        big_l2[i] = (uint8_t)(i ^ (i >> 8));
    unsigned int t = timer_base_cl(0, 0, 0);
    timer_conf_set(t, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT);
    unsigned int t0 = timer_count_get(t);
    int id = plp_dma_extToL1((unsigned)big_l1, (uint32_t)big_l2, BIG_N);
    plp_dma_wait(id);
    unsigned int t1 = timer_count_get(t);
    int ok = 1;
    for (int i = 0; i < BIG_N; i++)
        ok &= big_l1[i] == big_l2[i];
    check(ok, "large copy");
    printf("dma wait: %u cycles for %d bytes\n", t1 - t0, BIG_N);
}

int main(void)
{
    test_1d();
    test_2d();
    test_pmsis();
    test_cores();
    test_wait();
    return selftest_report("dma_copy");
}
