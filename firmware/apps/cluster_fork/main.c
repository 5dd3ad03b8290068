/*
 * Fork/join with every team size: pi_cl_team_fork(n) for n = 0 (all cores), 1 .. cores.
 * Each team core records its id + 1, the team size it sees and the fork argument; core 0
 * prints them for every core of the cluster (0/0/0 = did not run).  tests/test_cluster.py
 * checks the lines.
 */
#include <stdint.h>
#include <stdio.h>
#include "pulp.h"

#define MAX_CORES 16

static volatile int seen[MAX_CORES];
static volatile int team[MAX_CORES];
static volatile int args[MAX_CORES];

static void entry(void *arg)
{
    int c = pi_core_id();
    seen[c] = c + 1;
    team[c] = pi_cl_team_nb_cores();
    args[c] = (int)(intptr_t)arg;
}

int main(void)
{
    int cores = pi_cl_cluster_nb_cores();
    printf("cores %d\n", cores);
    for (int n = 0; n <= cores; n++) {
        for (int c = 0; c < MAX_CORES; c++)
            seen[c] = team[c] = args[c] = 0;
        pi_cl_team_fork(n, entry, (void *)(intptr_t)(1000 + n));
        printf("fork %d:", n);
        for (int c = 0; c < cores; c++)
            printf(" %d/%d/%d", seen[c], team[c], args[c]);
        printf("\n");
    }
    return 0;
}
