/*
 * Polling and waiting see the same peripheral state at the same simulated time.
 *
 * Each accelerator job / DMA transfer runs twice: once waited for through the event unit,
 * once by spinning on a status register the way bare-metal GVSoC / pulp-sdk code does. The
 * results (outputs, FINISHED_JOBS, data moved) must be identical and both styles must see
 * the end within a few cycles of each other. Then the timer's modes read by polling:
 * clear-on-match (the counter never exceeds CMP and wraps), one-shot (ENABLE clears at the
 * match and the counter stops), a compare event seen in the event unit's buffer at CMP.
 * Prints "name value" lines the test checks against the models' formulas
 * (tests/test_polling.py) and "poll_periph: OK" when every self-check passed.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <selftest.h>
#include <ima.h>
#include <dw.h>
#include <dma.h>
#include <timer.h>

#define SLACK 12            /* cycles: a poll iteration plus the access itself */

static unsigned int tmr;    /* the LO counter: a free-running cycle clock */

static inline unsigned int now(void) { return timer_count_get(tmr); }

/* FNV-1a over a buffer: compares two runs' outputs */
static uint32_t checksum(const int8_t *p, int n)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

static int close_to(unsigned int a, unsigned int b) { return a > b ? a - b <= SLACK : b - a <= SLACK; }

/* ---- IMA: a pointwise layer with n jobs (one per pixel) ---- */
#define CIN 32
#define COUT 16
#define NMAX 64
L1_BSS int8_t ima_x[NMAX][CIN];
L1_BSS int8_t ima_y[NMAX][COUT];
int8_t ima_w[CIN][COUT];

static unsigned int ima_once(int n, int poll, uint32_t *hash, int *finished)
{
    ima_job_t job;
    for (int i = 0; i < NMAX * COUT; i++)
        ((int8_t *)ima_y)[i] = 0;
    ima_job_conv_hwc(&job, (uint32_t)ima_x, (uint32_t)ima_y, 1, n, CIN, COUT, 1, 1, 0, 0, 4, 4);
    ima_lock(0);
    ima_configure(0, &job);
    eu_evt_clr(1u << IMA_EVT_END);
    unsigned int t0 = now();
    ima_arr_write(0, IMA_TRIGGER, 0);
    if (poll) {
        while (ima_arr_read(0, IMA_STATUS) & IMA_STATUS_BUSY)
            ;
    } else {
        ima_wait();
    }
    unsigned int t = now() - t0;
    *finished = (int)ima_arr_read(0, IMA_FINISHED_JOBS);
    *hash = checksum(&ima_y[0][0], n * COUT);
    return t;
}

static void test_ima(void)
{
    for (int i = 0; i < NMAX * CIN; i++)
        ((int8_t *)ima_x)[i] = (int8_t)(i * 37 + 11);
    for (int ci = 0; ci < CIN; ci++)
        for (int co = 0; co < COUT; co++)
            ima_w[ci][co] = (int8_t)((ci * 5 + co * 3) % 15 - 7);
    ima_program(0, 0, 0, COUT, CIN, &ima_w[0][0], COUT);
    static const int sizes[] = {1, 7, 64};
    for (int k = 0; k < 3; k++) {
        int n = sizes[k], fw, fp;
        uint32_t hw, hp;
        unsigned int tw = ima_once(n, 0, &hw, &fw);
        unsigned int tp = ima_once(n, 1, &hp, &fp);
        printf("ima %d wait %u poll %u\n", n, tw, tp);
        check(fw == n && fp == n, "IMA FINISHED_JOBS after waiting and after polling");
        check(hw == hp, "IMA outputs the same whether waited for or polled");
        check(close_to(tw, tp), "IMA end seen at the same time by polling and waiting");
    }
}

/* ---- DW: one 8x8x16 layer, stride 1, padding 1 ---- */
L1_BSS int8_t dw_in[8 * 8 * 16];
L1_BSS int8_t dw_w[9 * 16];
L1_BSS int8_t dw_out[8 * 8 * 16];

static unsigned int dw_once(int poll, uint32_t *hash, int *acquire)
{
    dw_layer_t l = {.in = dw_in, .weights = dw_w, .bias = 0, .out = dw_out, .height = 8,
                    .width = 8, .channels = 16, .stride = 1, .padding = DW_PAD_ALL(1),
                    .shift = 4, .relu = 0};
    for (int i = 0; i < 8 * 8 * 16; i++)
        dw_out[i] = 0;
    while (dw_acquire() != 0)
        ;
    dw_configure(&l);
    eu_evt_clr(1u << DW_EVENT);
    unsigned int t0 = now();
    dw_trigger();
    if (poll) {
        while (dw_status() & DW_STATUS_BUSY)
            ;
    } else {
        dw_wait();
    }
    unsigned int t = now() - t0;
    *acquire = dw_acquire();          /* idle: acquiring succeeds at once */
    if (*acquire == 0)
        dw_soft_clear();              /* and releases it for the next job */
    *hash = checksum(dw_out, 8 * 8 * 16);
    return t;
}

static void test_dw(void)
{
    for (int i = 0; i < 8 * 8 * 16; i++)
        dw_in[i] = (int8_t)(i * 13 + 5);
    for (int i = 0; i < 9 * 16; i++)
        dw_w[i] = (int8_t)(i % 7 - 3);
    int aw, ap;
    uint32_t hw, hp;
    unsigned int tw = dw_once(0, &hw, &aw);
    unsigned int tp = dw_once(1, &hp, &ap);
    printf("dw wait %u poll %u\n", tw, tp);
    check(aw == 0 && ap == 0, "DW ACQUIRE succeeds right after the end");
    check(hw == hp, "DW outputs the same whether waited for or polled");
    check(close_to(tw, tp), "DW end seen at the same time by polling and waiting");
}

/* ---- DMA: 4 kB L2 -> L1 ---- */
#define DMA_BYTES 4096
static int8_t l2_src[DMA_BYTES];
L1_BSS int8_t l1_dst[DMA_BYTES];

static unsigned int dma_once(int poll, uint32_t *hash)
{
    for (int i = 0; i < DMA_BYTES; i++)
        l1_dst[i] = 0;
    unsigned int t0 = now();
    int id = plp_dma_extToL1((unsigned int)l1_dst, (uint32_t)l2_src, DMA_BYTES);
    if (poll) {
        while (plp_dma_status() & (1u << id))
            ;
        plp_dma_counter_free(id);
    } else {
        plp_dma_wait(id);
    }
    unsigned int t = now() - t0;
    *hash = checksum(l1_dst, DMA_BYTES);
    return t;
}

static void test_dma(void)
{
    for (int i = 0; i < DMA_BYTES; i++)
        l2_src[i] = (int8_t)(i * 29 + 3);
    uint32_t hw, hp;
    unsigned int tw = dma_once(0, &hw);
    unsigned int tp = dma_once(1, &hp);
    printf("dma wait %u poll %u\n", tw, tp);
    check(hw == hp && hw == checksum(l2_src, DMA_BYTES), "DMA data there when polled");
    check(close_to(tw, tp), "DMA end seen at the same time by polling and waiting");
}

/* ---- timer modes, read by polling (the HI counter; LO is the clock) ---- */
static void test_timer(void)
{
    unsigned int hi = timer_base_cl(0, 0, 1);
    /* clear on match, CMP = 500: values stay in 0..500 and wrap */
    timer_cmp_set(hi, 500);
    timer_conf_set(hi, 1 << TIMER_CFG_LO_RESET_BIT | 1 << TIMER_CFG_LO_MODE_BIT
                       | 1 << TIMER_CFG_LO_ENABLE_BIT);
    unsigned int max = 0, wraps = 0, last = 0;
    for (int i = 0; i < 400; i++) {
        unsigned int v = timer_count_get(hi);
        if (v > max)
            max = v;
        if (v < last)
            wraps++;
        last = v;
    }
    printf("timer clear-on-match max %u wraps %u\n", max, wraps);
    check(max <= 500 && wraps >= 2, "clear-on-match counter stays within CMP and wraps");

    /* one-shot, CMP = 300: ENABLE clears at the match, the counter stops there */
    timer_conf_set(hi, 0);
    timer_cmp_set(hi, 300);
    timer_conf_set(hi, 1 << TIMER_CFG_LO_RESET_BIT | 1 << TIMER_CFG_LO_ONE_S_BIT
                       | 1 << TIMER_CFG_LO_ENABLE_BIT);
    unsigned int polls = 0;
    while (timer_conf_get(hi) & (1 << TIMER_CFG_LO_ENABLE_BIT))
        polls++;
    unsigned int stopped = timer_count_get(hi);
    for (volatile int i = 0; i < 100; i++)
        ;
    printf("timer one-shot stopped at %u (%u polls)\n", stopped, polls);
    check(stopped == timer_count_get(hi) && stopped <= 300 + SLACK,
          "one-shot counter stops at the match");

    /* compare event, CMP = 2000: the event unit's buffer shows line 11 when the count does */
    timer_conf_set(hi, 0);
    eu_evt_clr(1u << ARCHI_CL_EVT_TIMER0_HI);
    timer_cmp_set(hi, 2000);
    timer_conf_set(hi, 1 << TIMER_CFG_LO_RESET_BIT | 1 << TIMER_CFG_LO_IRQEN_BIT
                       | 1 << TIMER_CFG_LO_ENABLE_BIT);
    while (!(eu_evt_status() & (1u << ARCHI_CL_EVT_TIMER0_HI)))
        ;
    unsigned int seen = timer_count_get(hi);
    timer_conf_set(hi, 0);
    eu_evt_clr(1u << ARCHI_CL_EVT_TIMER0_HI);
    printf("timer event seen at %u\n", seen);
    check(seen >= 2000 && seen <= 2000 + SLACK, "compare event seen at CMP");
}

int main(void)
{
    tmr = timer_base_cl(0, 0, 0);
    timer_conf_set(tmr, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT);
    test_ima();
    test_dw();
    test_dma();
    test_timer();
    return selftest_report("poll_periph");
}
