/*
 * Software events between cores.
 * 1. Token ring: core c waits for event TOKEN, appends its id to a shared list and sends
 *    TOKEN to core (c + 1) % n; core 0 starts each round.  Expected order: 0 1 .. n-1,
 *    ROUNDS times.  An event sent before the receiver waits must stay in its buffer.
 * 2. Broadcast: core 0 sends event BCAST to all the other team cores at once; each one
 *    waits for it and records the events its wait returned.
 * 3. Wake-up delay: mcycle of core 0 just before sending, of core 1 just after waking.
 */
#include <stdint.h>
#include <stdio.h>
#include "pulp.h"

#define MAX_CORES 16
#define ROUNDS 3
#define TOKEN 3
#define BCAST 5

static volatile int order[ROUNDS * MAX_CORES];
static volatile int pos;
static volatile uint32_t got[MAX_CORES];
static volatile uint32_t t_send, t_wake;

static inline uint32_t cycles(void)
{
    uint32_t v;
    __asm__ volatile("csrr %0, mcycle" : "=r"(v));
    return v;
}

static void ring(void *arg)
{
    (void)arg;
    int c = pi_core_id(), n = pi_cl_team_nb_cores();
    uint32_t next = 1u << ((c + 1) % n);
    for (int r = 0; r < ROUNDS; r++) {
        if (c == 0) {
            order[pos++] = 0;
            eu_evt_trig_from_id(TOKEN, next);
            eu_evt_maskWaitAndClr(1u << TOKEN);
        } else {
            eu_evt_maskWaitAndClr(1u << TOKEN);
            order[pos++] = c;
            eu_evt_trig_from_id(TOKEN, next);
        }
    }
}

static void broadcast(void *arg)
{
    (void)arg;
    int c = pi_core_id(), n = pi_cl_team_nb_cores();
    if (c == 0) {
        pi_cl_team_barrier();            /* everybody is about to wait */
        t_send = cycles();
        if (n > 1)
            eu_evt_trig_from_id(BCAST, ((1u << n) - 1) & ~1u);
    } else {
        eu_evt_maskSet(1u << BCAST);
        pi_cl_team_barrier();
        got[c] = eu_evt_waitAndClr();
        if (c == 1)
            t_wake = cycles();
        eu_evt_maskClr(1u << BCAST);
    }
}

int main(void)
{
    int n = pi_cl_cluster_nb_cores();
    pi_cl_team_fork(0, ring, 0);
    printf("ring:");
    for (int i = 0; i < pos; i++)
        printf(" %d", order[i]);
    printf("\n");

    pi_cl_team_fork(0, broadcast, 0);
    printf("broadcast:");
    for (int c = 1; c < n; c++)
        printf(" %x", got[c]);
    printf("\n");
    if (n > 1)
        printf("wake delay %d\n", (int)(t_wake - t_send));
    return 0;
}
