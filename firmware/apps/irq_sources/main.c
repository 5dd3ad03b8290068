/*
 * Every interrupt source of the cluster (runtime irq.h): core 0 starts an operation, sleeps
 * in wfi, and is woken by the interrupt of its end event, whose handler notes the source.
 *   DMA   a 1 kB L2 -> L1 copy pushed with its IRQ bit (ILE): line 9 (PULP_DMA_EVENT1)
 *   DW    a depth-wise job: end of job, line 12 (DW_EVENT)
 *   IMA   a one-job pointwise layer: end of jobs, line 14 (IMA_EVT_END)
 *   bar   hardware barrier 1 with core 0 alone: line 16 (PULP_HW_BAR_EVENT)
 * Each handler counts its line; after each wake-up the operation's result must be there.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <cluster.h>
#include <irq.h>
#include <dma.h>
#include <dw.h>
#include <ima.h>
#include <selftest.h>

static volatile int hits[32];
static void on_irq_line(void)
{
    uint32_t mcause;
    __asm__ volatile ("csrr %0, mcause" : "=r"(mcause));
    hits[mcause & 31]++;
}

/* sleep until the handler of `line` ran: the check and wfi with MIE clear (wfi still wakes
   on the pending line), so a request arriving between them cannot be missed */
static void wait_for(int line)
{
    for (;;) {
        unsigned int state = hal_irq_disable();
        int done = hits[line] != 0;
        if (!done)
            hal_wfi();
        hal_irq_restore(state);       /* the handler runs here */
        if (done)
            return;
    }
}

static void arm(int line)
{
    irq_set_handler(line, on_irq_line);
    eu_irq_maskSet(1u << line);
}

#define DMA_BYTES 1024
static int8_t l2_src[DMA_BYTES];
L1_BSS int8_t l1_dst[DMA_BYTES];

L1_BSS int8_t dw_in[4 * 4 * 16];
L1_BSS int8_t dw_w[9 * 16];
L1_BSS int8_t dw_out[4 * 4 * 16];

#define CIN 32
#define COUT 16
L1_BSS int8_t ima_x[CIN];
L1_BSS int8_t ima_y[COUT];
int8_t ima_w[CIN][COUT];

int main(void)
{
    hal_irq_enable();

    /* DMA */
    for (int i = 0; i < DMA_BYTES; i++)
        l2_src[i] = (int8_t)(i * 29 + 3);
    arm(PULP_DMA_EVENT1);
    int id = plp_dma_counter_alloc();
    plp_dma_cmd_push(plp_dma_getCmd(PLP_DMA_EXT2LOC, DMA_BYTES, PLP_DMA_1D, PLP_DMA_NO_TRIG_EVT,
                                    PLP_DMA_TRIG_IRQ, PLP_DMA_PRIV),
                     (unsigned int)l1_dst, (uint32_t)l2_src);
    wait_for(PULP_DMA_EVENT1);
    int dma_ok = 1;
    for (int i = 0; i < DMA_BYTES; i++)
        dma_ok &= l1_dst[i] == l2_src[i];
    plp_dma_counter_free(id);

    /* DW */
    for (int i = 0; i < 4 * 4 * 16; i++)
        dw_in[i] = (int8_t)(i * 13 + 5);
    for (int i = 0; i < 9 * 16; i++)
        dw_w[i] = (int8_t)(i % 7 - 3);
    dw_layer_t l = {.in = dw_in, .weights = dw_w, .bias = 0, .out = dw_out, .height = 4,
                    .width = 4, .channels = 16, .stride = 1, .padding = DW_PAD_ALL(1),
                    .shift = 4, .relu = 0};
    arm(DW_EVENT);
    while (dw_acquire() != 0)
        ;
    dw_configure(&l);
    dw_trigger();
    wait_for(DW_EVENT);
    int dw_idle = !(dw_status() & DW_STATUS_BUSY);

    /* IMA */
    for (int i = 0; i < CIN; i++)
        ima_x[i] = (int8_t)(i * 37 + 11);
    for (int ci = 0; ci < CIN; ci++)
        for (int co = 0; co < COUT; co++)
            ima_w[ci][co] = (int8_t)((ci * 5 + co * 3) % 15 - 7);
    ima_program(0, 0, 0, COUT, CIN, &ima_w[0][0], COUT);
    ima_job_t job;
    ima_job_conv_hwc(&job, (uint32_t)ima_x, (uint32_t)ima_y, 1, 1, CIN, COUT, 1, 1, 0, 0, 4, 4);
    ima_lock(0);
    ima_configure(0, &job);
    arm(IMA_EVT_END);
    ima_arr_write(0, IMA_TRIGGER, 0);
    wait_for(IMA_EVT_END);
    int ima_finished = (int)ima_arr_read(0, IMA_FINISHED_JOBS);

    /* hardware barrier 1, core 0 alone */
    arm(PULP_HW_BAR_EVENT);
    eu_bar_setup(eu_bar_addr(1), 1u);
    eu_bar_trigger(eu_bar_addr(1), 1u);
    wait_for(PULP_HW_BAR_EVENT);

    hal_irq_disable();
    printf("dma %d (data %s), dw %d (idle %d), ima %d (finished %d), barrier %d\n",
           hits[PULP_DMA_EVENT1], dma_ok ? "ok" : "bad", hits[DW_EVENT], dw_idle,
           hits[IMA_EVT_END], ima_finished, hits[PULP_HW_BAR_EVENT]);
    check(hits[PULP_DMA_EVENT1] == 1 && dma_ok, "DMA interrupt after the copy");
    check(hits[DW_EVENT] == 1 && dw_idle, "DW interrupt after the job");
    check(hits[IMA_EVT_END] == 1 && ima_finished == 1, "IMA interrupt after the job");
    check(hits[PULP_HW_BAR_EVENT] == 1, "barrier interrupt");
    return selftest_report("irq_sources");
}
