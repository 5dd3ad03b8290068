/*
 * Hardware mutex: every team core adds 1 to a shared counter ITERS times inside
 * pi_cl_team_critical_enter/exit, with a deliberately slow read-modify-write, and flags
 * any core that finds another one inside.  Each critical section also logs its first and
 * last mcycle under its counter value: in simulated time, section k must end before
 * section k + 1 starts.  Core 0 prints, per team size, the counter (expected ITERS * team
 * size), the overlaps seen and the sections that overlap in time (both expected 0).
 */
#include <stdint.h>
#include <stdio.h>
#include "pulp.h"

#define ITERS 100
#define MAX_CORES 16

static volatile int counter;
static volatile int inside;
static volatile int overlaps;
static volatile uint32_t enter_time[ITERS * MAX_CORES], exit_time[ITERS * MAX_CORES];

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
    int c = pi_core_id();
    for (int i = 0; i < ITERS; i++) {
        pi_cl_team_critical_enter();
        uint32_t t0 = cycles();
        if (inside)
            overlaps++;
        inside = 1;
        int v = counter;
        spin(10);
        counter = v + 1;
        inside = 0;
        enter_time[v] = t0;
        exit_time[v] = cycles();
        pi_cl_team_critical_exit();
        spin((c * 7 + i) % 13);
    }
}

int main(void)
{
    int cores = pi_cl_cluster_nb_cores();
    int errors = 0;
    for (int n = 1; n <= cores; n++) {
        counter = 0;
        overlaps = 0;
        pi_cl_team_fork(n, entry, 0);
        int late = 0;
        for (int k = 0; k + 1 < counter; k++)
            late += exit_time[k] >= enter_time[k + 1];
        printf("team %d: counter %d, overlaps %d, time overlaps %d\n", n, counter, overlaps, late);
        errors += counter != ITERS * n || overlaps != 0 || late != 0;
    }
    return errors;
}
