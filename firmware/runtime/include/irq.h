#ifndef _ISS_IRQ_H
#define _ISS_IRQ_H
/*
 * Interrupts and exception handlers (machine mode).
 *
 * A cluster core is interrupted by its event-unit lines (cluster.h: PULP_*_EVENT): a line
 * interrupts when it is set in the core's event-unit IRQ mask (eu_irq_maskSet, the names
 * of pulp-runtime's eu_v3 HAL), enabled in mie (all lines after reset) and mstatus.MIE is
 * set (hal_irq_enable).  irq_set_handler installs the runtime's vector table (crt0.S) in
 * mtvec, vectored: line i runs __irq_handlers[i] on the interrupted core's stack; the
 * table is shared by all cores (read mhartid / pi_core_id() in a handler to tell them
 * apart).  The event unit clears the line's buffer bit when the core takes it.
 * exception_set_handler gets synchronous exceptions (illegal instruction, ecall,
 * ebreak...) with the saved registers: frame[0] = mepc, frame[i] = x<i>; what it leaves in
 * the frame is restored (e.g. frame[0] += 4 to skip the instruction).
 */
#include <stdint.h>
#include "cluster.h"

typedef void (*irq_handler_t)(void);
typedef void (*exception_handler_t)(uint32_t *frame, uint32_t mcause);

extern irq_handler_t __irq_handlers[32];
extern exception_handler_t __exception_handler;
extern char __irq_vector_table[];

#define MCAUSE_INTERRUPT 0x80000000u
#define MCAUSE_ILLEGAL_INSTRUCTION 2u
#define MCAUSE_BREAKPOINT 3u
#define MCAUSE_ECALL_M 11u

static inline void irq_vectors_install(void)
{
    __asm__ volatile ("csrw mtvec, %0" :: "r"((uint32_t)__irq_vector_table | 1u));
}

static inline void irq_set_handler(int line, irq_handler_t handler)
{
    __irq_handlers[line & 31] = handler;
    irq_vectors_install();
}

static inline void exception_set_handler(exception_handler_t handler)
{
    __exception_handler = handler;
    irq_vectors_install();
}

/* event-unit IRQ mask of the calling core (pulp-runtime eu_v3 HAL names) */
static inline void eu_irq_mask(uint32_t lines) { hal_write32(EU_CORE_REG(EU_CORE_MASK_IRQ), lines); }
static inline void eu_irq_maskSet(uint32_t lines) { hal_write32(EU_CORE_REG(EU_CORE_MASK_IRQ_OR), lines); }
static inline void eu_irq_maskClr(uint32_t lines) { hal_write32(EU_CORE_REG(EU_CORE_MASK_IRQ_AND), lines); }

/* mstatus.MIE (pulp-runtime hal/riscv names) */
static inline void hal_irq_enable(void) { __asm__ volatile ("csrsi mstatus, 8" ::: "memory"); }
static inline unsigned int hal_irq_disable(void)
{
    unsigned int old;
    __asm__ volatile ("csrrci %0, mstatus, 8" : "=r"(old) :: "memory");
    return old & 8u;
}
static inline void hal_irq_restore(unsigned int state)
{
    __asm__ volatile ("csrs mstatus, %0" :: "r"(state & 8u) : "memory");
}

/* mie: per-line enable at the core */
static inline void irq_mie_set(uint32_t lines) { __asm__ volatile ("csrs mie, %0" :: "r"(lines)); }
static inline void irq_mie_clear(uint32_t lines) { __asm__ volatile ("csrc mie, %0" :: "r"(lines)); }

/* Sleep until a line mie enables is pending, whatever mstatus.MIE says.  To wait for a
 * handler's flag without missing a request that arrives between the check and the wfi,
 * check and sleep with MIE clear; the handler runs once MIE is set again:
 *     for (;;) { unsigned s = hal_irq_disable(); int done = flag;
 *                if (!done) hal_wfi(); hal_irq_restore(s); if (done) break; }          */
static inline void hal_wfi(void) { __asm__ volatile ("wfi" ::: "memory"); }

#endif
