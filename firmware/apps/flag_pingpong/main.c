/*
 * Cores talking through plain L1 variables (no event unit): core 0 works, then sets a flag
 * core 1 spins on; a flag ping-pong between cores 0 and 1; a lock (RV32IMC has no atomics:
 * Peterson's algorithm over L1 flags). Prints the cycle (cluster timer) at which each side
 * wrote and saw each flag; tests/test_shared_memory.py checks that no
 * value is ever seen before the cycle it was written and that the round trip is short.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>
#include <selftest.h>
#include <timer.h>

#define ROUNDS 8
#define INCREMENTS 200

L1_DATA static volatile int ping, pong;
L1_DATA static volatile unsigned int t_ping[ROUNDS], t_seen_ping[ROUNDS];
L1_DATA static volatile unsigned int t_pong[ROUNDS], t_seen_pong[ROUNDS];
L1_DATA static volatile int want[2], turn, counter;
L1_DATA static volatile int go;
L1_DATA static volatile unsigned int t_go, t_seen_go;

static unsigned int tmr;
static inline unsigned int now(void) { return timer_count_get(tmr); }

static void lock(int me)
{
    want[me] = 1;
    turn = 1 - me;
    while (want[1 - me] && turn == 1 - me)
        ;
}

static void unlock(int me) { want[me] = 0; }

static void worker(void *arg)
{
    (void)arg;
    int me = pi_core_id();
    if (me > 1)
        return;
    /* core 0 works a while, then sets a flag core 1 spins on */
    if (me == 0) {
        for (volatile int i = 0; i < 1000; i++)
            ;
        t_go = now();
        go = 1;
    } else {
        while (!go)
            ;
        t_seen_go = now();
    }
    for (int r = 0; r < ROUNDS; r++) {
        if (me == 0) {
            t_ping[r] = now();
            ping = r + 1;
            while (pong != r + 1)
                ;
            t_seen_pong[r] = now();
        } else {
            while (ping != r + 1)
                ;
            t_seen_ping[r] = now();
            t_pong[r] = now();
            pong = r + 1;
        }
    }
    for (int i = 0; i < INCREMENTS; i++) {
        lock(me);
        int v = counter;
        for (volatile int d = 0; d < 3; d++)
            ;
        counter = v + 1;
        unlock(me);
    }
}

int main(void)
{
    tmr = timer_base_cl(0, 0, 0);
    timer_conf_set(tmr, 1 << TIMER_CFG_LO_ENABLE_BIT | 1 << TIMER_CFG_LO_RESET_BIT);
    pi_cl_team_fork(2, worker, 0);
    for (int r = 0; r < ROUNDS; r++)
        printf("round %d ping %u seen %u pong %u seen %u\n", r, t_ping[r], t_seen_ping[r],
               t_pong[r], t_seen_pong[r]);
    printf("go %u seen %u\n", t_go, t_seen_go);
    printf("counter %d\n", counter);
    check(counter == 2 * INCREMENTS, "Peterson lock: no increment lost");
    return selftest_report("flag_pingpong");
}
