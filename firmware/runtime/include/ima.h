#ifndef _ISS_IMA_H
#define _ISS_IMA_H

/*
 * Analog in-memory accelerator (IMA) HAL. Model: plugins/ima.py, documentation: docs/ima.md.
 *
 * Register offsets and the ima_* functions of array 0 are those of pulp-sdk's
 * archi/ima/ima_v1.h and hal/ima/ima_v1.h (GVSoC ima_v1), spellings included
 * (IMA_P_HIGHT, IMA_J_HIGHT, IMA_J_SRC_STRID), so code written for them compiles as is.
 * The ima_arr_* helpers take the array index of a multi-array IMA: array a's registers
 * are at ARCHI_IMA_ADDR + a * IMA_ARRAY_STRIDE.
 *
 * Protocol: read ACQUIRE until it returns 0 (the IMA is then locked for you), write the
 * programming window or the job registers, write TRIGGER. The IMA releases itself after a
 * run (end-of-jobs event 14 to every core), after the last SUBMIT_PLOT of a programming
 * window and after each PR_VAL read: acquire again before the next step.
 */

#include <stdint.h>
#include "pulp.h"

#define ARCHI_IMA_ADDR          0x10202000u
#define IMA_ARRAY_STRIDE        0x4000u
#define IMA_ARRAY_ADDR(a)       (ARCHI_IMA_ADDR + (uint32_t)(a) * IMA_ARRAY_STRIDE)
#define IMA_XBAR_ROWS           256     /* inputs */
#define IMA_XBAR_COLS           256     /* outputs */
#define IMA_EVT_END             14      /* end of all jobs of a trigger, to every core */
#define IMA_EVT_ACQUIRE         15      /* successful ACQUIRE, to the acquiring core */
#define IMA_STATUS_BUSY         0x1u
#define IMA_STATUS_ERROR        0x80000000u   /* the IMA refused a register access or a job */

/* ---- register map (offsets) ---- */
#define IMA_TRIGGER             0x00
#define IMA_ACQUIRE             0x04
#define IMA_FINISHED_JOBS       0x08
#define IMA_STATUS              0x0c
#define IMA_RUNNING_TASK        0x10
#define IMA_SOFT_CLEAR          0x14
#define IMA_CHECK_STATE         0x18
#define IMA_P_START_X           0x20
#define IMA_P_START_Y           0x24
#define IMA_P_WIDTH             0x28
#define IMA_P_HIGHT             0x2c
#define IMA_P_HEIGHT            IMA_P_HIGHT
#define IMA_SUBMIT_PLOT         0x30
#define IMA_J_START_X           0x34
#define IMA_J_START_Y           0x38
#define IMA_J_WIDTH             0x3c
#define IMA_J_HIGHT             0x40
#define IMA_J_HEIGHT            IMA_J_HIGHT
#define IMA_J_SRC_ADDR          0x44
#define IMA_J_DST_ADDR          0x48
#define IMA_J_SRC_STRID         0x4c
#define IMA_J_SRC_STRIDE        IMA_J_SRC_STRID
#define IMA_J_DST_STRID         0x50
#define IMA_J_DST_STRIDE        IMA_J_DST_STRID
#define IMA_ADC_LOW             0x54
#define IMA_ADC_HIGH            0x58
#define IMA_FETCH_LENGTH        0x5c
#define IMA_STORE_LENGTH        0x60
#define IMA_JOB_LINE_LENGTH     0x64
#define IMA_JOB_FEAT_STRIDE     0x68
#define IMA_JOB_FEAT_LENGTH     0x6c
#define IMA_NUM_JOBS            0x70
#define IMA_ALPHA_IN_LENGTH     0x74
#define IMA_ALPHA_IN_STRIDE     0x78
#define IMA_BETA_IN_LENGTH      0x7c
#define IMA_BETA_IN_STRIDE      0x80
#define IMA_ALPHA_OUT_LENGTH    0x84
#define IMA_ALPHA_OUT_STRIDE    0x88
#define IMA_BETA_OUT_LENGTH     0x8c
#define IMA_BETA_OUT_STRIDE     0x90
#define IMA_JOB_LL_MEMT         0x94
#define IMA_JOB_FEAT_ROLL       0x98
#define IMA_DW_MODE             0x9c
#define IMA_PR_ADDR_X           0xa0
#define IMA_PR_ADDR_Y           0xa4
#define IMA_PR_VAL              0xa8
#define IMA_PERF_STREAM_IN      0xb0    /* cycles, cumulative; a write clears */
#define IMA_PERF_COMPUTE        0xb4
#define IMA_PERF_STREAM_OUT     0xb8
/* partial-sum accumulation (our extension, platform option `accumulate = true`; docs/ima.md,
 * "Partial-sum accumulation"): latched and consumed by the next TRIGGER */
#define IMA_ACC_TILES           0xc0    /* T row tiles per job: 0 off, 1..16 */
#define IMA_ACC_TABLE           0xc4    /* L1 address of T - 1 ima_acc_tile_t */
#define IMA_ACC_SHIFT           0xc8    /* out = clip(sum >> ACC_SHIFT, -ACC_LOW, ACC_HIGH) */
#define IMA_ACC_LOW             0xcc
#define IMA_ACC_HIGH            0xd0
#define IMA_ACC_MAX_TILES       16

#define STOR_DWIDTH             4
#define DAC_PRECISION           8
#define ADC_PRECISION           8

/* ---- any array ---- */
static inline void ima_arr_write(int a, uint32_t offset, uint32_t value)
{
    hal_write32(IMA_ARRAY_ADDR(a) + offset, value);
}
static inline uint32_t ima_arr_read(int a, uint32_t offset)
{
    return hal_read32(IMA_ARRAY_ADDR(a) + offset);
}

/* ---- pulp-sdk hal/ima/ima_v1.h API, array 0 ---- */
#define IMA_ADDR_BASE ARCHI_IMA_ADDR
#define IMA_WRITE(value, offset) ima_arr_write(0, (offset), (value))
#define IMA_READ(offset) ((int)ima_arr_read(0, (offset)))

static inline void ima_trigger_job(void) { IMA_WRITE(0, IMA_TRIGGER); }
static inline int ima_acquire(void) { return IMA_READ(IMA_ACQUIRE); }
static inline int ima_get_finished_jobs(void) { return IMA_READ(IMA_FINISHED_JOBS); }
static inline int ima_get_status(void) { return IMA_READ(IMA_STATUS); }
static inline int ima_get_running_task_id(void) { return IMA_READ(IMA_RUNNING_TASK); }
static inline void ima_soft_clear(void) { IMA_WRITE(0, IMA_SOFT_CLEAR); }
static inline int ima_get_state(void) { return IMA_READ(IMA_CHECK_STATE); }
static inline void ima_adc_range(unsigned int adc_low, unsigned int adc_high)
{
    IMA_WRITE(adc_low, IMA_ADC_LOW);
    IMA_WRITE(adc_high, IMA_ADC_HIGH);
}
static inline void ima_set_plot(unsigned int start_x, unsigned int start_y, unsigned int width,
                                unsigned int height)
{
    IMA_WRITE(start_x, IMA_P_START_X);
    IMA_WRITE(start_y, IMA_P_START_Y);
    IMA_WRITE(width, IMA_P_WIDTH);
    IMA_WRITE(height, IMA_P_HIGHT);
}
static inline void ima_submit_plot(unsigned int plot_val) { IMA_WRITE(plot_val, IMA_SUBMIT_PLOT); }
static inline void ima_set_job_params(unsigned int start_x, unsigned int start_y, unsigned int width,
                                      unsigned int height, unsigned int fetch_size,
                                      unsigned int store_size, unsigned int job_line_length,
                                      unsigned int job_feat_stride, unsigned int job_feat_length,
                                      unsigned int num_of_jobs)
{
    IMA_WRITE(start_x, IMA_J_START_X);
    IMA_WRITE(start_y, IMA_J_START_Y);
    IMA_WRITE(width, IMA_J_WIDTH);
    IMA_WRITE(height, IMA_J_HIGHT);
    IMA_WRITE(fetch_size, IMA_FETCH_LENGTH);
    IMA_WRITE(store_size, IMA_STORE_LENGTH);
    IMA_WRITE(job_line_length, IMA_JOB_LINE_LENGTH);
    IMA_WRITE(job_feat_stride, IMA_JOB_FEAT_STRIDE);
    IMA_WRITE(job_feat_length, IMA_JOB_FEAT_LENGTH);
    IMA_WRITE(num_of_jobs, IMA_NUM_JOBS);
}
static inline void ima_set_multi_jobs_param(unsigned int alpha_in_length, unsigned int alpha_in_stride,
                                            unsigned int beta_in_length, unsigned int beta_in_stride,
                                            unsigned int alpha_out_length, unsigned int alpha_out_stride,
                                            unsigned int beta_out_length, unsigned int beta_out_stride)
{
    IMA_WRITE(alpha_in_length, IMA_ALPHA_IN_LENGTH);
    IMA_WRITE(alpha_in_stride, IMA_ALPHA_IN_STRIDE);
    IMA_WRITE(beta_in_length, IMA_BETA_IN_LENGTH);
    IMA_WRITE(beta_in_stride, IMA_BETA_IN_STRIDE);
    IMA_WRITE(alpha_out_length, IMA_ALPHA_OUT_LENGTH);
    IMA_WRITE(alpha_out_stride, IMA_ALPHA_OUT_STRIDE);
    IMA_WRITE(beta_out_length, IMA_BETA_OUT_LENGTH);
    IMA_WRITE(beta_out_stride, IMA_BETA_OUT_STRIDE);
}
static inline void ima_set_streamer_params(unsigned int src_addr, unsigned int dest_addr,
                                           unsigned int src_strd, unsigned int dst_strd)
{
    IMA_WRITE(src_addr, IMA_J_SRC_ADDR);
    IMA_WRITE(dest_addr, IMA_J_DST_ADDR);
    IMA_WRITE(src_strd, IMA_J_SRC_STRID);
    IMA_WRITE(dst_strd, IMA_J_DST_STRID);
}
static inline unsigned int ima_read_val(unsigned int addr_x, unsigned int addr_y)
{
    IMA_WRITE(addr_x, IMA_PR_ADDR_X);
    IMA_WRITE(addr_y, IMA_PR_ADDR_Y);
    return IMA_READ(IMA_PR_VAL);
}

/* ---- helpers (any array) ---- */

/* 8 weights (4-bit two's complement, [-7, 7]) packed as one SUBMIT_PLOT / PR_VAL word:
 * nibble i = column x + i. */
#define IMA_NIBBLE(v, i) (((uint32_t)(v) & 0xFu) << (4 * (i)))
#define IMA_PACK8(w0, w1, w2, w3, w4, w5, w6, w7)                                      \
    (IMA_NIBBLE(w0, 0) | IMA_NIBBLE(w1, 1) | IMA_NIBBLE(w2, 2) | IMA_NIBBLE(w3, 3) |   \
     IMA_NIBBLE(w4, 4) | IMA_NIBBLE(w5, 5) | IMA_NIBBLE(w6, 6) | IMA_NIBBLE(w7, 7))
static inline int ima_unpack(uint32_t word, int i)
{
    return ((int32_t)(word << (28 - 4 * i))) >> 28;
}

/* The IMA's ideal output for a column sum acc = sum in*w (docs/ima.md, "Arithmetic"):
 * v = acc/889 clipped to [-adc_low, adc_high], scaled by 127/(adc_low + adc_high), rounded
 * half away from zero, saturated to [-127, 127]; exact integer arithmetic. */
static inline int ima_ideal_adc(int32_t acc, int32_t adc_low, int32_t adc_high)
{
    int64_t hi = 889LL * adc_high, lo = -889LL * adc_low;
    int64_t a = acc >= hi ? hi : acc <= lo ? lo : acc;
    int64_t num = 127 * a, den = 889LL * (adc_high + adc_low);
    int64_t q = (2 * (num < 0 ? -num : num) + den) / (2 * den);
    if (q > 127)
        q = 127;
    return (int)(num < 0 ? -q : q);
}

/* Spin until this core holds array a (ACQUIRE returned 0). */
static inline void ima_lock(int a)
{
    while ((int32_t)ima_arr_read(a, IMA_ACQUIRE) != 0)
        ;
}

/* Sleep until the end-of-jobs event (any array) and clear it. */
static inline void ima_wait(void)
{
    eu_evt_maskWaitAndClr(1u << IMA_EVT_END);
}

/* Program codes w (row-major, `ld` codes per row) into the width x height block of array a
 * at column x, row y through SUBMIT_PLOT (1000 ns per word of 8 weights stall this core).
 * Acquires the array; the IMA releases it after the last word. */
static inline void ima_program(int a, int x, int y, int width, int height, const int8_t *w, int ld)
{
    ima_lock(a);
    ima_arr_write(a, IMA_P_START_X, x);
    ima_arr_write(a, IMA_P_START_Y, y);
    ima_arr_write(a, IMA_P_WIDTH, width);
    ima_arr_write(a, IMA_P_HEIGHT, height);
    for (int r = 0; r < height; r++)
        for (int c = 0; c < width; c += 8) {
            uint32_t word = 0;
            for (int i = 0; i < 8 && c + i < width; i++)
                word |= IMA_NIBBLE(w[r * ld + c + i], i);
            ima_arr_write(a, IMA_SUBMIT_PLOT, word);
        }
}

/* The 8 weights of array a at row y, columns x..x+7, packed (acquires; released after). */
static inline uint32_t ima_read_weights(int a, int x, int y)
{
    ima_lock(a);
    ima_arr_write(a, IMA_PR_ADDR_X, x);
    ima_arr_write(a, IMA_PR_ADDR_Y, y);
    return ima_arr_read(a, IMA_PR_VAL);
}

/* Everything a trigger runs (docs/ima.md, "Jobs"). */
typedef struct {
    uint32_t start_x, start_y;      /* first crossbar column (output) and row (input) */
    uint32_t width, height;         /* columns = outputs per job, rows = input bytes per job */
    uint32_t src, dst;              /* L1 addresses of the first job's input and output */
    int32_t src_stride;             /* bytes between the input lines of a job */
    uint32_t line_length;           /* bytes per input line */
    uint32_t feat_length;           /* input lines per job (line_length * feat_length = height) */
    int32_t adc_low, adc_high;      /* ADC clip range [-adc_low, adc_high] */
    uint32_t num_jobs;
    uint32_t alpha_in_length, beta_in_length, alpha_out_length, beta_out_length;
    int32_t alpha_in_stride, beta_in_stride, alpha_out_stride, beta_out_stride;
} ima_job_t;

/* A KxK convolution with stride s, no padding, on HWC int8 tensors: input H x W x cin at
 * src, output Ho x Wo x cout at dst (Ho = (H - K)/s + 1), one job per output pixel
 * (virtual im2col: K lines of K*cin bytes, W*cin apart), weights in crossbar rows
 * y..y+K*K*cin-1 ordered (ky, kx, cin) and columns x..x+cout-1. Pointwise: K = 1. */
static inline void ima_job_conv_hwc(ima_job_t *j, uint32_t src, uint32_t dst, int H, int W,
                                    int cin, int cout, int K, int s, int x, int y,
                                    int adc_low, int adc_high)
{
    int ho = (H - K) / s + 1, wo = (W - K) / s + 1;
    j->start_x = x;
    j->start_y = y;
    j->width = cout;
    j->height = K * K * cin;
    j->src = src;
    j->dst = dst;
    j->src_stride = W * cin;
    j->line_length = K * cin;
    j->feat_length = K;
    j->adc_low = adc_low;
    j->adc_high = adc_high;
    j->num_jobs = ho * wo;
    /* along a row: wo - 1 steps of s pixels, then on to the next row's first window */
    j->alpha_in_length = wo - 1;
    j->alpha_in_stride = s * cin;
    j->beta_in_length = ho;
    j->beta_in_stride = s * W * cin - (wo - 1) * s * cin;
    j->alpha_out_length = wo - 1;
    j->alpha_out_stride = cout;
    j->beta_out_length = ho;
    j->beta_out_stride = cout;
}

static inline void ima_configure(int a, const ima_job_t *j)
{
    static const uint8_t regs[] = {
        IMA_J_START_X, IMA_J_START_Y, IMA_J_WIDTH, IMA_J_HEIGHT, IMA_J_SRC_ADDR, IMA_J_DST_ADDR,
        IMA_J_SRC_STRIDE, IMA_JOB_LINE_LENGTH, IMA_JOB_FEAT_LENGTH, IMA_ADC_LOW, IMA_ADC_HIGH,
        IMA_NUM_JOBS, IMA_ALPHA_IN_LENGTH, IMA_BETA_IN_LENGTH, IMA_ALPHA_OUT_LENGTH,
        IMA_BETA_OUT_LENGTH, IMA_ALPHA_IN_STRIDE, IMA_BETA_IN_STRIDE, IMA_ALPHA_OUT_STRIDE,
        IMA_BETA_OUT_STRIDE};
    const uint32_t *v = (const uint32_t *)j;      /* ima_job_t lists them in this order */
    for (unsigned i = 0; i < sizeof(regs); i++)
        ima_arr_write(a, regs[i], v[i]);
}

/* Acquire array a, configure, trigger and sleep until the jobs are done. Returns STATUS:
 * 0 when all went well, IMA_STATUS_ERROR when the IMA refused something (the simulator
 * printed why). A refused job raises no end event: the simulator then reports a deadlock. */
static inline uint32_t ima_run(int a, const ima_job_t *j)
{
    ima_lock(a);
    ima_configure(a, j);
    ima_arr_write(a, IMA_TRIGGER, 0);
    ima_wait();
    return ima_arr_read(a, IMA_STATUS);
}

/* ---- partial-sum accumulation (docs/ima.md, "Partial-sum accumulation") ----
 * A layer with more input rows than a crossbar has is split into T row tiles. With
 * `accumulate = true` one trigger runs all T per job: the triggered array's own window is
 * tile 0, tiles 1..T-1 are descriptors in L1; the ADC outputs of the T tiles are added in
 * int32 in the digital output stage and written once, clip(sum >> shift, -low, high). */
typedef struct {
    uint32_t array;                 /* crossbar of this tile */
    uint16_t start_x, start_y;      /* its first column (J_WIDTH columns) and first row */
    uint32_t line_length;           /* its bytes per input line: feat_length * line_length rows */
    int32_t src_offset;             /* its input: each job's input pointer + src_offset */
} ima_acc_tile_t;

typedef struct {
    uint32_t tiles;                 /* T, including the triggered array's own window */
    const ima_acc_tile_t *table;    /* T - 1 descriptors, in L1 (the streamer reads them) */
    uint32_t shift;
    int32_t low, high;              /* output range [-low, high], within [-128, 127] */
} ima_acc_t;

/* ima_run with the partial sums of acc->tiles row tiles accumulated in the IMA. */
static inline uint32_t ima_run_acc(int a, const ima_job_t *j, const ima_acc_t *acc)
{
    ima_lock(a);
    ima_configure(a, j);
    ima_arr_write(a, IMA_ACC_TILES, acc->tiles);
    ima_arr_write(a, IMA_ACC_TABLE, (uint32_t)acc->table);
    ima_arr_write(a, IMA_ACC_SHIFT, acc->shift);
    ima_arr_write(a, IMA_ACC_LOW, (uint32_t)acc->low);
    ima_arr_write(a, IMA_ACC_HIGH, (uint32_t)acc->high);
    ima_arr_write(a, IMA_TRIGGER, 0);
    ima_wait();
    return ima_arr_read(a, IMA_STATUS);
}

/* ---- crossbar contents in the firmware image (docs/ima.md, "Weights in the firmware image")
 * The loader programs every record of section .ima_weights at time 0 (PCM is non-volatile):
 *   IMA_IMAGE_SECTION const IMA_IMAGE_T(cols, rows) name =
 *       {IMA_IMAGE_MAGIC, array, x, y, cols, rows, {row 0 words..., row 1 words..., ...}};
 * each row is (cols + 7) / 8 words packed with IMA_PACK8. The record stays readable by the
 * firmware (it is loaded in L2 like constant data). `retain` keeps a record the firmware
 * never reads from the linker's garbage collection of unreferenced sections. */
#define IMA_IMAGE_MAGIC             0x57414D49u      /* 'IMAW' */
#define IMA_IMAGE_WORDS(cols, rows) ((rows) * (((cols) + 7) / 8))
#define IMA_IMAGE_SECTION           __attribute__((section(".ima_weights"), used, retain, aligned(4)))
#define IMA_IMAGE_T(cols, rows)                                                             \
    struct {                                                                                \
        uint32_t magic, array, x, y, width, height;                                         \
        uint32_t words[IMA_IMAGE_WORDS(cols, rows)];                                        \
    }

#endif
