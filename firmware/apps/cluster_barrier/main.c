/*
 * Hardware barrier under skewed work.  In every round each core spins a different amount
 * (the slowest core changes from round to round), publishes the round it reached, then
 * meets the others at pi_cl_team_barrier().  After the barrier every core checks that
 * all team members published the round: a core passing early would see a stale value.
 * Each core also reads mcycle just before and just after the barrier; core 0 prints, per
 * round, the latest arrival and the earliest departure (departure must not be earlier).
 * Exit status: number of early passes seen.
 */
#include <stdint.h>
#include <stdio.h>
#include "pulp.h"

#define MAX_CORES 16
#define ROUNDS 6
#define SPIN_UNIT 1500

static volatile int reached[MAX_CORES];
static volatile int early[MAX_CORES];
static volatile uint32_t t_arrive[ROUNDS][MAX_CORES];
static volatile uint32_t t_leave[ROUNDS][MAX_CORES];

static inline uint32_t cycles(void)
{
    uint32_t v;
    __asm__ volatile("csrr %0, mcycle" : "=r"(v));
    return v;
}

static void spin(int n)
{
    for (volatile int i = 0; i < n; i++)
        ;
}

static void entry(void *arg)
{
    (void)arg;
    int c = pi_core_id(), n = pi_cl_team_nb_cores();
    for (int r = 0; r < ROUNDS; r++) {
        spin(((c + 3 * r) % n) * SPIN_UNIT);
        reached[c] = r + 1;
        t_arrive[r][c] = cycles();
        pi_cl_team_barrier();
        t_leave[r][c] = cycles();
        for (int j = 0; j < n; j++)
            if (reached[j] < r + 1)
                early[c]++;
    }
}

int main(void)
{
    int n = pi_cl_cluster_nb_cores();
    pi_cl_team_fork(0, entry, 0);
    int errors = 0;
    for (int c = 0; c < n; c++)
        errors += early[c];
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t last_arrive = 0, first_leave = 0xFFFFFFFFu;
        for (int c = 0; c < n; c++) {
            if (t_arrive[r][c] > last_arrive) last_arrive = t_arrive[r][c];
            if (t_leave[r][c] < first_leave) first_leave = t_leave[r][c];
        }
        printf("round %d: last arrival %u, first departure %u\n", r, last_arrive, first_leave);
    }
    printf("cores %d, early passes %d\n", n, errors);
    return errors;
}
