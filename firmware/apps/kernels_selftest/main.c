/*
 * Self-check of the int8 kernel library (firmware/kernels): every optimized kernel against
 * its plain-C reference on small shapes (odd channel counts, leftovers of the 4x2 blocking,
 * strides 1 and 2).
 *
 * Inputs: a 32-bit LCG, reseeded for every case (all arithmetic mod 2^32):
 *   state = seed;  next(): state = state * 1664525 + 1013904223
 *   int8  value:  (int8_t)(state >> 24)             (one next() per value)
 *   int32 bias :  (int32_t)state >> 20  (arithmetic; range -2048..2047, one next() each)
 * Seed of case i of a kernel group: 1000 * group + i  (groups: dot 1, matmul 2, conv1x1 3,
 * conv3x3 4, dwconv3x3 5, add_requant 6).  Generation order per case:
 *   dot:      a[n], b[n]
 *   matmul:   A[M][K], BT[N][K]             (C = A * BT^T, int32)
 *   conv1x1:  in[H][W][Cin], w[Cout][Cin], bias[Cout]
 *   conv3x3:  in[H][W][Cin], w[Cout][3][3][Cin], bias[Cout]
 *   dwconv:   in[H][W][C], w[C][3][3], bias[C]
 *   add:      a[n], b[n]                    (out = clamp((a*m1 + b*m2) >> d), kernels.h)
 * Requantization as in kernels.h (mult/shift per case in the tables below).
 *
 * Output: one line per case "<group> <case> chk=%08x <ok|MISMATCH>", where
 *   chk = sum_i (uint32_t)(int32_t)out[i] * (i + 1)  mod 2^32   over the optimized output in
 *   memory order (dot: the single int32 result), and a final "kernels_selftest: OK|FAILED".
 * Returns 0 iff every optimized result equals the reference.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include "../../kernels/kernels.h"

static uint32_t lcg_state;
static void lcg_seed(uint32_t s) { lcg_state = s; }
static uint32_t lcg_next(void) { return lcg_state = lcg_state * 1664525u + 1013904223u; }
static int8_t lcg_i8(void) { return (int8_t)(lcg_next() >> 24); }
static int32_t lcg_bias(void) { return (int32_t)lcg_next() >> 20; }
static void fill_i8(int8_t *p, int n) { for (int i = 0; i < n; i++) p[i] = lcg_i8(); }
static void fill_bias(int32_t *p, int n) { for (int i = 0; i < n; i++) p[i] = lcg_bias(); }

static uint32_t chk_i8(const int8_t *p, int n)
{
    uint32_t s = 0;
    for (int i = 0; i < n; i++) s += (uint32_t)(int32_t)p[i] * (uint32_t)(i + 1);
    return s;
}
static uint32_t chk_i32(const int32_t *p, int n)
{
    uint32_t s = 0;
    for (int i = 0; i < n; i++) s += (uint32_t)p[i] * (uint32_t)(i + 1);
    return s;
}
static int count_diff_i8(const int8_t *a, const int8_t *b, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++) d += a[i] != b[i];
    return d;
}

#define MAXBUF 4096
L1_BSS static int8_t  bin[MAXBUF];
L1_BSS static int8_t  bw[MAXBUF];
L1_BSS static int32_t bbias[256];
L1_BSS static int8_t  bout[MAXBUF];
L1_BSS static int8_t  bref[MAXBUF];
L1_BSS static int32_t c32[MAXBUF];
L1_BSS static int32_t r32[MAXBUF];
L1_BSS static int8_t  scratch[MAXBUF];

static int failures;

static void report(const char *group, int idx, uint32_t chk, int bad)
{
    printf("%s %d chk=%08x %s\n", group, idx, (unsigned)chk, bad ? "MISMATCH" : "ok");
    if (bad) failures++;
}

/* ---- case tables (the test's numpy model has a copy) ---- */
static const int dot_n[] = {1, 3, 4, 7, 16, 33, 64, 255};
static const int mm_shape[][3] = {          /* M, N, K */
    {4, 2, 4}, {8, 6, 32}, {5, 3, 7}, {7, 5, 13}, {12, 10, 36}, {1, 1, 1}, {9, 7, 64},
};
static const int c1_shape[][6] = {          /* H, W, Cin, Cout, mult, shift */
    {4, 4, 8, 8, 3, 10}, {3, 5, 7, 5, 5, 11}, {2, 3, 16, 12, 1, 8}, {1, 1, 3, 1, 7, 6},
    {3, 3, 32, 9, 2, 11},
};
static const int c3_shape[][7] = {          /* H, W, Cin, Cout, stride, mult, shift */
    {5, 5, 4, 4, 1, 3, 12}, {6, 7, 3, 5, 1, 5, 12}, {7, 6, 8, 6, 2, 1, 10},
    {5, 4, 1, 3, 2, 9, 10}, {8, 8, 16, 8, 2, 1, 11}, {1, 1, 2, 2, 1, 1, 5},
};
static const int dw_shape[][6] = {          /* H, W, C, stride, mult, shift */
    {5, 5, 4, 1, 3, 9}, {6, 7, 3, 2, 5, 10}, {8, 8, 16, 1, 1, 8}, {7, 9, 5, 2, 7, 10},
    {1, 1, 2, 1, 1, 4}, {2, 3, 1, 2, 1, 6},
};
static const int add_case[][4] = {          /* n, m1, m2, d */
    {1, 1, 1, 0}, {7, 16384, 8192, 14}, {33, 23170, -11585, 15}, {64, 32767, 32767, 15},
    {255, 517, 30001, 14}, {16, -32767, 1, 8}, {5, 3, 5, 0},
};
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
    for (int i = 0; i < NELEM(dot_n); i++) {
        int n = dot_n[i];
        lcg_seed(1000 + i);
        fill_i8(bin, n);
        fill_i8(bw, n);
        int32_t r = dot_int8(bin, bw, n), e = dot_int8_ref(bin, bw, n);
        report("dot", i, (uint32_t)r, r != e);
    }
    for (int i = 0; i < NELEM(mm_shape); i++) {
        int M = mm_shape[i][0], N = mm_shape[i][1], K = mm_shape[i][2];
        lcg_seed(2000 + i);
        fill_i8(bin, M * K);
        fill_i8(bw, N * K);
        matmul_int8(bin, bw, c32, M, N, K);
        matmul_int8_ref(bin, bw, r32, M, N, K);
        int bad = 0;
        for (int k = 0; k < M * N; k++) bad += c32[k] != r32[k];
        report("matmul", i, chk_i32(c32, M * N), bad);
    }
    for (int i = 0; i < NELEM(c1_shape); i++) {
        const int *s = c1_shape[i];
        int H = s[0], W = s[1], Ci = s[2], Co = s[3];
        lcg_seed(3000 + i);
        fill_i8(bin, H * W * Ci);
        fill_i8(bw, Co * Ci);
        fill_bias(bbias, Co);
        conv1x1_int8_hwc(bin, bw, bbias, bout, H, W, Ci, Co, s[4], s[5]);
        conv1x1_int8_hwc_ref(bin, bw, bbias, bref, H, W, Ci, Co, s[4], s[5]);
        int n = H * W * Co;
        report("conv1x1", i, chk_i8(bout, n), count_diff_i8(bout, bref, n));
    }
    for (int i = 0; i < NELEM(c3_shape); i++) {
        const int *s = c3_shape[i];
        int H = s[0], W = s[1], Ci = s[2], Co = s[3], st = s[4];
        lcg_seed(4000 + i);
        fill_i8(bin, H * W * Ci);
        fill_i8(bw, Co * 9 * Ci);
        fill_bias(bbias, Co);
        conv3x3_int8_hwc(bin, bw, bbias, bout, H, W, Ci, Co, st, s[5], s[6], scratch);
        conv3x3_int8_hwc_ref(bin, bw, bbias, bref, H, W, Ci, Co, st, s[5], s[6]);
        int n = KERNEL_OUT_DIM(H, st) * KERNEL_OUT_DIM(W, st) * Co;
        report("conv3x3", i, chk_i8(bout, n), count_diff_i8(bout, bref, n));
    }
    for (int i = 0; i < NELEM(dw_shape); i++) {
        const int *s = dw_shape[i];
        int H = s[0], W = s[1], C = s[2], st = s[3];
        lcg_seed(5000 + i);
        fill_i8(bin, H * W * C);
        fill_i8(bw, C * 9);
        fill_bias(bbias, C);
        dwconv3x3_int8_hwc(bin, bw, bbias, bout, H, W, C, st, s[4], s[5], scratch);
        dwconv3x3_int8_hwc_ref(bin, bw, bbias, bref, H, W, C, st, s[4], s[5]);
        int n = KERNEL_OUT_DIM(H, st) * KERNEL_OUT_DIM(W, st) * C;
        report("dwconv3x3", i, chk_i8(bout, n), count_diff_i8(bout, bref, n));
    }
    for (int i = 0; i < NELEM(add_case); i++) {
        const int *s = add_case[i];
        int n = s[0];
        lcg_seed(6000 + i);
        fill_i8(bin, n);
        fill_i8(bw, n);
        add_requant_int8(bin, bw, bout, n, s[1], s[2], s[3]);
        add_requant_int8_ref(bin, bw, bref, n, s[1], s[2], s[3]);
        report("add", i, chk_i8(bout, n), count_diff_i8(bout, bref, n));
    }
    printf("kernels_selftest: %s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
