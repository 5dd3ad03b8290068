/*
 * Cluster runtime: team fork / join on the event unit (see include/cluster.h).
 *
 * core 0 (pi_cl_team_fork)                 worker cores (__pulp_worker_loop)
 *   team config + barrier 0 := cores 0..n-1   sleep in the dispatch FIFO pop
 *   push entry, push arg                      pop entry, pop arg
 *   entry(arg)                                entry(arg)
 *   barrier 0                                 barrier 0, back to the pop
 * A worker outside the team never gets the pushes, so it keeps sleeping.
 */
#include "pulp.h"

/* Events that end this core's waits (as pulp-runtime's cluster core init). */
static inline void cluster_core_init(void)
{
    eu_evt_maskSet((1u << PULP_HW_BAR_EVENT) | (1u << PULP_MUTEX_EVENT)
                   | (1u << PULP_DISPATCH_EVENT));
}

void pi_cl_team_fork(int nb_cores, void (*entry)(void *), void *arg)
{
    int n = nb_cores > 0 ? nb_cores : pi_cl_cluster_nb_cores();
    uint32_t team = n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1;

    cluster_core_init();
    /* core 0 is in the team config too (as pulp-runtime): it just never pops its copy */
    eu_dispatch_team_config(team);
    eu_bar_setup(eu_bar_addr(0), team);
    eu_dispatch_push((uint32_t)entry);
    eu_dispatch_push((uint32_t)arg);
    entry(arg);
    pi_cl_team_barrier();
}

void __pulp_worker_loop(int core_id)
{
    (void)core_id;
    cluster_core_init();
    for (;;) {
        void (*entry)(void *) = (void (*)(void *))eu_dispatch_pop();
        void *arg = (void *)eu_dispatch_pop();
        entry(arg);
        pi_cl_team_barrier();
    }
}
