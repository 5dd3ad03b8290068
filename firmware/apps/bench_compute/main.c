/*
 * Compute-bound RV32IMC benchmark kernel (no custom instructions needed).
 *
 * Each of ROUNDS rounds:
 *   1. int32 matrix multiply C = A * B (N x N, wrap-around arithmetic, i-k-j loop
 *      order accumulating in C), all matrices in L1;
 *   2. table-driven CRC-32 (zlib's: poly 0xEDB88320, reflected) over the bytes of C,
 *      chained across rounds (crc = zlib.crc32(C_bytes, crc));
 *   3. A[i][col] += C[i][col] >> 7 for every row i, col = round mod N, so every
 *      round multiplies different matrices.
 *
 * Inputs come from the LCG  state = state * 1664525 + 1013904223  (state = 2024),
 * value = (int32_t)state >> 20 (A first, row-major, then B).
 *
 * Prints "bench_compute: rounds=R crc=XXXXXXXX" and returns 0.
 * About 1.0 M instructions per round at -O2 (ROUNDS = 250: ~252 M instructions,
 * about 1 store in 9 instructions).
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>

#ifndef N
#define N 48
#endif
#ifndef ROUNDS
#define ROUNDS 250
#endif

L1_BSS static int32_t A[N][N];
L1_BSS static int32_t B[N][N];
L1_BSS static int32_t C[N][N];

static uint32_t lcg_state = 2024u;

static int32_t lcg_next(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (int32_t)lcg_state >> 20;
}

/* i-k-j order: the inner loop loads and stores C (about one store per 7 instructions) */
static void matmul(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            C[i][j] = 0;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            int32_t a = A[i][k];
            for (int j = 0; j < N; j++)
                C[i][j] += a * B[k][j];
        }
}

static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        crc_table[n] = c;
    }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint32_t n)
{
    crc = ~crc;
    for (uint32_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

int main(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            A[i][j] = lcg_next();
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            B[i][j] = lcg_next();

    crc32_init();
    uint32_t crc = 0;
    for (int r = 0; r < ROUNDS; r++) {
        matmul();
        crc = crc32_update(crc, (const uint8_t *)C, sizeof(C));
        int col = r % N;
        for (int i = 0; i < N; i++)
            A[i][col] += C[i][col] >> 7;
    }
    printf("bench_compute: rounds=%d crc=%08x\n", ROUNDS, (unsigned)crc);
    return 0;
}
