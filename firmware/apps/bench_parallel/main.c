/*
 * Embarrassingly parallel RV32IMC benchmark for the cluster (tools/bench_cluster.py).
 *
 * TASKS independent tasks; task t fills its own N x N int32 matrices from the LCG
 * state = state * 1664525 + 1013904223 seeded with t, then runs ROUNDS rounds of
 * C = A * B (wrap-around) and A[i][r mod N] += C[i][r mod N] >> 7, and folds C into a
 * checksum (h = h * 31 + c). Core c of the team runs tasks c, c + n, c + 2n, ... on its
 * own buffers; the result is the XOR of the task checksums, the same for any core count.
 * Prints "bench_parallel: cores=N tasks=T result=XXXXXXXX" and returns 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <pulp.h>

#ifndef N
#define N 16
#endif
#ifndef TASKS
#define TASKS 64
#endif
#ifndef ROUNDS
#define ROUNDS 96
#endif

typedef struct { int32_t a[N][N], b[N][N], c[N][N]; } buffers_t;
L1_BSS static buffers_t buffers[ARCHI_CLUSTER_NB_PE];
L1_BSS static uint32_t task_result[TASKS];

static uint32_t run_task(buffers_t *m, uint32_t seed)
{
    uint32_t state = seed;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            state = state * 1664525u + 1013904223u;
            m->a[i][j] = (int32_t)state >> 20;
            state = state * 1664525u + 1013904223u;
            m->b[i][j] = (int32_t)state >> 20;
        }
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                int32_t acc = 0;
                for (int k = 0; k < N; k++)
                    acc += m->a[i][k] * m->b[k][j];
                m->c[i][j] = acc;
            }
        for (int i = 0; i < N; i++)
            m->a[i][r % N] += m->c[i][r % N] >> 7;
    }
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = h * 31u + (uint32_t)m->c[i][j];
    return h;
}

static void worker(void *arg)
{
    int cores = *(int *)arg;
    int core = pi_core_id();
    for (int t = core; t < TASKS; t += cores)
        task_result[t] = run_task(&buffers[core], (uint32_t)t);
}

int main(void)
{
    int cores = pi_cl_cluster_nb_cores();
    pi_cl_team_fork(cores, worker, &cores);
    uint32_t result = 0;
    for (int t = 0; t < TASKS; t++)
        result ^= task_result[t];
    printf("bench_parallel: cores=%d tasks=%d result=%08x\n", cores, TASKS, (unsigned)result);
    return 0;
}
