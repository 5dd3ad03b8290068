/*
 * Benchmark: int8 matrix multiply C[M][N] = A[M][K] * B[K][N] (int32 results) with the
 * kernel library's matmul_int8 (B given transposed, BT[N][K]).
 *
 *   defaults M = 64, K = 256, N = 64, repeated REPS = 48 times (~24 M instructions for XpulpV2) (override with -DBENCH_M=...)
 *
 * The same source builds for both ISAs:
 *   iss cc --isa corev    -> XpulpV2 path: 4x2-blocked cv.sdotsp.b + cv.lw post-increment +
 *                            cv.setup hardware loops (clang defines __riscv_xcvsimd)
 *   iss cc --isa rv32imc  -> the same 4x2 blocking in plain C
 * so the retired-instruction counts compare the ISAs on one algorithm.
 *
 * Inputs (32-bit LCG, arithmetic mod 2^32): state = 12345;
 *   next(): state = state * 1664525 + 1013904223; value = (int8_t)(state >> 24)
 *   A is filled first, row-major (A[0][0], A[0][1], ...), then BT, row-major (BT[0][0], ...),
 *   i.e. B[k][j] = BT[j][k].
 *
 * Self-check: after the REPS runs, rows i = 0, 7, 14, ... (i % 7 == 0) and the last row are
 * recomputed with matmul_int8_ref (plain C) and compared.  (Checking everything with the
 * naive reference would cost more than the benchmark itself; the full result is covered by
 * the checksum, which the test suite compares with numpy.)
 *
 * Output: "checksum=%08x" with checksum = sum over idx = i*N + j of (uint32)C[i][j] * (idx + 1)
 * mod 2^32, and "kernel_instructions=%u" (minstret delta of the REPS matmul calls).
 * Returns 0 iff the checked rows agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include "../../kernels/kernels.h"

#ifndef BENCH_M
#define BENCH_M 64
#endif
#ifndef BENCH_K
#define BENCH_K 256
#endif
#ifndef BENCH_N
#define BENCH_N 64
#endif
#ifndef BENCH_REPS
#define BENCH_REPS 48
#endif
#define M BENCH_M
#define K BENCH_K
#define N BENCH_N

L1_BSS static int8_t A[M * K];
L1_BSS static int8_t BT[N * K];
L1_BSS static int32_t C[M * N];
static int32_t Cref[N];

static uint32_t lcg_state = 12345u;
static int8_t lcg_next(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (int8_t)(lcg_state >> 24);
}

static inline uint32_t minstret(void)
{
    uint32_t v;
    __asm__ volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

int main(void)
{
    for (int i = 0; i < M * K; i++)
        A[i] = lcg_next();
    for (int i = 0; i < N * K; i++)
        BT[i] = lcg_next();

    uint32_t t0 = minstret();
    for (int r = 0; r < BENCH_REPS; r++)
        matmul_int8(A, BT, C, M, N, K);
    uint32_t t1 = minstret();

    int errors = 0;
    for (int i = 0; i < M; i++) {
        if (i % 7 != 0 && i != M - 1)
            continue;
        matmul_int8_ref(A + i * K, BT, Cref, 1, N, K);
        for (int j = 0; j < N; j++)
            if (Cref[j] != C[i * N + j]) {
                if (errors < 4)
                    printf("mismatch at [%d][%d]: %d != %d\n", i, j, (int)C[i * N + j], (int)Cref[j]);
                errors++;
            }
    }
    uint32_t checksum = 0;
    for (int idx = 0; idx < M * N; idx++)
        checksum += (uint32_t)C[idx] * (uint32_t)(idx + 1);
#ifdef __riscv_xcvsimd
    const char *isa = "xpulpv2 (cv.sdotsp.b, hw loops)";
#else
    const char *isa = "rv32imc (plain C)";
#endif
    printf("bench_matmul_xpulp %dx%dx%d x%d [%s]: %s\n", M, K, N, BENCH_REPS, isa,
           errors ? "FAILED" : "OK");
    printf("kernel_instructions=%u\n", (unsigned)(t1 - t0));
    printf("checksum=%08x\n", (unsigned)checksum);
    return errors ? 1 : 0;
}
