/*
 * Timer interrupt tick counter (runtime irq.h).
 *
 * The cluster timer's LO counter counts cycles and restarts on its compare value
 * (clear-on-match); with IRQEN each match raises event line 10 (PULP_TIMER0_EVENT), which
 * core 0 takes as an interrupt.  The handler counts ticks and notes the cycle (mcycle) of
 * its first instructions.  Core 0 first computes a checksum while ticks arrive (the
 * handler must leave its registers intact), then sleeps in wfi until TICKS ticks.
 * Self-checks: the checksum, the tick count, and the spacing of the ticks (the timer's
 * period, within the few cycles an interrupt may wait for the end of a block).
 */
#include <stdio.h>
#include <stdint.h>
#include <pulp.h>
#include <irq.h>
#include <timer.h>
#include <selftest.h>

#define PERIOD 1000       /* compare value: a match every PERIOD + 1 cycles */
#define TICKS 20
#define SLACK 40          /* cycles an entry may lag the match (block end, wake-up) */

static volatile int ticks;
static volatile uint32_t tick_cycle[TICKS + 4];

static inline uint32_t mcycle(void)
{
    uint32_t c;
    __asm__ volatile ("csrr %0, mcycle" : "=r"(c));
    return c;
}

static void on_tick(void)
{
    int n = ticks;
    if (n < TICKS + 4)
        tick_cycle[n] = mcycle();
    ticks = n + 1;
}

static volatile uint32_t seed = 12345;

int main(void)
{
    unsigned int lo = timer_base_cl(0, 0, 0);
    irq_set_handler(PULP_TIMER0_EVENT, on_tick);
    eu_irq_maskSet(1u << PULP_TIMER0_EVENT);
    hal_irq_enable();
    timer_cmp_set(lo, PERIOD);
    timer_conf_set(lo, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT
                       | 1 << TIMER_CFG_LO_IRQEN_BIT | 1 << TIMER_CFG_LO_MODE_BIT);

    /* busy phase: a checksum the interrupts must not disturb (LCG, 600 steps) */
    uint32_t x = seed, sum = 0;
    for (int i = 0; i < 600; i++) {
        x = x * 1103515245u + 12345u;
        sum += x >> 16;
    }
    int busy_ticks = ticks;

    /* idle phase: sleep until TICKS ticks (checked with MIE clear: irq.h) */
    for (;;) {
        hal_irq_disable();
        int done = ticks >= TICKS;
        if (!done)
            hal_wfi();
        hal_irq_enable();
        if (done)
            break;
    }
    timer_conf_set(lo, 0);
    unsigned int was = hal_irq_disable();

    printf("checksum 0x%08x\n", (unsigned)sum);
    printf("ticks %d (%d while busy)\n", ticks, busy_ticks);
    int worst = 0;
    for (int i = 1; i < TICKS; i++) {
        int d = (int)(tick_cycle[i] - tick_cycle[i - 1]) - (PERIOD + 1);
        if (d < 0) d = -d;
        if (d > worst) worst = d;
    }
    printf("first tick at cycle %u, worst spacing error %d cycles\n",
           (unsigned)tick_cycle[0], worst);
    check(was == 8, "interrupts were enabled");
    check(ticks == TICKS, "tick count");
    check(busy_ticks >= 1, "ticks during the busy phase");
    check(worst <= SLACK, "tick spacing");
    return selftest_report("irq_timer_tick");
}
