/*
 * Interrupts on every core of the cluster (runtime irq.h, cluster.h).
 *
 * 1. Software event 3 as an interrupt: every worker enables line 3 in its event-unit IRQ
 *    mask and mstatus.MIE and sleeps in wfi; core 0 sends event 3 to all of them; each
 *    takes exactly one interrupt (handler on its own stack, counted per core).
 * 2. An interrupt during an event wait: the workers then wait for event 5 (eu_evt_wait,
 *    a sleeping load) with line 3 still enabled; core 0 sends 3, then 5. The interrupt
 *    runs its handler in the middle of the wait, and the wait then still ends on 5.
 * 3. Disabled, then enabled (core 0): with mstatus.MIE clear a pending line waits; the
 *    handler runs right after hal_irq_restore. A line masked in mie is not taken until
 *    mie enables it.
 * 4. wfi with mstatus.MIE clear sleeps until a line is pending and then goes on without
 *    running a handler (core 0, woken by the timer's one-shot match).
 */
#include <stdio.h>
#include <stdint.h>
#include <pulp.h>
#include <cluster.h>
#include <irq.h>
#include <timer.h>
#include <selftest.h>

#define LINE_SW 3
#define LINE_WAKE 5
#define LINE_MIE 6

static volatile int irqs[16];
static volatile int mie_irqs;
static volatile int ready[16];
static volatile int woke[16];

static void on_sw(void) { irqs[pi_core_id()]++; }
static void on_mie_line(void) { mie_irqs++; }
static volatile int timer_irqs;
static void on_timer(void) { timer_irqs++; }

static void wait_all(int n, int state)
{
    for (int i = 1; i < n; i++)
        while (ready[i] != state)
            ;
}

static int total1, total2, ends;

/* core 0's share of the fork: drive the workers through 1 and 2 */
static void drive(int n)
{
    uint32_t workers = ((1u << n) - 1) & ~1u;
    wait_all(n, 1);
    eu_evt_trig_from_id(LINE_SW, workers);
    wait_all(n, 2);
    for (int i = 1; i < n; i++)
        total1 += irqs[i];
    eu_evt_trig_from_id(LINE_SW, workers);
    eu_evt_trig_from_id(LINE_WAKE, workers);
}

static void worker(void *arg)
{
    int id = pi_core_id();
    if (id == 0) {
        drive((int)(uintptr_t)arg);
        return;
    }
    eu_irq_maskSet(1u << LINE_SW);
    hal_irq_enable();
    ready[id] = 1;
    for (;;) {                       /* 1. sleep until the interrupt (race-free: irq.h) */
        hal_irq_disable();
        int done = irqs[id] != 0;
        if (!done)
            hal_wfi();
        hal_irq_enable();
        if (done)
            break;
    }
    ready[id] = 2;
    uint32_t ended = eu_evt_maskWaitAndClr(1u << LINE_WAKE);   /* 2. a sleeping wait */
    woke[id] = (ended >> LINE_WAKE) & 1;
    hal_irq_disable();
    eu_irq_maskClr(1u << LINE_SW);
}

int main(void)
{
    int n = pi_cl_cluster_nb_cores();
    irq_set_handler(LINE_SW, on_sw);
    irq_set_handler(LINE_MIE, on_mie_line);
    pi_cl_team_fork(n, worker, (void *)(uintptr_t)n);
    for (int i = 1; i < n; i++) {
        total2 += irqs[i];
        ends += woke[i];
    }

    /* 3. core 0: MIE clear holds a pending line back; mie masks a line */
    eu_irq_maskSet(1u << LINE_SW | 1u << LINE_MIE);
    unsigned int state = hal_irq_disable();
    eu_evt_trig_from_id(LINE_SW, 1u);
    for (volatile int i = 0; i < 20; i++)
        ;
    int held = irqs[0];
    hal_irq_enable();
    int after_enable = irqs[0];
    irq_mie_clear(1u << LINE_MIE);
    eu_evt_trig_from_id(LINE_MIE, 1u);
    for (volatile int i = 0; i < 20; i++)
        ;
    int masked = mie_irqs;
    irq_mie_set(1u << LINE_MIE);
    int unmasked = mie_irqs;
    hal_irq_restore(state);
    hal_irq_disable();

    /* 4. wfi with mstatus.MIE clear: the timer's match wakes core 0, no handler runs */
    unsigned int lo = timer_base_cl(0, 0, 0);
    irq_set_handler(PULP_TIMER0_EVENT, on_timer);
    eu_irq_maskSet(1u << PULP_TIMER0_EVENT);
    timer_cmp_set(lo, 300);
    timer_conf_set(lo, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT
                       | 1 << TIMER_CFG_LO_IRQEN_BIT | 1 << TIMER_CFG_LO_ONE_S_BIT);
    hal_wfi();
    unsigned int count_at_wake = timer_count_get(lo);
    int timer_handled = timer_irqs;
    hal_write32(EU_CORE_REG(EU_CORE_BUFFER_CLEAR), 1u << PULP_TIMER0_EVENT);
    eu_irq_maskClr(0xffffffffu);
    timer_conf_set(lo, 0);

    printf("cores %d: first round %d interrupts, after the wait %d, waits ended by event %d\n",
           n, total1, total2, ends);
    printf("core 0: held %d, after enable %d; mie-masked %d, unmasked %d\n",
           held, after_enable, masked, unmasked);
    check(total1 == n - 1, "one interrupt per worker in wfi");
    check(total2 == 2 * (n - 1), "one more during the event wait");
    check(ends == n - 1, "the waits still end on their event");
    check(held == 0 && after_enable == 1, "MIE holds the line back, enabling takes it");
    check(masked == 0 && unmasked == 1, "mie masks the line");
    printf("wfi woke with the timer at %u, %d handler runs\n", count_at_wake, timer_handled);
    check(count_at_wake >= 300 && timer_handled == 0, "wfi wakes on the line without MIE");
    return selftest_report("irq_cluster");
}
