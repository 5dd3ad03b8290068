/*
 * Optimized int8 kernels (PULP-NN style).  See kernels.h for the API and the arithmetic.
 *
 * corev build (__riscv_xcvsimd): inner loops are inline asm run by CV32E40P hardware loops
 * (cv.setup, loop 0) with post-increment word loads (cv.lw) and 4-lane signed dot products
 * (cv.sdotsp.b); requantization uses cv.clip.
 * rv32imc build: the same blocking in plain C (the compiler's best effort), so that the two
 * ISAs can be compared on the same algorithm.
 */
#include "kernels.h"

#ifdef __riscv_xcvsimd
#include <xpulp.h>
#define KERNELS_XPULP 1
#else
#define KERNELS_XPULP 0
#endif

#define KINLINE static inline __attribute__((always_inline))

KINLINE int32_t add_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }

KINLINE int32_t rounding(int shift) { return shift > 0 ? (int32_t)(1u << (shift - 1)) : 0; }

/* clamp((acc * mult + rnd) >> shift) with wrap-around multiply/add */
KINLINE int8_t requant_fast(int32_t acc, int32_t mult, int32_t rnd, int shift)
{
    int32_t t = (int32_t)((uint32_t)acc * (uint32_t)mult + (uint32_t)rnd) >> shift;
#if KERNELS_XPULP
    return (int8_t)xp_clip_i8(t);
#else
    return (int8_t)(t < -128 ? -128 : t > 127 ? 127 : t);
#endif
}

/* ------------------------------------------------------------------------------------------
 * dot product
 * ---------------------------------------------------------------------------------------- */
int32_t dot_int8(const int8_t *a, const int8_t *b, int n)
{
    int32_t acc = 0;
#if KERNELS_XPULP
    uint32_t nw = (uint32_t)n >> 2;
    if (nw) {
        uint32_t x, y;
        XP_HWLOOP(nw,
                  "cv.lw %[x], (%[pa]), 4\n\t"
                  "cv.lw %[y], (%[pb]), 4\n\t"
                  "cv.sdotsp.b %[acc], %[x], %[y]\n\t",
                  ([acc] "+r"(acc), [pa] "+r"(a), [pb] "+r"(b), [x] "=&r"(x), [y] "=&r"(y)),
                  (), "memory");
    }
    for (int i = 0; i < (n & 3); i++)
        acc += (int32_t)a[i] * (int32_t)b[i];
#else
    int32_t s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        acc += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        acc += a[i] * b[i];
    acc += s1 + s2 + s3;
#endif
    return acc;
}

/* ------------------------------------------------------------------------------------------
 * 4x2 block: c[2*r + j] += sum_k a_r[k] * b_j[k]   (r = 0..3, j = 0..1), k < K
 * (PULP-NN's 4x2 kernel: 4 weight rows x 2 pixels, 8 accumulators, 6 loads per 32 MACs)
 * ---------------------------------------------------------------------------------------- */
KINLINE void mm4x2(const int8_t *a0, const int8_t *a1, const int8_t *a2, const int8_t *a3,
                   const int8_t *b0, const int8_t *b1, int K, int32_t c[8])
{
    int32_t c00 = c[0], c01 = c[1], c10 = c[2], c11 = c[3];
    int32_t c20 = c[4], c21 = c[5], c30 = c[6], c31 = c[7];
#if KERNELS_XPULP
    uint32_t nw = (uint32_t)K >> 2;
    if (nw) {
        uint32_t x0, x1, y0, y1;
        XP_HWLOOP(nw,
                  "cv.lw %[y0], (%[b0]), 4\n\t"
                  "cv.lw %[y1], (%[b1]), 4\n\t"
                  "cv.lw %[x0], (%[a0]), 4\n\t"
                  "cv.lw %[x1], (%[a1]), 4\n\t"
                  "cv.sdotsp.b %[c00], %[x0], %[y0]\n\t"
                  "cv.sdotsp.b %[c01], %[x0], %[y1]\n\t"
                  "cv.lw %[x0], (%[a2]), 4\n\t"
                  "cv.sdotsp.b %[c10], %[x1], %[y0]\n\t"
                  "cv.sdotsp.b %[c11], %[x1], %[y1]\n\t"
                  "cv.lw %[x1], (%[a3]), 4\n\t"
                  "cv.sdotsp.b %[c20], %[x0], %[y0]\n\t"
                  "cv.sdotsp.b %[c21], %[x0], %[y1]\n\t"
                  "cv.sdotsp.b %[c30], %[x1], %[y0]\n\t"
                  "cv.sdotsp.b %[c31], %[x1], %[y1]\n\t",
                  ([c00] "+r"(c00), [c01] "+r"(c01), [c10] "+r"(c10), [c11] "+r"(c11),
                   [c20] "+r"(c20), [c21] "+r"(c21), [c30] "+r"(c30), [c31] "+r"(c31),
                   [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                   [b0] "+r"(b0), [b1] "+r"(b1),
                   [x0] "=&r"(x0), [x1] "=&r"(x1), [y0] "=&r"(y0), [y1] "=&r"(y1)),
                  (), "memory");
    }
    for (int k = 0; k < (K & 3); k++) {
#else
    for (int k = 0; k < K; k++) {
#endif
        int32_t v0 = b0[k], v1 = b1[k];
        int32_t u0 = a0[k], u1 = a1[k], u2 = a2[k], u3 = a3[k];
        c00 += u0 * v0; c01 += u0 * v1;
        c10 += u1 * v0; c11 += u1 * v1;
        c20 += u2 * v0; c21 += u2 * v1;
        c30 += u3 * v0; c31 += u3 * v1;
    }
    c[0] = c00; c[1] = c01; c[2] = c10; c[3] = c11;
    c[4] = c20; c[5] = c21; c[6] = c30; c[7] = c31;
}

/* ------------------------------------------------------------------------------------------
 * matmul
 * ---------------------------------------------------------------------------------------- */
void matmul_int8(const int8_t *A, const int8_t *BT, int32_t *C, int M, int N, int K)
{
    int i = 0;
    for (; i + 4 <= M; i += 4) {
        const int8_t *a = A + i * K;
        int j = 0;
        for (; j + 2 <= N; j += 2) {
            int32_t c[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            const int8_t *b = BT + j * K;
            mm4x2(a, a + K, a + 2 * K, a + 3 * K, b, b + K, K, c);
            int32_t *o = C + i * N + j;
            for (int r = 0; r < 4; r++) {
                o[r * N] = c[2 * r];
                o[r * N + 1] = c[2 * r + 1];
            }
        }
        for (; j < N; j++)
            for (int r = 0; r < 4; r++)
                C[(i + r) * N + j] = dot_int8(a + r * K, BT + j * K, K);
    }
    for (; i < M; i++)
        for (int j = 0; j < N; j++)
            C[i * N + j] = dot_int8(A + i * K, BT + j * K, K);
}

/* ------------------------------------------------------------------------------------------
 * shared by conv1x1 / conv3x3: two pixel vectors v0, v1 (length K) against all Cout
 * weight rows (stride K), requantized into o0[co], o1[co]
 * ---------------------------------------------------------------------------------------- */
static void pixels2(const int8_t *w, int K, int Cout, const int8_t *v0, const int8_t *v1,
                    const int32_t *bias, int8_t *o0, int8_t *o1, int32_t mult, int shift)
{
    int32_t rnd = rounding(shift);
    int co = 0;
    for (; co + 4 <= Cout; co += 4) {
        const int8_t *wr = w + co * K;
        int32_t c[8] = {bias[co], bias[co], bias[co + 1], bias[co + 1],
                        bias[co + 2], bias[co + 2], bias[co + 3], bias[co + 3]};
        mm4x2(wr, wr + K, wr + 2 * K, wr + 3 * K, v0, v1, K, c);
        for (int r = 0; r < 4; r++) {
            o0[co + r] = requant_fast(c[2 * r], mult, rnd, shift);
            o1[co + r] = requant_fast(c[2 * r + 1], mult, rnd, shift);
        }
    }
    for (; co < Cout; co++) {
        o0[co] = requant_fast(add_wrap(bias[co], dot_int8(w + co * K, v0, K)), mult, rnd, shift);
        o1[co] = requant_fast(add_wrap(bias[co], dot_int8(w + co * K, v1, K)), mult, rnd, shift);
    }
}

static void pixel1(const int8_t *w, int K, int Cout, const int8_t *v0, const int32_t *bias,
                   int8_t *o0, int32_t mult, int shift)
{
    int32_t rnd = rounding(shift);
    for (int co = 0; co < Cout; co++)
        o0[co] = requant_fast(add_wrap(bias[co], dot_int8(w + co * K, v0, K)), mult, rnd, shift);
}

void conv1x1_int8_hwc(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                      int H, int W, int Cin, int Cout, int32_t mult, int shift)
{
    int P = H * W, p = 0;
    for (; p + 2 <= P; p += 2)
        pixels2(w, Cin, Cout, in + p * Cin, in + (p + 1) * Cin, bias, out + p * Cout,
                out + (p + 1) * Cout, mult, shift);
    if (p < P)
        pixel1(w, Cin, Cout, in + p * Cin, bias, out + p * Cout, mult, shift);
}

/* ------------------------------------------------------------------------------------------
 * conv3x3 via im2col (two output pixels at a time, like PULP-NN)
 * ---------------------------------------------------------------------------------------- */
static void copy_bytes(int8_t *dst, const int8_t *src, int n)
{
    if ((((uintptr_t)dst | (uintptr_t)src | (uintptr_t)n) & 3) == 0) {
        uint32_t *d = (uint32_t *)dst;
        const uint32_t *s = (const uint32_t *)src;
        for (int i = 0; i < (n >> 2); i++)
            d[i] = s[i];
        return;
    }
    for (int i = 0; i < n; i++)
        dst[i] = src[i];
}

static void zero_bytes(int8_t *dst, int n)
{
    if ((((uintptr_t)dst | (uintptr_t)n) & 3) == 0) {
        uint32_t *d = (uint32_t *)dst;
        for (int i = 0; i < (n >> 2); i++)
            d[i] = 0;
        return;
    }
    for (int i = 0; i < n; i++)
        dst[i] = 0;
}

static void im2col3x3(const int8_t *in, int H, int W, int C, int iy0, int ix0, int8_t *dst)
{
    for (int ky = 0; ky < 3; ky++) {
        int y = iy0 + ky;
        for (int kx = 0; kx < 3; kx++) {
            int x = ix0 + kx;
            if (y < 0 || y >= H || x < 0 || x >= W)
                zero_bytes(dst, C);
            else
                copy_bytes(dst, in + (y * W + x) * C, C);
            dst += C;
        }
    }
}

void conv3x3_int8_hwc(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                      int H, int W, int Cin, int Cout, int stride, int32_t mult, int shift,
                      int8_t *im2col)
{
    int Ho = KERNEL_OUT_DIM(H, stride), Wo = KERNEL_OUT_DIM(W, stride);
    int K = 9 * Cin, Kpad = (K + 3) & ~3;
    int8_t *col0 = im2col, *col1 = im2col + Kpad;
    int P = Ho * Wo, p = 0;
    for (; p + 2 <= P; p += 2) {
        int oy0 = p / Wo, ox0 = p - oy0 * Wo;
        int oy1 = oy0, ox1 = ox0 + 1;
        if (ox1 == Wo) {
            ox1 = 0;
            oy1++;
        }
        im2col3x3(in, H, W, Cin, oy0 * stride - 1, ox0 * stride - 1, col0);
        im2col3x3(in, H, W, Cin, oy1 * stride - 1, ox1 * stride - 1, col1);
        pixels2(w, K, Cout, col0, col1, bias, out + p * Cout, out + (p + 1) * Cout, mult, shift);
    }
    if (p < P) {
        int oy = p / Wo, ox = p - oy * Wo;
        im2col3x3(in, H, W, Cin, oy * stride - 1, ox * stride - 1, col0);
        pixel1(w, K, Cout, col0, bias, out + p * Cout, mult, shift);
    }
}

/* ------------------------------------------------------------------------------------------
 * depth-wise 3x3: one channel at a time, the channel plane is gathered into a zero-padded
 * CHW buffer; each output is 3 word loads (3 input pixels + 1 ignored byte per kernel row)
 * and 3 dot products against the kernel rows packed as {w0, w1, w2, 0}.
 * ---------------------------------------------------------------------------------------- */
void dwconv3x3_int8_hwc(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                        int H, int W, int C, int stride, int32_t mult, int shift, int8_t *buf)
{
    int Ho = KERNEL_OUT_DIM(H, stride), Wo = KERNEL_OUT_DIM(W, stride);
    int Wp = W + 2;
    int32_t rnd = rounding(shift);
    zero_bytes(buf, DWCONV3X3_BUF_BYTES(H, W));
    for (int c = 0; c < C; c++) {
        /* gather channel c into the interior of the padded plane */
        for (int y = 0; y < H; y++) {
            const int8_t *s = in + y * W * C + c;
            int8_t *d = buf + (y + 1) * Wp + 1;
            for (int x = 0; x < W; x++) {
                d[x] = *s;
                s += C;
            }
        }
        const int8_t *wc = w + 9 * c;
        /* bias folded into the rounding constant: (acc + b) * m + r == acc * m + (b * m + r) */
        int32_t brnd = (int32_t)((uint32_t)bias[c] * (uint32_t)mult + (uint32_t)rnd);
#if KERNELS_XPULP
        uint32_t k0 = (uint8_t)wc[0] | (uint32_t)(uint8_t)wc[1] << 8 | (uint32_t)(uint8_t)wc[2] << 16;
        uint32_t k1 = (uint8_t)wc[3] | (uint32_t)(uint8_t)wc[4] << 8 | (uint32_t)(uint8_t)wc[5] << 16;
        uint32_t k2 = (uint8_t)wc[6] | (uint32_t)(uint8_t)wc[7] << 8 | (uint32_t)(uint8_t)wc[8] << 16;
        for (int oy = 0; oy < Ho; oy++) {
            const int8_t *r0 = buf + oy * stride * Wp, *r1 = r0 + Wp, *r2 = r1 + Wp;
            int8_t *o = out + oy * Wo * C + c;
            int32_t t0, t1, t2, acc;
            XP_HWLOOP(Wo,
                      "cv.lw %[t0], (%[r0]), %[s]\n\t"
                      "cv.lw %[t1], (%[r1]), %[s]\n\t"
                      "cv.lw %[t2], (%[r2]), %[s]\n\t"
                      "cv.dotsp.b %[acc], %[t0], %[k0]\n\t"
                      "cv.sdotsp.b %[acc], %[t1], %[k1]\n\t"
                      "cv.sdotsp.b %[acc], %[t2], %[k2]\n\t"
                      "mul %[acc], %[acc], %[m]\n\t"
                      "add %[acc], %[acc], %[br]\n\t"
                      "sra %[acc], %[acc], %[sh]\n\t"
                      "cv.clip %[acc], %[acc], 8\n\t"
                      "cv.sb %[acc], (%[o]), %[C]\n\t",
                      ([r0] "+r"(r0), [r1] "+r"(r1), [r2] "+r"(r2), [o] "+r"(o),
                       [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [acc] "=&r"(acc)),
                      ([s] "r"(stride), [k0] "r"(k0), [k1] "r"(k1), [k2] "r"(k2), [m] "r"(mult),
                       [br] "r"(brnd), [sh] "r"(shift), [C] "r"(C)),
                      "memory");
        }
#else
        int32_t k0 = wc[0], k1 = wc[1], k2 = wc[2], k3 = wc[3], k4 = wc[4];
        int32_t k5 = wc[5], k6 = wc[6], k7 = wc[7], k8 = wc[8];
        for (int oy = 0; oy < Ho; oy++) {
            const int8_t *r0 = buf + oy * stride * Wp, *r1 = r0 + Wp, *r2 = r1 + Wp;
            int8_t *o = out + oy * Wo * C + c;
            for (int ox = 0; ox < Wo; ox++) {
                int32_t acc = r0[0] * k0 + r0[1] * k1 + r0[2] * k2 + r1[0] * k3 + r1[1] * k4 +
                              r1[2] * k5 + r2[0] * k6 + r2[1] * k7 + r2[2] * k8;
                *o = requant_fast(acc, mult, brnd, shift);
                o += C;
                r0 += stride;
                r1 += stride;
                r2 += stride;
            }
        }
#endif
    }
}

/* ------------------------------------------------------------------------------------------
 * requantizing residual add (PULP-NN's pulp_nn_add arithmetic, signed): one element per
 * hardware-loop iteration, scalar as PULP-NN's; post-increment byte loads/stores, the second
 * product accumulated with cv.mac, cv.clip to int8.
 * ---------------------------------------------------------------------------------------- */
void add_requant_int8(const int8_t *a, const int8_t *b, int8_t *out, int n, int32_t m1,
                      int32_t m2, int d)
{
    if (n <= 0)
        return;
#if KERNELS_XPULP
    int32_t x, y;
    XP_HWLOOP(n,
              "cv.lb %[x], (%[pa]), 1\n\t"
              "cv.lb %[y], (%[pb]), 1\n\t"
              "mul %[x], %[x], %[m1]\n\t"
              "cv.mac %[x], %[y], %[m2]\n\t"
              "sra %[x], %[x], %[d]\n\t"
              "cv.clip %[x], %[x], 8\n\t"
              "cv.sb %[x], (%[po]), 1\n\t",
              ([pa] "+r"(a), [pb] "+r"(b), [po] "+r"(out), [x] "=&r"(x), [y] "=&r"(y)),
              ([m1] "r"(m1), [m2] "r"(m2), [d] "r"(d)), "memory");
#else
    for (int i = 0; i < n; i++) {
        int32_t t = ((int32_t)a[i] * m1 + (int32_t)b[i] * m2) >> d;
        out[i] = (int8_t)(t < -128 ? -128 : t > 127 ? 127 : t);
    }
#endif
}
