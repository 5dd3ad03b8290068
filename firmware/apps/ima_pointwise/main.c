/*
 * Pointwise (1x1) convolution on the IMA, self-checking (HAL: runtime/include/ima.h, model:
 * plugins/ima.py, docs/ima.md).
 *
 *   input  x[H][W][CIN]  int8 HWC in L1, x = LCG values (full int8 range)
 *   weights w[CIN][COUT] in [-7, 7], w = ((ci*7 + co*13 + (ci*co) % 5) % 15) - 7, programmed at
 *          run time through SUBMIT_PLOT into crossbar rows ROW0.., columns COL0.. (COUT = 44:
 *          the last word of each row holds 4 weights)
 *   output y[H][W][COUT] int8 HWC in L1: one job per pixel, all H*W jobs in one trigger with
 *          the two-level pointer update (alpha along a row, beta to the next row)
 *
 * Checks: read-back of the programmed weights (PR_VAL), FINISHED_JOBS, STATUS, the perf
 * registers, and every output against ima_ideal_adc on the core. Prints "ima_pointwise: OK"
 * and returns the number of failed checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <selftest.h>
#include <ima.h>

#define H 8
#define W 8
#define CIN 72
#define COUT 44
#define ROW0 32
#define COL0 16
#define ADC_LOW 6
#define ADC_HIGH 6

L1_BSS int8_t x[H][W][CIN];
L1_BSS int8_t y[H][W][COUT];
int8_t w[CIN][COUT];

static void make_data(void)
{
    uint32_t s = 12345;
    for (int i = 0; i < H * W * CIN; i++) {
        s = s * 1103515245u + 12345u;
        ((int8_t *)x)[i] = (int8_t)(s >> 16);
    }
    for (int ci = 0; ci < CIN; ci++)
        for (int co = 0; co < COUT; co++)
            w[ci][co] = (int8_t)((ci * 7 + co * 13 + (ci * co) % 5) % 15 - 7);
}

static void check_read_back(void)
{
    int ok = 1;
    for (int ci = 0; ci < CIN; ci += 9)
        for (int co = 0; co < COUT; co += 8) {
            uint32_t word = ima_read_weights(0, COL0 + co, ROW0 + ci);
            for (int i = 0; i < 8 && co + i < COUT; i++)
                ok &= ima_unpack(word, i) == w[ci][co + i];
        }
    check(ok, "weight read-back");
}

static void check_outputs(void)
{
    int bad = 0;
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++)
            for (int co = 0; co < COUT; co++) {
                int32_t acc = 0;
                for (int ci = 0; ci < CIN; ci++)
                    acc += x[r][c][ci] * w[ci][co];
                bad += y[r][c][co] != ima_ideal_adc(acc, ADC_LOW, ADC_HIGH);
            }
    check(bad == 0, "outputs");
}

int main(void)
{
    make_data();
    ima_program(0, COL0, ROW0, COUT, CIN, &w[0][0], COUT);
    check_read_back();

    ima_job_t job;
    ima_job_conv_hwc(&job, (uint32_t)x, (uint32_t)y, H, W, CIN, COUT, 1, 1, COL0, ROW0,
                     ADC_LOW, ADC_HIGH);
    ima_lock(0);
    ima_arr_write(0, IMA_PERF_STREAM_IN, 0);          /* clear the perf counters */
    ima_arr_write(0, IMA_PERF_COMPUTE, 0);
    ima_arr_write(0, IMA_PERF_STREAM_OUT, 0);
    ima_configure(0, &job);
    ima_arr_write(0, IMA_TRIGGER, 0);
    check(ima_arr_read(0, IMA_STATUS) == IMA_STATUS_BUSY, "STATUS busy after TRIGGER");
    ima_wait();
    check(ima_arr_read(0, IMA_STATUS) == 0, "STATUS idle after the end event");
    check(ima_arr_read(0, IMA_FINISHED_JOBS) == H * W, "FINISHED_JOBS");
    check(ima_arr_read(0, IMA_FINISHED_JOBS) == 0, "FINISHED_JOBS cleared on read");
    uint32_t in = ima_arr_read(0, IMA_PERF_STREAM_IN), comp = ima_arr_read(0, IMA_PERF_COMPUTE),
             out = ima_arr_read(0, IMA_PERF_STREAM_OUT);
    check(comp > 0 && in > 0 && out > 0, "perf registers");
    check_outputs();
    printf("ima perf: stream-in %u, compute %u, stream-out %u cycles for %d jobs\n", in, comp,
           out, H * W);
    return selftest_report("ima_pointwise");
}
