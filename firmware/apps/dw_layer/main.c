/*
 * Depth-wise layers on the DW accelerator (runtime/include/dw.h, plugins/dw_accel.py),
 * checked against a plain-C reference of the documented arithmetic (docs/dw.md).
 *
 *   A: 20x20x40, stride 1, padding 1 all round, bias, ReLU, shift 7 (40 channels: the last
 *      16-channel block is partial)
 *   B: 20x20x32, stride 2, padding bottom/right 1 (TensorFlow "SAME"), no bias, no ReLU,
 *      shift 8
 *   then two misconfigurations that the accelerator must refuse without harm: a TRIGGER
 *   without ACQUIRE, and a job whose input lies in L2.
 *
 * Data (hash_int8 of <testdata.h>):
 *   A: in[i] = hash_int8(i), w[i] = hash_int8(0x10000 + i), bias[c] = hash_int8(0x20000 + c) * 97
 *   B: in[i] = hash_int8(0x30000 + i), w[i] = hash_int8(0x40000 + i)
 * Prints per layer the cycles from before the configuration to after the end event (timer)
 * and DW_JOB_CYCLES, then "dw_layer: OK"; returns the number of failed checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <testdata.h>
#include <dw.h>
#include <timer.h>

#define AH 20
#define AW 20
#define AC 40
#define BH 20
#define BW 20
#define BC 32

#define AHO DW_OUT_DIM(AH, 1, 1, 1)
#define AWO DW_OUT_DIM(AW, 1, 1, 1)
#define BHO DW_OUT_DIM(BH, 0, 1, 2)
#define BWO DW_OUT_DIM(BW, 0, 1, 2)

L1_BSS int8_t a_in[AH * AW * AC];
L1_BSS int8_t a_w[9 * AC];
L1_BSS int32_t a_bias[AC];
L1_BSS int8_t a_out[AHO * AWO * AC];
L1_BSS int8_t b_in[BH * BW * BC];
L1_BSS int8_t b_w[9 * BC];
L1_BSS int8_t b_out[BHO * BWO * BC];
int8_t ref[AHO * AWO * AC];         /* L2: the reference output */
int8_t l2_in[64];                   /* an input in L2: the accelerator must refuse it */

static int errors;

/* The documented arithmetic, one output at a time. */
static void dw_ref(const dw_layer_t *l, int8_t *out)
{
    int pt = l->padding & 0xff, pb = (l->padding >> 8) & 0xff;
    int pl = (l->padding >> 16) & 0xff, pr = (l->padding >> 24) & 0xff;
    int H = l->height, W = l->width, C = l->channels, S = l->stride;
    int Ho = DW_OUT_DIM(H, pt, pb, S), Wo = DW_OUT_DIM(W, pl, pr, S);
    for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
            for (int c = 0; c < C; c++) {
                uint32_t acc = l->bias ? (uint32_t)l->bias[c] : 0;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = oy * S + ky - pt, ix = ox * S + kx - pl;
                        if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                            acc += (uint32_t)(l->in[(iy * W + ix) * C + c] *
                                              l->weights[(ky * 3 + kx) * C + c]);
                    }
                int32_t v = (int32_t)acc;
                if (l->relu && v < 0)
                    v = 0;
                v >>= l->shift;
                out[(oy * Wo + ox) * C + c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
            }
}

static void run_layer(const char *name, const dw_layer_t *l, int ho, int wo)
{
    unsigned int t = timer_base_cl(0, 0, 0);
    timer_conf_set(t, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT);
    int rc = dw_run(l);
    unsigned int cycles = timer_count_get(t);
    if (rc) {
        printf("FAILED: layer %s refused\n", name);
        errors++;
        return;
    }
    int n = ho * wo * (int)l->channels;
    dw_ref(l, ref);
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += ref[i] != l->out[i];
    if (bad) {
        printf("FAILED: layer %s: %d of %d outputs differ\n", name, bad, n);
        errors++;
    }
    unsigned int job = DW_JOB_CYCLES(ho, wo, l->channels, l->stride, l->bias != 0);
    unsigned int macs = 9u * (unsigned)n;
    printf("layer %s: %dx%dx%d -> %dx%d, %u cycles (job %u), %u.%02u MAC/cycle\n", name,
           (int)l->height, (int)l->width, (int)l->channels, ho, wo, cycles, job,
           macs / job, macs * 100u / job % 100u);
}

static void misconfigurations(void)
{
    /* TRIGGER without ACQUIRE: ignored, error bit set, no event */
    dw_trigger();
    if (!(dw_status() & DW_STATUS_ERROR)) {
        printf("FAILED: a TRIGGER without ACQUIRE was not reported\n");
        errors++;
    }
    dw_soft_clear();
    if (dw_status() != 0) {
        printf("FAILED: SOFT_CLEAR did not clear the status\n");
        errors++;
    }
    /* an input outside L1: dw_run sees the refusal instead of waiting for ever */
    dw_layer_t l = { .in = l2_in, .weights = b_w, .bias = 0, .out = b_out, .height = 4,
                     .width = 4, .channels = 4, .stride = 1, .padding = DW_PAD_ALL(1),
                     .shift = 0, .relu = 0 };
    if (dw_run(&l) != -1) {
        printf("FAILED: an input in L2 was accepted\n");
        errors++;
    }
    if (dw_acquire() != 0) {                 /* and the accelerator is usable again */
        printf("FAILED: the accelerator stayed locked after a refused job\n");
        errors++;
    }
    dw_soft_clear();
}

int main(void)
{
    for (int i = 0; i < AH * AW * AC; i++)
        a_in[i] = hash_int8((uint32_t)i);
    for (int i = 0; i < 9 * AC; i++)
        a_w[i] = hash_int8(0x10000u + (uint32_t)i);
    for (int c = 0; c < AC; c++)
        a_bias[c] = hash_int8(0x20000u + (uint32_t)c) * 97;
    for (int i = 0; i < BH * BW * BC; i++)
        b_in[i] = hash_int8(0x30000u + (uint32_t)i);
    for (int i = 0; i < 9 * BC; i++)
        b_w[i] = hash_int8(0x40000u + (uint32_t)i);

    dw_layer_t a = { .in = a_in, .weights = a_w, .bias = a_bias, .out = a_out, .height = AH,
                     .width = AW, .channels = AC, .stride = 1, .padding = DW_PAD_ALL(1),
                     .shift = 7, .relu = 1 };
    dw_layer_t b = { .in = b_in, .weights = b_w, .bias = 0, .out = b_out, .height = BH,
                     .width = BW, .channels = BC, .stride = 2,
                     .padding = DW_PADDING_OF(0, 1, 0, 1), .shift = 8, .relu = 0 };
    run_layer("A", &a, AHO, AWO);
    run_layer("B", &b, BHO, BWO);
    misconfigurations();
    printf("dw_layer: %s\n", errors ? "FAILED" : "OK");
    return errors;
}
