#ifndef _ISS_TIMER_H
#define _ISS_TIMER_H

/*
 * Cluster timer (timer_v2) with pulp-runtime's HAL names (hal/timer/timer_v2.h).
 * The counters count core cycles (plugins/cluster_timer.py); LO and HI are two 32-bit
 * counters, or one 64-bit counter with TIMER_CFG_LO_CASC.
 *
 *   unsigned int t = timer_base_cl(0, 0, 0);              // the LO counter (sub_id 1: HI)
 *   timer_conf_set(t, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT);
 *   ... work ...
 *   unsigned int cycles = timer_count_get(t);
 *
 * A compare match with IRQEN sends event line 10 (LO) / 11 (HI) to every core.
 */

#include <stdint.h>
#include <pulp.h>

#define TIMER_CFG_LO_OFFSET     0x00
#define TIMER_CFG_HI_OFFSET     0x04
#define TIMER_CNT_LO_OFFSET     0x08
#define TIMER_CNT_HI_OFFSET     0x0C
#define TIMER_CMP_LO_OFFSET     0x10
#define TIMER_CMP_HI_OFFSET     0x14
#define TIMER_START_LO_OFFSET   0x18
#define TIMER_START_HI_OFFSET   0x1C
#define TIMER_RESET_LO_OFFSET   0x20
#define TIMER_RESET_HI_OFFSET   0x24

#define TIMER_CFG_LO_ENABLE_BIT 0
#define TIMER_CFG_LO_RESET_BIT  1
#define TIMER_CFG_LO_IRQEN_BIT  2
#define TIMER_CFG_LO_IEM_BIT    3
#define TIMER_CFG_LO_MODE_BIT   4   /* 1: clear the counter on compare match */
#define TIMER_CFG_LO_ONE_S_BIT  5   /* 1: stop on compare match */
#define TIMER_CFG_LO_PEN_BIT    6   /* prescaler: Ftimer = Fclk / (1 + PVAL) */
#define TIMER_CFG_LO_CCFG_BIT   7   /* 1: 32 kHz reference clock */
#define TIMER_CFG_LO_PVAL_BIT   8
#define TIMER_CFG_LO_PVAL_WIDTH 8
#define TIMER_CFG_LO_CASC_BIT   31  /* LO + HI as one 64-bit counter */

#define ARCHI_CL_EVT_TIMER0_LO  10
#define ARCHI_CL_EVT_TIMER0_HI  11

/* Address of counter sub_id (0: LO, 1: HI) of timer `id` of cluster `cid` (one timer here). */
static inline unsigned int timer_base_cl(int cid, int id, int sub_id)
{
    (void)id;
    return ARCHI_CLUSTER_GLOBAL_ADDR(cid) + (ARCHI_TIMER_ADDR - ARCHI_L1_BASE) + sub_id * 4;
}

static inline unsigned int timer_conf_get(unsigned int addr)
{ return hal_read32(addr + TIMER_CFG_LO_OFFSET); }
static inline void timer_conf_set(unsigned int addr, unsigned int value)
{ hal_write32(addr + TIMER_CFG_LO_OFFSET, value); }
static inline unsigned int timer_count_get(unsigned int addr)
{ return hal_read32(addr + TIMER_CNT_LO_OFFSET); }
static inline void timer_count_set(unsigned int addr, unsigned int value)
{ hal_write32(addr + TIMER_CNT_LO_OFFSET, value); }
static inline unsigned int timer_cmp_get(unsigned int addr)
{ return hal_read32(addr + TIMER_CMP_LO_OFFSET); }
static inline void timer_cmp_set(unsigned int addr, unsigned int cmp)
{ hal_write32(addr + TIMER_CMP_LO_OFFSET, cmp); }
static inline void timer_reset(unsigned int addr) { hal_write32(addr + TIMER_RESET_LO_OFFSET, 1); }
static inline void timer_start(unsigned int addr) { hal_write32(addr + TIMER_START_LO_OFFSET, 1); }

/* The 64-bit value of a cascaded (TIMER_CFG_LO_CASC) timer: HI, LO, HI again until stable. */
static inline uint64_t timer_count64_get(unsigned int addr)
{
    uint32_t hi, lo;
    do {
        hi = hal_read32(addr + TIMER_CNT_HI_OFFSET);
        lo = hal_read32(addr + TIMER_CNT_LO_OFFSET);
    } while (hal_read32(addr + TIMER_CNT_HI_OFFSET) != hi);
    return (uint64_t)hi << 32 | lo;
}

#endif
