/* Plain-C reference kernels (no intrinsics, no blocking): the self-check oracle. */
#include "kernels.h"

int8_t requant_int8(int32_t acc, int32_t mult, int shift)
{
    uint32_t t = (uint32_t)acc * (uint32_t)mult;
    if (shift > 0)
        t += 1u << (shift - 1);
    int32_t x = (int32_t)t >> shift;
    if (x < -128)
        x = -128;
    if (x > 127)
        x = 127;
    return (int8_t)x;
}

int32_t dot_int8_ref(const int8_t *a, const int8_t *b, int n)
{
    uint32_t acc = 0;
    for (int i = 0; i < n; i++)
        acc += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    return (int32_t)acc;
}

void matmul_int8_ref(const int8_t *A, const int8_t *BT, int32_t *C, int M, int N, int K)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            C[i * N + j] = dot_int8_ref(A + i * K, BT + j * K, K);
}

void conv1x1_int8_hwc_ref(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                          int H, int W, int Cin, int Cout, int32_t mult, int shift)
{
    for (int p = 0; p < H * W; p++)
        for (int co = 0; co < Cout; co++) {
            uint32_t acc = (uint32_t)bias[co];
            for (int ci = 0; ci < Cin; ci++)
                acc += (uint32_t)((int32_t)in[p * Cin + ci] * (int32_t)w[co * Cin + ci]);
            out[p * Cout + co] = requant_int8((int32_t)acc, mult, shift);
        }
}

void conv3x3_int8_hwc_ref(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                          int H, int W, int Cin, int Cout, int stride, int32_t mult, int shift)
{
    int Ho = KERNEL_OUT_DIM(H, stride), Wo = KERNEL_OUT_DIM(W, stride);
    for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
            for (int co = 0; co < Cout; co++) {
                uint32_t acc = (uint32_t)bias[co];
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = oy * stride + ky - 1, ix = ox * stride + kx - 1;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                            continue;
                        for (int ci = 0; ci < Cin; ci++)
                            acc += (uint32_t)((int32_t)in[(iy * W + ix) * Cin + ci] *
                                              (int32_t)w[((co * 3 + ky) * 3 + kx) * Cin + ci]);
                    }
                out[(oy * Wo + ox) * Cout + co] = requant_int8((int32_t)acc, mult, shift);
            }
}

void dwconv3x3_int8_hwc_ref(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out,
                            int H, int W, int C, int stride, int32_t mult, int shift)
{
    int Ho = KERNEL_OUT_DIM(H, stride), Wo = KERNEL_OUT_DIM(W, stride);
    for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
            for (int c = 0; c < C; c++) {
                uint32_t acc = (uint32_t)bias[c];
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = oy * stride + ky - 1, ix = ox * stride + kx - 1;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                            continue;
                        acc += (uint32_t)((int32_t)in[(iy * W + ix) * C + c] *
                                          (int32_t)w[(c * 3 + ky) * 3 + kx]);
                    }
                out[(oy * Wo + ox) * C + c] = requant_int8((int32_t)acc, mult, shift);
            }
}

void add_requant_int8_ref(const int8_t *a, const int8_t *b, int8_t *out, int n, int32_t m1,
                          int32_t m2, int d)
{
    for (int i = 0; i < n; i++) {
        int32_t x = ((int32_t)a[i] * m1 + (int32_t)b[i] * m2) >> d;
        if (x < -128)
            x = -128;
        if (x > 127)
            x = 127;
        out[i] = (int8_t)x;
    }
}
