#ifndef _ISS_CLUSTER_H
#define _ISS_CLUSTER_H

/*
 * Cluster runtime: event unit HAL and team API (fork / barrier / critical sections).
 *
 * The event unit is PULP eu_v3 (simulator plugin plugins/event_unit.py); register offsets
 * and HAL names follow pulp-runtime's archi/eu/eu_v3.h and hal/eu/eu_v3.h.  Accesses go
 * through the core-private demux alias (ARCHI_EU_DEMUX_ADDR), which acts on the calling
 * core.  Wait registers are read with cv.elw when the ISA has it (plain lw otherwise: the
 * simulator sleeps the core either way).
 *
 * Team model (pulp-runtime without a cluster controller core): main() runs on core 0; the
 * other cores sleep in the event unit's dispatch FIFO (__pulp_worker_loop, cluster.c).
 * pi_cl_team_fork(n, entry, arg), called by core 0, runs entry(arg) on cores 0..n-1 and
 * returns when all of them are done (hardware barrier 0).  pi_cl_team_barrier() is meant
 * for code running inside a fork.
 */

#include <stdint.h>
#include "pulp.h"

/* ---- event unit register map (offsets, pulp-runtime archi/eu/eu_v3.h) ---- */
#define EU_CORE_MASK                0x00
#define EU_CORE_MASK_AND            0x04
#define EU_CORE_MASK_OR             0x08
#define EU_CORE_MASK_IRQ            0x0C
#define EU_CORE_MASK_IRQ_AND        0x10
#define EU_CORE_MASK_IRQ_OR         0x14
#define EU_CORE_STATUS              0x18
#define EU_CORE_BUFFER              0x1C
#define EU_CORE_BUFFER_MASKED       0x20
#define EU_CORE_BUFFER_IRQ_MASKED   0x24
#define EU_CORE_BUFFER_CLEAR        0x28
#define EU_CORE_EVENT_WAIT          0x38
#define EU_CORE_EVENT_WAIT_CLEAR    0x3C

#define EU_DISPATCH_DEMUX_OFFSET    0x080
#define EU_DISPATCH_FIFO_ACCESS     0x0
#define EU_DISPATCH_TEAM_CONFIG     0x4
#define EU_MUTEX_DEMUX_OFFSET       0x0C0
#define EU_SW_EVENTS_DEMUX_OFFSET   0x100
#define EU_BARRIER_DEMUX_OFFSET     0x200
#define EU_BARRIER_SIZE             0x20

#define EU_HW_BARR_TRIGGER_MASK         0x00
#define EU_HW_BARR_STATUS               0x04
#define EU_HW_BARR_TARGET_MASK          0x0C
#define EU_HW_BARR_TRIGGER              0x10
#define EU_HW_BARR_TRIGGER_SELF         0x14
#define EU_HW_BARR_TRIGGER_WAIT         0x18
#define EU_HW_BARR_TRIGGER_WAIT_CLEAR   0x1C

/* global (non-demux) areas, offsets from ARCHI_EU_ADDR */
#define EU_CORE_AREA_SIZE           0x40      /* core i registers at 0x40 * i */
#define EU_BARRIER_AREA_OFFSET      0x400
#define EU_SW_EVENTS_AREA_BASE      0x600

/* ---- event lines (pulp-runtime archi/chips/pulp/properties.h) ---- */
#define PULP_NB_SW_EVENTS           8         /* software events 0..7 */
#define PULP_DMA_EVENT0             8
#define PULP_DMA_EVENT1             9
#define PULP_TIMER0_EVENT           10
#define PULP_TIMER1_EVENT           11
#define PULP_ACCEL_EVENT0           12        /* 12..15 */
#define PULP_HW_BAR_EVENT           16
#define PULP_MUTEX_EVENT            17
#define PULP_DISPATCH_EVENT         18

/* APB SoC INFO register: number of cores in [31:16], clusters in [15:0] (PULP apb_soc_ctrl) */
#define ARCHI_APB_SOC_INFO          (ARCHI_APB_SOC_CTRL_ADDR + 0x00u)

/* ---- clock-gated load: the core sleeps in the event unit until the access completes ---- */
static inline uint32_t evt_read32(uint32_t base, uint32_t offset)
{
    uint32_t value;
#if defined(__riscv_xcvelw)
    __asm__ volatile("cv.elw %0, 0(%1)" : "=r"(value) : "r"(base + offset) : "memory");
#else
    __asm__ volatile("lw %0, 0(%1)" : "=r"(value) : "r"(base + offset) : "memory");
#endif
    return value;
}

/* ---- events of the calling core ---- */
#define EU_CORE_REG(reg) (ARCHI_EU_DEMUX_ADDR + (reg))

static inline uint32_t eu_evt_status(void) { return hal_read32(EU_CORE_REG(EU_CORE_BUFFER)); }
static inline uint32_t eu_evt_statusMasked(void)
{
    return hal_read32(EU_CORE_REG(EU_CORE_BUFFER_MASKED));
}
static inline void eu_evt_clr(uint32_t events) { hal_write32(EU_CORE_REG(EU_CORE_BUFFER_CLEAR), events); }
static inline void eu_evt_mask(uint32_t events) { hal_write32(EU_CORE_REG(EU_CORE_MASK), events); }
static inline void eu_evt_maskSet(uint32_t events) { hal_write32(EU_CORE_REG(EU_CORE_MASK_OR), events); }
static inline void eu_evt_maskClr(uint32_t events) { hal_write32(EU_CORE_REG(EU_CORE_MASK_AND), events); }

/* Sleep until an event of the mask is pending; returns the pending masked events. */
static inline uint32_t eu_evt_wait(void) { return evt_read32(ARCHI_EU_DEMUX_ADDR, EU_CORE_EVENT_WAIT); }
/* Same, and clear those events. */
static inline uint32_t eu_evt_waitAndClr(void)
{
    return evt_read32(ARCHI_EU_DEMUX_ADDR, EU_CORE_EVENT_WAIT_CLEAR);
}
/* Wait for (and clear) the events of `events`, enabled in the mask only for this wait. */
static inline uint32_t eu_evt_maskWaitAndClr(uint32_t events)
{
    eu_evt_maskSet(events);
    uint32_t active = eu_evt_waitAndClr();
    eu_evt_maskClr(events);
    return active;
}

/* ---- software events: send event line `event` (0..7) to the cores of `core_set` ---- */
static inline uint32_t eu_evt_trig_addr(int event)
{
    return ARCHI_EU_DEMUX_ADDR + EU_SW_EVENTS_DEMUX_OFFSET + ((uint32_t)event << 2);
}
static inline void eu_evt_trig(uint32_t trig_addr, uint32_t core_set) { hal_write32(trig_addr, core_set); }
static inline void eu_evt_trig_from_id(int event, uint32_t core_set)
{
    eu_evt_trig(eu_evt_trig_addr(event), core_set);
}

/* ---- hardware barriers ---- */
static inline uint32_t eu_bar_addr(int id)
{
    return ARCHI_EU_DEMUX_ADDR + EU_BARRIER_DEMUX_OFFSET + (uint32_t)id * EU_BARRIER_SIZE;
}
/* `core_mask` must arrive; `target_mask` gets the barrier event. */
static inline void eu_bar_setup_mask(uint32_t bar, uint32_t core_mask, uint32_t target_mask)
{
    hal_write32(bar + EU_HW_BARR_TRIGGER_MASK, core_mask);
    hal_write32(bar + EU_HW_BARR_TARGET_MASK, target_mask);
}
static inline void eu_bar_setup(uint32_t bar, uint32_t core_mask)
{
    eu_bar_setup_mask(bar, core_mask, core_mask);
}
static inline void eu_bar_trigger(uint32_t bar, uint32_t core_mask)
{
    hal_write32(bar + EU_HW_BARR_TRIGGER, core_mask);
}
/* Arrive, sleep until everybody did, clear the event (the barrier event must be in the mask). */
static inline uint32_t eu_bar_trig_wait_clr(uint32_t bar)
{
    return evt_read32(bar, EU_HW_BARR_TRIGGER_WAIT_CLEAR);
}

/* ---- hardware mutexes: lock sleeps while another core holds it ---- */
static inline uint32_t eu_mutex_addr(int id)
{
    return ARCHI_EU_DEMUX_ADDR + EU_MUTEX_DEMUX_OFFSET + ((uint32_t)id << 2);
}
static inline void eu_mutex_lock(uint32_t mutex) { (void)evt_read32(mutex, 0); }
static inline void eu_mutex_unlock(uint32_t mutex)
{
    __asm__ volatile("" ::: "memory");   /* stores of the critical section stay inside */
    hal_write32(mutex, 0);
}
static inline void eu_mutex_init(uint32_t mutex) { hal_write32(mutex, 0); }
static inline void eu_mutex_lock_from_id(int id) { eu_mutex_lock(eu_mutex_addr(id)); }
static inline void eu_mutex_unlock_from_id(int id) { eu_mutex_unlock(eu_mutex_addr(id)); }

/* ---- dispatch FIFO: push to the cores of the team config; pop sleeps until there is a value ---- */
#define EU_DISPATCH_REG(reg) (ARCHI_EU_DEMUX_ADDR + EU_DISPATCH_DEMUX_OFFSET + (reg))

static inline void eu_dispatch_push(uint32_t value)
{
    hal_write32(EU_DISPATCH_REG(EU_DISPATCH_FIFO_ACCESS), value);
}
static inline uint32_t eu_dispatch_pop(void)
{
    return evt_read32(ARCHI_EU_DEMUX_ADDR, EU_DISPATCH_DEMUX_OFFSET + EU_DISPATCH_FIFO_ACCESS);
}
static inline void eu_dispatch_team_config(uint32_t core_mask)
{
    hal_write32(EU_DISPATCH_REG(EU_DISPATCH_TEAM_CONFIG), core_mask);
}
static inline uint32_t eu_dispatch_team_config_read(void)
{
    return hal_read32(EU_DISPATCH_REG(EU_DISPATCH_TEAM_CONFIG));
}

/* ---- team API (pulp-runtime / PMSIS names) ---- */

/* Cores in the cluster (simulator: --cores), from the APB SoC INFO register. */
static inline int pi_cl_cluster_nb_cores(void)
{
    int n = (int)(hal_read32(ARCHI_APB_SOC_INFO) >> 16);
    return n ? n : ARCHI_CLUSTER_NB_PE;
}

/* Cores of the current team (barrier 0's participants); 1 outside any fork. */
static inline int pi_cl_team_nb_cores(void)
{
    int n = __builtin_popcount(hal_read32(eu_bar_addr(0) + EU_HW_BARR_TRIGGER_MASK));
    return n ? n : 1;
}

/* Run entry(arg) on cores 0..nb_cores-1 (0: all cores) and wait for all; core 0 only. */
void pi_cl_team_fork(int nb_cores, void (*entry)(void *), void *arg);

/* Wait until every core of the team reaches the barrier. */
static inline void pi_cl_team_barrier(void) { (void)eu_bar_trig_wait_clr(eu_bar_addr(0)); }

/* Critical section shared by the whole cluster (hardware mutex 0). */
static inline void pi_cl_team_critical_enter(void) { eu_mutex_lock_from_id(0); }
static inline void pi_cl_team_critical_exit(void) { eu_mutex_unlock_from_id(0); }

/* Worker cores' idle loop (crt0 calls it for cores != 0). */
void __pulp_worker_loop(int core_id);

#endif
