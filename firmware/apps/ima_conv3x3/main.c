/*
 * 3x3 convolution on the IMA through im2col windows, with the weights carried by the
 * firmware image (section .ima_weights, programmed by the loader at time 0), self-checking.
 * HAL: runtime/include/ima.h, model: plugins/ima.py, docs/ima.md.
 *
 *   input   x[H][W][CIN] int8 HWC in L1, LCG values
 *   weights crossbar rows 0..143 = (ky, kx, ci), columns COL0..COL0+31 = output channels,
 *           w(r, c) = ((r*5 + c*3 + ((r*c) >> 2)) % 15) - 7, in the image record `conv_w`
 *   layer 1 stride 1: y1[8][8][COUT], 64 jobs (3 lines of 3*CIN bytes, W*CIN apart)
 *   layer 2 stride 2: y2[4][4][COUT], 16 jobs, on the same crossbar weights
 *
 * Checks: read-back (PR_VAL) of image words (the loader programmed them), and every output
 * against ima_ideal_adc on the core, with the weights decoded from the image record itself.
 * Prints "ima_conv3x3: OK" and returns the number of failed checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <selftest.h>
#include <ima.h>

#define H 10
#define W 10
#define CIN 16
#define COUT 32
#define K 3
#define ROWS (K * K * CIN)         /* 144 crossbar rows */
#define COL0 64
#define ADC_LOW 8
#define ADC_HIGH 8

/* The weight table, expanded by the preprocessor into the image record. */
#define WT(r, c) ((((r) * 5 + (c) * 3 + (((r) * (c)) >> 2)) % 15) - 7)
#define WORD(r, k) IMA_PACK8(WT(r, 8 * (k)), WT(r, 8 * (k) + 1), WT(r, 8 * (k) + 2),       \
                             WT(r, 8 * (k) + 3), WT(r, 8 * (k) + 4), WT(r, 8 * (k) + 5),   \
                             WT(r, 8 * (k) + 6), WT(r, 8 * (k) + 7))
#define ROW(r) WORD(r, 0), WORD(r, 1), WORD(r, 2), WORD(r, 3)
#define ROWS8(r) ROW(r), ROW(r + 1), ROW(r + 2), ROW(r + 3), ROW(r + 4), ROW(r + 5),       \
                 ROW(r + 6), ROW(r + 7)
#define ROWS48(r) ROWS8(r), ROWS8(r + 8), ROWS8(r + 16), ROWS8(r + 24), ROWS8(r + 32),     \
                  ROWS8(r + 40)

IMA_IMAGE_SECTION const IMA_IMAGE_T(COUT, ROWS) conv_w = {
    IMA_IMAGE_MAGIC, 0, COL0, 0, COUT, ROWS, {ROWS48(0), ROWS48(48), ROWS48(96)}};

L1_BSS int8_t x[H][W][CIN];
L1_BSS int8_t y1[H - 2][W - 2][COUT];
L1_BSS int8_t y2[(H - 3) / 2 + 1][(W - 3) / 2 + 1][COUT];
static int8_t wt[ROWS][COUT];
static void make_data(void)
{
    uint32_t s = 777;
    for (int i = 0; i < H * W * CIN; i++) {
        s = s * 1664525u + 1013904223u;
        ((int8_t *)x)[i] = (int8_t)(s >> 24);
    }
    for (int r = 0; r < ROWS; r++)          /* decode the image: the reference uses it too */
        for (int c = 0; c < COUT; c++)
            wt[r][c] = (int8_t)ima_unpack(conv_w.words[r * (COUT / 8) + c / 8], c % 8);
}

static void check_image(void)
{
    int ok = conv_w.magic == IMA_IMAGE_MAGIC && wt[0][0] == WT(0, 0) && wt[143][31] == WT(143, 31);
    for (int r = 0; r < ROWS; r += 13)
        for (int k = 0; k < COUT / 8; k++)
            ok &= ima_read_weights(0, COL0 + 8 * k, r) == conv_w.words[r * (COUT / 8) + k];
    check(ok, "crossbar holds the image weights");
}

static void run_layer(int8_t *out, int stride)
{
    ima_job_t job;
    ima_job_conv_hwc(&job, (uint32_t)x, (uint32_t)out, H, W, CIN, COUT, K, stride, COL0, 0,
                     ADC_LOW, ADC_HIGH);
    check(ima_run(0, &job) == 0, "STATUS after the run");
    check(ima_arr_read(0, IMA_FINISHED_JOBS) == job.num_jobs, "FINISHED_JOBS");
}

static void check_layer(const int8_t *out, int stride)
{
    int ho = (H - K) / stride + 1, wo = (W - K) / stride + 1, bad = 0;
    for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
            for (int co = 0; co < COUT; co++) {
                int32_t acc = 0;
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++)
                        for (int ci = 0; ci < CIN; ci++)
                            acc += x[oy * stride + ky][ox * stride + kx][ci] *
                                   wt[(ky * K + kx) * CIN + ci][co];
                bad += out[(oy * wo + ox) * COUT + co] != ima_ideal_adc(acc, ADC_LOW, ADC_HIGH);
            }
    check(bad == 0, stride == 1 ? "outputs (stride 1)" : "outputs (stride 2)");
}

int main(void)
{
    make_data();
    check_image();
    run_layer(&y1[0][0][0], 1);
    run_layer(&y2[0][0][0], 2);
    check_layer(&y1[0][0][0], 1);
    check_layer(&y2[0][0][0], 2);
    return selftest_report("ima_conv3x3");
}
