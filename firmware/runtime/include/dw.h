#ifndef _ISS_DW_H
#define _ISS_DW_H

/*
 * Depth-wise 3x3 accelerator (paper Sec. IV-C; simulator plugin plugins/dw_accel.py; register
 * map, arithmetic and timing in docs/dw.md).
 *
 *   out[oy][ox][c] = clip8(relu(bias[c] + sum_{ky,kx} in[oy*S+ky-pt][ox*S+kx-pl][c]
 *                                                    * w[ky][kx][c]) >> shift)
 *   int8 HWC in/out, weights int8 [3][3][C] (channel fastest), optional int32 bias[C],
 *   int32 accumulation (wraps), arithmetic (floor) shift, taps outside the input are zero.
 *
 * Use:
 *   dw_layer_t l = { .in = x, .weights = w, .bias = b, .out = y, .height = H, .width = W,
 *                    .channels = C, .stride = 1, .padding = DW_PAD_ALL(1), .shift = 7,
 *                    .relu = 1 };
 *   if (dw_run(&l)) ... the accelerator refused the job (the simulator printed why) ...
 * or by hand: dw_acquire() == 0, dw_configure(&l), dw_trigger(), dw_wait().
 * The end of a job raises DW_EVENT (line 12) on every core; STATUS bit 31 reports a refused
 * access or job (sticky until SOFT_CLEAR).
 */

#include <stdint.h>
#include "pulp.h"

#define ARCHI_DW_ADDR      ARCHI_HWCE_ADDR     /* 0x10201000: the cluster's HWPE slot */
#define DW_EVENT           12                  /* end of job (PULP_ACCEL_EVENT0) */

/* controller registers (iss/hwpe.py) */
#define DW_TRIGGER         0x00
#define DW_ACQUIRE         0x04
#define DW_FINISHED        0x08
#define DW_STATUS          0x0C
#define DW_RUNNING_JOB     0x10
#define DW_SOFT_CLEAR      0x14
/* job registers, latched at TRIGGER */
#define DW_IN_ADDR         0x18
#define DW_WEIGHT_ADDR     0x1C
#define DW_BIAS_ADDR       0x20                /* 0: no bias */
#define DW_OUT_ADDR        0x24
#define DW_HEIGHT          0x28
#define DW_WIDTH           0x2C
#define DW_CHANNELS        0x30
#define DW_STRIDE          0x34                /* 1 or 2 */
#define DW_PADDING         0x38                /* see DW_PADDING_OF */
#define DW_SHIFT           0x3C                /* 0..31 */
#define DW_RELU            0x40                /* 0 or 1 */

#define DW_STATUS_BUSY     0x1u
#define DW_STATUS_ERROR    0x80000000u

/* zero padding per side (0..2 each) */
#define DW_PADDING_OF(top, bottom, left, right) \
    ((uint32_t)(top) | (uint32_t)(bottom) << 8 | (uint32_t)(left) << 16 | (uint32_t)(right) << 24)
#define DW_PAD_ALL(p)      DW_PADDING_OF(p, p, p, p)
/* output size along one axis */
#define DW_OUT_DIM(n, pad_before, pad_after, stride) \
    (((n) + (pad_before) + (pad_after) - 3) / (stride) + 1)
/* cycles of one job from its start (docs/dw.md "Timing"): per 16-channel block, 9 weight
 * beats (+4 bias beats), then per output column 9 window beats + 3*stride+1 per output pixel */
#define DW_JOB_CYCLES(Ho, Wo, C, stride, has_bias) \
    ((((C) + 15) / 16) * (9 + 4 * !!(has_bias) + (Wo) * (9 + (Ho) * (3 * (stride) + 1))))

typedef struct {
    const int8_t *in;
    const int8_t *weights;
    const int32_t *bias;         /* NULL: no bias */
    int8_t *out;
    uint32_t height, width, channels, stride, padding, shift, relu;
} dw_layer_t;

static inline uint32_t dw_read(uint32_t reg) { return hal_read32(ARCHI_DW_ADDR + reg); }
static inline void dw_write(uint32_t reg, uint32_t v) { hal_write32(ARCHI_DW_ADDR + reg, v); }

/* 0: the calling core holds the accelerator; -1: busy or held by another core */
static inline int dw_acquire(void) { return (int)dw_read(DW_ACQUIRE); }
static inline uint32_t dw_status(void) { return dw_read(DW_STATUS); }
static inline void dw_trigger(void) { dw_write(DW_TRIGGER, 0); }
/* abort, release and clear the error bit */
static inline void dw_soft_clear(void) { dw_write(DW_SOFT_CLEAR, 0); }

static inline void dw_configure(const dw_layer_t *l)
{
    dw_write(DW_IN_ADDR, (uint32_t)l->in);
    dw_write(DW_WEIGHT_ADDR, (uint32_t)l->weights);
    dw_write(DW_BIAS_ADDR, (uint32_t)l->bias);
    dw_write(DW_OUT_ADDR, (uint32_t)l->out);
    dw_write(DW_HEIGHT, l->height);
    dw_write(DW_WIDTH, l->width);
    dw_write(DW_CHANNELS, l->channels);
    dw_write(DW_STRIDE, l->stride);
    dw_write(DW_PADDING, l->padding);
    dw_write(DW_SHIFT, l->shift);
    dw_write(DW_RELU, l->relu);
}

/* Sleep until the end-of-job event (the core is clock-gated in the event unit). */
static inline void dw_wait(void) { eu_evt_maskWaitAndClr(1u << DW_EVENT); }

/* Run one layer: acquire (spinning while another job runs), configure, trigger, sleep until
 * the end. Returns 0, or -1 if the accelerator refused the job (error bit cleared again). */
static inline int dw_run(const dw_layer_t *l)
{
    while (dw_acquire() != 0)
        ;
    if (dw_status() & DW_STATUS_ERROR) {     /* stale error of an earlier access: clear it */
        dw_soft_clear();                     /* (this also releases the lock: take it again) */
        while (dw_acquire() != 0)
            ;
    }
    dw_configure(l);
    eu_evt_clr(1u << DW_EVENT);              /* no stale end event from an earlier job */
    dw_trigger();
    if (dw_status() & DW_STATUS_ERROR) {     /* refused: no event will come */
        dw_soft_clear();
        return -1;
    }
    dw_wait();
    return 0;
}

#endif
