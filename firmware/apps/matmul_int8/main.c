/*
 * Self-checking int8 matrix multiply: C[M][N] = A[M][K] * B[K][N], int32 accumulation.
 *
 *   M = 16, K = 32, N = 16
 *
 * Inputs (deterministic LCG, all arithmetic mod 2^32, uint32 state):
 *   state = 12345
 *   next():  state = state * 1664525 + 1013904223;  return (int8_t)(state >> 24)
 *   A is filled first, row-major (A[0][0], A[0][1], ... A[15][31]),
 *   then B, row-major (B[0][0] ... B[31][15]).
 *
 * Reference: plain triple loop (i, j, k).  Second version: B transposed into L1,
 * 4-way unrolled dot products over k, result in L1.  Both must agree.
 *
 * Checksum (printed as "checksum=%08x"):
 *   sum over idx = i*N + j of  (uint32)C[i][j] * (idx + 1)   mod 2^32
 *
 * numpy check:
 *   s = 12345; v = []
 *   for _ in range(16*32 + 32*16):
 *       s = (s * 1664525 + 1013904223) & 0xffffffff; v.append(((s >> 24) ^ 0x80) - 0x80)
 *   A = np.array(v[:512]).reshape(16, 32); B = np.array(v[512:]).reshape(32, 16)
 *   C = (A @ B).astype(np.int64).ravel()
 *   chk = int(((C & 0xffffffff) * np.arange(1, 257)).sum()) & 0xffffffff
 *
 * Returns 0 when both versions agree (and the L1 data section was loaded), else 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>

#define M 16
#define K 32
#define N 16

static int8_t A[M][K];
static int8_t B[K][N];
static int32_t C_ref[M][N];

L1_BSS static int8_t BT[N][K];
L1_BSS static int32_t C_opt[M][N];
L1_DATA static volatile uint32_t l1_magic = 0x5A5A1234u;

static uint32_t lcg_state = 12345u;

static int8_t lcg_next(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (int8_t)(lcg_state >> 24);
}

static void matmul_ref(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < K; k++)
                acc += (int32_t)A[i][k] * (int32_t)B[k][j];
            C_ref[i][j] = acc;
        }
}

static void matmul_opt(void)
{
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            BT[j][k] = B[k][j];
    for (int i = 0; i < M; i++) {
        const int8_t *a = A[i];
        for (int j = 0; j < N; j++) {
            const int8_t *b = BT[j];
            int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int k = 0; k < K; k += 4) {
                s0 += a[k + 0] * b[k + 0];
                s1 += a[k + 1] * b[k + 1];
                s2 += a[k + 2] * b[k + 2];
                s3 += a[k + 3] * b[k + 3];
            }
            C_opt[i][j] = (s0 + s1) + (s2 + s3);
        }
    }
}

int main(void)
{
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            A[i][k] = lcg_next();
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            B[k][j] = lcg_next();

    matmul_ref();
    matmul_opt();

    int errors = 0;
    uint32_t checksum = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            uint32_t idx = (uint32_t)(i * N + j);
            if (C_ref[i][j] != C_opt[i][j]) {
                if (errors < 4)
                    printf("mismatch at [%d][%d]: %d != %d\n", i, j, C_ref[i][j], C_opt[i][j]);
                errors++;
            }
            checksum += (uint32_t)C_ref[i][j] * (idx + 1u);
        }
    if (l1_magic != 0x5A5A1234u) {
        printf("L1 data not loaded: %08x\n", (unsigned)l1_magic);
        errors++;
    }
    printf("matmul_int8 %dx%dx%d: %s\n", M, K, N, errors ? "FAILED" : "OK");
    printf("checksum=%08x\n", (unsigned)checksum);
    return errors ? 1 : 0;
}
