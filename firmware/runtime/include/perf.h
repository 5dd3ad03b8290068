#ifndef _ISS_PERF_H
#define _ISS_PERF_H

/*
 * Performance counters with the pmsis / pulp-runtime API, on the CV32E40P CSRs (the firmware
 * is built for CORE-V, where 0xCC0/0xCC1 are hardware-loop CSRs, not RI5CY's PCER/PCMR):
 *
 *   pi_perf_conf(1 << PI_PERF_CYCLES | 1 << PI_PERF_INSTR);
 *   pi_perf_reset();
 *   pi_perf_start();
 *   ... measured code ...
 *   pi_perf_stop();
 *   unsigned n = pi_perf_read(PI_PERF_INSTR);
 *
 * Event ids are RI5CY's PCER bits (pulp-runtime archi/riscv/pcer_v2.h).  Event i has its own
 * counter: mhpmcounter(3 + i) (CSR 0xB03 + i) with mhpmevent(3 + i) (CSR 0x323 + i) = 1 << i;
 * mcountinhibit (0x320) bits 3..19 stop and start them, mcycle and minstret keep running.
 * The counters are per core: each core measures itself.
 */

#include <stdint.h>

#define PI_PERF_CYCLES      0
#define PI_PERF_INSTR       1
#define PI_PERF_LD_STALL    2
#define PI_PERF_JR_STALL    3
#define PI_PERF_IMISS       4
#define PI_PERF_LD          5
#define PI_PERF_ST          6
#define PI_PERF_JUMP        7
#define PI_PERF_BRANCH      8
#define PI_PERF_BTAKEN      9
#define PI_PERF_RVC         10
#define PI_PERF_ELW         11
#define PI_PERF_LD_EXT      12
#define PI_PERF_ST_EXT      13
#define PI_PERF_LD_EXT_CYC  14
#define PI_PERF_ST_EXT_CYC  15
#define PI_PERF_TCDM_CONT   16
#define PI_PERF_NB_EVENTS   17
#define PI_PERF_JMP_STALL     PI_PERF_JR_STALL
#define PI_PERF_ACTIVE_CYCLES PI_PERF_CYCLES

/* mcountinhibit bits of the counters 3 .. 3 + PI_PERF_NB_EVENTS - 1 */
#define __PI_PERF_COUNTERS  (((1u << PI_PERF_NB_EVENTS) - 1) << 3)

/* X(i) for every event id: the CSR number of a csrr/csrw must be an immediate */
#define __PI_PERF_EACH(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) \
                          X(12) X(13) X(14) X(15) X(16)

/* Select the events (a mask of 1 << PI_PERF_*); the counters stop until pi_perf_start. */
static inline void pi_perf_conf(unsigned int events)
{
    __asm__ volatile("csrs 0x320, %0" :: "r"(__PI_PERF_COUNTERS));
#define __PI_PERF_CONF(i) \
    __asm__ volatile("csrw %0, %1" :: "i"(0x323 + (i)), "r"(events & (1u << (i))));
    __PI_PERF_EACH(__PI_PERF_CONF)
#undef __PI_PERF_CONF
}

/* Set every counter to 0. */
static inline void pi_perf_reset(void)
{
#define __PI_PERF_RESET(i) __asm__ volatile("csrw %0, zero" :: "i"(0xB03 + (i)));
    __PI_PERF_EACH(__PI_PERF_RESET)
#undef __PI_PERF_RESET
}

static inline void pi_perf_start(void)
{
    __asm__ volatile("csrc 0x320, %0" :: "r"(__PI_PERF_COUNTERS) : "memory");
}

static inline void pi_perf_stop(void)
{
    __asm__ volatile("csrs 0x320, %0" :: "r"(__PI_PERF_COUNTERS) : "memory");
}

/* The count of event `id` (a PI_PERF_* value) since the last reset. */
static inline unsigned int pi_perf_read(int id)
{
    unsigned int value = 0;
    switch (id) {
#define __PI_PERF_READ(i) \
    case i: __asm__ volatile("csrr %0, %1" : "=r"(value) : "i"(0xB03 + (i))); break;
    __PI_PERF_EACH(__PI_PERF_READ)
#undef __PI_PERF_READ
    default: break;
    }
    return value;
}

#endif
