#ifndef _ISS_PULP_H
#define _ISS_PULP_H

/* PULP cluster platform (simulator default platform): memory map + tiny HAL. */

#include <stdint.h>

/* ---- memory map ---- */
#define ARCHI_L1_BASE                 0x10000000u
#define ARCHI_L1_SIZE                 0x00080000u   /* 512 KiB TCDM */
#define ARCHI_L1_TAS_BIT              20
#define ARCHI_L2_BASE                 0x1C000000u
#define ARCHI_L2_SIZE                 0x00400000u   /* 4 MiB */
#define ARCHI_CLUSTER_GLOBAL_ADDR(cid) (0x10000000u + (cid) * 0x400000u)
#define ARCHI_CLUSTER_SIZE            0x00400000u
#define ARCHI_CLUSTER_NB_PE           8
#define ARCHI_NB_CORES                ARCHI_CLUSTER_NB_PE

#define ARCHI_CLUSTER_PERIPHERALS     0x10200000u
#define ARCHI_CLUSTER_PERIPHERALS_ADDR ARCHI_CLUSTER_PERIPHERALS
#define ARCHI_CLUSTER_CTRL_ADDR       (ARCHI_CLUSTER_PERIPHERALS + 0x0000u)
#define ARCHI_TIMER_ADDR              (ARCHI_CLUSTER_PERIPHERALS + 0x0400u)
#define ARCHI_EU_ADDR                 (ARCHI_CLUSTER_PERIPHERALS + 0x0800u)
#define ARCHI_HWCE_ADDR               (ARCHI_CLUSTER_PERIPHERALS + 0x1000u)
#define ARCHI_ICACHE_CTRL_ADDR        (ARCHI_CLUSTER_PERIPHERALS + 0x1400u)
#define ARCHI_MCHAN_EXT_ADDR          (ARCHI_CLUSTER_PERIPHERALS + 0x1800u)
#define ARCHI_DEMUX_PERIPHERALS_ADDR  0x10204000u
#define ARCHI_EU_DEMUX_ADDR           (ARCHI_DEMUX_PERIPHERALS_ADDR + 0x000u)
#define ARCHI_MCHAN_DEMUX_ADDR        (ARCHI_DEMUX_PERIPHERALS_ADDR + 0x400u)

/* cluster control unit registers (offsets) */
#define CLUSTER_CTRL_EOC_OFFSET       0x00u
#define CLUSTER_CTRL_FETCH_EN_OFFSET  0x08u
#define CLUSTER_CTRL_BOOTADDR_OFFSET(core) (0x40u + 4u * (core))
#define CLUSTER_CTRL_RETURN_OFFSET    0x100u

#define ARCHI_SOC_PERIPHERALS         0x1A100000u
#define ARCHI_SOC_PERIPHERALS_ADDR    ARCHI_SOC_PERIPHERALS
#define ARCHI_APB_SOC_CTRL_ADDR       0x1A104000u
#define ARCHI_APB_SOC_CORESTATUS      0x1A1040A0u   /* write status | 1<<31 => end of computation */
#define ARCHI_APB_SOC_CORESTATUS_RO   0x1A1040C0u
#define ARCHI_STDOUT_ADDR             0x1A10F000u   /* + (core << 3) + (cluster << 7) */
#define ARCHI_EOC_BIT                 31

/* ---- volatile accessors ---- */
static inline uint32_t hal_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static inline void hal_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
static inline uint16_t hal_read16(uintptr_t addr) { return *(volatile uint16_t *)addr; }
static inline void hal_write16(uintptr_t addr, uint16_t v) { *(volatile uint16_t *)addr = v; }
static inline uint8_t hal_read8(uintptr_t addr) { return *(volatile uint8_t *)addr; }
static inline void hal_write8(uintptr_t addr, uint8_t v) { *(volatile uint8_t *)addr = v; }

/* ---- core / cluster identity (mhartid, CSR 0xF14) ---- */
static inline uint32_t hal_mhartid(void)
{
    uint32_t v;
    __asm__ volatile("csrr %0, mhartid" : "=r"(v));
    return v;
}
static inline int pi_core_id(void) { return (int)(hal_mhartid() & 0x1f); }
static inline int pi_cluster_id(void) { return (int)((hal_mhartid() >> 5) & 0x3f); }
static inline int hal_core_id(void) { return pi_core_id(); }
static inline int hal_cluster_id(void) { return pi_cluster_id(); }

/* ---- placement attributes ---- */
#define L1_DATA __attribute__((section(".l1_data")))
#define L1_BSS  __attribute__((section(".l1_bss")))
#define PI_L1   L1_DATA
#define PI_L2

/* ---- cluster runtime: event unit HAL, team fork / barrier / mutex (cluster.h, cluster.c) ---- */
#include "cluster.h"

#endif
