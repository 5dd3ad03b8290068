#ifndef _KERNELS_H
#define _KERNELS_H
/*
 * Small int8 DNN kernel library in the style of PULP-NN (HWC tensors, 4-lane SIMD dot
 * products, post-increment loads, hardware loops).  Link kernels.c and kernels_ref.c
 * (or #include "kernels_all.c") and add -I firmware/kernels.
 *
 * Built with `iss cc --isa corev` (clang defines __riscv_xcvsimd) the optimized kernels use
 * cv.sdotsp.b / cv.lw post-increment / cv.setup hardware loops / cv.clip; with
 * `--isa rv32imc` the same functions are plain C with the same blocking.  The *_ref
 * functions are straightforward loops without any intrinsics (the self-check oracle).
 *
 * Conventions
 *   - tensors are int8, HWC (channel fastest): x[(y * W + x) * C + c]
 *   - accumulation in int32 with wrap-around (all sums are done modulo 2^32)
 *   - requantization (per layer mult/shift, per output channel int32 bias):
 *         acc  = bias[co] + sum(in * w)                       (mod 2^32)
 *         t    = acc * mult + (shift > 0 ? 1 << (shift - 1) : 0)   (mod 2^32, as int32)
 *         out  = clamp(t >> shift (arithmetic), -128, 127)     0 <= shift <= 31
 *   - 3x3 convolutions: zero padding 1, stride 1 or 2, Ho = (H - 1) / stride + 1
 *   - no alignment requirements (misaligned word loads are legal on CV32E40P), but aligned
 *     buffers are faster on hardware.
 */
#include <stdint.h>

#define KERNEL_OUT_DIM(H, stride) (((H) - 1) / (stride) + 1)
/* scratch for conv3x3_int8_hwc: im2col of two output pixels */
#define CONV3X3_IM2COL_BYTES(Cin) (2 * ((9 * (Cin) + 3) & ~3))
/* scratch for dwconv3x3_int8_hwc: one zero-padded channel plane + 4 bytes of over-read */
#define DWCONV3X3_BUF_BYTES(H, W) (((H) + 2) * ((W) + 2) + 4)
/* XpulpV2 assembly of one output of a 3x3 depth-wise row read from a zero-padded plane
 * (the cores' depth-wise of firmware/bottleneck and firmware/mobilenetv2): 3 word loads
 * (3 pixels + 1 ignored byte) from the plane rows %[r0..r2], which advance by INC (an
 * immediate or a register operand), 3 dot products with the rows %[k0..k2] = {w0, w1, w2, 0},
 * the DW accelerator's rule (arithmetic shift by %[sh], then cv.clipu: ReLU and the int8
 * top) and a store to %[o], which advances by %[ch]. Scratch: %[t0..t2], %[acc]. */
#define DW3X3_PLANE_STEP(INC)                                                               \
    "cv.lw %[t0], (%[r0]), " INC "\n\t"                                                    \
    "cv.lw %[t1], (%[r1]), " INC "\n\t"                                                    \
    "cv.lw %[t2], (%[r2]), " INC "\n\t"                                                    \
    "cv.dotsp.b %[acc], %[t0], %[k0]\n\t"                                                 \
    "cv.sdotsp.b %[acc], %[t1], %[k1]\n\t"                                                \
    "cv.sdotsp.b %[acc], %[t2], %[k2]\n\t"                                                \
    "sra %[acc], %[acc], %[sh]\n\t"                                                       \
    "cv.clipu %[acc], %[acc], 8\n\t"                                                      \
    "cv.sb %[acc], (%[o]), %[ch]\n\t"

int8_t requant_int8(int32_t acc, int32_t mult, int shift);

/* sum_{i<n} a[i] * b[i] */
int32_t dot_int8(const int8_t *a, const int8_t *b, int n);
int32_t dot_int8_ref(const int8_t *a, const int8_t *b, int n);

/* C[M][N] = A[M][K] * B[K][N], with B given transposed: BT[N][K]; int32 output.
 * 4x2 register blocking (4 rows of A x 2 rows of BT, 8 accumulators) */
void matmul_int8(const int8_t *A, const int8_t *BT, int32_t *C, int M, int N, int K);
void matmul_int8_ref(const int8_t *A, const int8_t *BT, int32_t *C, int M, int N, int K);

/* pointwise: out[h][w][co] = requant(bias[co] + sum_ci in[h][w][ci] * w[co][ci]) */
void conv1x1_int8_hwc(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                      int H, int W, int Cin, int Cout, int32_t mult, int shift);
void conv1x1_int8_hwc_ref(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                          int H, int W, int Cin, int Cout, int32_t mult, int shift);

/* 3x3, weights w[Cout][3][3][Cin]:
 * out[oy][ox][co] = requant(bias[co] + sum_{ky,kx,ci} in[oy*s+ky-1][ox*s+kx-1][ci] * w[co][ky][kx][ci])
 * im2col: CONV3X3_IM2COL_BYTES(Cin) bytes of scratch (two output pixels at a time) */
void conv3x3_int8_hwc(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                      int H, int W, int Cin, int Cout, int stride, int32_t mult, int shift,
                      int8_t *im2col);
void conv3x3_int8_hwc_ref(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                          int H, int W, int Cin, int Cout, int stride, int32_t mult, int shift);

/* depth-wise 3x3, weights w[C][3][3]:
 * out[oy][ox][c] = requant(bias[c] + sum_{ky,kx} in[oy*s+ky-1][ox*s+kx-1][c] * w[c][ky][kx])
 * buf: DWCONV3X3_BUF_BYTES(H, W) bytes of scratch */
void dwconv3x3_int8_hwc(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                        int H, int W, int C, int stride, int32_t mult, int shift, int8_t *buf);
void dwconv3x3_int8_hwc_ref(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                            int H, int W, int C, int stride, int32_t mult, int shift);

/* requantizing residual add (the arithmetic of PULP-NN's pulp_nn_add, 32bit/src/pulp_nn_add.c
 * and pulp_nn_add_quant_u8 in pulp_nn_utils.c, for signed int8 tensors):
 *     out[i] = clamp((a[i] * m1 + b[i] * m2) >> d, -128, 127)
 * 16-bit multipliers m1, m2 (|m| <= 32767), 0 <= d <= 31, arithmetic shift (floor, no
 * rounding term, as PULP-NN); |a * m1 + b * m2| < 2^23, so the sum never wraps.  One core's
 * share: the caller splits the tensor over the cores (by rows, as PULP-NN). */
void add_requant_int8(const int8_t *a, const int8_t *b, int8_t *out, int n, int32_t m1,
                      int32_t m2, int d);
void add_requant_int8_ref(const int8_t *a, const int8_t *b, int8_t *out, int n, int32_t m1,
                          int32_t m2, int d);

#endif
